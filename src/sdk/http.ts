import type { Readable } from "node:stream";
import { Pool } from "undici";
import type { ErrorBody } from "../core/protocol.js";

/** An error answer from the Pando server, or a failure to reach it. */
export class PandoApiError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "PandoApiError";
  }
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Retry while the server cannot be reached, for requests that are safe to repeat. */
  retryUnreachableMs?: number;
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);

function unreachableCode(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: string }).code ?? (err.cause as { code?: string } | undefined)?.code;
  return code !== undefined && UNREACHABLE.has(code) ? code : undefined;
}

/**
 * JSON over keep-alive HTTP to a Pando server, authenticated by a bearer token. undici's Pool keeps
 * connections open, so the per-request cost on loopback is a fraction of a millisecond. Given several
 * replicas ("http://a,http://b"), it talks to one and moves to the next when that one cannot be reached.
 */
export class HttpTransport {
  private readonly urls: string[];
  private readonly pools = new Map<string, Pool>();
  private current = 0;

  constructor(
    servers: string,
    private readonly token: string,
    /** Told the replica requests go to from now on, when one could not be reached. */
    private readonly onMove?: (url: string) => void,
  ) {
    this.urls = servers
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (this.urls.length === 0) throw new Error("no server URL given");
  }

  /** The replica requests go to now. */
  get baseUrl(): string {
    return this.urls[this.current]!;
  }

  private pool(): Pool {
    const url = this.baseUrl;
    let pool = this.pools.get(url);
    if (!pool) {
      pool = new Pool(url, { connections: 16, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 });
      this.pools.set(url, pool);
    }
    return pool;
  }

  async json<T>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body), "application/json", options);
    return res as T;
  }

  async bytes(method: "GET" | "PUT" | "HEAD", path: string, body?: Uint8Array, options: RequestOptions = {}) {
    return this.send(method, path, body, "application/octet-stream", options, true);
  }

  private async send(
    method: string,
    path: string,
    body: string | Uint8Array | undefined,
    contentType: string,
    options: RequestOptions,
    raw = false,
  ): Promise<unknown> {
    const deadline = Date.now() + (options.retryUnreachableMs ?? 0);
    for (let delay = 50, tried = 1; ; tried++) {
      const url = this.baseUrl;
      try {
        return await this.once(method, path, body, contentType, options, raw);
      } catch (err) {
        const code = unreachableCode(err);
        if (code === undefined || options.signal?.aborted) throw err;
        // Requests failing together on one replica move on once, not once each (which could land on it again).
        if (this.baseUrl === url) {
          this.current = (this.current + 1) % this.urls.length;
          this.onMove?.(this.baseUrl);
        }
        // The other replicas are tried at once; after a whole round, wait before the next.
        if (tried % this.urls.length !== 0) continue;
        if (Date.now() + delay > deadline) {
          throw new PandoApiError(0, "unreachable", `cannot reach the Pando server at ${this.urls.join(", ")} (${code})`);
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 1000);
      }
    }
  }

  private async once(
    method: string,
    path: string,
    body: string | Uint8Array | undefined,
    contentType: string,
    options: RequestOptions,
    raw: boolean,
  ): Promise<unknown> {
    const res = await this.request(method, path, body, contentType, options);
    if (raw) return new Uint8Array(await res.body.arrayBuffer());
    const text = await res.body.text();
    return text.length > 0 ? JSON.parse(text) : undefined;
  }

  /** A GET whose answer is read as a stream (archives of large workflows). */
  async stream(path: string): Promise<Readable> {
    return (await this.request("GET", path, undefined, "", {})).body;
  }

  private async request(method: string, path: string, body: string | Uint8Array | undefined, contentType: string, options: RequestOptions) {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["content-type"] = contentType;
    const res = await this.pool().request({ method: method as "GET", path, headers, body, signal: options.signal });
    if (res.statusCode >= 400) {
      const text = await res.body.text();
      let parsed: ErrorBody | undefined;
      try {
        parsed = JSON.parse(text) as ErrorBody;
      } catch {
        parsed = undefined;
      }
      throw new PandoApiError(
        res.statusCode,
        parsed?.error?.code ?? "http_error",
        parsed?.error?.message ?? `${method} ${path} failed with HTTP ${res.statusCode}: ${text.slice(0, 200)}`,
      );
    }
    return res;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
  }
}
