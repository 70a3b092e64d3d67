// `npm run bench` (last part): Pando on PostgreSQL with one and two server replicas, beside SQLite, the
// same no-op benchmarks (bench/pando-noop.ts) through `pando run --server`. Two pilots in every setup; with
// two replicas, one pilot on each and the driver on the first. Median of PANDO_BENCH_REPEAT runs.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CLI, startServer, stop, type Server } from "./server-process.js";
import { median } from "./stats.js";

const ROOT = resolve(import.meta.dirname, "..");
const PG = join(ROOT, "scripts", "services", "postgres.sh");
const PORT = 25450;
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 3);


function driver<T>(server: Server, target: string, arg: number): T {
  const r = spawnSync(process.execPath, [CLI, "run", `bench/pando-noop.ts#${target}`, String(arg), "--json", "--quiet", "--server", server.url, "--token", server.creds.userToken], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`pando run ${target} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** One setup: `replicas` servers (0: SQLite, one server), two pilots spread over them. */
async function measure(base: string | undefined, replicas: number, run: number) {
  const dir = mkdtempSync(join(tmpdir(), "pando-bench-rep-"));
  let db: string | undefined;
  if (base) {
    const name = `bench_${replicas}_${run}`;
    execFileSync("psql", [base, "-qc", `DROP DATABASE IF EXISTS ${name}`, "-c", `CREATE DATABASE ${name}`], { stdio: "ignore" });
    db = base.replace(/\/pando$/, `/${name}`);
  }
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

async function main(): Promise<void> {
  const services = mkdtempSync(join(tmpdir(), "pando-bench-pg-"));
  chmodSync(services, 0o755);
  const env = { ...process.env, PANDO_SERVICES_DIR: services };
  const base = execFileSync(PG, ["up", String(PORT)], { env, encoding: "utf8" }).trim();
  const setups = [
    ["SQLite, one server", undefined, 0],
    ["PostgreSQL, one replica", base, 1],
    ["PostgreSQL, two replicas", base, 2],
  ] as const;
  const runs: Record<string, Array<{ jobsPerSecond: number; p50: number; p99: number }>> = {};
  try {
    for (let i = 0; i < REPEAT; i++) {
      for (const [name, db, n] of setups) (runs[name] ??= []).push(await measure(db, n, i));
      process.stderr.write(`run ${i + 1}/${REPEAT} done\n`);
    }
  } finally {
    execFileSync(PG, ["down", String(PORT)], { env, stdio: "ignore" });
    rmSync(services, { recursive: true, force: true });
  }
  const m = (name: string, key: "jobsPerSecond" | "p50" | "p99") => median(runs[name]!.map((r) => r[key]));
  process.stdout.write(
    [
      `Median of ${REPEAT} runs; 2 pilots; driver on the first server.`,
      "",
      "| setup | no-op throughput, 20,000 jobs, jobs/s | warm latency p50, ms | p99, ms |",
      "| --- | --- | --- | --- |",
      ...setups.map(([name]) => `| ${name} | ${m(name, "jobsPerSecond").toFixed(0)} | ${m(name, "p50").toFixed(2)} | ${m(name, "p99").toFixed(2)} |`),
    ].join("\n") + "\n",
  );
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "replicas.json"), `${JSON.stringify({ date: new Date().toISOString(), runs }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
