// For the pilot's unit tests: a job as the server hands it out, with what a test does not care about filled in.
import type { DispatchedJob } from "../core/dispatch-records.js";

export function dispatchedJob(jobId: number, fields: Partial<DispatchedJob> = {}): DispatchedJob {
  return {
    jobId,
    attempt: 1,
    taskId: 1,
    workflowId: 1,
    owner: 1,
    index: jobId,
    key: `k${jobId}`,
    work: "w",
    bundleHash: "b",
    args: "[]",
    channel: "c",
    resultKey: "r",
    kind: "work",
    walltimeMs: 0,
    memoryMb: 0,
    ...fields,
  };
}
