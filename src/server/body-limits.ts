// How large a request body each endpoint takes: its route's size class (api/routes.ts) in the server's limits.
import type { BodySize, Route } from "../api/routes.js";
import type { ServerConfig } from "./config.js";

export type BodyLimitSettings = Pick<ServerConfig, "maxRequestBytes" | "maxPayloadBytes" | "maxControlRequestBytes">;

export interface BodyLimit {
  bytes: number;
  /** The settings the limit comes from, for messages that say what to raise. */
  setting: string;
}

export function bodyLimit(route: Pick<Route, "bodySize">, limits: BodyLimitSettings): BodyLimit {
  const size: BodySize = route.bodySize ?? "control";
  switch (size) {
    case "control":
      return { bytes: limits.maxControlRequestBytes, setting: "maxControlRequestBytes" };
    case "payload":
      // A payload travels as a JSON string inside the body, where each quote and backslash takes two bytes.
      return { bytes: 2 * limits.maxPayloadBytes + limits.maxControlRequestBytes, setting: "2 × maxPayloadBytes + maxControlRequestBytes" };
    case "request":
      return { bytes: limits.maxRequestBytes, setting: "maxRequestBytes" };
  }
}
