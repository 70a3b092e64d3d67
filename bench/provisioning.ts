// `npm run bench` (third part): time from submission to a job running on a warm local pilot, on a local
// pilot the server starts for it, and on a Slurm pilot; and 400 jobs of 0.25 s on a 2-slot Slurm queue
// against the ideal 50 s. Needs Slurm (scripts/services/slurm.sh, started and stopped here).
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { apiCaller } from "../src/api/caller.js";
import { HttpTransport } from "../src/sdk/http.js";
import { median } from "./stats.js";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
const SLURM = join(ROOT, "scripts", "services", "slurm.sh");
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 3);
const JOBS = 400;
const JOB_MS = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startServer(dataDir: string): Promise<{ proc: ChildProcess; url: string }> {
  const queues = {
    queues: [
      { name: "local" },
      { name: "cold", maxPilots: 1, pilotIdle: "1s" },
      { name: "hpc", backend: "slurm", maxPilots: 1, slotsPerPilot: 2, pilotIdle: "2s" },
    ],
  };
  writeFileSync(join(dataDir, "queues.json"), JSON.stringify(queues));
  const proc = spawn(process.execPath, [CLI, "server", "--port", "0", "--data-dir", dataDir, "--queues-file", join(dataDir, "queues.json")], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, PANDO_LOG_LEVEL: "warn" },
  });
  return new Promise((resolvePromise, reject) => {
    let out = "";
    proc.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolvePromise({ proc, url: m[1]! });
    });
    proc.once("exit", (code) => reject(new Error(`pando server exited with ${code}`)));
  });
}

function run(url: string, token: string, target: string, args: string[]): number {
  const r = spawnSync(process.execPath, [CLI, "run", `bench/provisioning-works.ts#${target}`, ...args, "--json", "--quiet", "--server", url, "--token", token], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`pando run ${target} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as number;
}

/** Waits until the server's provisioned pilots of a queue have all left (so the next run starts cold). */
async function pilotsGone(url: string, token: string, queue: string): Promise<void> {
  for (;;) {
    const http = new HttpTransport(url, token);
    const workers = await apiCaller(http).listWorkers().finally(() => http.close());
    if (workers.filter((w) => w.queue === queue).every((w) => w.status === "ended")) return;
    await sleep(250);
  }
}

async function main(): Promise<void> {
  execFileSync(SLURM, ["up"], { stdio: "ignore" });
  process.env.SLURM_CONF = join(ROOT, ".pando", "services", "slurm", "slurm.conf");
  const dataDir = mkdtempSync(join(tmpdir(), "pando-bench-prov-"));
  const { proc, url } = await startServer(dataDir);
  const creds = JSON.parse(readFileSync(join(dataDir, "credentials.json"), "utf8")) as { userToken: string; pilotToken: string };
  const warmPilot = spawn(process.execPath, [CLI, "pilot", "--server", url, "--queue", "local", "--slots", "1", "--cache-dir", join(dataDir, "warm")], {
    stdio: "ignore",
    env: { ...process.env, PANDO_TOKEN: creds.pilotToken, PANDO_LOG_LEVEL: "warn" },
  });
  try {
    const times: Record<string, number[]> = { warm: [], cold: [], slurm: [] };
    for (let i = 0; i < REPEAT; i++) {
      times.warm!.push(run(url, creds.userToken, "firstJob", ["warm"]));
      await pilotsGone(url, creds.userToken, "cold");
      times.cold!.push(run(url, creds.userToken, "firstJob", ["cold"]));
      await pilotsGone(url, creds.userToken, "hpc");
      times.slurm!.push(run(url, creds.userToken, "firstJob", ["slurm"]));
      process.stderr.write(`run ${i + 1}/${REPEAT} done\n`);
    }
    await pilotsGone(url, creds.userToken, "hpc");
    const makespan = run(url, creds.userToken, "slurmThroughput", [String(JOBS), String(JOB_MS)]);
    const ideal = (JOBS * JOB_MS) / 2;
    process.stdout.write(
      [
        `Median of ${REPEAT} runs (ms from submitting a one-job task to its job starting):`,
        "",
        "| pilot | submission → job running, ms | runs |",
        "| --- | --- | --- |",
        ...Object.entries(times).map(([k, v]) => `| ${k} | ${median(v).toFixed(0)} | ${v.map((x) => x.toFixed(0)).join(" / ")} |`),
        "",
        `${JOBS} jobs of ${JOB_MS} ms on a 2-slot Slurm queue (one pilot started for them): ${(makespan / 1000).toFixed(1)} s ` +
          `against the ideal ${(ideal / 1000).toFixed(1)} s (${(ideal / makespan).toFixed(2)} of ideal)`,
      ].join("\n") + "\n",
    );
    mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
    writeFileSync(
      join(ROOT, "bench", "results", "provisioning.json"),
      `${JSON.stringify({ date: new Date().toISOString(), times, makespan, ideal }, null, 2)}\n`,
    );
  } finally {
    warmPilot.kill("SIGTERM");
    proc.kill("SIGTERM");
    await new Promise((r) => proc.once("exit", r));
    execFileSync(SLURM, ["down"], { stdio: "ignore" });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
