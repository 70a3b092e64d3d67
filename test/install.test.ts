// Pando as a user gets it: packed from this repository with `npm pack` (which builds it), a project
// scaffolded by `pando init` in a directory outside the repository, installed by npm, and its workflow run
// every way a program can run one: `pando run`, tsx, plain node and node --enable-source-maps, locally,
// remotely with submit(), and against a running server named by PANDO_SERVER.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers/cluster.js";

/** What a step may take at most: a first install compiles better-sqlite3, which takes a minute or more. */
const INSTALL_TIMEOUT_MS = 600_000;
const RUN_TIMEOUT_MS = 120_000;

// The result every mode must give: the scaffold's estimate is deterministic (seeded points).
const JOBS = 4;
const POINTS = 20_000;

/**
 * The environment of a user's shell: none of the suite's own npm or Pando settings, and no node_modules/.bin
 * on the PATH (npm puts the repository's there), so that every command is the project's own.
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|PANDO_)/i.test(k)));
  const path = (process.env.PATH ?? "").split(delimiter).filter((dir) => !dir.includes(join("node_modules", ".bin")));
  return { ...env, PATH: path.join(delimiter), PANDO_LOG_LEVEL: "warn", ...extra };
}

const running = new Set<ChildProcess>();

/** Runs a command to its end in its own process group, killed whole (npx's children too) if it overruns. */
function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(command, args, { cwd: options.cwd, env: options.env ?? userEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
    running.add(proc);
    let stdout = "";
    let stderr = "";
    proc.stdout!.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    proc.stderr!.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const timer = setTimeout(() => {
      killGroup(proc, "SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not end within ${options.timeoutMs ?? RUN_TIMEOUT_MS} ms:\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? RUN_TIMEOUT_MS);
    proc.once("error", reject);
    proc.once("close", (code) => {
      clearTimeout(timer);
      running.delete(proc);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    // already gone
  }
}

/** Stops a long-running process (and its group) with SIGTERM, then SIGKILL if it lingers. */
function stop(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => killGroup(proc, "SIGKILL"), 15_000);
    proc.once("exit", () => {
      clearTimeout(timer);
      running.delete(proc);
      done();
    });
    killGroup(proc, "SIGTERM");
  });
}

/** The last line of a program's stdout, as JSON. */
function lastJson(stdout: string): unknown {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!);
}

/** The files a stack trace names (paths and file URLs; Node's own `node:` frames left out). */
function stackFiles(stack: string): string[] {
  return stack
    .split("\n")
    .map((line) => /(?:\(|at )((?:file:\/\/)?\/[^():]+):\d+:\d+\)?\s*$/.exec(line)?.[1])
    .filter((f): f is string => f !== undefined)
    .map((f) => (f.startsWith("file://") ? fileURLToPath(f) : f));
}

/**
 * better-sqlite3 as its installer finds a prebuilt binary: no binary can be downloaded on this machine, so every
 * install would compile SQLite from source, a minute or more. The one this checkout compiled is offered as a
 * local prebuild (prebuild-install's `local-prebuilds`, set in a .prebuild-installrc that it finds above the
 * project); the rest of the install is npm's own.
 */
function offerLocalPrebuild(above: string): void {
  const source = join(ROOT, "node_modules", "better-sqlite3");
  const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8")) as { version: string };
  const dir = join(above, "prebuilds");
  mkdirSync(dir, { recursive: true });
  const archive = join(dir, `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`);
  const packed = spawnSync("tar", ["-czf", archive, "-C", source, join("build", "Release", "better_sqlite3.node")], { encoding: "utf8" });
  expect(packed.status, packed.stderr).toBe(0);
  writeFileSync(join(above, ".prebuild-installrc"), `local-prebuilds=${dir}\n`);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile());
}

