// The server's hops of the hop trace (src/core/hop-trace.ts): a check of one boolean when tracing is off.
import type { AcquireResponse } from "../api/pilots.js";
import { hopAt, tracingHops } from "../core/hop-trace.js";
import { epochNow } from "../core/epoch-clock.js";

/** The jobs of an acquire's answer are handed to their pilot now. */
export function handedOver(res: AcquireResponse): AcquireResponse {
  if (tracingHops()) {
    const t = epochNow();
    for (const j of res.jobs) hopAt("server.handed", j.taskId, j.jobId, j.attempt, t);
  }
  return res;
}
