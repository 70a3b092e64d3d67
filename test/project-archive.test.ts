// The project directory travels: a workflow's data file and Python script reach a pilot that cannot see the
// project (it was renamed after submission; the pilot's working directory and HOME are elsewhere) through
// the project archive in the code cache, fetched once per hash, with node_modules and ignored files left
// out; a project too big to ship and hostile archives are refused with clear errors.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawTarEntry, rawTarGz } from "../src/bundle/hostile-tar.fixture.js";
import { removeTree } from "../src/bundle/project-unpack.js";
import { CLI, finishedWorkflow, ROOT, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { scrape } from "./helpers/prometheus.js";
import { until } from "./helpers/until.js";

const MAIN = `
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { command, projectDir, work, workflow, type Command } from "pando";

/** Reads the data file beside the program, relative to the working directory, and says what else is there. */
export const readData = work({ name: "proj.readData" }, async (original: string) => ({
  data: readFileSync("data/points.csv", "utf8"),
  cwd: process.cwd(),
  projectDir: projectDir(),
  originalVisible: existsSync(original),
  nodeModules: existsSync(join(projectDir(), "node_modules")),
  ignored: existsSync(join(projectDir(), "ignored.txt")),
  excludedByConfig: existsSync(join(projectDir(), "scratch")),
}));

/** python3 train.py of the project, which reads the data file beside it. */
export const train = command({ name: "proj.train" }, (scale: number): Command<{ sum: number; script: string }> =>
  ["python3", join(projectDir(), "train.py"), String(scale)]);

export const main = workflow({ name: "proj.main" }, async (original: string) => ({
  reads: await readData.map([[original], [original], [original]]),
  trained: await train.map([[1], [10]]),
  driver: projectDir(),
}));
`;

const TRAIN = `import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "data", "points.csv")) as f:
    values = [int(line) for line in f.read().split()[1:]]
print(json.dumps({"sum": sum(values) * int(sys.argv[1]), "script": os.path.abspath(__file__)}))
`;

function put(dir: string, rel: string, text: string): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

/** A project directory: the program, its data and script, a dependency, an ignored file and a scratch directory. */
function makeProject(parent: string, extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(parent, "project-"));
  put(dir, "package.json", JSON.stringify({ name: "proj", private: true, type: "module", pando: { project: { exclude: ["scratch/"] } } }));
  put(dir, "main.ts", MAIN);
  put(dir, "train.py", TRAIN);
  put(dir, "data/points.csv", "value\n1\n2\n3\n");
  put(dir, ".gitignore", "ignored.txt\n");
  put(dir, "ignored.txt", "not shipped");
  put(dir, "scratch/notes.txt", "not shipped either");
  put(dir, "node_modules/dep/index.js", "export default 1;");
  // The program imports "pando": the Pando under test.
  symlinkSync(ROOT, join(dir, "node_modules", "pando"));
  for (const [rel, text] of Object.entries(extra)) put(dir, rel, text);
  return dir;
}

/** The value a finished workflow returned (tagged JSON; these values are plain). */
async function workflowValue(cluster: Cluster, id: number): Promise<any> {
  return JSON.parse((await finishedWorkflow(cluster, id)).result);
}

