// Real processes on 127.0.0.1 for integration tests: a `pando server`, pilots, and drivers run with `pando run`.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "vitest";
import { until } from "./until.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const CLI = join(ROOT, "dist", "cli", "main.js");

export interface Credentials {
  user: string;
  userToken: string;
  pilotToken: string;
}

function waitForLine(proc: ChildProcess, pattern: RegExp, what: string, timeoutMs = 20_000): Promise<RegExpExecArray> {
  return new Promise((resolvePromise, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs} ms; output:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString("utf8");
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        proc.stdout?.off("data", onData);
        resolvePromise(m);
      }
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", (c: Buffer) => (seen += c.toString("utf8")));
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with code ${code} before it was ready; output:\n${seen}`));
    });
  });
}

export interface PilotProcess {
  name: string;
  proc: ChildProcess;
  /** Output of the pilot and its executors. */
  output(): string;
}

export interface Cluster {
  url: string;
  dataDir: string;
  /** The server's PostgreSQL database, when the suite runs on PostgreSQL (else its SQLite file is in dataDir). */
  databaseUrl: string | undefined;
  credentials: Credentials;
  pilots: PilotProcess[];
  startPilot(name?: string, slots?: number, queue?: string): PilotProcess;
  /** Stops the server with a signal (SIGKILL: a crash) and starts it again on the same port and data. */
  restartServer(signal: NodeJS.Signals): Promise<void>;
  stopServer(signal: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port and data. */
  startServer(): Promise<void>;
  /** What the server printed on stderr so far. */
  serverOutput(): string;
  /** The server process's id (it changes when the server is restarted). */
  serverPid(): number;
  /** A JSON call as the administrator, or as `token` (null: none), with extra `headers` (a pilot's key). */
  api(method: string, path: string, body?: unknown, token?: string | null, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  pilots?: number;
  slots?: number;
  serverArgs?: string[];
  /** Options for the server's node, e.g. a heap limit. */
  nodeArgs?: string[];
  /** Queue definitions: written to a queues file the server starts with (docs/queues.md). */
  queues?: ReadonlyArray<Record<string, unknown>>;
  /**
   * The server's broker URL; default PANDO_TEST_BROKER, so the whole suite runs once with a broker and once
   * without. null: no broker even then.
   */
  broker?: string | null;
  /** Variables added to the environment of the server and the pilots started here (PANDO_CA…). */
  env?: Record<string, string>;
}

/**
 * The PostgreSQL the suite keeps servers' state in, if any (PANDO_TEST_DB, set by the integration-postgres
 * project): each server gets a database of its own, created here and dropped when the server is done.
 */
export const TEST_DB = process.env.PANDO_TEST_DB || undefined;

let databases = 0;

/** A fresh database on the suite's PostgreSQL; undefined when the suite runs on SQLite. */
export function freshDatabase(): { url: string; drop(): void } | undefined {
  if (!TEST_DB) return undefined;
  const name = `pando_test_${process.pid}_${++databases}_${Date.now() % 100_000}`;
  execFileSync("psql", [TEST_DB, "-qc", `CREATE DATABASE ${name}`], { stdio: "pipe" });
  const url = new URL(TEST_DB);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => {
      execFileSync("psql", [TEST_DB, "-qc", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: "pipe" });
    },
  };
}

/** Drivers get pilots of their own: a queue that takes only tasks naming it, so no work call lands there. */
export const DRIVER_QUEUES = [{ name: "local" }, { name: "drivers", status: "brokeroff" }];

/** The broker the suite runs against, if any (credentials come from PANDO_BROKER_USER/PASSWORD). */
export const TEST_BROKER = process.env.PANDO_TEST_BROKER || undefined;

function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<void> {
  return new Promise((done) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return done();
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    proc.once("exit", () => {
      clearTimeout(timer);
      done();
    });
    proc.kill(signal);
  });
}

/** Starts a server on a free port with its own data directory, and `pilots` pilots of queue "local". */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const dataDir = mkdtempSync(join(tmpdir(), "pando-test-"));
  let serverOutput = "";
  const broker = options.broker === undefined ? TEST_BROKER : (options.broker ?? undefined);
  const database = freshDatabase();
  const queueArgs: string[] = [];
  if (options.queues) {
    writeFileSync(join(dataDir, "queues.json"), JSON.stringify({ queues: options.queues }));
    queueArgs.push("--queues-file", join(dataDir, "queues.json"));
  }
  const launch = async (port: number) => {
    const proc = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), CLI, "server", "--port", String(port), "--data-dir", dataDir, ...queueArgs, ...(options.serverArgs ?? [])],
      {
        stdio: ["ignore", "pipe", "pipe"],
        // The broker (and its credentials) travel in the environment, never on a command line.
        env: { ...process.env, ...options.env, PANDO_LOG_LEVEL: "warn", PANDO_BROKER: broker ?? "", PANDO_DB: database?.url ?? "" },
      },
    );
    proc.stderr?.on("data", (c: Buffer) => (serverOutput += c.toString("utf8")));
    const m = await waitForLine(proc, /listening on (https?:\/\/127\.0\.0\.1:(\d+))/, "pando server");
    return { proc, url: m[1]!, port: Number(m[2]) };
  };
  const first = await launch(0);
  let server = first.proc;
  const url = first.url;
  const credentials = JSON.parse(readFileSync(join(dataDir, "credentials.json"), "utf8")) as Credentials;
  const pilots: PilotProcess[] = [];

  const startPilot = (name = `pilot-${pilots.length + 1}`, slots = options.slots ?? 1, queue = "local"): PilotProcess => {
    const proc = spawn(
      process.execPath,
      [CLI, "pilot", "--server", url, "--queue", queue, "--slots", String(slots), "--cache-dir", join(dataDir, `cache-${name}`), "--name", name],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PANDO_LOG_LEVEL: "warn", ...options.env, PANDO_TOKEN: credentials.pilotToken } },
    );
    let out = "";
    proc.stdout?.on("data", (c: Buffer) => (out += c.toString("utf8")));
    proc.stderr?.on("data", (c: Buffer) => (out += c.toString("utf8")));
    const pilot = { name, proc, output: () => out };
    pilots.push(pilot);
    return pilot;
  };
  for (let i = 0; i < (options.pilots ?? 2); i++) startPilot();

  const api: Cluster["api"] = async (method, path, body, token, extra) => {
    const headers: Record<string, string> = { ...extra };
    const auth = token === undefined ? credentials.userToken : token;
    if (auth !== null) headers.authorization = `Bearer ${auth}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  };

  return {
    url,
    dataDir,
    databaseUrl: database?.url,
    credentials,
    pilots,
    startPilot,
    api,
    restartServer: async (signal) => {
      await stopProcess(server, signal);
      server = (await launch(first.port)).proc;
    },
    stopServer: (signal) => stopProcess(server, signal),
    startServer: async () => {
      server = (await launch(first.port)).proc;
    },
    serverOutput: () => serverOutput,
    serverPid: () => server.pid!,
    stop: async () => {
      await Promise.all(pilots.map((p) => stopProcess(p.proc)));
      await stopProcess(server);
      if (server.exitCode !== 0 && server.exitCode !== null && serverOutput) process.stderr.write(serverOutput);
      rmSync(dataDir, { recursive: true, force: true });
      database?.drop();
    },
  };
}

