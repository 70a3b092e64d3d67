// What a pilot holds: every attempt the server handed it, from the moment it is accepted until the server
// has recorded its final state. Bookkeeping only, no timers or processes: times come in as arguments.
import { attemptKey } from "../core/attempt-key.js";
import { killedError } from "../core/errors.js";
import type { AttemptRef, AttemptUpdate, DispatchedJob } from "../core/dispatch-records.js";
import { hop } from "../core/hop-trace.js";

/**
 * fetching: its bundle is on its way; waiting: for an executor; running: sent to an executor (it may wait
 * in that executor's queue; `startedAt` is set once it runs); done: its final state is reported.
 */
export type Phase = "fetching" | "waiting" | "running" | "done";

/** How an attempt ended, or that it runs: an update without the attempt it is about. */
export type Outcome = Omit<AttemptUpdate, "jobId" | "attempt">;

/** How an attempt killed by a user (or taken off its queue by a kill) ends. */
export const killedByUser = (): Outcome => ({ state: "cancelled", error: killedError() });

interface Held {
  readonly job: DispatchedJob;
  phase: Phase;
  startedAt: number | undefined;
  runningReported: boolean;
  /** Its final state went to the broker; it stays listed in heartbeats until the server has recorded it. */
  published: boolean;
  /** The final update as published, kept to report it over REST should the server not record it in time. */
  update: AttemptUpdate | undefined;
  publishedAt: number;
}

export class Ledger {
  private readonly held = new Map<string, Held>();
  /**
   * The server's stamp on the last acquire answer taken: what this ledger holds is complete up to it. Before
   * the first answer, nothing sent to this pilot has arrived yet.
   */
  private answeredAt = 0;

  get size(): number {
    return this.held.size;
  }

  accept(job: DispatchedJob): void {
    hop("pilot.received", job.taskId, job.jobId, job.attempt);
    this.held.set(attemptKey(job), {
      job,
      phase: "fetching",
      startedAt: undefined,
      runningReported: false,
      published: false,
      update: undefined,
      publishedAt: 0,
    });
  }

  phase(ref: AttemptRef): Phase | undefined {
    return this.held.get(attemptKey(ref))?.phase;
  }

  job(ref: AttemptRef): DispatchedJob | undefined {
    return this.held.get(attemptKey(ref))?.job;
  }

  /** Its bundle is at hand: it goes on to `next`. False when it is no longer fetching (killed, let go). */
  fetched(ref: AttemptRef, next: "waiting" | "running"): boolean {
    const h = this.held.get(attemptKey(ref));
    if (h?.phase !== "fetching") return false;
    h.phase = next;
    return true;
  }

  /** Sent to an executor. */
  sent(ref: AttemptRef): void {
    const h = this.held.get(attemptKey(ref));
    if (!h) return;
    h.phase = "running";
    hop("pilot.to_executor", h.job.taskId, ref.jobId, ref.attempt);
  }

  /** Back from an executor without having run: it waits for the next one. */
  returned(ref: AttemptRef): void {
    const h = this.held.get(attemptKey(ref));
    if (!h) return;
    h.phase = "waiting";
    h.startedAt = undefined;
  }

  /** It runs from `now`; false if it was running already (or is not held). */
  started(ref: AttemptRef, now: number): boolean {
    const h = this.held.get(attemptKey(ref));
    if (!h || h.startedAt !== undefined) return false;
    h.startedAt = now;
    return true;
  }

  /**
   * Its final state: the update to report (the start and end filled in when the outcome has none), or
   * undefined when it ended already or is not held.
   */
  finish(ref: AttemptRef, outcome: Outcome, now: number): AttemptUpdate | undefined {
    const h = this.held.get(attemptKey(ref));
    if (!h || h.phase === "done") return undefined;
    h.phase = "done";
    hop("pilot.result", h.job.taskId, ref.jobId, ref.attempt);
    return {
      jobId: h.job.jobId,
      attempt: h.job.attempt,
      ...outcome,
      startedAt: outcome.startedAt ?? h.startedAt,
      endedAt: outcome.endedAt ?? now,
    };
  }

