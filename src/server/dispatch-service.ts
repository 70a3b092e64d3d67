import { randomBytes } from "node:crypto";
import { ApiError, forbidden, notFound } from "../api/errors.js";
import type { Acquire, AcquireResponse, BrokerSettings, Heartbeat, HeartbeatResponse, RegisterPilot, RegisterPilotResponse, Report, ReportResponse } from "../api/pilots.js";
import { attemptKey } from "../core/attempt-key.js";
import type { ErrorInfo } from "../core/errors.js";
import { handOut } from "../core/hand-out.js";
import { checkHeartbeat, lostIfSentBefore } from "../core/heartbeat-check.js";
import { hopFinals } from "../core/hop-trace.js";
import { lostBefore } from "../core/pilot-loss.js";
import type { AttemptRef, AttemptUpdate, DispatchedJob, ResultVia } from "../core/dispatch-records.js";
import type { Principal } from "../store/auth-store.js";
import type { ApplyResult } from "../store/dispatch-store.js";
import type { Store } from "../store/store.js";
import type { AccessGuard } from "./access-guard.js";
import type { ServerContext } from "./context.js";
import { Topics } from "./events.js";
import { handedOver } from "./handed-over.js";
import { boundUpdate } from "./payload-limits.js";
import type { PilotHandoff, WaitingDemand } from "./pilot-handoff.js";
import type { PilotHeartbeats } from "./pilot-heartbeats.js";
import type { PilotKeys } from "./pilot-keys.js";
import type { QueueService } from "./queue-service.js";
import type { ReportRecorder } from "./report-recorder.js";
import type { WorkflowEnds } from "./workflow-ends.js";

const PILOT_CACHE_MS = 1_000;

type PilotRow = NonNullable<Awaited<ReturnType<Store["pilots"]["get"]>>>;

/** The siblings dispatch works with, named by the composition root. */
export interface DispatchDeps {
  guard: AccessGuard;
  queues: QueueService;
  handoff: PilotHandoff;
  /** Proves that a request acts as the pilot it names. */
  keys: PilotKeys;
  heartbeats: PilotHeartbeats;
  /** Records reports, those that waited for a turn together (config.maxConcurrentReports transactions at once). */
  reports: ReportRecorder;
  ends: WorkflowEnds;
  /** The broker settings a registering pilot is told (the pilots' account). */
  pilotBroker: () => BrokerSettings | null;
}

/**
 * The pilots' side: registration, the acquire long-poll, reports, heartbeats, exits, and the attempts of
 * pilots that ended or were lost. Pilot rows read on every acquire and report are cached; a pilot's end is
 * applied to the cache at once.
 */
export class DispatchService {
  private readonly pilotCache = new Map<number, { pilot: PilotRow; until: number }>();

  constructor(
    private readonly ctx: ServerContext,
    private readonly deps: DispatchDeps,
  ) {}

  async registerPilot(p: Principal, req: RegisterPilot): Promise<RegisterPilotResponse> {
    const { store, config } = this.ctx;
    this.deps.guard.requirePilotRole(p);
    await this.deps.queues.requireQueue(req.queue);
    if (p.site !== null) await this.requireSiteQueue(p.site, req.queue, req.worker);
    // The pilot's own key for its broker reports: told to it alone, over its authenticated request.
    const reportKey = randomBytes(32).toString("hex");
    const id = await store.pilots.register({ ...req, reportKey });
    if (req.worker !== undefined) await store.workers.registered(req.worker);
    const heartbeatTimeoutMs = await this.deps.queues.heartbeatTimeoutOf(req.queue);
    return {
      id,
      // Several heartbeats fit in the timeout, whatever the queue's timeout is.
      heartbeatIntervalMs: Math.min(config.heartbeatIntervalMs, Math.max(50, Math.floor(heartbeatTimeoutMs / 4))),
      heartbeatTimeoutMs,
      maxPayloadBytes: config.maxPayloadBytes,
      maxLogChars: config.maxLogChars,
      broker: this.deps.pilotBroker(),
      reportKey,
    };
  }

  /** A site's pilot token serves that site's queues, as that site's workers, only. */
  private async requireSiteQueue(site: string, queue: string, worker: number | undefined): Promise<void> {
    if ((await this.deps.queues.record(queue))?.site !== site) {
      throw forbidden(`this pilot token is site '${site}''s: its pilots serve only that site's queues (${site}/…), not '${queue}'`);
    }
    if (worker !== undefined && (await this.ctx.store.workers.get(worker))?.site !== site) {
      throw forbidden(`worker ${worker} is not one of site '${site}''s; a site's pilots register as its own workers only`);
    }
  }

