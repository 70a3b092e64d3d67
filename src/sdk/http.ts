import type { Readable } from "node:stream";
import type { Pool } from "undici";
import type { ApiCall, ApiTransport, CallOptions } from "../api/caller.js";
import { ApiError, errorFromAnswer } from "../api/errors.js";
import { pathOf } from "../api/routes.js";
import { readCaFile } from "../bus/ca-file.js";
import { sleep } from "../core/sleep.js";
import { clientSecurityFromEnv, isTlsFailure, plainHttpHint, serverUrlRefusal, tlsFailureMessage, type ClientSecurity } from "../core/transport-security.js";

export type RequestOptions = CallOptions & {
  /** The call may be sent twice with the effect of once (GET, HEAD, a route marked idempotent). */
  idempotent?: boolean;
  /** The call is a long-poll or a stream: refused for holding too many (429), it waits as told and asks again. */
  waits?: boolean;
};

/** The connection broke after the request may have left: the server may have acted on it. */
const BROKEN = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
const UNREACHABLE = new Set(["ECONNREFUSED", ...BROKEN]);

/** Times a call safe to repeat is sent again after its connection broke (a kept-alive socket closed under it). */
const BROKEN_RETRIES = 3;

/** How long the server asked a refused long-poll or stream to wait (its Retry-After), by the error it answered. */
const retryAfter = new WeakMap<ApiError, number>();
const DEFAULT_RETRY_AFTER_MS = 1000;

function errorCode(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  return (err as { code?: string }).code ?? (err.cause as { code?: string } | undefined)?.code;
}

function unreachableCode(err: unknown): string | undefined {
  const code = errorCode(err);
  return code !== undefined && UNREACHABLE.has(code) ? code : undefined;
}

/** Connections a client keeps to a server at most, unless told otherwise: a driver's calls run side by side. */
const DEFAULT_CONNECTIONS = 16;

export interface HttpTransportOptions {
  /** Told the replica requests go to from now on, when one could not be reached. */
  onMove?: (url: string) => void;
  /** Connections kept to the server at most (16); more requests at once wait for one. */
  connections?: number;
  /** The CA file and plain-HTTP permission; default: PANDO_CA and PANDO_INSECURE_HTTP of the environment. */
  security?: ClientSecurity;
  /**
   * The connections to a server (its URL) come from a pool the caller owns and shares with other transports,
   * instead of one of this transport's own (`connections` and the CA file then do not apply, and close()
   * leaves the pool open). Each request still carries this transport's token and headers. For a program that
   * simulates many clients in one process (bench/scale); a real client keeps its own connections.
   */
  sharedPool?: (url: string) => Pool;
}

/**
 * JSON over keep-alive HTTP to a Pando server, authenticated by a bearer token. undici's Pool keeps
 * connections open, so the per-request cost on loopback is a fraction of a millisecond. Given several
 * replicas ("http://a,http://b"), it talks to one and moves to the next when that one cannot be reached.
 * Over https:// the server's certificate is verified against the system's authorities or the CA file given;
 * the token goes over plain http:// only to this machine, unless the network was declared trusted.
 */
export class HttpTransport implements ApiTransport {
  private readonly urls: string[];
  private readonly pools = new Map<string, Pool>();
  /** Headers sent with every request besides the token (setHeader). */
  private readonly extraHeaders: Record<string, string> = {};
  private current = 0;
  private readonly onMove: ((url: string) => void) | undefined;
  /** The PEM authorities trusted instead of the system's (--ca, PANDO_CA). */
  private readonly ca: string | undefined;
  private readonly connections: number;
  private readonly sharedPool: ((url: string) => Pool) | undefined;

  constructor(
    servers: string,
    private readonly token: string,
    options: HttpTransportOptions = {},
  ) {
    this.urls = servers
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (this.urls.length === 0) throw new Error("no server URL given");
    const security = options.security ?? clientSecurityFromEnv(process.env);
    for (const url of this.urls) {
      const refusal = serverUrlRefusal(url, security);
      if (refusal) throw new ApiError(0, "insecure_http", refusal);
    }
    this.onMove = options.onMove;
    this.connections = options.connections ?? DEFAULT_CONNECTIONS;
    this.sharedPool = options.sharedPool;
    this.ca = security.caFile === undefined ? undefined : readCaFile(security.caFile);
  }

  /** The replica requests go to now. */
  get baseUrl(): string {
    return this.urls[this.current]!;
  }

  /** Sends a header with every request from now on (a pilot's key once it registered); undefined stops it. */
  setHeader(name: string, value: string | undefined): void {
    if (value === undefined) delete this.extraHeaders[name];
    else this.extraHeaders[name] = value;
  }

  /**
   * The connections to the replica requests go to now, opened with its first request. undici loads then:
   * a program that imports the SDK without calling a server never loads it.
   */
  private async openPool(): Promise<Pool> {
    const { Pool } = await import("../vendor/undici.js");
    const url = this.baseUrl;
    let pool = this.pools.get(url);
    if (!pool) {
      pool = new Pool(url, {
        connections: this.connections,
        keepAliveTimeout: 60_000,
        headersTimeout: 0,
        bodyTimeout: 0,
        ...(this.ca === undefined ? {} : { connect: { ca: this.ca } }),
      });
      this.pools.set(url, pool);
    }
    return pool;
  }