// Programs of the user's own, beside the scaffolded src/pi.ts.
const LOCAL_TS = `import { workflow } from "pando";
import { countInside } from "./pi.js";

// Every work call of this workflow runs in this process.
const estimateHere = workflow({ name: "pi.here", distributed: false }, async (jobs: number, points: number) => {
  const counts = await countInside.map(Array.from({ length: jobs }, (_, seed) => [seed, points] as [number, number]));
  return { pi: (4 * counts.reduce((a, b) => a + b, 0)) / (jobs * points), points: jobs * points };
});

const outside = await countInside(0, ${POINTS}); // a work called outside any workflow: runs here
console.log(JSON.stringify({ outside, here: await estimateHere(${JOBS}, ${POINTS}) }));
`;
const CALL_TS = `import { estimatePi } from "./pi.js";

console.log(JSON.stringify(await estimatePi(${JOBS}, ${POINTS}))); // the driver here, its jobs on the server's pilots
`;
// pando/optimize, the subpath export: type-checked with the project (the scaffold's test) and run with tsx.
const TUNE_TS = `import { branin, createStudy, float, tpeSampler } from "pando/optimize";

const study = createStudy({ space: { x1: float(-5, 10), x2: float(0, 15) }, objective: { name: "y", direction: "minimize" }, sampler: tpeSampler(), seed: 3 });
for (let i = 0; i < 6; i++) for (const trial of study.ask(5)) study.tell(trial.id, { y: branin.evaluate(trial.params) });
console.log(JSON.stringify({ trials: study.trials().length, best: study.best()?.value }));
`;
const APP_MJS = `import { JobError, work, workflow } from "pando";

export const cube = work({ name: "js.cube" }, async (x) => x ** 3);
export const broken = work({ name: "js.broken", maxAttempts: 1 }, async (x) => {
  throw new Error(\`broken \${x}\`);
});

async function body(n) {
  const cubes = await cube.map(Array.from({ length: n }, (_, i) => [i]));
  try {
    await broken(n);
    return { sum: cubes.reduce((a, b) => a + b, 0) };
  } catch (err) {
    if (!(err instanceof JobError)) throw err;
    return { sum: cubes.reduce((a, b) => a + b, 0), failure: err.remoteStack };
  }
}
const sumCubes = workflow({ name: "js.sumCubes" }, body);
const sumCubesHere = workflow({ name: "js.sumCubesHere", distributed: false }, body);

const mode = process.argv[2];
const result =
  mode === "submit" ? await (await sumCubes.submit(4)).result() :
  mode === "call" ? await sumCubes(4) :
  mode === "outside" ? { sum: await cube(4) } :
  await sumCubesHere(4);
console.log(JSON.stringify(result));
`;

