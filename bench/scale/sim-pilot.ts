// A simulated pilot for the scale benchmark: the real pilot protocol (src/pilot/server-link.ts over the typed
// API caller and undici) without executors. It registers with its own key, sends heartbeats at the interval the
// server gives (what it holds, and the stamp of the last answer it took, as a real pilot's), keeps one acquire
// long-poll open on a connection of its own, and reports each batch of jobs it took as finished after a
// simulated run time. Its short requests (registration, heartbeats, reports) go through a keep-alive pool
// shared by the simulated pilots of its process (ServerLink's sharedPool), each with its own pilot's token and
// key: only the connections differ from a real pilot's, so that thousands of pilots fit the open files and
// loopback ports of one host. Declared ended by the server (it missed its heartbeats),
// it drops its jobs and registers again, as a real pilot does. Cheap enough that one process holds thousands.
import type { DispatchedJob } from "../../src/core/dispatch-records.js";
import { isPilotEnded, ServerLink, type ServerLinkOptions } from "../../src/pilot/server-link.js";

const ACQUIRE_WAIT_MS = 30_000;
const RETRY_MS = 1000;
const REGISTER_TRIES = 30;

/** What all simulated pilots of one run share: where to count, and when to stop. */
export interface SimShared {
  /** Jobs dispatched (answers carrying jobs), with their acquire latency in ms. */
  onJobs(count: number, latencyMs: number): void;
  /** Jobs reported finished. */
  onReported(count: number): void;
  /** Jobs dropped unreported: the server declared their pilot ended and gave them to others. */
  onDropped(count: number): void;
  onError(what: string, err: unknown): void;
}

export interface SimPilotOptions {
  server: string;
  token: string;
  queue: string;
  name: string;
  slots: number;
  /** How long each job "runs" before it is reported, ms. */
  jobMs: number;
  shared: SimShared;
  /** The pool of the process's short requests; none: the pilot's own connections, as a real pilot. */
  sharedPool?: ServerLinkOptions["sharedPool"];
}

export class SimPilot {
  private readonly link: ServerLink;
  private readonly held = new Map<string, { jobId: number; attempt: number }>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private acquiring: AbortController | undefined;
  private stopping = false;
  /** Since when the pilot has had a free slot (the start of an acquire latency). */
  private roomSince = performance.now();
  private loop: Promise<void> | undefined;
  /** Counts the registrations: jobs taken under an earlier one are dropped, not reported. */
  private generation = 0;
  /** The registration again after the server declared the pilot ended, while it runs. */
  private registering: Promise<void> | undefined;
  /**
   * The server's stamp of the last acquire answer taken, which heartbeats carry (`asOf`) as a real pilot's
   * do: jobs sent after it are not failed as lost when a heartbeat reaches a busy server late.
   */
  private answeredAt: number | undefined;

  constructor(private readonly options: SimPilotOptions) {
    this.link = new ServerLink(options.server, options.token, () => undefined, options.sharedPool ? { sharedPool: options.sharedPool } : {});
  }

  /** Registers (again after a refusal or a timeout, as a restarted pilot would), then beats and asks. */
  async start(): Promise<void> {
    const heartbeatIntervalMs = await this.register();
    // Pilots start at different moments, so their heartbeats spread over the interval as real ones do.
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), heartbeatIntervalMs);
    this.loop = this.acquireLoop();
  }

  private async register(): Promise<number> {
    const { queue, name, slots } = this.options;
    for (let tried = 1; ; tried++) {
      try {
        const config = await this.link.register({ queue, name, host: "sim", pid: process.pid, slots, version: process.version });
        return config.heartbeatIntervalMs;
      } catch (err) {
        this.options.shared.onError("register", err);
        if (tried >= REGISTER_TRIES) throw err;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  /** The server declared the pilot ended: what it held went elsewhere; it drops it and registers again (once for all callers). */
  private onEnded(what: string, err: unknown): Promise<void> {
    this.options.shared.onError(what, err);
    this.registering ??= (async () => {
      this.generation++;
      this.options.shared.onDropped(this.held.size);
      this.held.clear();
      this.answeredAt = undefined;
      this.roomSince = performance.now();
      await this.register().catch((e: unknown) => this.options.shared.onError("register again", e));
      this.registering = undefined;
    })();
    return this.registering;
  }

  private async acquireLoop(): Promise<void> {
    while (!this.stopping) {
      await this.registering;
      const controller = new AbortController();
      this.acquiring = controller;
      const asked = performance.now();
      try {
        const res = await this.link.acquire({ capacity: this.options.slots, waitMs: ACQUIRE_WAIT_MS }, controller.signal);
        this.answeredAt = res.at;
        if (res.jobs.length > 0) {
          this.options.shared.onJobs(res.jobs.length, performance.now() - Math.max(asked, this.roomSince));
          this.run(res.jobs);
        }
      } catch (err) {
        if (this.stopping) return;
        if (isPilotEnded(err)) await this.onEnded("acquire", err);
        else {
          this.options.shared.onError("acquire", err);
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
      }
    }
  }

  /** The jobs of one answer run side by side and end together, reported in one batch. */
  private run(jobs: DispatchedJob[]): void {
    for (const j of jobs) this.held.set(`${j.jobId}.${j.attempt}`, { jobId: j.jobId, attempt: j.attempt });
    const startedAt = Date.now();
    const generation = this.generation;
    setTimeout(() => void this.report(jobs, startedAt, generation), this.options.jobMs);
  }

  private async report(jobs: DispatchedJob[], startedAt: number, generation: number): Promise<void> {
    const endedAt = Date.now();
    const updates = jobs.map((j) => ({ jobId: j.jobId, attempt: j.attempt, state: "finished" as const, startedAt, endedAt, result: j.args }));
    for (;;) {
      if (this.stopping || generation !== this.generation) return;
      try {
        await this.link.report({ updates });
        break;
      } catch (err) {
        if (isPilotEnded(err)) {
          await this.onEnded("report", err);
          return;
        }
        this.options.shared.onError("report", err);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
    for (const j of jobs) this.held.delete(`${j.jobId}.${j.attempt}`);
    if (this.held.size < this.options.slots) this.roomSince = performance.now();
    this.options.shared.onReported(jobs.length);
  }

  private async heartbeat(): Promise<void> {
    if (this.registering) return;
    try {
      await this.link.heartbeat({ held: [...this.held.values()], ...(this.answeredAt === undefined ? {} : { asOf: this.answeredAt }) });
    } catch (err) {
      if (this.stopping) return;
      if (isPilotEnded(err)) await this.onEnded("heartbeat", err);
      else this.options.shared.onError("heartbeat", err);
    }
  }

  /** Stops asking and beating; leaves the server (what it still holds is retried there). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeatTimer);
    this.acquiring?.abort();
    await this.loop;
    await this.link.exit().catch(() => undefined);
    await this.link.close();
  }
}
