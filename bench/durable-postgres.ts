// The PostgreSQL cluster the benchmarks measure: PostgreSQL's durable defaults (fsync, synchronous_commit and
// full_page_writes on), the durability Pando promises, on a port of its own (PANDO_BENCH_PG_PORT, default
// 55442). The tests' cluster of scripts/services/postgres.sh (fsync off) is never measured.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const PG = join(resolve(import.meta.dirname, ".."), "scripts", "services", "postgres.sh");
export const BENCH_PG_PORT = Number(process.env.PANDO_BENCH_PG_PORT ?? 55442);

export interface DurableCluster {
  /** A new, empty database of the cluster, for one measurement; its connection URL. */
  freshDatabase(name: string): string;
}

/** Starts the durable cluster (data in a temporary directory), runs body, stops it whatever happens. */
export async function withDurablePostgres<T>(body: (cluster: DurableCluster) => Promise<T>): Promise<T> {
  const services = mkdtempSync(join(tmpdir(), "pando-bench-pg-"));
  // The cluster runs as the postgres user when started by root: it must reach its data directory.
  chmodSync(services, 0o755);
  const env = { ...process.env, PANDO_SERVICES_DIR: services, PANDO_POSTGRES_DURABLE: "1" };
  const port = String(BENCH_PG_PORT);
  const base = execFileSync(PG, ["up", port], { env, encoding: "utf8" }).trim();
  const cluster: DurableCluster = {
    freshDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      execFileSync("psql", [base, "-qc", `DROP DATABASE IF EXISTS ${name}`, "-c", `CREATE DATABASE ${name}`], { stdio: "ignore" });
      return base.replace(/\/pando$/, `/${name}`);
    },
  };
  try {
    return await body(cluster);
  } finally {
    execFileSync(PG, ["down", port], { env, stdio: "ignore" });
    rmSync(services, { recursive: true, force: true });
  }
}
