// The server itself: liveness, this API's OpenAPI document, where results travel, and its metrics.
import { z } from "../vendor/zod.js";
import type { Contract } from "./contract.js";
import { brokerSettings } from "./pilots.js";

export const serverEndpoints = {
  health: { summary: "Liveness", response: z.object({ ok: z.literal(true) }) },
  openApi: { summary: "This document", response: z.record(z.string(), z.unknown()) },
  brokerSettings: { summary: "Where results travel", response: z.object({ broker: brokerSettings.nullable() }) },
  metrics: {
    summary: "The server's metrics in the Prometheus text format: requests, jobs, pilots, dispatch and result rates, store latency, the process",
    response: z.string(),
  },
} satisfies Record<string, Contract>;
