// Which ended attempts the attempts history keeps a row for. The job's row holds its current attempt (pilot,
// when it was sent and started) and, once final, its state, end and error: the attempt that made the job
// final is described whole by it unless it says more. Nearly every job ends that way, so writing no history
// row for such an attempt saves a row and its index entry per job; reads build it from the job's row.
import type { AttemptJob, EndedAttempt, FinalOutcome } from "./attempt-transition.js";
import type { EndedAttemptState, JobState } from "./states.js";

/** The attempt states a job's row can stand for once its job is final (a job closed unrun had none). */
const ATTEMPT_STATES_ON_JOB_ROW: ReadonlyMap<JobState, EndedAttemptState> = new Map([
  ["finished", "finished"],
  ["failed", "failed"],
  ["cancelled", "cancelled"],
]);

/**
 * Whether `ended` needs a history row of its own: it does unless it made the job final (`final`) with the
 * same state, start, end and error, was sent when the row says (`job`, before the report), and left no
 * output.
 */
export function needsHistoryRow(job: Pick<AttemptJob, "sentAt">, ended: EndedAttempt, final: FinalOutcome | null): boolean {
  if (final === null || job.sentAt === null) return true;
  // Both errors are the report's own object when the row can stand for the attempt (a cancelled attempt
  // without one ends its job with an error of the server's).
  const same = ended.state === final.state && ended.error === final.error && ended.sentAt === job.sentAt && ended.startedAt === final.startedAt && ended.endedAt === final.endedAt;
  return !(same && ended.stdout === null && ended.stderr === null);
}

/** A job's row, as far as its last attempt goes. */
export interface JobRowAttempt {
  state: JobState;
  attemptNr: number;
  pilotId: number | null;
  sentAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  killRequested: boolean;
}

/**
 * The state of the ended attempt a job's row stands for, when the history has no row of its last attempt:
 * the job is final through it (sent, ended, and no kill waiting for its pilot's confirmation); else null.
 */
export function endedAttemptOnRow(row: JobRowAttempt): EndedAttemptState | null {
  const state = ATTEMPT_STATES_ON_JOB_ROW.get(row.state);
  return state !== undefined && row.attemptNr > 0 && row.sentAt !== null && row.endedAt !== null && !row.killRequested ? state : null;
}
