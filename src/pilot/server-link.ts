import { apiCaller, type ApiCaller } from "../api/caller.js";
import { ApiError } from "../api/errors.js";
import type { AcquireRequest, HeartbeatRequest, RegisterPilotRequest, ReportRequest } from "../api/pilots.js";
import type { CallOutput } from "../api/endpoints.js";
import { PILOT_KEY_HEADER } from "../core/pilot-identity.js";
import { HttpTransport } from "../sdk/http.js";

/** A pilot registers while its server may still be starting (the embedded server, a restart). */
const REGISTER_RETRY_MS = 30_000;
const BUNDLE_RETRY_MS = 10_000;
/**
 * A pilot's connections to its server: its acquire long-poll, a heartbeat, a report and a fetch at once. A
 * server of thousands of pilots holds every one of them (the default of a driver's client is 16).
 */
const PILOT_CONNECTIONS = 4;

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
  private readonly http: HttpTransport;
  private readonly api: ApiCaller;
  private id = 0;

  constructor(servers: string, token: string, onMove: (url: string) => void) {
    this.http = new HttpTransport(servers, token, { onMove, connections: PILOT_CONNECTIONS });
    this.api = apiCaller(this.http);
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
    return res;
  }

  /** A long-poll: the server answers once there are jobs or commands, or after `waitMs`. */
  acquire(request: AcquireRequest, signal: AbortSignal): Promise<CallOutput<"acquire">> {
    return this.asPilot((id) => this.api.acquire({ params: { id }, body: request }, { signal }));
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

  close(): Promise<void> {
    return this.http.close();
  }
}
