import { randomBytes } from "node:crypto";
import { ApiError, forbidden, notFound } from "../api/errors.js";
import type { Acquire, AcquireResponse, BrokerSettings, Heartbeat, HeartbeatResponse, RegisterPilot, RegisterPilotResponse, Report, ReportResponse } from "../api/pilots.js";
import type { ErrorInfo } from "../core/errors.js";
import { checkHeartbeat, lostIfSentBefore } from "../core/heartbeat-check.js";
import { hopFinals } from "../core/hop-trace.js";
import { lostBefore } from "../core/pilot-loss.js";
import type { AttemptRef, AttemptUpdate, ResultVia } from "../core/dispatch-records.js";
import type { Principal } from "../store/auth-store.js";
import type { ApplyResult } from "../store/dispatch-store.js";
import type { AccessGuard } from "./access-guard.js";
import { AcquirePoll } from "./acquire-poll.js";
import type { ServerContext } from "./context.js";
import type { FullPilots } from "./full-pilots.js";
import type { HeldReads } from "./held-reads.js";
import type { QueueClaims } from "./queue-claims.js";
import { LivePilots, type PilotRow } from "./live-pilots.js";
import { boundUpdate } from "./payload-limits.js";
import type { PilotHandoff } from "./pilot-handoff.js";
import type { PilotHeartbeats } from "./pilot-heartbeats.js";
import type { PilotKeys } from "./pilot-keys.js";
import type { QueueService } from "./queue-service.js";
import type { ReportRecorder } from "./report-recorder.js";
import type { WorkflowEnds } from "./workflow-ends.js";

/** The siblings dispatch works with, named by the composition root. */
export interface DispatchDeps {
  guard: AccessGuard;
  queues: QueueService;
  handoff: PilotHandoff;
  /** What the pilots that an answer left full held then. */
  full: FullPilots;
  /** Reads what pilots hold, those asked for together in one statement. */
  held: HeldReads;
  /** Claims a queue's jobs for acquiring pilots, those that came together in one statement. */
  claims: QueueClaims;
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
 * pilots that ended or were lost. The rows of running pilots, which every acquire, report and heartbeat
 * reads, are kept (LivePilots).
 */
export class DispatchService {
  private readonly live: LivePilots;
  private readonly poll: AcquirePoll;

  constructor(
    private readonly ctx: ServerContext,
    private readonly deps: DispatchDeps,
  ) {
    this.live = new LivePilots(ctx.store);
    this.poll = new AcquirePoll(ctx, deps);
  }

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
    const pilot = await this.live.get(pilotId);
    if (!pilot) throw notFound("pilot", pilotId);
    if (pilot.status !== "running") {
      throw new ApiError(
        409,
        "pilot_ended",
        `pilot ${pilotId} is ${pilot.status}; its jobs were given to other pilots. Register again to get new jobs`,
      );
    }
    return pilot;
  }

  /** A pilot's acquire long-poll (AcquirePoll). */
  async acquire(p: Principal, pilotId: number, req: Acquire, signal?: AbortSignal): Promise<AcquireResponse> {
    return this.poll.run(await this.livePilot(p, pilotId), req, signal);
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
    if (result.accepted > 0) {
      this.deps.full.forget(pilotId);
      if (this.deps.handoff.wakeOnReport(pilotId)) this.ctx.events.pilotWoken(pilotId);
    }
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
    const { config, log } = this.ctx;
    this.deps.heartbeats.heard(pilotId, await this.deps.queues.heartbeatTimeoutOf(pilot.queue));
    const check = checkHeartbeat(await this.deps.held.of(pilotId), req.held, lostIfSentBefore(Date.now(), config.dispatchGraceMs, req.asOf));
    if (check.missing.length > 0) {
      this.deps.full.forget(pilotId);
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
    this.live.forget(pilotId);
    this.deps.keys.forget(pilotId);
    this.deps.handoff.forget(pilotId);
    this.deps.heartbeats.forget(pilotId);
    this.deps.full.forget(pilotId);
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

  /**
   * One pass of the lost-heartbeat timer, after this server's heartbeats are written; first, the pilots other
   * replicas ended lately are forgotten here.
   */
  async sweepLostPilots(): Promise<number> {
    for (const id of await this.live.endedLately()) this.forgetPilot(id);
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
