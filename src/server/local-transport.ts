import type { ApiTransport } from "../api/caller.js";
import { parseInput } from "../api/endpoint-input.js";
import { ENDPOINTS, type AnyEndpoint } from "../api/endpoints.js";
import { eventFrame, EVENT_STREAM_HEAD, ndjsonLine } from "../api/streams.js";
import type { Principal } from "../store/auth-store.js";
import type { Handlers } from "./handlers.js";
import { NEVER_ABORTED } from "./http-util.js";

type AnyHandler = (p: Principal | null, input: unknown, signal: AbortSignal) => unknown;

/**
 * The API in process, for the embedded server's own driver: each call is parsed with its endpoint's schemas
 * and served by the same handler as over HTTP (the same validation, authorisation and errors), acting as
 * `principal`, without the serialisation round trip. Path parameters travel as text, as in a URL.
 */
export function localTransport(handlers: Handlers, principal: Principal): ApiTransport {
  return {
    async request(call) {
      const e: AnyEndpoint = ENDPOINTS[call.name];
      const params = Object.fromEntries(Object.entries(call.params ?? {}).map(([k, v]) => [k, String(v)]));
      const input = parseInput(e, { params, query: call.query, body: call.body });
      const handler = handlers[call.name] as AnyHandler;
      const answer = await handler(e.access === "public" ? null : principal, input, call.options.signal ?? NEVER_ABORTED);
      if (e.answer === "ndjson") return framed(answer as AsyncIterable<unknown>, ndjsonLine, "");
      if (e.answer === "events") return framed(answer as AsyncIterable<unknown>, eventFrame, EVENT_STREAM_HEAD);
      return answer;
    },
  };
}

/** A stream's records as the bytes HTTP would carry. */
async function* framed(records: AsyncIterable<unknown>, frame: (record: unknown) => string, head: string): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  if (head) yield encoder.encode(head);
  for await (const r of records) yield encoder.encode(frame(r));
}
