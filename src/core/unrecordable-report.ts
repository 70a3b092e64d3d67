// The stand-in for an update that could not be recorded: its job's failure, without the payload that could not
// be stored, so that one job's bad report never holds back the others (the pilot's and the server's side).
import type { AttemptUpdate } from "./dispatch-records.js";

/** The attempt's failure (`unrecordable_report`) in place of the update `u`, saying why in `message`. */
export function unrecordableReport(u: AttemptUpdate, message: string): AttemptUpdate {
  return {
    jobId: u.jobId,
    attempt: u.attempt,
    state: "failed",
    ...(u.startedAt !== undefined ? { startedAt: u.startedAt } : {}),
    ...(u.endedAt !== undefined ? { endedAt: u.endedAt } : {}),
    error: { code: "unrecordable_report", message },
  };
}
