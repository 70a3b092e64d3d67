// What the entry points load. `import { work, workflow } from "pando"` and an executor running a plain work
// load neither the bundler (esbuild), the STOMP client, the HTTP client nor a database or server package:
// those load when a remote workflow, a broker or a server call needs them. Node's loader hooks record every
// module the process resolves; the sources run through tsx, so no build is needed.
import { fork, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { encode } from "./codec/tagged-json.js";
import type { DispatchedJob } from "./core/dispatch-records.js";
import type { FromExecutor, JobDone } from "./pilot/executor-protocol.js";
import { loadedModulesHook } from "./loaded-modules.fixture.js";

const SRC = import.meta.dirname;
const ROOT = resolve(SRC, "..");
const ENTRY = pathToFileURL(join(SRC, "index.ts")).href;
const dir = mkdtempSync(join(tmpdir(), "pando-entry-points-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Packages only a driver, a broker, a pilot's server link or a server needs. */
const NOT_FOR_JOBS = ["esbuild", "@stomp/stompjs", "@stomp/tcp-wrapper", "undici", "pg", "better-sqlite3", "fastify", "kysely", "pino"];
/** The API's schemas: a driver's client and the server check messages with them, works never do. */
const SCHEMAS = "zod";

// Registered after tsx's own hooks, these run first and see every resolved import of the program (tsx's
// own loading of esbuild happens before they are in place).
const NODE_ARGS = ["--import", "tsx", "--import", loadedModulesHook(dir)];

/** The packages among the resolved modules ("@scope/name" or "name"). */
function packagesIn(urls: string[]): Set<string> {
  const names = urls.flatMap((u) => {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
    return m ? [m[1]!] : [];
  });
  return new Set(names);
}

function readLog(log: string): string[] {
  return readFileSync(log, "utf8").split("\n").filter((l) => l.length > 0);
}

/** The packages a program loads that only imports `imports` from `module` (a file of src/). */
function packagesLoadedBy(name: string, module: string, imports: string): { loaded: string[]; packages: Set<string> } {
  const log = join(dir, `${name}.log`);
  const script = join(dir, `${name}.mjs`);
  writeFileSync(script, `import ${imports} from ${JSON.stringify(pathToFileURL(join(SRC, module)).href)};\n`);
  const run = spawnSync(process.execPath, [...NODE_ARGS, script], { cwd: ROOT, env: { ...process.env, PANDO_LOADED_LOG: log }, encoding: "utf8" });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  const loaded = readLog(log);
  return { loaded, packages: packagesIn(loaded) };
}

describe("import { work, workflow } from \"pando\"", () => {
  it("loads the SDK without esbuild, the STOMP client, undici, the API's schemas or server packages", () => {
    const { loaded, packages } = packagesLoadedBy("sdk", "index.ts", "{ work, workflow }");
    // The hooks saw the SDK itself: what is missing below is missing because nothing imported it.
    expect(loaded).toContain(pathToFileURL(join(SRC, "sdk", "work.ts")).href);
    for (const name of [...NOT_FOR_JOBS, SCHEMAS]) expect(packages, `${name} is loaded`).not.toContain(name);
  });
});

describe("the pilot", () => {
  it("loads neither esbuild, the STOMP client (until a server names a broker), nor server packages", () => {
    const { loaded, packages } = packagesLoadedBy("pilot", "pilot/pilot.ts", "{ Pilot }");
    expect(loaded).toContain(pathToFileURL(join(SRC, "pilot", "reporter.ts")).href);
    for (const name of NOT_FOR_JOBS.filter((n) => n !== "undici")) expect(packages, `${name} is loaded`).not.toContain(name);
  });
});

describe("the pando command", () => {
  it("loads a command's code only when that command runs: its own start loads no server, pilot, bundler or client package", () => {
    const log = join(dir, "cli.log");
    const run = spawnSync(process.execPath, [...NODE_ARGS, join(SRC, "cli", "main.ts"), "--version"], {
      cwd: ROOT,
      env: { ...process.env, PANDO_LOADED_LOG: log },
      encoding: "utf8",
    });
    expect(run.status).toBe(0);
    const loaded = readLog(log);
    expect(loaded).toContain(pathToFileURL(join(SRC, "cli", "parse.ts")).href);
    const packages = packagesIn(loaded);
    for (const name of NOT_FOR_JOBS.filter((n) => n !== "pino")) expect(packages, `${name} is loaded`).not.toContain(name);
  });
});

describe("an executor", () => {
  it("runs a plain work without loading esbuild, the STOMP client, undici, the API's schemas or server packages", async () => {
    const log = join(dir, "executor.log");
    const bundle = join(dir, "bundle.mjs");
    writeFileSync(bundle, `import { work } from ${JSON.stringify(ENTRY)};\nexport const double = work({ name: "double" }, async (x) => 2 * x);\n`);
    const child = fork(join(SRC, "pilot", "executor.ts"), [bundle], {
      cwd: ROOT,
      execArgv: NODE_ARGS,
      env: { ...process.env, PANDO_LOADED_LOG: log, PANDO_MAX_PAYLOAD_BYTES: "1000000", PANDO_MAX_LOG_CHARS: "10000" },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      detached: true,
    });
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    const job: DispatchedJob = {
      jobId: 1,
      attempt: 1,
      taskId: 1,
      workflowId: 1,
      owner: 1,
      index: 0,
      key: "k",
      work: "double",
      bundleHash: "0".repeat(64),
      args: encode([21]),
      channel: "c",
      resultKey: "r",
      kind: "work",
      walltimeMs: 0,
      memoryMb: 0,
    };
    const messages: FromExecutor[] = [];
    const results: JobDone[] = [];
    // Three jobs sent together: their results come back in order, one message each or several in one.
    const jobs = [21, 5, 8].map((x, i) => ({ ...job, jobId: i + 1, index: i, args: encode([x]) }));
    const done = new Promise<void>((settle, fail) => {
      child.on("message", (msg: FromExecutor) => {
        messages.push(msg);
        if (msg.t === "ready") child.send({ t: "run", jobs });
        else if (msg.t === "results") results.push(...msg.done);
        else if (msg.t === "done") results.push(msg);
        if (results.length === jobs.length) settle();
      });
      child.on("exit", (code) => fail(new Error(`the executor exited (${code}) before it ran the job: ${stderr}`)));
    });
    try {
      await done;
    } finally {
      if (child.connected) child.disconnect();
    }
    expect(messages[0]).toEqual({ t: "ready", works: ["double"], startup: { processStarted: expect.any(Number), loaded: expect.any(Number), bundleImported: expect.any(Number) } });
    expect(results).toEqual([
      expect.objectContaining({ t: "done", jobId: 1, ok: true, result: encode(42) }),
      expect.objectContaining({ t: "done", jobId: 2, ok: true, result: encode(10) }),
      expect.objectContaining({ t: "done", jobId: 3, ok: true, result: encode(16) }),
    ]);
    const loaded = readLog(log);
    expect(loaded).toContain(pathToFileURL(bundle).href);
    const packages = packagesIn(loaded);
    for (const name of [...NOT_FOR_JOBS, SCHEMAS]) expect(packages, `${name} is loaded`).not.toContain(name);
  });
});
