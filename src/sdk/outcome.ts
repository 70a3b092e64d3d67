import type { ReceivedVia } from "../bus/result-channel.js";
import { type ErrorInfo, killedError } from "../core/errors.js";
import type { ResultVia } from "../core/dispatch-records.js";
import type { FinalJobState } from "../core/states.js";
import { JobError } from "./errors.js";

/** One job's final outcome in the driver, with its value decoded. */
export interface Outcome {
  index: number;
  key: string;
  jobId: number | null;
  state: FinalJobState;
  value?: unknown;
  error?: ErrorInfo;
  attempts: number;
  startedAt: number | null;
  endedAt: number | null;
  pilot: string | null;
  queue: string;
  /** How the server learned the final state (null for in-process runs). */
  reportedVia: ResultVia | null;
  /** How this process received it ("in-process" when nothing was sent anywhere). */
  receivedVia: ReceivedVia | "in-process";
}

/** Per-job details a MapResult gives for each entry. */
export interface JobDetails {
  key: string;
  index: number;
  jobId: number | null;
  state: FinalJobState;
  error: ErrorInfo | undefined;
  attempts: number;
  startedAt: Date | null;
  endedAt: Date | null;
  pilot: string | null;
  queue: string;
  reportedVia: ResultVia | null;
  receivedVia: ReceivedVia | "in-process";
}

export function detailsOf(o: Outcome): JobDetails {
  return {
    key: o.key,
    index: o.index,
    jobId: o.jobId,
    state: o.state,
    error: o.error,
    attempts: o.attempts,
    startedAt: o.startedAt === null ? null : new Date(o.startedAt),
    endedAt: o.endedAt === null ? null : new Date(o.endedAt),
    pilot: o.pilot,
    queue: o.queue,
    reportedVia: o.reportedVia,
    receivedVia: o.receivedVia,
  };
}

export function jobErrorOf(o: Outcome, taskId: number | null): JobError {
  const info = o.error ?? killedError(`the job ended ${o.state} without a result`);
  return new JobError(info, { jobId: o.jobId, taskId, key: o.key, index: o.index, attempts: o.attempts });
}
