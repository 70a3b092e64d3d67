// `npm run bench` (TLS part): the REST no-op benchmarks of bench/pando-noop.ts over HTTPS and over plain HTTP,
// alternated in one run on the same machine, in two set-ups on 127.0.0.1:
//   embedded  `pando run` with its own server in process: the driver calls it directly, its local pilots over
//             HTTP(S) (HTTPS: --tls-cert/--tls-key, the pilots trusting the test CA through PANDO_CA);
//   server    a separate `pando server` process with hand-started pilots, and `pando run --server` (with --ca):
//             the driver's calls cross HTTP(S) too.
// Certificates come from scripts/services/ca.sh. PANDO_BENCH_REPEAT (default 3) runs of each.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Throughput } from "./bullmq.js";
import type { Latency } from "./stats.js";
import { CLI, startServer, stop, type Server } from "./server-process.js";
import { median } from "./stats.js";

const ROOT = resolve(import.meta.dirname, "..");
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 3);
const THROUGHPUT_JOBS = 20_000;
const LATENCY_CALLS = 500;
const PILOTS = availableParallelism();

interface Certificates {
  ca: string;
  cert: string;
  key: string;
}

function makeCertificates(dir: string): Certificates {
  const script = join(ROOT, "scripts", "services", "ca.sh");
  execFileSync("bash", [script, "init", dir], { stdio: "ignore" });
  execFileSync("bash", [script, "host", dir, "server", "127.0.0.1"], { stdio: "ignore" });
  return { ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key") };
}

/** One `pando run` of a target of bench/pando-noop.ts: embedded (no server given) or against `server`. */
function pando<T>(target: string, arg: number, env: Record<string, string>, extra: string[]): T {
  const dataDir = mkdtempSync(join(tmpdir(), "pando-bench-tls-"));
  try {
    const run = spawnSync(
      process.execPath,
      [CLI, "run", `bench/pando-noop.ts#${target}`, String(arg), "--json", "--quiet", "--data-dir", dataDir, ...extra],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, PANDO_BROKER: "", PANDO_SERVER: "", ...env } },
    );
    if (run.status !== 0) throw new Error(`pando run ${target} failed:\n${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A server process on 127.0.0.1 with PILOTS one-slot pilots, over HTTPS when given certificates. */
async function serverWithPilots(dataDir: string, certs: Certificates | undefined): Promise<{ server: Server; pilots: ChildProcess[] }> {
  const saved = { cert: process.env.PANDO_TLS_CERT, key: process.env.PANDO_TLS_KEY };
  process.env.PANDO_TLS_CERT = certs?.cert ?? "";
  process.env.PANDO_TLS_KEY = certs?.key ?? "";
  let server: Server;
  try {
    server = await startServer(dataDir, undefined);
  } finally {
    process.env.PANDO_TLS_CERT = saved.cert ?? "";
    process.env.PANDO_TLS_KEY = saved.key ?? "";
  }
  const pilots = Array.from({ length: PILOTS }, (_, i) =>
    spawn(process.execPath, [CLI, "pilot", "--server", server.url, "--slots", "1", "--cache-dir", join(dataDir, `cache-${i}`)], {
      stdio: "ignore",
      env: { ...process.env, PANDO_TOKEN: server.creds.pilotToken, PANDO_CA: certs?.ca ?? "", PANDO_LOG_LEVEL: "warn" },
    }),
  );
  return { server, pilots };
}

interface Runs {
  throughput: number[];
  p50: number[];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "pando-bench-tls-ca-"));
  const certs = makeCertificates(dir);
  const modes = [
    { name: "HTTP", certs: undefined },
    { name: "HTTPS", certs },
  ];
  const runs = new Map<string, Runs>();
  const record = (key: string, t: Throughput, l: Latency) => {
    const r = runs.get(key) ?? { throughput: [], p50: [] };
    r.throughput.push(t.jobsPerSecond);
    r.p50.push(l.p50);
    runs.set(key, r);
  };
  const servers = await Promise.all(
    modes.map(async (m) => ({ mode: m, ...(await serverWithPilots(mkdtempSync(join(tmpdir(), "pando-bench-tls-server-")), m.certs)) })),
  );
  try {
    for (let i = 0; i < REPEAT; i++) {
      // Alternate the order too, so that neither always runs on a warmer machine.
      for (const m of i % 2 === 0 ? modes : [...modes].reverse()) {
        const env = m.certs ? { PANDO_TLS_CERT: m.certs.cert, PANDO_TLS_KEY: m.certs.key, PANDO_CA: m.certs.ca } : { PANDO_TLS_CERT: "", PANDO_TLS_KEY: "", PANDO_CA: "" };
        record(
          `embedded, ${m.name}`,
          pando<Throughput>("throughput", THROUGHPUT_JOBS, env, []),
          pando<Latency>("latency", LATENCY_CALLS, env, []),
        );
        const s = servers.find((x) => x.mode === m)!;
        const remote = ["--server", s.server.url, "--token", s.server.creds.userToken, ...(m.certs ? ["--ca", m.certs.ca] : [])];
        record(
          `server process, ${m.name}`,
          pando<Throughput>("throughput", THROUGHPUT_JOBS, {}, remote),
          pando<Latency>("latency", LATENCY_CALLS, {}, remote),
        );
      }
      process.stderr.write(`run ${i + 1}/${REPEAT} done\n`);
    }
  } finally {
    for (const s of servers) {
      await Promise.all(s.pilots.map(stop));
      await stop(s.server.proc);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const cell = (values: number[], digits: number) => `${median(values).toFixed(digits)} (${values.map((v) => v.toFixed(digits)).join(" / ")})`;
  const lines = [
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}; 127.0.0.1, ${PILOTS} one-slot pilots; ` +
      `median (runs) of ${REPEAT} alternated runs.`,
    "",
    `| set-up | no-op throughput, ${THROUGHPUT_JOBS.toLocaleString("en")} jobs, jobs/s | warm latency p50, ms |`,
    "| --- | --- | --- |",
    ...[...runs].map(([name, r]) => `| ${name} | ${cell(r.throughput, 0)} | ${cell(r.p50, 2)} |`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "tls.json"), `${JSON.stringify({ date: new Date().toISOString(), runs: Object.fromEntries(runs) }, null, 2)}\n`);
}

await main();