describe("the project archive", () => {
  let cluster: Cluster;
  let scratch: string;
  let pilot: ChildProcess | undefined;
  let pilotOutput = "";

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "pando-project-archive-"));
    cluster = await startCluster({ pilots: 0 });
  });
  afterAll(async () => {
    pilot?.kill("SIGTERM");
    await cluster?.stop();
    removeTree(scratch);
  });

  /** A pilot whose working directory, HOME and cache are in a directory of their own, away from the project. */
  function startPilot(): void {
    const home = mkdtempSync(join(scratch, "pilot-home-"));
    pilot = spawn(process.execPath, [CLI, "pilot", "--server", cluster.url, "--slots", "2", "--cache-dir", join(home, "cache"), "--name", "far"], {
      cwd: home,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, HOME: home, PANDO_TOKEN: cluster.credentials.pilotToken, PANDO_LOG_LEVEL: "info" },
    });
    pilot.stdout?.on("data", (c: Buffer) => (pilotOutput += c.toString("utf8")));
    pilot.stderr?.on("data", (c: Buffer) => (pilotOutput += c.toString("utf8")));
  }

  it("runs works that read a data file and run python3 train.py from a project the pilot cannot see", async () => {
    const project = makeProject(scratch);
    const submitted = await runDriver(`${project}/main.ts#main`, [JSON.stringify(project)], {
      url: cluster.url,
      token: cluster.credentials.userToken,
      extra: ["--remote", "--detach"],
    });
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = (submitted.value as { id: number }).id;
    // The project is gone from where it was built before any pilot runs: only the archive can bring its files.
    renameSync(project, `${project}-moved`);
    startPilot();
    const value = await workflowValue(cluster, id);

    const shipped = value.driver as string;
    expect(shipped).toMatch(/\/cache\/projects\/[0-9a-f]{64}$/);
    expect(shipped.startsWith(scratch)).toBe(true);
    for (const read of value.reads) {
      expect(read).toEqual({
        data: "value\n1\n2\n3\n",
        cwd: shipped,
        projectDir: shipped,
        originalVisible: false,
        nodeModules: false,
        ignored: false,
        excludedByConfig: false,
      });
    }
    expect(value.trained).toEqual([
      { sum: 6, script: join(shipped, "train.py") },
      { sum: 60, script: join(shipped, "train.py") },
    ]);

    // The pilot fetched the bundle and the archive once each, for the driver and its six jobs.
    expect((await scrape(cluster.api)).value("pando_code_cache_pilot_reads_total")).toBe(2);
    expect(pilotOutput.match(/project archive fetched and unpacked/g)).toHaveLength(1);
  });

  it("ships the project of a program run without pando run (PANDO_SERVER), its driver here and its jobs on the pilot", async () => {
    const project = makeProject(scratch, { "call.ts": 'import { main } from "./main.ts";\nconsole.log(JSON.stringify(await main(process.argv[2])));\n' });
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "call.ts", project], {
      cwd: project,
      env: { ...process.env, PANDO_SERVER: cluster.url, PANDO_TOKEN: cluster.credentials.userToken, PANDO_LOG_LEVEL: "warn" },
      timeout: 90_000,
    });
    const value = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(value.driver).toBe(project);
    const shipped = value.reads[0].projectDir as string;
    expect(shipped).toMatch(/\/cache\/projects\/[0-9a-f]{64}$/);
    // Beside the driver, the pilot's sandbox shows the project too; the jobs still run in the archive.
    expect(value.reads[0]).toMatchObject({ data: "value\n1\n2\n3\n", cwd: shipped, ignored: false, nodeModules: false });
    expect(value.trained[1]).toEqual({ sum: 60, script: join(shipped, "train.py") });
  });

  it("refuses a project over its size limit, naming its biggest files and how to leave them out", async () => {
    const project = makeProject(scratch, { "data/huge.bin": "h".repeat(8000), "data/large.bin": "l".repeat(4000) });
    const r = await runDriver(`${project}/main.ts#main`, ["x"], {
      url: cluster.url,
      token: cluster.credentials.userToken,
      extra: ["--remote", "--detach", "--project-max-size", "8KiB"],
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("over the 8.0 KiB limit of a project archive");
    expect(r.stderr).toMatch(/biggest files: data\/huge\.bin \(7\.8 KiB\), data\/large\.bin \(3\.9 KiB\)/);
    expect(r.stderr).toContain("--project-exclude");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ["a path leaving the archive", [rawTarEntry("../../escape.txt", "0", "x")], "'..' component"],
    ["an absolute path", [rawTarEntry("/tmp/pando-escape.txt", "0", "x")], "absolute path"],
    ["a symbolic link out of it", [rawTarEntry("data", "2", "", "/etc")], "symbolic link"],
  ])("fails the jobs of a workflow whose archive holds %s, saying why", async (_what, entries, why) => {
    const archive = rawTarGz(entries);
    const hash = createHash("sha256").update(archive).digest("hex");
    const put = await fetch(`${cluster.url}/api/v1/bundles/${hash}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${cluster.credentials.userToken}`, "content-type": "application/octet-stream" },
      body: new Uint8Array(archive),
    });
    expect(put.status).toBe(201);
    // The bundle of the first workflow, which its user uploaded: only the archive is hostile.
    const { body: first } = await cluster.api("GET", "/api/v1/workflows/1");
    const { body: wf } = await cluster.api("POST", "/api/v1/workflows", { name: "proj.main", bundleHash: first.bundleHash, projectHash: hash });
    const { status, body: task } = await cluster.api("POST", `/api/v1/workflows/${wf.id}/tasks`, {
      work: "proj.readData",
      bundleHash: first.bundleHash,
      projectHash: hash,
      jobs: [{ key: "a", args: JSON.stringify(["/nowhere"]) }],
    });
    expect(status, JSON.stringify(task)).toBe(201);
    const job = await until(
      "the job to fail",
      async () => {
        const { body } = await cluster.api("GET", `/api/v1/tasks/${task.id}/jobs`);
        const j = (body.jobs ?? body)[0];
        return j?.state === "failed" ? j : undefined;
      },
      30_000,
    );
    expect(job.error.code).toBe("bad_project_archive");
    expect(job.error.message).toContain(`project archive ${hash} was refused`);
    expect(job.error.message).toContain(why);
    expect(job.attempts).toBe(1);
  });
});
