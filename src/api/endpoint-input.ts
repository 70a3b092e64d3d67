// The input of a call, parsed with its endpoint's schemas: by the server's routes, and by the embedded
// server's in-process transport, so that both answer bad input with the same errors.
import type { z } from "zod";
import { LISTED_PROBLEMS, STOPPED_EARLY } from "./bounded-list.js";
import type { AnyEndpoint } from "./endpoints.js";
import { ApiError } from "./errors.js";

/**
 * One readable 400: the first few problems with where each is (`body.jobs[0].key: …`), then how many more.
 * The message stays short however many items a hostile body has wrong: lists check their length before
 * their items, and the long ones (bounded-list.ts) stop at the first few bad items.
 */
export function invalid(where: string, error: z.ZodError): ApiError {
  const stoppedEarly = error.issues.some((i) => i.code === "custom" && i.params?.[STOPPED_EARLY] === true);
  const found = error.issues.filter((i) => !(i.code === "custom" && i.params?.[STOPPED_EARLY] === true));
  const problems = found.slice(0, LISTED_PROBLEMS).map((i) => {
    const path = i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    return `${where}${path}: ${i.message}`;
  });
  const more = found.length - problems.length;
  const tail = stoppedEarly
    ? `; and more problems after these (the check stops at the first ${LISTED_PROBLEMS})`
    : more > 0
      ? `; and ${more} more problem${more === 1 ? "" : "s"}`
      : "";
  return new ApiError(400, "invalid_request", problems.join("; ") + tail);
}

export function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(where, result.error);
  return result.data;
}

export interface RawInput {
  /** Path parameters as text. */
  params?: unknown;
  query?: unknown;
  body?: unknown;
}

/** The input of a call to `e` as its handler takes it (HandlerInput of e's name), or the ApiError saying what is wrong. */
export function parseInput(e: AnyEndpoint, raw: RawInput): { params: unknown; query: unknown; body: unknown } {
  let params: unknown = {};
  if (e.params) {
    const result = e.params.safeParse(raw.params ?? {});
    // A bad id in the path is its own error, with the schema's message alone (it names the id and its kind).
    if (!result.success) throw new ApiError(400, "invalid_id", result.error.issues[0]?.message ?? "a path parameter is not valid");
    params = result.data;
  }
  const query = e.query ? parse(e.query, raw.query ?? {}, "query") : {};
  let body: unknown;
  if (e.rawBody) {
    if (!(raw.body instanceof Uint8Array)) {
      throw new ApiError(415, "unsupported_media_type", "send the body as raw bytes with Content-Type: application/octet-stream");
    }
    body = raw.body;
  } else if (e.body) {
    body = parse(e.body, raw.body, "body");
  }
  return { params, query, body };
}
