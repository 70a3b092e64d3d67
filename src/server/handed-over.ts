// An acquire's answer leaving the server: stamped with the server's clock, its jobs counted as dispatched
// and, when hops are traced (src/core/hop-trace.ts), marked as handed to their pilot; a check of one boolean
// when tracing is off.
import type { AcquireResponse } from "../api/pilots.js";
import { epochNow } from "../core/epoch-clock.js";
import { hopAt, tracingHops } from "../core/hop-trace.js";
import type { ServerMetrics } from "./metrics.js";

/** The jobs of an acquire's answer are handed to their pilot of `queue` now: after every job claimed for it. */
export function handedOver(res: Omit<AcquireResponse, "at">, queue: string, metrics: Pick<ServerMetrics, "dispatched">): AcquireResponse {
  if (res.jobs.length > 0) metrics.dispatched(queue, res.jobs.length);
  if (tracingHops()) {
    const t = epochNow();
    for (const j of res.jobs) hopAt("server.handed", j.taskId, j.jobId, j.attempt, t);
  }
  return { ...res, at: Date.now() };
}
