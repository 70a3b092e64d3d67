import type { ServerContext } from "./context.js";

/** At least this long between two writes of the heartbeats, whatever the timeouts. */
const MIN_FLUSH_MS = 10;

/**
 * The heartbeats this server answered, kept in memory and written in one statement per interval (the
 * store's recordHeartbeats), so that a heartbeat costs no transaction of its own. The interval is
 * `heartbeatFlushMs`, and at most a tenth of the shortest heartbeat timeout of the pilots heard: a replica that
 * sweeps sees another's heartbeats long before any of those pilots could be late. The sweep of this server
 * writes its own first. Heartbeat times are not results: after a restart a pilot gets a whole timeout anyway
 * (core/pilot-loss.ts), so the ones not yet written when a server dies are not missed.
 */
export class PilotHeartbeats {
  private pending = new Map<number, number>();
  private everyMs: number;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Stopped with the server: heartbeats answered while it closes are not written (their pilots get a whole timeout). */
  private stopped = false;

  constructor(private readonly ctx: Pick<ServerContext, "store" | "config" | "log">) {
    this.everyMs = ctx.config.heartbeatFlushMs;
  }

  /** Pilot `pilotId`, whose heartbeat timeout is `timeoutMs`, was heard from now. */
  heard(pilotId: number, timeoutMs: number, now = Date.now()): void {
    if (this.stopped) return;
    this.pending.set(pilotId, now);
    const every = Math.max(MIN_FLUSH_MS, Math.min(this.everyMs, Math.floor(timeoutMs / 10)));
    if (this.timer !== undefined && every >= this.everyMs) return;
    this.everyMs = every;
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      this.flush().catch((err: unknown) => this.ctx.log.error({ err }, "writing the pilots' heartbeats failed; trying again"));
    }, every);
    this.timer.unref();
  }

  /** The pilot ended: its heartbeats no longer matter. */
  forget(pilotId: number): void {
    this.pending.delete(pilotId);
  }

  /**
   * Writes the heartbeats heard since the last write, one write at a time; those that fail to be written are
   * kept for the next (unless a later one came meanwhile).
   */
  flush(): Promise<void> {
    const next = this.writing.then(() => this.write());
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Writes what is pending and stops the timer. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush().catch((err: unknown) => this.ctx.log.warn({ err }, "the last heartbeats were not written; their pilots get a whole timeout"));
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const beats = this.pending;
    this.pending = new Map();
    try {
      await this.ctx.store.pilots.recordHeartbeats(beats);
    } catch (err) {
      for (const [pilotId, at] of beats) if (!this.pending.has(pilotId)) this.pending.set(pilotId, at);
      throw err;
    }
  }
}
