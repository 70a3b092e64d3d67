// A `pando server` process for the benchmarks that run against real servers (replicas, monitor).
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const CLI = join(resolve(import.meta.dirname, ".."), "dist", "cli", "main.js");

export interface Server {
  proc: ChildProcess;
  url: string;
  creds: { userToken: string; pilotToken: string };
}

/** How a benchmark's server starts besides its data directory and database. */
export interface ServerStart {
  /** Its environment (this process's by default). */
  env?: NodeJS.ProcessEnv;
  /** Node's own options (e.g. --cpu-prof). */
  nodeArgs?: readonly string[];
  /** More `pando server` options. */
  options?: readonly string[];
}

/** Starts a server on a free port with its own data directory, on SQLite or the given PostgreSQL database. */
export function startServer(dataDir: string, db: string | undefined, start: ServerStart = {}): Promise<Server> {
  const args = [...(start.nodeArgs ?? []), CLI, "server", "--port", "0", "--data-dir", dataDir, ...(db ? ["--db", db] : []), ...(start.options ?? [])];
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env: { ...(start.env ?? process.env), PANDO_LOG_LEVEL: "warn", PANDO_BROKER: "" } });
  return new Promise((resolvePromise, reject) => {
    let out = "";
    proc.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolvePromise({ proc, url: m[1]!, creds: JSON.parse(readFileSync(join(dataDir, "credentials.json"), "utf8")) });
    });
    proc.once("exit", (code) => reject(new Error(`pando server exited with ${code}`)));
  });
}

export const stop = (p: ChildProcess) =>
  new Promise<void>((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once("exit", () => r());
    p.kill("SIGTERM");
  });
