import { apiCaller, type ApiCaller, type ApiTransport } from "../api/caller.js";
import { ApiError } from "../api/errors.js";
import type { AcquireRequest, HeartbeatRequest, RegisterPilotRequest, ReportRequest } from "../api/pilots.js";
import type { CallOutput } from "../api/endpoints.js";
import { PILOT_KEY_HEADER } from "../core/pilot-identity.js";
import { HttpTransport, type HttpTransportOptions } from "../sdk/http.js";

/** A pilot registers while its server may still be starting (the embedded server, a restart). */
const REGISTER_RETRY_MS = 30_000;
const BUNDLE_RETRY_MS = 10_000;
/**
 * A pilot's connections to its server: its acquire long-poll, a heartbeat, a report and a fetch at once. A
 * server of thousands of pilots holds every one of them (the default of a driver's client is 16).
 */
const PILOT_CONNECTIONS = 4;

/** What a link sends its requests through: HTTP, or a server's handlers in the pilot's own process. */
export interface LinkTransport extends ApiTransport {
  /** The server's URL, as the pilot's executors reach it (a driver job's client). */
  readonly baseUrl: string;
  /** A header every later request carries (the pilot's key, once registered). */
  setHeader(name: string, value: string | undefined): void;
  close(): Promise<void>;
}

export interface ServerLinkOptions {
  /**
   * The short requests (registration, heartbeats, reports, bundles, exit) go through a connection pool shared
   * with other links, and the acquire long-poll keeps one connection of the link's own. For a program that
   * simulates thousands of pilots in one process (bench/scale), where every pilot's own connections would
   * exceed the open files one host may have; every request still carries its own pilot's token and key. A
   * real pilot gives none: its PILOT_CONNECTIONS carry all its requests.
   */
  sharedPool?: HttpTransportOptions["sharedPool"];
  /**
   * Every request goes through this transport instead of HTTP: the pilots `pando run` keeps in its embedded
   * server's process. It authenticates the token and the key as HTTP does.
   */
  transport?: LinkTransport;
}

/**
 * The server declared the pilot ended (it missed its heartbeats): what it held went elsewhere. Says which
 * registration the refused request was made as, since a request sent before the pilot registered again may
 * hear this after it.
 */
export class PilotEndedError extends Error {
  constructor(
    readonly pilotId: number,
    cause: ApiError,
  ) {
    super(cause.message, { cause });
    this.name = "PilotEndedError";
  }
}

export function isPilotEnded(err: unknown): err is PilotEndedError {
  return err instanceof PilotEndedError;
}

/**
 * A pilot's calls to the server, through the typed API caller, with the pilot's id filled in. It talks to
 * the server or its replicas (--server a,b,…): a replica that cannot be reached is left for the next; they
 * share the database, so the pilot, its id and the jobs it holds are the same there. Every request after a
 * registration carries the key it returned, which proves to any replica that the request is this pilot's.
 */
export class ServerLink {
  private readonly http: LinkTransport;
  private readonly api: ApiCaller;
  /** The acquire long-poll's transport: `http` itself unless the short requests share a pool. */
  private readonly longPolls: LinkTransport;
  private readonly longPollApi: ApiCaller;
  private id = 0;

  constructor(servers: string, token: string, onMove: (url: string) => void, options: ServerLinkOptions = {}) {
    if (options.transport) {
      this.http = this.longPolls = options.transport;
    } else if (options.sharedPool) {
      this.http = new HttpTransport(servers, token, { onMove, sharedPool: options.sharedPool });
      this.longPolls = new HttpTransport(servers, token, { onMove, connections: 1 });
    } else {
      this.http = new HttpTransport(servers, token, { onMove, connections: PILOT_CONNECTIONS });
      this.longPolls = this.http;
    }
    this.api = apiCaller(this.http);
    this.longPollApi = this.longPolls === this.http ? this.api : apiCaller(this.longPolls);
  }

  /** The id the server gave at the last registration (0 before the first). */
  get pilotId(): number {
    return this.id;
  }

  /** The replica requests go to now. */
  get baseUrl(): string {
    return this.http.baseUrl;
  }

  async register(request: RegisterPilotRequest): Promise<CallOutput<"registerPilot">> {
    const res = await this.api.registerPilot({ body: request }, { retryUnreachableMs: REGISTER_RETRY_MS });
    this.id = res.id;
    this.http.setHeader(PILOT_KEY_HEADER, res.reportKey);
    this.longPolls.setHeader(PILOT_KEY_HEADER, res.reportKey);
    return res;
  }

  /** A long-poll: the server answers once there are jobs or commands, or after `waitMs`. */
  acquire(request: AcquireRequest, signal: AbortSignal): Promise<CallOutput<"acquire">> {
    return this.asPilot((id) => this.longPollApi.acquire({ params: { id }, body: request }, { signal }));
  }

  report(request: ReportRequest): Promise<CallOutput<"report">> {
    return this.asPilot((id) => this.api.report({ params: { id }, body: request }));
  }

  heartbeat(request: HeartbeatRequest): Promise<CallOutput<"heartbeat">> {
    return this.asPilot((id) => this.api.heartbeat({ params: { id }, body: request }));
  }

  /** Tells the server the pilot left, so that what it still held is retried elsewhere at once. */
  async exit(): Promise<void> {
    await this.asPilot((id) => this.api.exitPilot({ params: { id } }));
  }

  /** A call as the pilot of the current registration; the server's "ended" names that registration. */
  private async asPilot<T>(call: (id: number) => Promise<T>): Promise<T> {
    const id = this.id;
    try {
      return await call(id);
    } catch (err) {
      throw err instanceof ApiError && err.code === "pilot_ended" ? new PilotEndedError(id, err) : err;
    }
  }

  /** A bundle's code, or an environment's manifest, by hash. */
  bundle(hash: string): Promise<Uint8Array> {
    return this.api.getBundle({ params: { hash }, query: { pilot: this.id } }, { retryUnreachableMs: BUNDLE_RETRY_MS });
  }

  async close(): Promise<void> {
    await Promise.all(this.longPolls === this.http ? [this.http.close()] : [this.http.close(), this.longPolls.close()]);
  }
}