  private async livePilot(p: Principal, pilotId: number): Promise<PilotRow> {
    await this.deps.keys.requireSelf(p, pilotId);
    const now = Date.now();
    const cached = this.pilotCache.get(pilotId);
    const pilot = cached && cached.until > now ? cached.pilot : await this.ctx.store.pilots.get(pilotId);
    if (!pilot) throw notFound("pilot", pilotId);
    if (pilot !== cached?.pilot) this.pilotCache.set(pilotId, { pilot, until: now + PILOT_CACHE_MS });
    if (pilot.status !== "running") {
      throw new ApiError(
        409,
        "pilot_ended",
        `pilot ${pilotId} is ${pilot.status}; its jobs were given to other pilots. Register again to get new jobs`,
      );
    }
    return pilot;
  }

  /**
   * Claims jobs for a pilot, as many as its capacity minus the attempts it holds, and waits up to waitMs for
   * jobs or commands (long-poll). A pilot keeps one such request open: it is woken when its queue gets jobs
   * while it has room (a full one hears none: each woken pilot costs a read) and when its reports free room.
   */
  async acquire(p: Principal, pilotId: number, req: Acquire, signal?: AbortSignal): Promise<AcquireResponse> {
    const { store, config, events } = this.ctx;
    const { handoff } = this.deps;
    const pilot = await this.livePilot(p, pilotId);
    const deadline = Date.now() + Math.min(req.waitMs, config.maxWaitMs);
    const queueTopic = Topics.queue(pilot.queue);
    const sub = events.subscribe([queueTopic, Topics.pilot(pilotId)]);
    try {
      for (;;) {
        sub.hear(queueTopic, true);
        // Jobs already claimed for this pilot go out at once; commands come with its next request.
        const handed = handoff.takeOutbox(pilotId);
        if (handed.length > 0) {
          return handedOver({ jobs: await this.withDriverTokens(handed), commands: handoff.warmCommands(pilotId, pilot.queue), recorded: [] }, pilot.queue, this.ctx.metrics);
        }
        // Published results not yet read from the broker take no room; those recorded go back to the pilot.
        const held = req.published.length === 0 ? { ...(await store.dispatch.heldCount(pilotId)), refs: [] } : await store.dispatch.held(pilotId);
        const holding = new Set(held.refs.map(attemptKey));
        const recorded = req.published.filter(([job, attempt]) => !holding.has(attemptKey({ jobId: job, attempt })));
        const running = held.count - (req.published.length - recorded.length);
        const demand: WaitingDemand = {
          capacity: req.capacity,
          slots: pilot.slots,
          drivers: req.drivers,
          prefetchNamed: req.prefetch !== undefined,
          prefetch: req.prefetch ?? [],
        };
        const jobs = await this.withDriverTokens(await this.claimFor(pilotId, pilot.queue, demand, running));
        const commands = [...handoff.warmCommands(pilotId, pilot.queue), ...held.commands];
        if (jobs.length > 0 || commands.length > 0) return handedOver({ jobs, commands, recorded }, pilot.queue, this.ctx.metrics);
        const left = deadline - Date.now();
        if (left <= 0) return handedOver({ jobs, commands, recorded }, pilot.queue, this.ctx.metrics);
        const room = handOut(demand, running);
        sub.hear(queueTopic, room.any + room.prefetch > 0);
        handoff.startWaiting(pilot.queue, pilotId, demand, room.any);
        const woken = await sub.wait(left, signal);
        handoff.stopWaiting(pilot.queue, pilotId);
        if (!woken) {
          return handedOver({ jobs: signal?.aborted ? [] : await this.withDriverTokens(handoff.takeOutbox(pilotId)), commands: [], recorded }, pilot.queue, this.ctx.metrics);
        }
      }
    } finally {
      handoff.stopWaiting(pilot.queue, pilotId);
      sub.close();
    }
  }