  /** Running attempts started at least `delayMs` ago and not reported as running yet: reported now. */
  dueRunning(now: number, delayMs: number): AttemptUpdate[] {
    const due: AttemptUpdate[] = [];
    for (const h of this.held.values()) {
      if (h.phase !== "running" || h.runningReported || h.startedAt === undefined) continue;
      if (now - h.startedAt < delayMs) continue;
      h.runningReported = true;
      due.push({ jobId: h.job.jobId, attempt: h.job.attempt, state: "running", startedAt: h.startedAt });
    }
    return due;
  }

  /** When the next running attempt not reported yet becomes due (dueRunning), or undefined if none will. */
  nextRunningDue(delayMs: number): number | undefined {
    let next: number | undefined;
    for (const h of this.held.values()) {
      if (h.phase !== "running" || h.runningReported || h.startedAt === undefined) continue;
      next = Math.min(next ?? Infinity, h.startedAt + delayMs);
    }
    return next;
  }

  /** The server acknowledged these updates over REST: the final ones are no longer held. */
  reported(updates: readonly AttemptUpdate[]): void {
    for (const u of updates) if (u.state !== "running") this.held.delete(attemptKey(u));
  }

  /** These final updates went to the broker at `now`: held until the server is seen to record them. */
  published(updates: readonly AttemptUpdate[], now: number): void {
    for (const u of updates) {
      const h = this.held.get(attemptKey(u));
      if (!h) continue;
      h.published = true;
      h.update = u;
      h.publishedAt = now;
    }
  }

  /** Published results the server has not been seen to record, as [jobId, attempt] pairs. */
  publishedRefs(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const h of this.held.values()) if (h.published) out.push([h.job.jobId, h.job.attempt]);
    return out;
  }

  anyPublished(): boolean {
    for (const h of this.held.values()) if (h.published) return true;
    return false;
  }

  /**
   * Published updates still unrecorded that went out before `cutoff`: they are to be reported over REST,
   * and no longer count as published.
   */
  unrecorded(cutoff: number): AttemptUpdate[] {
    const out: AttemptUpdate[] = [];
    for (const h of this.held.values()) {
      if (!h.published || h.publishedAt > cutoff || !h.update) continue;
      h.published = false;
      out.push(h.update);
    }
    return out;
  }

  /** Everything held, as heartbeats list it. */
  refs(): AttemptRef[] {
    return [...this.held.values()].map((h) => ({ jobId: h.job.jobId, attempt: h.job.attempt }));
  }

  /** The server recorded these (an acquire's answer): published ones among them are let go. */
  forgetRecorded(recorded: readonly AttemptRef[]): void {
    this.forgetPublished(recorded, true);
  }

  /** The server still counts only these as held (a heartbeat's answer): other published ones are let go. */
  keepUnrecorded(stillHeld: readonly AttemptRef[]): void {
    this.forgetPublished(stillHeld, false);
  }

  private forgetPublished(refs: readonly AttemptRef[], listed: boolean): void {
    const set = new Set(refs.map(attemptKey));
    for (const [key, h] of this.held) if (h.published && set.has(key) === listed) this.held.delete(key);
  }

  /** Let go without a report: the server retries it elsewhere. */
  forget(ref: AttemptRef): void {
    this.held.delete(attemptKey(ref));
  }

  /** Lets go of everything not sent to an executor yet. */
  forgetNotStarted(): void {
    for (const [key, h] of this.held) if (h.phase === "fetching" || h.phase === "waiting") this.held.delete(key);
  }

  /** The jobs of an acquire answer the server stamped `at` are accepted. */
  answered(at: number | undefined): void {
    if (at !== undefined) this.answeredAt = Math.max(at, this.answeredAt);
  }

  /** What a heartbeat says the pilot holds, and up to which of the server's answers. */
  heldNow(): { held: AttemptRef[]; asOf: number } {
    return { held: this.refs(), asOf: this.answeredAt };
  }

  clear(): void {
    this.held.clear();
    this.answeredAt = 0;
  }
}
