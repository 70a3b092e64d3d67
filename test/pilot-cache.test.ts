// A host's cache directory does not fill its disk: pilots sharing it refresh the code they use (bundles,
// unpacked project archives), and remove what no pilot used for --cache-keep (PANDO_CACHE_KEEP); a job of
// removed code still runs later, its code fetched and unpacked again.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTree } from "../src/bundle/project-unpack.js";
import { CLI, finishedWorkflow, ROOT, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const KEEP_MS = 2000;

/** A project whose code says which version it is: each version is a bundle and a project archive of its own. */
function makeProject(parent: string, version: number): string {
  const dir = mkdtempSync(join(parent, `project-${version}-`));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `cached-${version}`, private: true, type: "module" }));
  writeFileSync(
    join(dir, "main.ts"),
    `import { projectDir, work, workflow } from "pando";
export const which = work({ name: "cache.which" }, async () => ({ version: ${version}, dir: projectDir() }));
export const main = workflow({ name: "cache.main" }, async () => await which());
`,
  );
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "pando"));
  return dir;
}

describe("a pilot's cache directory", () => {
  let cluster: Cluster;
  let scratch: string;
  let cacheDir: string;
  const pilots: { proc: ChildProcess; output: () => string }[] = [];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "pando-pilot-cache-"));
    cacheDir = join(scratch, "cache");
    cluster = await startCluster({ pilots: 0 });
  });
  afterAll(async () => {
    for (const p of pilots) p.proc.kill("SIGTERM");
    await cluster?.stop();
    removeTree(scratch);
  });

  /** A pilot of the host's shared cache directory, keeping unused code for KEEP_MS. */
  function startPilot(name: string) {
    const proc = spawn(process.execPath, [CLI, "pilot", "--server", cluster.url, "--slots", "2", "--cache-dir", cacheDir, "--name", name], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PANDO_TOKEN: cluster.credentials.pilotToken, PANDO_LOG_LEVEL: "info", PANDO_CACHE_KEEP: `${KEEP_MS}ms` },
    });
    let out = "";
    proc.stdout?.on("data", (c: Buffer) => (out += c.toString("utf8")));
    proc.stderr?.on("data", (c: Buffer) => (out += c.toString("utf8")));
    const pilot = { proc, output: () => out };
    pilots.push(pilot);
    return pilot;
  }

  /** Submits the project's workflow, its driver to run on a pilot too: the workflow's id. */
  async function submit(project: string): Promise<number> {
    const submitted = await runDriver(`${project}/main.ts#main`, [], {
      url: cluster.url,
      token: cluster.credentials.userToken,
      extra: ["--remote", "--detach"],
    });
    expect(submitted.code, submitted.stderr).toBe(0);
    return (submitted.value as { id: number }).id;
  }

  /** What a workflow returned, and the code it ran, once the cluster's pilots ran it. */
  async function result(id: number): Promise<{ value: { version: number; dir: string }; bundle: string; project: string }> {
    const wf = await finishedWorkflow(cluster, id);
    const value = JSON.parse(wf.result) as { version: number; dir: string };
    // The job ran in the unpacked project archive: its directory is the cache's entry.
    expect(value.dir).toMatch(new RegExp(`^${cacheDir}/projects/[0-9a-f]{64}$`));
    return { value, bundle: join(cacheDir, `${wf.bundleHash}.mjs`), project: value.dir };
  }

  it("keeps the code a live pilot uses, removes what no pilot used for the keeping time, and fetches it again when needed", async () => {
    const first = makeProject(scratch, 1);
    const second = makeProject(scratch, 2);

    const a = startPilot("a");
    const one = await result(await submit(first));
    expect(one.value).toEqual({ version: 1, dir: one.project });
    expect(existsSync(one.bundle) && existsSync(one.project)).toBe(true);
    // The pilot that used the first version leaves; another pilot of the same cache directory runs the second
    // (started after it was submitted, so that the first is not the latest code the server tells it to warm).
    a.proc.kill("SIGTERM");
    await new Promise((done) => a.proc.once("exit", done));
    const submitted = await submit(second);
    const b = startPilot("b");
    const two = await result(submitted);
    expect(two.value).toEqual({ version: 2, dir: two.project });
    const ran = Date.now();

    // Nobody uses the first version any more: it is removed after the keeping time.
    await until("the first version's code to be removed from the cache", () => (!existsSync(one.bundle) && !existsSync(one.project) ? true : undefined), 30_000, b.output);
    expect(b.output()).toContain("removed code unused for the keeping time from the cache");

    // The second version's executors are alive: its code is refreshed past the keeping time since its last job, and stays.
    const refreshedAfter = ran + KEEP_MS;
    await until(
      "the second version's code to be refreshed past the keeping time",
      () => (statSync(two.bundle).mtimeMs > refreshedAfter && statSync(two.project).mtimeMs > refreshedAfter ? true : undefined),
      30_000,
      b.output,
    );
    expect(existsSync(join(two.project, "main.ts"))).toBe(true);

    // A workflow of the removed code runs again: the pilot fetches and unpacks it anew.
    const again = await result(await submit(first));
    expect(again.value).toEqual({ version: 1, dir: one.project });
    expect(existsSync(one.bundle) && existsSync(join(one.project, "main.ts"))).toBe(true);
    expect(b.output().match(/project archive fetched and unpacked/g)).toHaveLength(2);
  });
});
