// The monitor's side of the JSON API: every request carries the bearer token, and an error answer becomes
// an ApiError with the server's own message (which says what was wrong and what to do).
import { EventStreamParser } from "./event-stream.js";

export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The state of a page's event stream: live, (re)connecting after a failure, or off (the page cannot follow). */
export type LiveState = "connecting" | "live" | "reconnecting" | "off";

/** The delay before reconnecting when the server has not said (its `retry:` line does). */
const DEFAULT_RETRY_MS = 2000;

function errorOf(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) return new ApiError(status, body.error.code ?? "error", body.error.message);
  } catch {
    // not JSON: a proxy's or a crashed server's page; its status says enough
  }
  return new ApiError(status, "http_error", `the server answered ${status}${text ? `: ${text.slice(0, 200)}` : ""}`);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

export class Api {
  constructor(
    private readonly token: string,
    /** Called when the server refuses the token (unknown or revoked): the user must sign in again. */
    private readonly onUnauthorized: (message: string) => void,
  ) {}

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>("GET", path, signal);
  }

  post<T>(path: string): Promise<T> {
    return this.request<T>("POST", path);
  }

  private async request<T>(method: string, path: string, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, { method, headers: { authorization: `Bearer ${this.token}` }, signal, cache: "no-store" });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ApiError(0, "unreachable", `the server cannot be reached (${err instanceof Error ? err.message : String(err)}); is pando server running?`);
    }
    const text = await res.text();
    if (!res.ok) {
      const error = errorOf(res.status, text);
      if (res.status === 401) this.onUnauthorized(error.message);
      throw error;
    }
    return JSON.parse(text) as T;
  }

  /**
   * Follows GET /api/v1/events (with `query`, e.g. "?workflow=12") and calls onChange on each change event,
   * and once after every reconnection (changes may have been missed meanwhile). Reconnects after errors;
   * stops for good when the server refuses the stream (the page's own requests show why). Returns stop().
   */
  watch(query: string, onChange: () => void, onState: (state: LiveState) => void): () => void {
    const controller = new AbortController();
    const { signal } = controller;
    const follow = async () => {
      let retryMs = DEFAULT_RETRY_MS;
      for (let connected = false; !signal.aborted; ) {
        try {
          const res = await fetch(`/api/v1/events${query}`, {
            headers: { authorization: `Bearer ${this.token}` },
            signal,
            cache: "no-store",
          });
          if (!res.ok || !res.body) {
            const error = errorOf(res.status, await res.text());
            if (res.status === 401) this.onUnauthorized(error.message);
            if (res.status >= 400 && res.status < 500) {
              onState("off");
              return;
            }
            throw error;
          }
          onState("live");
          if (connected) onChange();
          connected = true;
          const parser = new EventStreamParser();
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
            if (parser.push(chunk.value).some((e) => e.event === "change")) onChange();
            retryMs = parser.retryMs ?? retryMs;
          }
        } catch {
          // the stream broke (server restarted, network): reconnect below unless stopped
        }
        if (signal.aborted) return;
        onState("reconnecting");
        await sleep(retryMs, signal);
      }
    };
    onState("connecting");
    void follow();
    return () => controller.abort();
  }
}
