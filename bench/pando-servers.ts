// Pando measured through `pando run --server` against real server processes: the no-op benchmarks of
// bench/pando-noop.ts with two one-slot pilots spread over one or more server replicas, the driver on the
// first server. Used by bench/replicas.ts and bench/postgres.ts.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CLI, startServer, stop, type Server } from "./server-process.js";

const ROOT = resolve(import.meta.dirname, "..");

export interface ServerRun {
  jobsPerSecond: number;
  p50: number;
  p99: number;
}

function driver<T>(server: Server, target: string, arg: number): T {
  const r = spawnSync(process.execPath, [CLI, "run", `bench/pando-noop.ts#${target}`, String(arg), "--json", "--quiet", "--server", server.url, "--token", server.creds.userToken], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`pando run ${target} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * One setup: `replicas` servers on the database `db` (undefined: one server on SQLite), two pilots spread
 * over them; (a) 20,000 no-op jobs and (b) 500 single calls, each after its warm-up (bench/pando-noop.ts).
 */
export async function measureServers(db: string | undefined, replicas: number): Promise<ServerRun> {
  const dir = mkdtempSync(join(tmpdir(), "pando-bench-rep-"));
  const servers: Server[] = [];
  const pilots: ChildProcess[] = [];
  try {
    for (let i = 0; i < Math.max(1, replicas); i++) servers.push(await startServer(join(dir, `server-${i}`), db));
    for (let p = 0; p < 2; p++) {
      const s = servers[p % servers.length]!;
      pilots.push(
        spawn(process.execPath, [CLI, "pilot", "--server", s.url, "--queue", "local", "--slots", "1", "--cache-dir", join(dir, `cache-${p}`)], {
          stdio: "ignore",
          env: { ...process.env, PANDO_TOKEN: s.creds.pilotToken, PANDO_LOG_LEVEL: "warn" },
        }),
      );
    }
    const t = driver<{ jobsPerSecond: number }>(servers[0]!, "throughput", 20_000);
    const l = driver<{ p50: number; p99: number }>(servers[0]!, "latency", 500);
    return { jobsPerSecond: t.jobsPerSecond, p50: l.p50, p99: l.p99 };
  } finally {
    await Promise.all(pilots.map(stop));
    await Promise.all(servers.map((s) => stop(s.proc)));
    rmSync(dir, { recursive: true, force: true });
  }
}