export interface DriverRun extends Promise<DriverResult> {
  /** The id of the workflow, as soon as the driver has created it. */
  started: Promise<number>;
  proc: ChildProcess;
}

export interface DriverResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The printed result, parsed (runs use --json). */
  value: unknown;
  workflowId: number | undefined;
}

/** Runs `pando run target args… --json` against a cluster (or the embedded server when url is undefined). */
export function runDriver(
  target: string,
  args: readonly string[],
  options: {
    url?: string;
    token?: string;
    dataDir?: string;
    extra?: string[];
    timeoutMs?: number;
    /** An embedded run on PostgreSQL: this database, kept after the run (a later run resumes from it). */
    database?: string;
    /** The run's log level (its pilots' too): warn unless said. */
    logLevel?: string;
  } = {},
): DriverRun {
  const flags = ["--json", ...(options.extra ?? [])];
  if (options.url) flags.push("--server", options.url, "--token", options.token ?? "");
  // An embedded run keeps its state in the suite's store too.
  const database = options.url || options.database ? undefined : freshDatabase();
  if (options.dataDir) flags.push("--data-dir", options.dataDir);
  const proc = spawn(process.execPath, [CLI, "run", target, ...args, ...flags], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    // An embedded run uses the suite's broker too (a run against --server uses that server's).
    env: {
      ...process.env,
      PANDO_LOG_LEVEL: options.logLevel ?? "warn",
      // A server of the shell the suite runs in must not take the place of the embedded one.
      PANDO_SERVER: "",
      PANDO_BROKER: options.url ? "" : (TEST_BROKER ?? ""),
      PANDO_DB: options.database ?? database?.url ?? "",
    },
  });
  let stdout = "";
  let stderr = "";
  let onStarted: (id: number) => void = () => undefined;
  const started = new Promise<number>((r) => (onStarted = r));
  proc.stdout?.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  proc.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
    const m = /workflow (\d+) \(/.exec(stderr);
    if (m) onStarted(Number(m[1]));
  });
  const done = new Promise<DriverResult>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`pando run ${target} did not finish in time; stderr:\n${stderr}`));
    }, options.timeoutMs ?? 90_000);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      database?.drop();
      let value: unknown;
      try {
        value = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        value = undefined;
      }
      const id = /workflow (\d+) \(/.exec(stderr);
      resolvePromise({ code, stdout, stderr, value, workflowId: id ? Number(id[1]) : undefined });
    });
  });
  return Object.assign(done, { started, proc });
}

/** A workflow once it ended, which must be as finished (its error otherwise in the failure). */
export async function finishedWorkflow(cluster: Cluster, id: number): Promise<any> {
  const wf = await until(
    `workflow ${id} to end`,
    async () => {
      const { body } = await cluster.api("GET", `/api/v1/workflows/${id}`);
      return body.endedAt ? body : undefined;
    },
    90_000,
  );
  expect(wf.status, JSON.stringify(wf.error)).toBe("finished");
  return wf;
}
