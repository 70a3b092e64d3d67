// The errors of the REST API: one list of codes, one class thrown by the server and by every client, and
// the body every error answer has. No zod here: the web monitor's bundle imports this file.

/** Every code an error answer can carry, with what it means. Clients match on these, never on messages. */
export const API_ERROR_CODES = {
  invalid_request: "the body, query or path is not valid; the message names each problem",
  invalid_id: "an id in the path is not a positive integer",
  unauthenticated: "no bearer token, or one that is unknown, revoked or expired",
  forbidden: "the token may not do this (another user's workflow, a pilot token on a user route…)",
  not_found: "no such workflow, task, job, bundle, token or endpoint",
  conflict: "not possible in the current state (an ended workflow, a task still running…)",
  non_deterministic: "a re-run driver made another call or step than its first run at the same position",
  pilot_ended: "the pilot was declared lost or exited; it must register again",
  jobs_held: "pilots have not yet confirmed that the workflow's jobs stopped",
  unknown_queue: "no queue of that name",
  unknown_bundle: "the bundle is not in the code cache; upload it first",
  duplicate_job_key: "two jobs of one task have the same key",
  hash_mismatch: "an uploaded bundle's sha256 is not the one named in the path",
  payload_too_large: "arguments, a result or a step value over the payload limit",
  request_too_large: "a request body over the request limit",
  unsupported_media_type: "a body of the wrong content type",
  too_many_waits: "the caller (its token, its user, or all users) holds as many long-polls and streams as the server allows",
  database_busy: "(503, with Retry-After) every database connection of the server stayed busy for its pool wait; ask again",
  internal: "the server failed; its log has the details",
  unreachable: "(clients) the server cannot be reached",
  untrusted_server: "(clients) the server's TLS certificate failed the check (unknown authority, expired, another host's name)",
  insecure_http: "(clients) the token would go over plain HTTP to another machine; use https:// or allow it with --insecure-http",
  http_error: "(clients) an error answer without a Pando error body (a proxy's page)",
  client_error: "(clients) the client itself failed around the request",
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

export function isApiErrorCode(code: unknown): code is ApiErrorCode {
  return typeof code === "string" && Object.hasOwn(API_ERROR_CODES, code);
}

/**
 * An error of the API, with the HTTP status and a message that says what to do: thrown by the server's
 * services and answered as an ErrorBody, and thrown by every client for such an answer (status 0: the
 * server could not be reached).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    // The name drivers and users see (docs/reference.md, "Errors"), as it has always been.
    this.name = "PandoApiError";
  }
}

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: ApiErrorCode; message: string };
}

export function errorBody(code: ApiErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** The ApiError an error answer stands for; `what` names the request when the body is not Pando's. */
export function errorFromAnswer(status: number, text: string, what: string): ApiError {
  let body: Partial<ErrorBody> | undefined;
  try {
    body = JSON.parse(text) as Partial<ErrorBody>;
  } catch {
    // not JSON: a proxy's or a crashed server's page; its status says enough
  }
  const code = body?.error?.code;
  const message = body?.error?.message;
  if (typeof message === "string") return new ApiError(status, isApiErrorCode(code) ? code : "http_error", message);
  return new ApiError(status, "http_error", `${what} failed with HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ""}`);
}

export const notFound = (what: string, id: number | string) => new ApiError(404, "not_found", `${what} ${id} does not exist`);

export const forbidden = (message: string) => new ApiError(403, "forbidden", message);

export const conflict = (message: string) => new ApiError(409, "conflict", message);