  /** One call of the API (apiCaller), answered as its endpoint says: JSON, bytes, whether it exists, or a stream. */
  async request(call: ApiCall): Promise<unknown> {
    const { route } = call;
    const path = pathOf(route, call.params, call.query);
    const options: RequestOptions = {
      ...call.options,
      idempotent: route.method === "GET" || route.method === "HEAD" || route.idempotent === true,
      waits: route.waits === true,
    };
    switch (route.answer ?? "json") {
      case "json":
        if (route.rawBody) return this.send(route.method, path, call.body as Uint8Array, "application/octet-stream", options, "json");
        return this.json(route.method as "GET", path, call.body, options);
      case "bytes":
        return this.bytes(route.method as "GET", path, undefined, options);
      case "prometheus":
        return this.send(route.method, path, undefined, "", options, "text");
      case "exists":
        try {
          await this.send(route.method, path, undefined, "", options, "none");
          return true;
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) return false;
          throw err;
        }
      case "ndjson":
      case "events":
        return this.stream(path, options);
    }
  }

  async json<T>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body), "application/json", options, "json");
    return res as T;
  }

  async bytes(method: "GET" | "PUT" | "HEAD", path: string, body?: Uint8Array, options: RequestOptions = {}) {
    return this.send(method, path, body, "application/octet-stream", options, "bytes");
  }

  private async send(
    method: string,
    path: string,
    body: string | Uint8Array | undefined,
    contentType: string,
    options: RequestOptions,
    answer: "json" | "bytes" | "text" | "none",
  ): Promise<unknown> {
    const deadline = Date.now() + (options.retryUnreachableMs ?? 0);
    // A call safe to repeat is sent again a few times when its connection broke, even with no time to retry
    // while the server is unreachable; any other is never sent twice unless its caller allows it (retryUnreachableMs).
    let brokenRetries = options.idempotent ? BROKEN_RETRIES : 0;
    for (let delay = 50, tried = 1; ; tried++) {
      const url = this.baseUrl;
      try {
        return await this.once(method, path, body, contentType, options, answer);
      } catch (err) {
        // The server holds as many long-polls as it takes: this one waits its turn rather than failing its caller.
        if (options.waits && err instanceof ApiError && err.code === "too_many_waits" && !options.signal?.aborted) {
          await sleep(retryAfter.get(err) ?? DEFAULT_RETRY_AFTER_MS, { signal: options.signal });
          if (options.signal?.aborted) throw err;
          continue;
        }
        const failed = errorCode(err);
        if (isTlsFailure(failed) && err instanceof Error) {
          throw new ApiError(0, "untrusted_server", tlsFailureMessage("the Pando server", new URL(url).host, failed!, err.message));
        }
        const code = unreachableCode(err);
        if (code === undefined || options.signal?.aborted) throw err;
        // Requests failing together on one replica move on once, not once each (which could land on it again).
        if (this.baseUrl === url) {
          this.current = (this.current + 1) % this.urls.length;
          this.onMove?.(this.baseUrl);
        }
        if (BROKEN.has(code) && !options.idempotent && options.retryUnreachableMs === undefined) {
          throw new ApiError(
            0,
            "unreachable",
            `the connection to ${url} broke during ${method} ${path.split("?")[0]} (${code}); it was not sent again, since the server may have acted on it${plainHttpHint(url, code)}`,
          );
        }
        // The other replicas are tried at once; after a whole round, wait before the next.
        if (tried % this.urls.length !== 0) continue;
        if (Date.now() + delay > deadline && !(BROKEN.has(code) && brokenRetries-- > 0)) {
          throw new ApiError(0, "unreachable", `cannot reach the Pando server at ${this.urls.join(", ")} (${code})${plainHttpHint(url, code)}`);
        }
        await sleep(delay);
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
    answer: "json" | "bytes" | "text" | "none",
  ): Promise<unknown> {
    const res = await this.exchange(method, path, body, contentType, options);
    if (answer === "bytes") return new Uint8Array(await res.body.arrayBuffer());
    const text = await res.body.text();
    if (answer === "text") return text;
    return answer === "json" && text.length > 0 ? JSON.parse(text) : undefined;
  }

  /** A GET whose answer is read as a stream (archives of large workflows, change events). */
  private async stream(path: string, options: RequestOptions): Promise<Readable> {
    return (await this.exchange("GET", path, undefined, "", options)).body;
  }

  private async exchange(method: string, path: string, body: string | Uint8Array | undefined, contentType: string, options: RequestOptions) {
    const headers: Record<string, string> = { ...this.extraHeaders, authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["content-type"] = contentType;
    const pool = this.sharedPool ? this.sharedPool(this.baseUrl) : (this.pools.get(this.baseUrl) ?? (await this.openPool()));
    const res = await pool.request({ method: method as "GET", path, headers, body, signal: options.signal });
    if (res.statusCode >= 400) {
      const error = errorFromAnswer(res.statusCode, await res.body.text(), `${method} ${path}`);
      const after = Number(res.headers["retry-after"]);
      if (res.statusCode === 429 && after > 0) retryAfter.set(error, after * 1000);
      throw error;
    }
    return res;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
  }
}
