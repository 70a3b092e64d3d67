// The label values of the server's Prometheus series. Each label takes values from a set fixed by the code
// (routes, states, paths) or by the queue table, never from a request's text: a label that took ids or user
// strings would make a series per value and grow the scrape without bound.

/** The route label of a request no route matched (a 404 for an unknown path): its raw URL is never a label. */
export const UNMATCHED_ROUTE = "unmatched";

/** A request's route label: the route template it matched (the API prefix, then `/tasks/:id`), or UNMATCHED_ROUTE. */
export function routeLabel(template: string | undefined, known: ReadonlySet<string>): string {
  return template !== undefined && known.has(template) ? template : UNMATCHED_ROUTE;
}

/** The methods a request may be counted under; any other is counted as "OTHER". */
const METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);

export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : "OTHER";
}

/** A response's status as a label: the HTTP status code, or "invalid" outside 100–599. */
export function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : "invalid";
}

/** What a request that the server holds open waits for, by endpoint: the `kind` of pando_long_polls and pando_streams. */
export const HELD_REQUEST_KINDS = {
  acquire: { series: "long_polls", kind: "acquire" },
  taskResults: { series: "long_polls", kind: "results" },
  siteDemand: { series: "long_polls", kind: "demand" },
  getWorkflow: { series: "long_polls", kind: "workflow" },
  driverHeartbeat: { series: "long_polls", kind: "driver_heartbeat" },
  events: { series: "streams", kind: "events" },
  archiveWorkflow: { series: "streams", kind: "archive" },
} as const satisfies Record<string, { series: "long_polls" | "streams"; kind: string }>;

export type HeldRequestEndpoint = keyof typeof HELD_REQUEST_KINDS;

/** The series and kind a held request counts under; an endpoint not in the table counts as "other". */
export function heldRequestKind(endpoint: string, streams: boolean): { series: "long_polls" | "streams"; kind: string } {
  const known = (HELD_REQUEST_KINDS as Record<string, { series: "long_polls" | "streams"; kind: string }>)[endpoint];
  return known ?? { series: streams ? "streams" : "long_polls", kind: "other" };
}
