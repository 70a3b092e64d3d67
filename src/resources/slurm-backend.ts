import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { pilotFitProblem, type BatchNode } from "../core/pilot-fit.js";
import type { QueueDefinition } from "../core/queue-config.js";
import { fileLabel, pilotArgs, pilotCommand, pilotEnvironment, type BatchStatus, type PilotBackend, type PilotLaunch } from "./pilot-backend.js";
import { parseSinfo, parseSqueue, SINFO_FORMAT, SQUEUE_FORMAT } from "./slurm-output.js";

const run = promisify(execFile);
const COMMAND_TIMEOUT_MS = 15_000;
/** sinfo at start-up: a Slurm that cannot be reached (its commands retry for a minute) delays the server this long at most. */
const SINFO_TIMEOUT_MS = 10_000;

/** Single quotes for a POSIX shell: the pilot's command line goes through sbatch --wrap. */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Why a Slurm command failed, for the log and the operator. */
function failure(command: string, err: unknown, timeoutMs: number): string {
  const e = err as { stderr?: string; message: string; code?: string; killed?: boolean };
  if (e.code === "ENOENT") return `${command} is not installed (scripts/services/slurm.sh install)`;
  // sinfo and squeue repeat their complaint while they retry: once is enough.
  const lines = [...new Set((e.stderr ?? "").split("\n").map((l) => l.trim()).filter(Boolean))];
  const said = lines.join("; ") || e.message;
  return e.killed ? `no answer within ${timeoutMs / 1000} s (${said})` : said;
}

/**
 * Pilots as Slurm batch jobs: submitted with sbatch (cores, memory and walltime from the queue), watched
 * with squeue (state and pending reason), cancelled with scancel; sinfo tells whether a queue's pilots fit
 * a node at all. The batch id is the Slurm job id. The pilot token travels in the
 * job's environment (sbatch exports the submitter's), never on its command line.
 */
export class SlurmBackend implements PilotBackend {
  /** The cluster's nodes, asked once (at start-up) for every queue checked. */
  private nodes: Promise<BatchNode[]> | undefined;

  async submit(l: PilotLaunch): Promise<string> {
    mkdirSync(l.logDir, { recursive: true });
    const q = l.queue;
    const args = [
      "--parsable",
      `--job-name=pando-${q.name}`,
      `--output=${join(l.logDir, `slurm-${fileLabel(q.name)}-%j.log`)}`,
      `--cpus-per-task=${q.cores * q.slotsPerPilot}`,
    ];
    if (q.memory.max) args.push(`--mem=${q.memory.max * q.slotsPerPilot}M`);
    if (q.walltime.max) args.push(`--time=${Math.max(1, Math.ceil(q.walltime.max / 60_000))}`);
    if (q.slurm?.partition) args.push(`--partition=${q.slurm.partition}`);
    if (q.slurm?.account) args.push(`--account=${q.slurm.account}`);
    args.push(...(q.slurm?.extraArgs ?? []));
    args.push("--wrap", `exec ${[...pilotCommand(l), ...pilotArgs(l, "slurm")].map(quote).join(" ")}`);
    // A preloaded library of this process (a test harness, say) has no business in the batch job.
    const { LD_PRELOAD: _preload, ...env } = process.env;
    try {
      const { stdout } = await run("sbatch", args, { env: pilotEnvironment(env, l.token, l.env), timeout: COMMAND_TIMEOUT_MS });
      const id = stdout.trim().split(";")[0]!;
      if (!/^\d+$/.test(id)) throw new Error(`sbatch answered '${stdout.trim()}' instead of a job id`);
      return id;
    } catch (err) {
      throw new Error(`sbatch failed for queue '${q.name}': ${failure("sbatch", err, COMMAND_TIMEOUT_MS)}`, { cause: err });
    }
  }

  async status(batchIds: readonly string[]): Promise<Map<string, BatchStatus>> {
    if (batchIds.length === 0) return new Map();
    // squeue lists the jobs still pending, running or completing; a job it no longer lists has ended. It
    // refuses ids it does not know, so it lists this account's jobs and the provisioner's are picked out.
    let stdout: string;
    try {
      ({ stdout } = await run("squeue", ["-h", "-u", userInfo().username, "-o", SQUEUE_FORMAT], { timeout: COMMAND_TIMEOUT_MS }));
    } catch (err) {
      throw new Error(`squeue failed: ${failure("squeue", err, COMMAND_TIMEOUT_MS)}`, { cause: err });
    }
    const listed = parseSqueue(stdout);
    return new Map(batchIds.flatMap((id) => (listed.has(id) ? [[id, listed.get(id)!] as const] : [])));
  }

  async fitProblem(queue: QueueDefinition): Promise<string | undefined> {
    this.nodes ??= this.listNodes();
    return pilotFitProblem(queue, await this.nodes, "Slurm");
  }

  private async listNodes(): Promise<BatchNode[]> {
    let stdout: string;
    try {
      ({ stdout } = await run("sinfo", ["-h", "-N", "-o", SINFO_FORMAT], { timeout: SINFO_TIMEOUT_MS }));
    } catch (err) {
      throw new Error(`sinfo failed: ${failure("sinfo", err, SINFO_TIMEOUT_MS)}`, { cause: err });
    }
    const nodes = parseSinfo(stdout);
    if (nodes.length === 0) throw new Error("sinfo listed no nodes");
    return nodes;
  }

  async cancel(batchId: string): Promise<void> {
    await run("scancel", [batchId], { timeout: COMMAND_TIMEOUT_MS });
  }

  async close(): Promise<void> {}
}
