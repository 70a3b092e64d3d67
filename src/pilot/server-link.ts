import type {
  AcquireRequest,
  AcquireResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  RegisterPilotRequest,
  RegisterPilotResponse,
  ReportRequest,
  ReportResponse,
} from "../core/protocol.js";
import { HttpTransport, PandoApiError } from "../sdk/http.js";

/** A pilot registers while its server may still be starting (the embedded server, a restart). */
const REGISTER_RETRY_MS = 30_000;
const BUNDLE_RETRY_MS = 10_000;

/** The server declared the pilot ended (it missed its heartbeats): what it held went elsewhere. */
export function isPilotEnded(err: unknown): boolean {
  return err instanceof PandoApiError && err.code === "pilot_ended";
}

/**
 * A pilot's requests to the server, typed: the only place in the pilot that knows the server's paths. It
 * talks to the server or its replicas (--server a,b,…): a replica that cannot be reached is left for the
 * next; they share the database, so the pilot, its id and the jobs it holds are the same there.
 */
export class ServerLink {
  private readonly http: HttpTransport;
  private id = 0;

  constructor(servers: string, token: string, onMove: (url: string) => void) {
    this.http = new HttpTransport(servers, token, onMove);
  }

  /** The id the server gave at the last registration (0 before the first). */
  get pilotId(): number {
    return this.id;
  }

  /** The replica requests go to now. */
  get baseUrl(): string {
    return this.http.baseUrl;
  }

  async register(request: RegisterPilotRequest): Promise<RegisterPilotResponse> {
    const res = await this.http.json<RegisterPilotResponse>("POST", "/api/v1/pilots", request, { retryUnreachableMs: REGISTER_RETRY_MS });
    this.id = res.id;
    return res;
  }

  /** A long-poll: the server answers once there are jobs or commands, or after `waitMs`. */
  acquire(request: AcquireRequest, signal: AbortSignal): Promise<AcquireResponse> {
    return this.http.json<AcquireResponse>("POST", `/api/v1/pilots/${this.id}/acquire`, request, { signal });
  }

  report(request: ReportRequest): Promise<ReportResponse> {
    return this.http.json<ReportResponse>("POST", `/api/v1/pilots/${this.id}/report`, request);
  }

  heartbeat(request: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.http.json<HeartbeatResponse>("POST", `/api/v1/pilots/${this.id}/heartbeat`, request);
  }

  /** Tells the server the pilot left, so that what it still held is retried elsewhere at once. */
  async exit(): Promise<void> {
    await this.http.json<unknown>("POST", `/api/v1/pilots/${this.id}/exit`, {});
  }

  /** A bundle's code, or an environment's manifest, by hash. */
  bundle(hash: string): Promise<Uint8Array> {
    return this.http.bytes("GET", `/api/v1/bundles/${hash}`, undefined, { retryUnreachableMs: BUNDLE_RETRY_MS }) as Promise<Uint8Array>;
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