  /** Jobs for a pilot that holds `held` attempts, as handOut decides: for its free slots, then its prefetch. */
  private async claimFor(pilotId: number, queue: string, demand: WaitingDemand, held: number): Promise<DispatchedJob[]> {
    const n = handOut(demand, held);
    const any = await this.ctx.store.dispatch.claim(pilotId, queue, n.any);
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

  async report(p: Principal, pilotId: number, req: Report): Promise<ReportResponse> {
    hopFinals("server.report_received", req.updates);
    await this.livePilot(p, pilotId);
    const result = await this.apply(pilotId, req.updates, "rest");
    return { accepted: result.accepted, ignored: result.ignored };
  }

  /**
   * Records a pilot's attempt reports about one task that came through the broker, signed with the pilot's
   * key. Updates of attempts the pilot does not hold, or of another task's jobs, are dropped and counted.
   */
  async applyBrokerReports(pilotId: number, taskId: number, updates: AttemptUpdate[]): Promise<void> {
    hopFinals("server.report_received", updates);
    await this.apply(pilotId, updates, "broker", taskId);
  }

  /**
   * Records a pilot's reports, wakes the waiters of what they changed, counts the results by path. The
   * pilot's own long-poll takes its next jobs now that it has room (if it waited for room); results go out first.
   */
  private async apply(pilotId: number, updates: readonly AttemptUpdate[], via: "rest" | "broker", taskId?: number): Promise<ApplyResult> {
    const bounded = updates.map((u) => boundUpdate(this.ctx.config, u));
    const result = await this.deps.reports.apply(pilotId, bounded, via, taskId);
    hopFinals("server.applied", updates);
    if (result.refused.length > 0) {
      for (const r of result.refused) this.ctx.metrics.updatesRefused(via, r.reason);
      this.ctx.log.warn(
        { pilotId, taskId, via, refused: result.refused.slice(0, 20), count: result.refused.length },
        "dropped updates of attempts the reporting pilot does not hold",
      );
    }
    this.afterApply(result, via);
    if (result.accepted > 0 && this.deps.handoff.wakeOnReport(pilotId)) this.ctx.events.pilotWoken(pilotId);
    return result;
  }

  private afterApply(result: ApplyResult, via: ResultVia): void {
    this.ctx.events.tasksChanged(result.tasks, { queues: result.requeued });
    for (const t of result.tasks) {
      for (const [outcome, n] of Object.entries(t.outcomes ?? {})) this.ctx.metrics.result(outcome, via, n);
    }
    this.deps.ends.tasksEnded(result.tasks);
  }

  /** Heard now (written with the others in a moment); one read of what it holds checks and answers it. */
  async heartbeat(p: Principal, pilotId: number, req: Heartbeat): Promise<HeartbeatResponse> {
    const pilot = await this.livePilot(p, pilotId);
    const { store, config, log } = this.ctx;
    this.deps.heartbeats.heard(pilotId, await this.deps.queues.heartbeatTimeoutOf(pilot.queue));
    const check = checkHeartbeat(await store.dispatch.held(pilotId), req.held, lostIfSentBefore(Date.now(), config.dispatchGraceMs, req.asOf));
    if (check.missing.length > 0) {
      log.warn({ pilotId, missing: check.missing.length }, "pilot does not hold jobs sent to it; retrying them");
      await this.failAttempts(check.missing, { code: "lost_dispatch", message: `pilot ${pilotId} never received the job or dropped it` });
    }
    return { commands: check.commands, held: check.held };
  }

  /** A provisioned pilot's batch job ended under it: whatever it held is retried elsewhere at once. */
  async pilotGone(pilotId: number, reason: string): Promise<void> {
    const { ended, held } = await this.ctx.store.pilots.end(pilotId);
    this.forgetPilot(pilotId);
    if (ended) this.ctx.metrics.pilotsEnded("gone", 1);
    await this.failAttempts(held, { code: "pilot_gone", message: reason });
  }

  async endPilot(p: Principal, pilotId: number): Promise<void> {
    await this.deps.keys.requireSelf(p, pilotId);
    const { ended, held } = await this.ctx.store.pilots.end(pilotId);
    this.forgetPilot(pilotId);
    if (ended) this.ctx.metrics.pilotsEnded("exited", 1);
    await this.failAttempts(held, { code: "pilot_exited", message: `pilot ${pilotId} exited while holding the job` });
  }

  private forgetPilot(pilotId: number): void {
    this.pilotCache.delete(pilotId);
    this.deps.keys.forget(pilotId);
    this.deps.handoff.forget(pilotId);
    this.deps.heartbeats.forget(pilotId);
  }

  /** Fails attempts on behalf of the server (lost pilots): their jobs are retried or fail. */
  private async failAttempts(attempts: readonly AttemptRef[], error: ErrorInfo): Promise<void> {
    if (attempts.length === 0) return;
    const now = Date.now();
    const result = await this.ctx.store.dispatch.apply(
      null,
      attempts.map((a) => ({ ...a, state: "failed", endedAt: now, error })),
      "server",
    );
    this.afterApply(result, "server");
  }

  /** One pass of the lost-heartbeat timer, after this server's heartbeats are written. */
  async sweepLostPilots(): Promise<number> {
    await this.deps.heartbeats.flush();
    const now = Date.now();
    const upSince = this.ctx.heardSince.at(now);
    const own = new Map<string, number>();
    for (const q of await this.deps.queues.records()) {
      if (q.definition.heartbeatTimeout !== undefined) own.set(q.definition.name, lostBefore(now, q.definition.heartbeatTimeout, upSince));
    }
    const { pilots, attempts } = await this.ctx.store.pilots.sweepLost(lostBefore(now, this.ctx.config.heartbeatTimeoutMs, upSince), own);
    if (pilots.length === 0) return 0;
    for (const id of pilots) this.forgetPilot(id);
    this.ctx.metrics.pilotsEnded("lost", pilots.length);
    this.ctx.log.warn({ pilotIds: pilots, attempts: attempts.length }, "pilots lost (no heartbeat); retrying their jobs");
    await this.failAttempts(attempts, {
      code: "lost_heartbeat",
      message: "the pilot sent no heartbeat within its queue's heartbeat timeout",
    });
    return pilots.length;
  }
}