describe("Pando installed in a project of its own", () => {
  let tmp = "";
  let app = "";
  let expected: unknown;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "pando-install-"));
    // The repository as a fresh clone has it (no dist/), with this checkout's node_modules for the build.
    const checkout = join(tmp, "checkout");
    const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
    expect(listed.status, listed.stderr).toBe(0);
    for (const file of listed.stdout.split("\0").filter(Boolean)) {
      if (!existsSync(join(ROOT, file))) continue;
      mkdirSync(dirname(join(checkout, file)), { recursive: true });
      cpSync(join(ROOT, file), join(checkout, file));
    }
    symlinkSync(join(ROOT, "node_modules"), join(checkout, "node_modules"), "dir");

    const packed = await run("npm", ["pack", "--pack-destination", tmp], { cwd: checkout, timeoutMs: INSTALL_TIMEOUT_MS });
    expect(packed.code, packed.stderr).toBe(0);
    const tarball = readdirSync(tmp).find((f) => f.endsWith(".tgz"));
    expect(tarball, `npm pack wrote no tarball:\n${packed.stdout}\n${packed.stderr}`).toBeDefined();

    const init = await run(process.execPath, [join(checkout, "dist", "cli", "main.js"), "init", "app", "--pando", `./${tarball}`], { cwd: tmp });
    expect(init.code, init.stderr).toBe(0);
    app = join(tmp, "app");
    writeFileSync(join(app, "src", "local.ts"), LOCAL_TS);
    writeFileSync(join(app, "src", "call.ts"), CALL_TS);
    writeFileSync(join(app, "src", "app.mjs"), APP_MJS);
    writeFileSync(join(app, "src", "tune.ts"), TUNE_TS);

    offerLocalPrebuild(tmp);
    const installed = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: app, timeoutMs: INSTALL_TIMEOUT_MS });
    expect(installed.code, installed.stderr).toBe(0);
  }, 2 * INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all([...running].map((p) => stop(p)));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("ships what runs, and the sources its maps name (or the maps carry them), and no tests, examples or benchmarks", () => {
    const pkg = join(app, "node_modules", "pando");
    const files = filesUnder(pkg);
    expect(files).toContain(join("dist", "cli", "main.js"));
    expect(files).toContain(join("dist", "monitor", "index.html"));
    expect(files).toContain(join("templates", "project", "src", "pi.ts"));
    expect(files.filter((f) => /^(test|examples|bench|scripts|monitor)\//.test(f) || f.endsWith(".test.ts"))).toEqual([]);
    const maps = files.filter((f) => f.endsWith(".map"));
    expect(maps).toContain(join("dist", "sdk", "workflow.js.map"));
    for (const map of maps) {
      // The SDK's maps name its TypeScript sources, shipped beside dist/; the monitor's carry theirs inline.
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(pkg, map), "utf8")) as { sources: string[]; sourcesContent?: string[] };
      sources.forEach((source, i) => {
        const there = existsSync(join(pkg, dirname(map), source)) || typeof sourcesContent?.[i] === "string";
        expect(there, `${map} names ${source}, which is neither in the package nor in the map`).toBe(true);
      });
    }
    const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).not.toContain("ml-random-forest");
    expect(existsSync(join(app, "node_modules", "ml-random-forest"))).toBe(false);
  });

  it("scaffolds a project that type-checks against the installed package", async () => {
    const manifest = JSON.parse(readFileSync(join(app, "package.json"), "utf8"));
    expect(manifest).toMatchObject({ type: "module", dependencies: { pando: expect.stringMatching(/^file:\.\.\/pando-.*\.tgz$/) } });
    expect(readFileSync(join(app, ".gitignore"), "utf8")).toMatch(/^\.pando\/$/m);
    const checked = await run("npx", ["tsc", "--noEmit"], { cwd: app });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
  });

  it("runs the workflow with `npx pando run` on the embedded default", async () => {
    const r = await run("npx", ["pando", "run", "src/pi.ts#estimatePi", String(JOBS), String(POINTS), "--json"], { cwd: app });
    expect(r.code, r.stderr).toBe(0);
    expected = lastJson(r.stdout);
    expect(expected).toMatchObject({ points: JOBS * POINTS });
    expect(Math.abs((expected as { pi: number }).pi - Math.PI)).toBeLessThan(0.05);
  });

  it("runs works locally under tsx: a workflow({ distributed: false }) and a work called outside any workflow", async () => {
    const r = await run("npx", ["tsx", "src/local.ts"], { cwd: app });
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson(r.stdout) as { outside: number; here: unknown };
    expect(out.here).toEqual(expected);
    expect(Number.isInteger(out.outside) && out.outside > 0 && out.outside <= POINTS).toBe(true);
  });

  it("imports the optimiser from pando/optimize", async () => {
    const r = await run("npx", ["tsx", "src/tune.ts"], { cwd: app });
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson(r.stdout) as { trials: number; best: number };
    expect(out.trials).toBe(30);
    expect(out.best).toBeGreaterThanOrEqual(5 / (4 * Math.PI));
  });

  it.each([[[]], [["--enable-source-maps"]]])("runs a JavaScript program locally with node %j", async (nodeArgs) => {
    for (const mode of ["local", "outside"]) {
      const r = await run(process.execPath, [...nodeArgs, "src/app.mjs", mode], { cwd: app });
      expect(r.code, r.stderr).toBe(0);
      expect(lastJson(r.stdout)).toMatchObject({ sum: mode === "local" ? 36 : 64 });
    }
  });

  describe("against a running server named by PANDO_SERVER and PANDO_TOKEN", () => {
    let server: ChildProcess | undefined;
    let pilot: ChildProcess | undefined;
    let url = "";
    let env: NodeJS.ProcessEnv = {};
    const pilotCache = () => join(tmp, "pilot-cache");

    beforeAll(async () => {
      const bin = join(app, "node_modules", ".bin", "pando");
      server = spawn(bin, ["server", "--port", "0", "--queues-file", "queues.json"], { cwd: app, env: userEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
      running.add(server);
      let output = "";
      url = await new Promise<string>((resolvePromise, reject) => {
        const onData = (c: Buffer) => {
          output += c.toString("utf8");
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (m) resolvePromise(m[1]!);
        };
        server!.stdout!.on("data", onData);
        server!.stderr!.on("data", onData);
        server!.once("exit", (code) => reject(new Error(`pando server exited with ${code}:\n${output}`)));
      });
      const credentials = JSON.parse(readFileSync(join(app, ".pando", "credentials.json"), "utf8")) as { userToken: string; pilotToken: string };
      pilot = spawn(bin, ["pilot", "--server", url, "--queue", "local", "--slots", "2", "--cache-dir", pilotCache()], {
        cwd: app,
        env: userEnv({ PANDO_TOKEN: credentials.pilotToken }),
        stdio: "ignore",
        detached: true,
      });
      running.add(pilot);
      env = userEnv({ PANDO_SERVER: url, PANDO_TOKEN: credentials.userToken });
    }, RUN_TIMEOUT_MS);

    afterAll(async () => {
      await stop(pilot);
      await stop(server);
    });

    it("submits the workflow from a program run with tsx (remote mode), as getting-started says", async () => {
      const r = await run("npx", ["tsx", "src/submit.ts", String(JOBS), String(POINTS)], { cwd: app, env });
      expect(r.code, r.stderr).toBe(0);
      expect(lastJson(r.stdout)).toEqual(expected);
    });

    it("drives the workflow from a program run with tsx, its jobs on the server's pilots", async () => {
      const r = await run("npx", ["tsx", "src/call.ts"], { cwd: app, env });
      expect(r.code, r.stderr).toBe(0);
      expect(lastJson(r.stdout)).toEqual(expected);
    });

    it.each([[[]], [["--enable-source-maps"]]])(
      "runs a JavaScript program with node %j, locally and with submit(); a failed job's stack names files that exist",
      async (nodeArgs) => {
        for (const mode of ["call", "submit"]) {
          const r = await run(process.execPath, [...nodeArgs, "src/app.mjs", mode], { cwd: app, env });
          expect(r.code, r.stderr).toBe(0);
          const out = lastJson(r.stdout) as { sum: number; failure: string };
          expect(out.sum).toBe(36);
          expect(out.failure).toContain("Error: broken 4");
          const files = stackFiles(out.failure);
          expect(files).toContain(join(app, "src", "app.mjs"));
          expect(files.some((f) => f.startsWith(join(app, "node_modules", "pando") + "/")), out.failure).toBe(true);
          for (const file of files) expect(existsSync(file), `the stack names ${file}:\n${out.failure}`).toBe(true);
        }
      },
    );

    it("runs `pando run` without --server on the server of PANDO_SERVER", async () => {
      const workflows = async () => {
        const ls = await run("npx", ["pando", "ls", "--json"], { cwd: app, env });
        expect(ls.code, ls.stderr).toBe(0);
        return (JSON.parse(ls.stdout) as { workflows: Array<{ id: number; name: string; status: string }> }).workflows;
      };
      const before = new Set((await workflows()).map((w) => w.id));
      const r = await run("npx", ["pando", "run", "src/pi.ts#estimatePi", String(JOBS), String(POINTS), "--json"], { cwd: app, env });
      expect(r.code, r.stderr).toBe(0);
      expect(lastJson(r.stdout)).toEqual(expected);
      // The workflow ran on that server (an embedded server would have kept it to itself).
      expect((await workflows()).filter((w) => !before.has(w.id))).toEqual([expect.objectContaining({ name: "pi.estimate", status: "finished" })]);
    });

    it("uploaded the user's modules, not Pando's own code", () => {
      const bundles = [pilotCache(), join(app, ".pando", "cache")]
        .filter((dir) => existsSync(dir))
        .flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith(".mjs")).map((f) => join(dir, f)));
      expect(bundles.length).toBeGreaterThan(0);
      for (const bundle of bundles) {
        const code = readFileSync(bundle, "utf8");
        // A bundle of the user's module is a few kB (its inline source map included); Pando's SDK is megabytes.
        expect(code.length, bundle).toBeLessThan(64 * 1024);
        expect(code).toMatch(/"(pi\.countInside|js\.cube)"/);
        expect(code).not.toContain("registerWorkflow");
      }
    });
  });
});
