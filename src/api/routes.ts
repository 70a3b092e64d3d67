// Where each endpoint of the REST API lives: its method, path, success status, who may call it and what
// its answer is. The schemas of each endpoint's input and answer are in the file of its resource
// (workflows.ts, tasks.ts, …) and are joined to these in endpoints.ts. No zod here: every client, the web
// monitor's bundle too, imports this file to address the server.

/** The one place the API's version prefix is written. */
export const API_PREFIX = "/api/v1";

export type Method = "GET" | "POST" | "PUT" | "DELETE" | "HEAD";

/** Who may call an endpoint. The services enforce it; the table says it for clients and the OpenAPI document. */
export const ACCESS = {
  public: "anyone, without a token",
  token: "any valid token",
  user: "a user's token (administrators' included), not a pilot's or one scoped to a workflow",
  userOrPilot: "a user's or a pilot's token, not one scoped to a workflow",
  owner: "the owner of the workflow (of the task's or job's workflow), an administrator, or a token scoped to that workflow",
  ownerUser: "the workflow owner's or an administrator's user token",
  pilot: "a pilot's token, or an administrator's",
  admin: "an administrator's token",
  site: "the token of the site named in the path (a site agent's), or an administrator's",
} as const;
export type Access = keyof typeof ACCESS;

/**
 * What a success answers: JSON; raw bytes (application/octet-stream); whether something exists (HEAD: 200
 * or 404, no body); JSON lines (application/x-ndjson); server-sent events (text/event-stream); text in the
 * Prometheus exposition format (PROMETHEUS_TEXT).
 */
export type Answer = "json" | "bytes" | "exists" | "ndjson" | "events" | "prometheus";

/** The media type of the Prometheus text exposition format, version 0.0.4, which every scraper reads. */
export const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

export type BodySize = "control" | "payload" | "request";

export interface Route {
  method: Method;
  /** After API_PREFIX, with `:name` for each path parameter. */
  path: string;
  /** Status of a success; default 200. */
  status?: 200 | 201;
  access: Access;
  /** Default "json". */
  answer?: Answer;
  /** The body is raw bytes (application/octet-stream), not JSON. */
  rawBody?: true;
  /**
   * How large a request body this endpoint takes (the server's limits, docs/configuration.md): "control"
   * (the default: a few fields, maxControlRequestBytes), "payload" (one argument set, result or value with
   * its fields: twice maxPayloadBytes, for JSON escaping, plus maxControlRequestBytes), "request" (many jobs or updates, or a bundle:
   * maxRequestBytes).
   */
  bodySize?: BodySize;
  /** The server may hold the request open (a long-poll, a stream): it stops when the caller goes away. */
  waits?: true;
  /**
   * A POST or PUT that may be sent twice with the effect of once (GET and HEAD always may): clients repeat it
   * when its connection broke before the answer came.
   */
  idempotent?: true;
}

