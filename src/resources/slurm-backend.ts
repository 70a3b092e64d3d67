import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { PILOT_CLI, pilotArgs, type PilotBackend, type PilotLaunch } from "./pilot-backend.js";

const run = promisify(execFile);
const COMMAND_TIMEOUT_MS = 15_000;

/** Single quotes for a POSIX shell: the pilot's command line goes through sbatch --wrap. */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Pilots as Slurm batch jobs: submitted with sbatch (cores, memory and walltime from the queue), watched
 * with squeue, cancelled with scancel. The batch id is the Slurm job id. The pilot token travels in the
 * job's environment (sbatch exports the submitter's), never on its command line.
 */
export class SlurmBackend implements PilotBackend {
  async submit(l: PilotLaunch): Promise<string> {
    mkdirSync(l.logDir, { recursive: true });
    const q = l.queue;
    const args = [
      "--parsable",
      `--job-name=pando-${q.name}`,
      `--output=${join(l.logDir, `slurm-${q.name}-%j.log`)}`,
      `--cpus-per-task=${q.cores * q.slotsPerPilot}`,
    ];
    if (q.memory.max) args.push(`--mem=${q.memory.max * q.slotsPerPilot}M`);
    if (q.walltime.max) args.push(`--time=${Math.max(1, Math.ceil(q.walltime.max / 60_000))}`);
    if (q.slurm?.partition) args.push(`--partition=${q.slurm.partition}`);
    if (q.slurm?.account) args.push(`--account=${q.slurm.account}`);
    args.push(...(q.slurm?.extraArgs ?? []));
    args.push("--wrap", `exec ${[process.execPath, PILOT_CLI, ...pilotArgs(l, "slurm")].map(quote).join(" ")}`);
    // A preloaded library of this process (a test harness, say) has no business in the batch job.
    const { LD_PRELOAD: _preload, ...env } = process.env;
    try {
      const { stdout } = await run("sbatch", args, { env: { ...env, PANDO_TOKEN: l.token }, timeout: COMMAND_TIMEOUT_MS });
      const id = stdout.trim().split(";")[0]!;
      if (!/^\d+$/.test(id)) throw new Error(`sbatch answered '${stdout.trim()}' instead of a job id`);
      return id;
    } catch (err) {
      const e = err as { stderr?: string; message: string; code?: string };
      const why = e.code === "ENOENT" ? "sbatch is not installed (scripts/services/slurm.sh install)" : (e.stderr?.trim() || e.message);
      throw new Error(`sbatch failed for queue '${q.name}': ${why}`, { cause: err });
    }
  }

  async alive(batchIds: readonly string[]): Promise<Set<string>> {
    if (batchIds.length === 0) return new Set();
    // squeue lists the jobs still pending, running or completing; a job it no longer lists has ended.
    const { stdout } = await run("squeue", ["-h", "-o", "%i"], { timeout: COMMAND_TIMEOUT_MS });
    const listed = new Set(stdout.split("\n").map((l) => l.trim()).filter(Boolean));
    return new Set(batchIds.filter((id) => listed.has(id)));
  }

  async cancel(batchId: string): Promise<void> {
    await run("scancel", [batchId], { timeout: COMMAND_TIMEOUT_MS });
  }

  async close(): Promise<void> {}
}
