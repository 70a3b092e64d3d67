// The scale benchmark's PostgreSQL: a durable cluster (fsync and synchronous_commit on) of its own port, a fresh
// database per measurement, and a `pando server` on it.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { startServer, type Server } from "../server-process.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const PG = join(ROOT, "scripts", "services", "postgres.sh");
export const SCALE_PG_PORT = 55444;

export interface Cluster {
  /** A new empty database's URL. */
  database(name: string): string;
  /** An existing database's URL. */
  url(name: string): string;
  down(): void;
}

export function durableCluster(port = SCALE_PG_PORT): Cluster {
  const services = mkdtempSync(join(tmpdir(), "pando-bench-scale-pg-"));
  chmodSync(services, 0o755);
  const env = { ...process.env, PANDO_SERVICES_DIR: services, PANDO_POSTGRES_DURABLE: "1" };
  const base = execFileSync(PG, ["up", String(port)], { env, encoding: "utf8" }).trim();
  return {
    database(name) {
      execFileSync("psql", [base, "-qc", `DROP DATABASE IF EXISTS ${name}`, "-c", `CREATE DATABASE ${name}`], { stdio: "ignore" });
      return this.url(name);
    },
    url: (name) => base.replace(/\/pando$/, `/${name}`),
    down() {
      execFileSync(PG, ["down", String(port)], { env, stdio: "ignore" });
      rmSync(services, { recursive: true, force: true });
    },
  };
}

/**
 * PANDO_BENCH_SCALE_SERVER_PROFILES=DIR: each server writes a V8 CPU profile of its whole life into DIR (where
 * a server's time goes at thousands of pilots).
 */
const PROFILES = process.env.PANDO_BENCH_SCALE_SERVER_PROFILES;

/** A server on a fresh database of the cluster, with its own data directory (removed by `cleanup`). */
export async function freshServer(cluster: Cluster, name: string, options: readonly string[] = []): Promise<Server & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "pando-bench-scale-"));
  const nodeArgs = PROFILES ? ["--cpu-prof", `--cpu-prof-dir=${resolve(PROFILES)}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  const server = await startServer(join(dir, "server"), cluster.database(name), { options, nodeArgs });
  // The server logs to its standard output: its errors are shown, the rest is dropped.
  createInterface({ input: server.proc.stdout! }).on("line", (line) => {
    if (/"level":(50|60)/.test(line)) process.stderr.write(`server: ${line.slice(0, 2000)}\n`);
  });
  return { ...server, dir };
}