export const ROUTES = {
  // ---- the server itself
  health: { method: "GET", path: "/health", access: "public" },
  openApi: { method: "GET", path: "/openapi.json", access: "public" },
  brokerSettings: { method: "GET", path: "/broker", access: "token" },
  metrics: { method: "GET", path: "/metrics", access: "user", answer: "prometheus" },
  // ---- workflows
  createWorkflow: { method: "POST", path: "/workflows", status: 201, access: "user", bodySize: "payload" },
  getWorkflow: { method: "GET", path: "/workflows/:id", access: "owner", waits: true },
  closeWorkflow: { method: "POST", path: "/workflows/:id/close", access: "owner", bodySize: "request", idempotent: true },
  killWorkflow: { method: "POST", path: "/workflows/:id/kill", access: "owner" },
  retryWorkflow: { method: "POST", path: "/workflows/:id/retry", access: "owner" },
  resumeWorkflow: { method: "POST", path: "/workflows/:id/resume", access: "owner", bodySize: "payload" },
  suspendWorkflow: { method: "POST", path: "/workflows/:id/suspend", access: "owner" },
  driverHeartbeat: { method: "POST", path: "/workflows/:id/heartbeat", access: "owner", waits: true, idempotent: true },
  steps: { method: "GET", path: "/workflows/:id/steps", access: "owner" },
  putStep: { method: "PUT", path: "/workflows/:id/steps/:seq", access: "owner", bodySize: "payload", idempotent: true },
  // ---- tasks and jobs
  submitTask: { method: "POST", path: "/workflows/:id/tasks", status: 201, access: "owner", bodySize: "request" },
  getTask: { method: "GET", path: "/tasks/:id", access: "owner" },
  killTask: { method: "POST", path: "/tasks/:id/kill", access: "owner" },
  retryTask: { method: "POST", path: "/tasks/:id/retry", access: "owner" },
  getJob: { method: "GET", path: "/jobs/:id", access: "owner" },
  // ---- results
  taskResults: { method: "GET", path: "/tasks/:id/results", access: "owner", waits: true },
  // ---- monitoring and housekeeping
  listWorkflows: { method: "GET", path: "/workflows", access: "user" },
  workflowErrors: { method: "GET", path: "/workflows/:id/errors", access: "owner" },
  objective: { method: "GET", path: "/workflows/:id/objective", access: "owner" },
  workflowJobValues: { method: "GET", path: "/workflows/:id/job-values", access: "owner" },
  archiveWorkflow: { method: "GET", path: "/workflows/:id/archive", access: "ownerUser", answer: "ndjson" },
  deleteWorkflow: { method: "DELETE", path: "/workflows/:id", access: "ownerUser" },
  listJobs: { method: "GET", path: "/tasks/:id/jobs", access: "owner" },
  taskJobValues: { method: "GET", path: "/tasks/:id/job-values", access: "owner" },
  taskErrors: { method: "GET", path: "/tasks/:id/errors", access: "owner" },
  timeline: { method: "GET", path: "/tasks/:id/timeline", access: "owner" },
  listPilots: { method: "GET", path: "/pilots", access: "userOrPilot" },
  events: { method: "GET", path: "/events", access: "token", answer: "events", waits: true },
  // ---- the code cache
  putBundle: { method: "PUT", path: "/bundles/:hash", status: 201, access: "user", rawBody: true, bodySize: "request", idempotent: true },
  getBundle: { method: "GET", path: "/bundles/:hash", access: "token", answer: "bytes" },
  hasBundle: { method: "HEAD", path: "/bundles/:hash", access: "token", answer: "exists" },
  // ---- queues
  listQueues: { method: "GET", path: "/queues", access: "token" },
  setQueueStatus: { method: "PUT", path: "/queues/:name", access: "admin", idempotent: true },
  listWorkers: { method: "GET", path: "/workers", access: "token" },
  // ---- sites (their agents register queues, follow the demand and record the pilots they start)
  listSites: { method: "GET", path: "/sites", access: "token" },
  registerSite: { method: "PUT", path: "/sites/:name", access: "site", bodySize: "payload", idempotent: true },
  siteDemand: { method: "POST", path: "/sites/:name/demand", access: "site", waits: true },
  createSiteWorker: { method: "POST", path: "/sites/:name/workers", status: 201, access: "site" },
  updateSiteWorker: { method: "PUT", path: "/sites/:name/workers/:id", access: "site", idempotent: true },
  // ---- tokens
  createToken: { method: "POST", path: "/tokens", status: 201, access: "user" },
  listTokens: { method: "GET", path: "/tokens", access: "user" },
  revokeToken: { method: "DELETE", path: "/tokens/:id", access: "user" },
  // ---- pilots
  registerPilot: { method: "POST", path: "/pilots", status: 201, access: "pilot" },
  acquire: { method: "POST", path: "/pilots/:id/acquire", access: "pilot", waits: true, bodySize: "payload" },
  report: { method: "POST", path: "/pilots/:id/report", access: "pilot", bodySize: "request" },
  heartbeat: { method: "POST", path: "/pilots/:id/heartbeat", access: "pilot", bodySize: "payload", idempotent: true },
  exitPilot: { method: "POST", path: "/pilots/:id/exit", access: "pilot" },
} as const satisfies Record<string, Route>;

export type EndpointName = keyof typeof ROUTES;

type QueryValue = string | number | boolean | undefined;
/** A query string's values as the caller gives them (a list: the key repeated); undefined ones are left out. */
export type QueryValues = Record<string, QueryValue | readonly QueryValue[]>;

/** The path of a call, prefix included: each `:name` replaced by its (URL-encoded) parameter, then the query. */
export function pathOf(route: Route, params: Readonly<Record<string, string | number>> = {}, query: QueryValues = {}): string {
  const path = route.path.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${route.method} ${route.path} needs the path parameter '${name}'`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) search.append(key, String(v));
  }
  const qs = search.toString();
  return `${API_PREFIX}${path}${qs ? `?${qs}` : ""}`;
}
