// The final outcomes of a task's jobs, read after a cursor: the REST path of results (the broker carries
// the same outcomes, src/bus/messages.ts).
import { z } from "../vendor/zod.js";
import type { JobOutcome } from "../core/dispatch-records.js";
import { FINAL_JOB_STATES, RESULT_VIAS } from "../core/states.js";
import { errorInfo, id, idParams, named, queryNumber } from "./common.js";
import type { Contract } from "./contract.js";
import { taskView } from "./tasks.js";

export const jobOutcome = named(
  "JobOutcome",
  z.object({
    jobId: id,
    index: z.number().int().nonnegative(),
    key: z.string(),
    state: z.enum(FINAL_JOB_STATES),
    result: z.string().optional(),
    error: errorInfo.optional(),
    attempts: z.number().int().nonnegative(),
    /** Milliseconds since the epoch (any number: the broker path reads these as pilots wrote them). */
    startedAt: z.number().nullable(),
    endedAt: z.number().nullable(),
    pilot: z.string().nullable(),
    queue: z.string(),
    via: z.enum(RESULT_VIAS).nullable(),
    /** Position in the task's stream of final states; the results cursor. */
    seq: z.number().int().nonnegative(),
  }) satisfies z.ZodType<JobOutcome>,
);

export const resultsQuery = z.object({
  after: queryNumber().nonnegative().default(0),
  waitMs: queryNumber().nonnegative().max(120_000).default(0),
  limit: queryNumber().min(1).max(50_000).default(10_000),
});
export type ResultsQueryRequest = z.input<typeof resultsQuery>;
export type ResultsQuery = z.output<typeof resultsQuery>;

export const taskResultsResponse = z.object({ task: taskView, results: z.array(jobOutcome), cursor: z.number().int() });
export type TaskResultsResponse = z.output<typeof taskResultsResponse>;

export const resultEndpoints = {
  taskResults: {
    summary: "Final outcomes after a cursor (long-poll)",
    params: idParams("task"),
    query: resultsQuery,
    response: taskResultsResponse,
  },
} satisfies Record<string, Contract>;
