import type { Acquire, AcquireResponse } from "../api/pilots.js";
import { attemptKey } from "../core/attempt-key.js";
import type { DispatchedJob, PilotCommand } from "../core/dispatch-records.js";
import { handOut } from "../core/hand-out.js";
import type { AccessGuard } from "./access-guard.js";
import type { ServerContext } from "./context.js";
import { Topics } from "./events.js";
import type { FullPilots } from "./full-pilots.js";
import type { HeldReads } from "./held-reads.js";
import { handedOver } from "./handed-over.js";
import type { PilotRow } from "./live-pilots.js";
import type { QueueClaims } from "./queue-claims.js";
import type { PilotHandoff, WaitingDemand } from "./pilot-handoff.js";

export interface AcquirePollDeps {
  guard: AccessGuard;
  handoff: PilotHandoff;
  full: FullPilots;
  held: HeldReads;
  claims: QueueClaims;
}

/** One look at a pilot's holdings and its queue: the jobs it gets now, the commands for it. */
interface Look {
  jobs: DispatchedJob[];
  commands: PilotCommand[];
  /** Results the pilot published through the broker that the server has recorded already. */
  recorded: Array<[number, number]>;
  /** Attempts it runs, as the server counts them, before these jobs. */
  running: number;
}

/**
 * A pilot's acquire long-poll: claims jobs for it, as many as its capacity minus the attempts it holds, and
 * waits up to waitMs for jobs or commands. A pilot keeps one such request open: it is woken when its queue
 * gets jobs while it has room (a full one hears none: each woken pilot costs a read) and when its reports
 * free room. A pilot that an answer left full asks again at once: it waits without a read (FullPilots).
 */
export class AcquirePoll {
  constructor(
    private readonly ctx: ServerContext,
    private readonly deps: AcquirePollDeps,
  ) {}

  async run(pilot: PilotRow, req: Acquire, signal?: AbortSignal): Promise<AcquireResponse> {
    const { config, events, metrics } = this.ctx;
    const { handoff, full } = this.deps;
    const pilotId = pilot.id;
    const deadline = Date.now() + Math.min(req.waitMs, config.maxWaitMs);
    const queueTopic = Topics.queue(pilot.queue);
    const demand: WaitingDemand = {
      capacity: req.capacity,
      slots: pilot.slots,
      drivers: req.drivers,
      prefetchNamed: req.prefetch !== undefined,
      prefetch: req.prefetch ?? [],
    };
    // Results published but not yet read from the broker change the count: then it is read.
    const countable = req.published.length === 0;
    const sub = events.subscribe([queueTopic, Topics.pilot(pilotId)]);
    try {
      // Subscribed first: a wake-up after the kept count was checked is heard by this long-poll.
      let known = countable ? await full.take(pilotId, demand) : undefined;
      for (;;) {
        sub.hear(queueTopic, true);
        // Jobs already claimed for this pilot go out at once; commands come with its next request.
        const handed = handoff.takeOutbox(pilotId);
        if (handed.length > 0) {
          return handedOver({ jobs: await this.withDriverTokens(handed), commands: handoff.warmCommands(pilotId, pilot.queue), recorded: [] }, pilot.queue, metrics);
        }
        // Only a count read after `since` began listening is kept for the pilot's next request.
        const since = known === undefined && countable ? full.watch(pilotId) : undefined;
        let look: Look;
        try {
          look = known === undefined ? await this.look(pilot, req, demand) : { jobs: [], commands: handoff.warmCommands(pilotId, pilot.queue), recorded: [], running: known };
        } catch (err) {
          // A read that failed (the database busy, say) leaves no listener behind.
          since?.close();
          throw err;
        }
        known = undefined;
        const { jobs, commands, recorded, running } = look;
        if (jobs.length > 0 || commands.length > 0) {
          if (since) full.answered(pilotId, demand, running + jobs.length, since);
          return handedOver({ jobs, commands, recorded }, pilot.queue, metrics);
        }
        since?.close();
        const left = deadline - Date.now();
        if (left <= 0) return handedOver({ jobs, commands, recorded }, pilot.queue, metrics);
        const room = handOut(demand, running);
        sub.hear(queueTopic, room.any + room.prefetch > 0);
        handoff.startWaiting(pilot.queue, pilotId, demand, room.any);
        const woken = await sub.wait(left, signal);
        handoff.stopWaiting(pilot.queue, pilotId);
        if (!woken) {
          return handedOver({ jobs: signal?.aborted ? [] : await this.withDriverTokens(handoff.takeOutbox(pilotId)), commands: [], recorded }, pilot.queue, metrics);
        }
      }
    } finally {
      handoff.stopWaiting(pilot.queue, pilotId);
      sub.close();
    }
  }

  private async look(pilot: PilotRow, req: Acquire, demand: WaitingDemand): Promise<Look> {
    // Published results not yet read from the broker take no room; those recorded go back to the pilot.
    const held = req.published.length === 0 ? { ...(await this.deps.held.countOf(pilot.id)), refs: [] } : await this.deps.held.of(pilot.id);
    const holding = new Set(held.refs.map(attemptKey));
    const recorded = req.published.filter(([job, attempt]) => !holding.has(attemptKey({ jobId: job, attempt })));
    const running = held.count - (req.published.length - recorded.length);
    const jobs = await this.withDriverTokens(await this.claimFor(pilot.id, pilot.queue, demand, running));
    return { jobs, commands: [...this.deps.handoff.warmCommands(pilot.id, pilot.queue), ...held.commands], recorded, running };
  }

  /** Jobs for a pilot that holds `held` attempts, as handOut decides: for its free slots, then its prefetch. */
  private async claimFor(pilotId: number, queue: string, demand: WaitingDemand, held: number): Promise<DispatchedJob[]> {
    const n = handOut(demand, held);
    const any = await this.deps.claims.claim(pilotId, queue, n.any);
    // Fewer than asked for: the queue has no job left of any task.
    if (n.prefetch === 0 || demand.prefetch.length === 0 || any.length < n.any) return any;
    return [...any, ...(await this.ctx.store.dispatch.claim(pilotId, queue, n.prefetch, demand.prefetch))];
  }

  /**
   * Gives each driver job a token that acts for the workflow's owner within that workflow only: the driver's
   * work calls add tasks with it, and it can read or change nothing else. Minted per attempt, revoked when
   * the driver task ends.
   */
  private async withDriverTokens(jobs: DispatchedJob[]): Promise<DispatchedJob[]> {
    for (const job of jobs) {
      if (job.kind !== "driver") continue;
      const owner = await this.deps.guard.ownerOf(job.workflowId);
      if (owner === undefined) continue;
      job.token = await this.ctx.store.auth.createToken(
        owner,
        "workflow",
        `driver of workflow ${job.workflowId}, attempt ${job.attempt}`,
        { workflowId: job.workflowId },
      );
    }
    return jobs;
  }
}
