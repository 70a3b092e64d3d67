// A simulated pilot for the scale benchmark: the real pilot protocol (src/pilot/server-link.ts over the typed
// API caller and undici) without executors. It registers with its own key, sends heartbeats at the interval the
// server gives, keeps one acquire long-poll open, and reports each batch of jobs it took as finished after a
// simulated run time. Cheap enough that one process holds thousands.
import type { DispatchedJob } from "../../src/core/dispatch-records.js";
import { ServerLink } from "../../src/pilot/server-link.js";

const ACQUIRE_WAIT_MS = 30_000;
const RETRY_MS = 1000;
const REGISTER_TRIES = 30;

/** What all simulated pilots of one run share: where to count, and when to stop. */
export interface SimShared {
  /** Jobs dispatched (answers carrying jobs), with their acquire latency in ms. */
  onJobs(count: number, latencyMs: number): void;
  /** Jobs reported finished. */
  onReported(count: number): void;
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

  constructor(private readonly options: SimPilotOptions) {
    this.link = new ServerLink(options.server, options.token, () => undefined);
  }

  /** Registers (again after a refusal or a timeout, as a restarted pilot would), then beats and asks. */
  async start(): Promise<void> {
    const { queue, name, slots } = this.options;
    let config: Awaited<ReturnType<ServerLink["register"]>> | undefined;
    for (let tried = 1; !config; tried++) {
      try {
        config = await this.link.register({ queue, name, host: "sim", pid: process.pid, slots, version: process.version });
      } catch (err) {
        this.options.shared.onError("register", err);
        if (tried >= REGISTER_TRIES) throw err;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
    // Pilots start at different moments, so their heartbeats spread over the interval as real ones do.
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), config.heartbeatIntervalMs);
    this.loop = this.acquireLoop();
  }

  private async acquireLoop(): Promise<void> {
    while (!this.stopping) {
      const controller = new AbortController();
      this.acquiring = controller;
      const asked = performance.now();
      try {
        const res = await this.link.acquire({ capacity: this.options.slots, waitMs: ACQUIRE_WAIT_MS }, controller.signal);
        if (res.jobs.length > 0) {
          this.options.shared.onJobs(res.jobs.length, performance.now() - Math.max(asked, this.roomSince));
          this.run(res.jobs);
        }
      } catch (err) {
        if (this.stopping) return;
        this.options.shared.onError("acquire", err);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  /** The jobs of one answer run side by side and end together, reported in one batch. */
  private run(jobs: DispatchedJob[]): void {
    for (const j of jobs) this.held.set(`${j.jobId}.${j.attempt}`, { jobId: j.jobId, attempt: j.attempt });
    const startedAt = Date.now();
    setTimeout(() => void this.report(jobs, startedAt), this.options.jobMs);
  }

  private async report(jobs: DispatchedJob[], startedAt: number): Promise<void> {
    const endedAt = Date.now();
    const updates = jobs.map((j) => ({ jobId: j.jobId, attempt: j.attempt, state: "finished" as const, startedAt, endedAt, result: j.args }));
    for (;;) {
      try {
        await this.link.report({ updates });
        break;
      } catch (err) {
        if (this.stopping) return;
        this.options.shared.onError("report", err);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
    for (const j of jobs) this.held.delete(`${j.jobId}.${j.attempt}`);
    if (this.held.size < this.options.slots) this.roomSince = performance.now();
    this.options.shared.onReported(jobs.length);
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.link.heartbeat({ held: [...this.held.values()] });
    } catch (err) {
      if (!this.stopping) this.options.shared.onError("heartbeat", err);
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
