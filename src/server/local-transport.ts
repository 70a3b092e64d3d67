import type { ApiTransport } from "../api/caller.js";
import { parseInput } from "../api/endpoint-input.js";
import { ENDPOINTS, type AnyEndpoint } from "../api/endpoints.js";
import { eventFrame, EVENT_STREAM_HEAD, ndjsonLine } from "../api/streams.js";
import { ApiError } from "../api/errors.js";
import type { Principal } from "../store/auth-store.js";
import { routeUrl } from "./api-routes.js";
import type { Handlers } from "./handlers.js";
import { NEVER_ABORTED } from "./http-util.js";
import type { ServerMetrics } from "./metrics.js";

type AnyHandler = (p: Principal | null, input: unknown, signal: AbortSignal) => unknown;

/** Who a call in process acts as: a principal, or one found for each call (a token checked as HTTP checks it). */
export type LocalCaller = Principal | (() => Promise<Principal>);

/**
 * The API in process, for the embedded server's own driver and in-process pilots: each call is parsed with
 * its endpoint's schemas and served by the same handler as over HTTP (the same validation, authorisation and
 * errors), acting as `caller`, without the serialisation round trip. Path parameters travel as text, as in a URL.
 */
export function localTransport(handlers: Handlers, caller: LocalCaller, metrics: Pick<ServerMetrics, "request">): ApiTransport {
  return {
    async request(call) {
      const e: AnyEndpoint = ENDPOINTS[call.name];
      const started = performance.now();
      // Counted as HTTP requests are, from arrival to the end of the answer (a stream's last record).
      const count = (status: number) => metrics.request(routeUrl(e), e.method, status, (performance.now() - started) / 1000, "in_process");
      let answer: unknown;
      try {
        const params = Object.fromEntries(Object.entries(call.params ?? {}).map(([k, v]) => [k, String(v)]));
        const input = parseInput(e, { params, query: call.query, body: call.body });
        const handler = handlers[call.name] as AnyHandler;
        const principal = e.access === "public" ? null : typeof caller === "function" ? await caller() : caller;
        answer = await handler(principal, input, call.options.signal ?? NEVER_ABORTED);
      } catch (err) {
        count(err instanceof ApiError ? err.status : 500);
        throw err;
      }
      const status = e.status ?? 200;
      if (e.answer === "ndjson") return framed(answer as AsyncIterable<unknown>, ndjsonLine, "", () => count(status));
      if (e.answer === "events") return framed(answer as AsyncIterable<unknown>, eventFrame, EVENT_STREAM_HEAD, () => count(status));
      count(status);
      return answer;
    },
  };
}

/** A stream's records as the bytes HTTP would carry; `ended` once it ends or its reader leaves. */
async function* framed(records: AsyncIterable<unknown>, frame: (record: unknown) => string, head: string, ended: () => void): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  try {
    if (head) yield encoder.encode(head);
    for await (const r of records) yield encoder.encode(frame(r));
  } finally {
    ended();
  }
}
