// The monitor's side of the API: the one typed caller of src/api over fetch(). Every request carries the
// bearer token, and an error answer becomes an ApiError with the server's own message (which says what was
// wrong and what to do). Only zod-free modules of src/api are imported here (a test checks the bundle).
import { apiCaller, type ApiCall, type ApiCaller, type ApiTransport } from "../../src/api/caller.js";
import type { ByteStream } from "../../src/api/endpoints.js";
import { ApiError, errorFromAnswer } from "../../src/api/errors.js";
import type { EventsRequest } from "../../src/api/monitoring.js";
import { pathOf } from "../../src/api/routes.js";
import { CHANGE_EVENT } from "../../src/api/streams.js";
import { errorMessage } from "../../src/core/errors.js";
import { sleep } from "../../src/core/sleep.js";
import { EventStreamParser } from "./event-stream.js";

export { ApiError } from "../../src/api/errors.js";

/** What the page shows of anything a call threw: the API's error, or the thrown value as a client error. */
export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, "client_error", errorMessage(err));
}

/** The state of a page's event stream: live, (re)connecting after a failure, or off (the page cannot follow). */
export type LiveState = "connecting" | "live" | "reconnecting" | "off";

/** The signed-in user's API: a method per endpoint, and watch() for a page's change events. */
export type Api = ApiCaller & {
  /**
   * Follows the change events of a page (`query`: "", "?workflow=12" or "?task=3") and calls onChange on
   * each, and once after every reconnection (changes may have been missed meanwhile). Reconnects after
   * errors; stops for good when the server refuses the stream (the page's own requests show why). Returns
   * stop().
   */
  watch(query: string, onChange: () => void, onState: (state: LiveState) => void): () => void;
};

/** The delay before reconnecting when the server has not said (its `retry:` line does). */
const DEFAULT_RETRY_MS = 2000;

async function* chunks(body: ReadableStream<Uint8Array>): ByteStream {
  const reader = body.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) yield chunk.value;
}

/** The API over fetch() on the page's own server. */
function fetchTransport(token: string, onUnauthorized: (message: string) => void): ApiTransport {
  return {
    async request({ route, params, query, body, options }: ApiCall): Promise<unknown> {
      const path = pathOf(route, params, query);
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body !== undefined) headers["content-type"] = "application/json";
      let res: Response;
      try {
        res = await fetch(path, {
          method: route.method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: options.signal,
          cache: "no-store",
        });
      } catch (err) {
        if (options.signal?.aborted) throw err;
        throw new ApiError(0, "unreachable", `the server cannot be reached (${errorMessage(err)}); is pando server running?`);
      }
      if (route.answer === "exists" && (res.ok || res.status === 404)) return res.ok;
      if (!res.ok || (route.answer === "events" && !res.body)) {
        const error = errorFromAnswer(res.status, await res.text(), `${route.method} ${path}`);
        if (res.status === 401) onUnauthorized(error.message);
        throw error;
      }
      switch (route.answer ?? "json") {
        case "json":
          return JSON.parse(await res.text());
        case "bytes":
          return new Uint8Array(await res.arrayBuffer());
        case "prometheus":
          return res.text();
        default:
          return chunks(res.body!);
      }
    },
  };
}

/** The API as `token`; `onUnauthorized` is called when the server refuses the token (unknown or revoked): sign in again. */
export function connect(token: string, onUnauthorized: (message: string) => void): Api {
  const call = apiCaller(fetchTransport(token, onUnauthorized));
  const watch: Api["watch"] = (query, onChange, onState) => {
    const controller = new AbortController();
    const { signal } = controller;
    const search = new URLSearchParams(query);
    const page: EventsRequest = {
      workflow: search.has("workflow") ? Number(search.get("workflow")) : undefined,
      task: search.has("task") ? Number(search.get("task")) : undefined,
    };
    const follow = async () => {
      let retryMs = DEFAULT_RETRY_MS;
      for (let connected = false; !signal.aborted; ) {
        try {
          const stream = await call.events({ query: page }, { signal });
          onState("live");
          if (connected) onChange();
          connected = true;
          const parser = new EventStreamParser();
          const decoder = new TextDecoder();
          for await (const chunk of stream) {
            if (parser.push(decoder.decode(chunk, { stream: true })).some((e) => e.event === CHANGE_EVENT)) onChange();
            retryMs = parser.retryMs ?? retryMs;
          }
        } catch (err) {
          // Refused (4xx): the page cannot follow, unless only for now (429: the server holds as many streams as it
          // takes). Else the stream broke (server restarted, network): reconnect below unless stopped.
          if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
            onState("off");
            return;
          }
        }
        if (signal.aborted) return;
        onState("reconnecting");
        await sleep(retryMs, { signal });
      }
    };
    onState("connecting");
    void follow();
    return () => controller.abort();
  };
  return { ...call, watch };
}
