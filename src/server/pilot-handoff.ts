import type { DispatchedJob, PilotCommand } from "../core/dispatch-records.js";
import type { Demand } from "../core/hand-out.js";
import type { Claims, WaitingPilot } from "../store/dispatch-store.js";
import type { ServerContext } from "./context.js";
import { Warmth, type WarmCommand } from "./warmth.js";

/** What a long-polling pilot asked for, and the tasks it may hold more jobs of than it has free slots. */
export interface WaitingDemand extends Demand {
  prefetch: readonly number[];
}

/**
 * The pilots long-polling this replica and what is handed to them directly: a new task's jobs are claimed
 * for the waiting pilots of its queue as it is stored, and wait in each pilot's outbox until its long-poll
 * returns them (a pilot that never comes back has them retried when it is declared lost); the execution
 * contexts started lately on each queue, for pilots to warm executors of (PilotCommand "warm").
 */
export class PilotHandoff {
  /** Long-polling pilots by queue, with what they asked for. */
  private readonly waiting = new Map<string, Map<number, WaitingDemand>>();
  /**
   * Long-polling pilots that had room for jobs of any task when they began to wait (they found none): how
   * many jobs they could start, and their queue.
   */
  private readonly waitingWithRoom = new Map<number, { queue: string; room: number }>();
  /** Jobs claimed for a pilot and not yet returned to it. */
  private readonly outbox = new Map<number, DispatchedJob[]>();
  private readonly warmth: Warmth;

  constructor(private readonly ctx: Pick<ServerContext, "config" | "events">) {
    this.warmth = new Warmth({ keepMs: ctx.config.warmKeepMs, perQueue: ctx.config.warmContextsPerQueue });
  }

  /**
   * Up to `max` of the pilots whose long-poll waits on a queue, with what they asked for: those with room
   * first, each group in the order they began to wait. A new task is handed to these in its own transaction;
   * the others are woken to take its jobs themselves, so that the transaction does not grow with the pilots.
   */
  waitingOn(queue: string | null, max: number): WaitingPilot[] {
    const pilots = queue === null ? undefined : this.waiting.get(queue);
    if (!pilots) return [];
    const all = [...pilots].map(([pilotId, demand]) => ({ pilotId, demand }));
    const withRoom = all.filter((w) => this.waitingWithRoom.has(w.pilotId));
    return [...withRoom, ...all.filter((w) => !this.waitingWithRoom.has(w.pilotId))].slice(0, max);
  }

  /**
   * A pilot's long-poll waits on its queue with this demand, until `stopWaiting`; `room`: how many jobs of
   * any task it could have started, the queue having none.
   */
  startWaiting(queue: string, pilotId: number, demand: WaitingDemand, room: number): void {
    let pilots = this.waiting.get(queue);
    if (!pilots) this.waiting.set(queue, (pilots = new Map()));
    pilots.set(pilotId, demand);
    if (room > 0) this.waitingWithRoom.set(pilotId, { queue, room });
  }

  /** The queues whose long-polling pilots wait with room, their queue having no job for them: how much room. */
  idleRoom(): Map<string, number> {
    const idle = new Map<string, number>();
    for (const { queue, room } of this.waitingWithRoom.values()) idle.set(queue, (idle.get(queue) ?? 0) + room);
    return idle;
  }

  stopWaiting(queue: string, pilotId: number): void {
    this.waiting.get(queue)?.delete(pilotId);
    this.waitingWithRoom.delete(pilotId);
  }

  /**
   * Whether a report of the pilot must wake its long-poll to take jobs with the room the report freed. Not
   * when it waits here with room already: the queue had nothing for it, and new jobs wake it through the
   * queue (retries too), so waking it would only have it look again at an empty queue. Otherwise (it waits
   * full, on another replica, or between two long-polls) it must look.
   */
  wakeOnReport(pilotId: number): boolean {
    return !this.waitingWithRoom.has(pilotId);
  }

  /** Puts handed-off jobs in their pilots' outboxes and wakes the pilots; returns how many jobs that was. */
  deliver(handed: Claims): number {
    let n = 0;
    for (const [pilotId, jobs] of handed) {
      const box = this.outbox.get(pilotId);
      if (box) box.push(...jobs);
      else this.outbox.set(pilotId, jobs);
      n += jobs.length;
      this.ctx.events.pilotWoken(pilotId);
    }
    return n;
  }

  takeOutbox(pilotId: number): DispatchedJob[] {
    const jobs = this.outbox.get(pilotId) ?? [];
    this.outbox.delete(pilotId);
    return jobs;
  }

  /** The pilot ended or was lost: nothing is kept for it. */
  forget(pilotId: number): void {
    this.outbox.delete(pilotId);
    this.waitingWithRoom.delete(pilotId);
    this.warmth.forget(pilotId);
    for (const pilots of this.waiting.values()) pilots.delete(pilotId);
  }

  /**
   * A workflow or task of this context started on the queue: its pilots are told to warm executors for it
   * (the long-polling ones at once, the others with their next request), so that they are ready when its
   * jobs come rather than started one by one as they arrive. Only pilots that ask this server replica.
   */
  warm(queue: string, command: WarmCommand): void {
    if (this.ctx.config.warmKeepMs <= 0 || !this.warmth.started(queue, command)) return;
    for (const pilotId of this.waiting.get(queue)?.keys() ?? []) this.ctx.events.pilotWoken(pilotId);
  }

  /** The bundle and project archive of the context this replica told the pilot to warm last. */
  codeToWarm(pilotId: number): readonly string[] {
    return this.warmth.codeToldTo(pilotId);
  }

  warmCommands(pilotId: number, queue: string): PilotCommand[] {
    const warm = this.warmth.next(pilotId, queue);
    return warm ? [warm] : [];
  }
}
