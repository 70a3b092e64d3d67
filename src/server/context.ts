import type { Logger } from "pino";
import type { Store } from "../store/store.js";
import type { ServerConfig } from "./config.js";
import type { EventHub } from "./events.js";
import type { HeardSince } from "./heard-since.js";
import type { ServerMetrics } from "./metrics.js";

/** What every service of the server shares: built once by the composition root (services.ts). */
export interface ServerContext {
  readonly store: Store;
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly metrics: ServerMetrics;
  readonly events: EventHub;
  /** Since when heartbeats can reach this server: pilots and sites silent before are not late. */
  readonly heardSince: HeardSince;
}
