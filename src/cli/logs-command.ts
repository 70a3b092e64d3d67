import { ApiError } from "../api/errors.js";
import type { JobAttemptView, JobView } from "../api/tasks.js";
import type { ClientFlags } from "./client-options.js";
import { note, printJson, withServer } from "./server-call.js";

export interface LogsFlags extends ClientFlags {
  attempt?: number;
  all?: boolean;
}

/** What an attempt's stream holds: its text, or why there is none (pilots report output when an attempt ends, none when it printed nothing). */
function body(text: string | null, attempt: JobAttemptView): string {
  if (text === null && attempt.endedAt === null) return "(not yet: an attempt's output arrives when it ends)\n";
  if (!text) return "(nothing)\n";
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** Each stream under a heading that names the job, the attempt, how it ended and where it ran. */
function attemptLogs(jobId: number, a: JobAttemptView): string {
  const where = `${a.state}${a.pilot ? ` on ${a.pilot}` : ""}`;
  return (
    `==> job ${jobId}, attempt ${a.attempt} (${where}): stdout <==\n${body(a.stdout, a)}` +
    `==> job ${jobId}, attempt ${a.attempt}: stderr <==\n${body(a.stderr, a)}`
  );
}

function chosenAttempts(job: JobView, flags: LogsFlags): JobAttemptView[] {
  if (flags.all) return job.attempts;
  if (flags.attempt === undefined) return job.attempts.slice(-1);
  const attempt = job.attempts.find((a) => a.attempt === flags.attempt);
  if (!attempt) {
    const known = job.attempts.map((a) => a.attempt).join(", ") || "none yet";
    // Refused as the server refuses what does not exist: the command exits with 1, not 2 (a mistaken command line).
    throw new ApiError(404, "not_found", `job ${job.id} has no attempt ${flags.attempt} (its attempts: ${known})`);
  }
  return [attempt];
}

/** `pando logs <jobId>`: stdout and stderr of a job's last attempt, of one (--attempt N), or of all (--all). */
export async function logsCommand(jobId: number, flags: LogsFlags): Promise<void> {
  if (flags.all && flags.attempt !== undefined) throw new Error("--attempt and --all cannot go together: choose one attempt or all");
  const job = await withServer(flags, (api) => api.getJob({ params: { id: jobId } }));
  const attempts = chosenAttempts(job, flags);
  if (flags.json) return printJson(attempts);
  if (attempts.length === 0) return note(`job ${jobId} has not run yet (it is ${job.state}): no output`);
  process.stdout.write(attempts.map((a) => attemptLogs(jobId, a)).join("\n"));
}
