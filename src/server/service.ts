import { createHash, randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { formatBytes } from "../codec/limits.js";
import type { ErrorInfo } from "../core/errors.js";
import type {
  AcquireResponse,
  AttemptRef,
  AttemptUpdate,
  BrokerSettings,
  DispatchedJob,
  HeartbeatResponse,
  PilotCommand,
  RegisterPilotResponse,
  ReportResponse,
  ResultVia,
} from "../core/protocol.js";
import type { Acquire, Heartbeat, RegisterPilot, Report } from "../api/pilots.js";
import type { QueueStatusChange, QueueView, WorkerView } from "../api/queues.js";
import type { ResultsQuery, TaskResultsResponse } from "../api/results.js";
import type { JobView, SubmitTask, SubmitTaskResponse, TaskView } from "../api/tasks.js";
import type { CreateToken, CreateTokenResponse } from "../api/tokens.js";
import type {
  CloseWorkflow,
  CreateWorkflow,
  CreateWorkflowResponse,
  DriverHeartbeat,
  DriverHeartbeatResponse,
  PutStep,
  ResumeWorkflow,
  StepRecord,
  SuspendWorkflow,
  WorkflowQuery,
  WorkflowView,
} from "../api/workflows.js";
import { callHash } from "../core/call-hash.js";
import { pendingSummary, taskPendingReason, type QueuePilots } from "../core/pending-reason.js";
import { FINAL_TASK_STATUSES, FINAL_WORKFLOW_STATUSES } from "../core/states.js";
import {
  resumeHint,
  resumeRefusal,
  retryRefusal,
  submissionRefusal,
  suspendRefusal,
} from "../core/workflow-lifecycle.js";
import { toSettings, type BrokerConfig } from "../bus/broker-config.js";
import { ServerBridge } from "../bus/server-bridge.js";
import { brokerTask, type Brokered, type TaskNeeds } from "../core/brokerage.js";
import { brokerView, type QueueRecord } from "../store/queue-store.js";
import type { Principal } from "../store/auth-store.js";
import type { ApplyResult, Claims, WaitingPilot } from "../store/dispatch-store.js";
import type { Store } from "../store/store.js";
import type { TaskChange } from "../store/task-store.js";
import type { DriverRecord } from "../store/workflow-store.js";
import { ApiError, conflict, forbidden, notFound } from "../api/errors.js";
import { pathOf, ROUTES } from "../api/routes.js";
import type { ServerConfig } from "./config.js";
import { Metrics } from "./metrics.js";
import type { Notifier } from "./notifier.js";
import { Warmth, type WarmCommand } from "./warmth.js";
import { handOut, type Demand } from "../core/hand-out.js";

const TOKEN_CACHE_MS = 5_000;
/** Notified when any workflow is created, changes status or gets a task. */
export const WORKFLOWS_TOPIC = "workflows";
/** Notified when tokens were revoked. */
const TOKENS_REVOKED_TOPIC = "tokens";
/** Notified when jobs of any task reach a final state. */
export const PROGRESS_TOPIC = "progress";
const PILOT_CACHE_MS = 1_000;
const QUEUE_CACHE_MS = 1_000;
const QUEUE_PILOTS_CACHE_MS = 1_000;

type PilotRow = NonNullable<Awaited<ReturnType<Store["dispatch"]["pilot"]>>>;

/** What a long-polling pilot asked for, and the tasks it may hold more jobs of than it has free slots. */
interface WaitingDemand extends Demand {
  prefetch: readonly number[];
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function byteLength(text: string, limit: number): number {
  // Only measure exactly when the text could be over the limit (3 bytes per UTF-16 unit at most).
  return text.length * 3 <= limit ? text.length : Buffer.byteLength(text);
}

/**
 * Everything the server does, with authorisation, independent of HTTP: the routes are thin adapters over
 * it, and the embedded server's own driver calls it directly.
 */
export class Service {
  private readonly tokenCache = new Map<string, { principal: Principal | undefined; until: number }>();
  private readonly metrics = new Metrics();
  private bridge: ServerBridge | undefined;
  /** Long-polling pilots by queue, with what they asked for: new work is handed to them directly. */
  private readonly waiting = new Map<string, Map<number, WaitingDemand>>();
  /** Execution contexts started lately on each queue, for pilots to warm executors of (PilotCommand "warm"). */
  private readonly warmth: Warmth;
  /** Jobs claimed for a pilot and not yet returned to it. */
  private readonly outbox = new Map<number, DispatchedJob[]>();
  /** Immutable facts read on every request, kept in memory. */
  private readonly owners = new Map<number, number>();
  private readonly bundles = new Set<string>();
  private queues: { records: QueueRecord[]; until: number } | undefined;
  private load: { byQueue: Map<string, { queued: number; running: number }>; until: number } | undefined;
  private pilotsByQueue: { byQueue: Map<string, QueuePilots>; until: number } | undefined;
  /** Pilot rows read on every acquire and report; a pilot's end is applied here at once. */
  private readonly pilotCache = new Map<number, { pilot: PilotRow; until: number }>();
  private readonly startedAt = Date.now();

  constructor(
    readonly store: Store,
    readonly config: ServerConfig,
    readonly notifier: Notifier,
    readonly log: Logger,
  ) {
    this.warmth = new Warmth({ keepMs: config.warmKeepMs, perQueue: config.warmContextsPerQueue });
    void this.forgetRevokedTokens();
  }

  /**
   * Tokens are cached for a few seconds; a revocation on any replica reaches every replica's cache through
   * this topic (relayed like every wake-up), so a revoked token stops working everywhere at once.
   */
  private async forgetRevokedTokens(): Promise<void> {
    const sub = this.notifier.subscribe([TOKENS_REVOKED_TOPIC]);
    try {
      while (!this.notifier.stopped) {
        if (await sub.wait(60_000)) this.tokenCache.clear();
      }
    } finally {
      sub.close();
    }
  }

  /** Ends every long-poll at once, so that the server can close without waiting for them. */
  async stop(): Promise<void> {
    this.notifier.stop();
    await this.bridge?.stop();
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const now = Date.now();
    const cached = this.tokenCache.get(token);
    if (cached && cached.until > now) return cached.principal;
    const principal = await this.store.auth.principalForToken(token);
    if (this.tokenCache.size > 10_000) this.tokenCache.clear();
    this.tokenCache.set(token, { principal, until: now + TOKEN_CACHE_MS });
    return principal;
  }

  /** Tokens were revoked: every replica asks the database again on the next request. */
  forgetTokens(): void {
    this.tokenCache.clear();
    this.notifier.notify(TOKENS_REVOKED_TOPIC);
  }

  // ---- access rules -------------------------------------------------------------------------------

  /** A workflow's owner never changes, so it is read once. */
  private async ownerOf(workflowId: number): Promise<number | undefined> {
    const cached = this.owners.get(workflowId);
    if (cached !== undefined) return cached;
    const owner = await this.store.workflows.ownerOf(workflowId);
    if (owner !== undefined) {
      if (this.owners.size >= 100_000) this.owners.clear();
      this.owners.set(workflowId, owner);
    }
    return owner;
  }

  async authorizeWorkflow(p: Principal, workflowId: number): Promise<void> {
    const owner = await this.ownerOf(workflowId);
    if (owner === undefined) throw notFound("workflow", workflowId);
    if (p.kind === "pilot") throw forbidden("a pilot token cannot act on workflows; use a user token");
    if (p.workflowId !== null && p.workflowId !== workflowId) {
      throw forbidden(`this token is scoped to workflow ${p.workflowId} and cannot access workflow ${workflowId}`);
    }
    if (!p.admin && owner !== p.userId) {
      throw forbidden(`workflow ${workflowId} belongs to another user; only its owner or an administrator may access it`);
    }
  }

  async authorizeTask(p: Principal, taskId: number): Promise<number> {
    const info = await this.store.tasks.info(taskId);
    if (!info) throw notFound("task", taskId);
    await this.authorizeWorkflow(p, info.workflowId);
    return info.workflowId;
  }

  private requirePilotRole(p: Principal): void {
    if (p.kind !== "pilot" && !p.admin) {
      throw forbidden("only pilot tokens (or administrators) may act as pilots");
    }
  }

  private checkPayload(text: string, what: string): void {
    const limit = this.config.maxPayloadBytes;
    const size = byteLength(text, limit);
    if (size > limit) {
      throw new ApiError(
        413,
        "payload_too_large",
        `${what} is ${formatBytes(size)}, over the ${formatBytes(limit)} payload limit (maxPayloadBytes); ` +
          "pass large data by reference (a file path or URL) instead",
      );
    }
  }

  // ---- wake-ups -----------------------------------------------------------------------------------

  private wake(tasks: readonly TaskChange[], queues: readonly string[] = [], pilots: readonly number[] = []): void {
    for (const t of tasks) {
      this.notifier.notify(`task:${t.taskId}`);
      if (t.ended) this.workflowChanged(t.workflowId);
    }
    // The monitor's live listings follow every change, throttled on their side.
    if (tasks.length > 0) this.notifier.notify(PROGRESS_TOPIC);
    for (const q of queues) this.notifier.notify(`queue:${q}`);
    for (const p of pilots) this.notifier.notify(`pilot:${p}`);
  }

  /** Wakes the waiters of what a batch of reports changed, counts the results by path, relays them. */
  private afterApply(result: ApplyResult, via: ResultVia): void {
    this.wake(result.tasks, result.requeued);
    const finals = result.tasks.reduce((n, t) => n + t.seqTo - t.seqFrom, 0);
    if (finals > 0) this.metrics.count(`results_via_${via}`, finals);
    this.relay(result.tasks);
    for (const t of result.tasks) {
      if (!t.ended) continue;
      void this.driverEnded(t).catch((err: unknown) => this.log.error({ err, task: t.taskId }, "closing after the driver ended failed"));
    }
    this.settleConcurrentClose(result.tasks.filter((t) => t.ended).map((t) => t.workflowId));
  }

  /**
   * On PostgreSQL, a workflow's close and the end of its last task may commit concurrently without seeing
   * each other (SQLite runs them one after the other): both re-derive the status afterwards.
   */
  private settleConcurrentClose(workflowIds: readonly number[]): void {
    if (workflowIds.length === 0) return;
    void this.store.workflows
      .settleConcurrentCloses(workflowIds)
      .then((settled) => {
        if (settled) for (const id of new Set(workflowIds)) this.workflowChanged(id);
      })
      .catch((err: unknown) => this.log.error({ err }, "re-deriving workflow statuses failed"));
  }

  /**
   * A remote workflow's driver task ended. Its body closes the workflow before its job ends; if the job
   * ended without that (it failed on every attempt, or was cancelled), the workflow is closed as failed
   * with the driver's error. Either way the driver's workflow tokens are revoked: nobody needs them now.
   */
  private async driverEnded(change: TaskChange): Promise<void> {
    const info = await this.store.tasks.info(change.taskId);
    if (info?.kind !== "driver") return;
    const [outcome] = await this.store.tasks.results(change.taskId, 0, 1);
    const closed = await this.store.workflows.close(change.workflowId, {
      body: "threw",
      result: null,
      error: {
        name: "DriverFailed",
        message: `the workflow's driver ${outcome?.state ?? change.status}: ${outcome?.error?.message ?? "no error recorded"}`,
      },
      keep: [],
    });
    if (closed) this.afterClose(change.workflowId, closed);
    await this.store.auth.revokeWorkflowTokens(change.workflowId);
    this.forgetTokens();
  }

  /** A workflow's status or task list changed: its waiters and the monitor's listings look again. */
  private workflowChanged(workflowId: number): void {
    this.notifier.notify(`workflow:${workflowId}`);
    this.notifier.notify(WORKFLOWS_TOPIC);
  }

  private afterClose(workflowId: number, change: { tasks: TaskChange[]; pilots: number[] }): void {
    this.wake(change.tasks, [], change.pilots);
    this.relay(change.tasks);
    this.workflowChanged(workflowId);
    this.settleConcurrentClose([workflowId]);
  }

  /**
   * Publishes to the broker the final states drivers cannot have had from pilots directly: everything but
   * the successes pilots published themselves. Off the request path; a driver that misses them reads REST.
   */
  private relay(changes: readonly TaskChange[]): void {
    const bridge = this.bridge;
    if (!bridge?.connected) return;
    for (const c of changes) {
      if (c.seqTo <= c.seqFrom) continue;
      void this.store.tasks
        .results(c.taskId, c.seqFrom, c.seqTo - c.seqFrom)
        .then((outcomes) => bridge.relay(c.taskId, outcomes.filter((o) => !(o.via === "broker" && o.state === "finished"))))
        .then((sent) => sent && this.metrics.count("results_relayed_messages"))
        .catch((err: unknown) => this.log.warn({ err, task: c.taskId }, "relaying results failed"));
    }
  }

  // ---- broker -------------------------------------------------------------------------------------

  /** Connects the server to its broker: pilots' reports come in through it, final results go out. */
  async useBroker(config: BrokerConfig, connectWaitMs: number): Promise<void> {
    this.bridge = new ServerBridge(
      config,
      {
        taskChannel: async (taskId) => {
          const info = await this.store.tasks.info(taskId);
          return info?.channel && info.resultKey
            ? { channel: info.channel, key: info.resultKey, workflowId: info.workflowId }
            : undefined;
        },
        applyReports: async (pilotId, updates) => {
          const result = await this.store.dispatch.apply(pilotId, updates.map((u) => this.boundUpdate(u)), "broker");
          this.afterApply(result, "broker");
          if (result.accepted > 0) this.notifier.notify(`pilot:${pilotId}`);
        },
        count: (metric, by) => this.metrics.count(metric, by),
      },
      this.log,
    );
    await this.bridge.start(connectWaitMs);
  }

  brokerStatus(): { connected: boolean; error: string | undefined } {
    return { connected: this.bridge?.connected ?? false, error: this.bridge?.link.lastError };
  }

  /** The broker settings pilots and drivers use; null when results go over REST only. */
  brokerSettings(_p: Principal): BrokerSettings | null {
    return this.bridge ? toSettings(this.bridge.config) : null;
  }

  metricsSnapshot(_p: Principal): Record<string, number> {
    return this.metrics.snapshot({ broker_connected: this.bridge?.connected ? 1 : 0 });
  }

  // ---- hand-off to waiting pilots -----------------------------------------------------------------

  /**
   * The pilots whose long-poll waits on a queue, with what they asked for: a new task's jobs are claimed for
   * them as it is stored. Claimed jobs wait in the pilot's outbox until its long-poll returns them; a pilot
   * that never comes back has them retried when it is declared lost.
   */
  private waitingOn(queue: string | null): WaitingPilot[] {
    const pilots = queue === null ? undefined : this.waiting.get(queue);
    return pilots ? [...pilots].map(([pilotId, demand]) => ({ pilotId, demand })) : [];
  }

  /** Puts handed-off jobs in their pilots' outboxes and wakes the pilots; returns how many jobs that was. */
  private deliver(handed: Claims): number {
    let n = 0;
    for (const [pilotId, jobs] of handed) {
      const box = this.outbox.get(pilotId);
      if (box) box.push(...jobs);
      else this.outbox.set(pilotId, jobs);
      n += jobs.length;
      this.notifier.notify(`pilot:${pilotId}`);
    }
    return n;
  }

  private takeOutbox(pilotId: number): DispatchedJob[] {
    const jobs = this.outbox.get(pilotId) ?? [];
    this.outbox.delete(pilotId);
    return jobs;
  }

  private forgetPilot(pilotId: number): void {
    this.pilotCache.delete(pilotId);
    this.outbox.delete(pilotId);
    this.warmth.forget(pilotId);
    for (const pilots of this.waiting.values()) pilots.delete(pilotId);
  }

  // ---- tokens -------------------------------------------------------------------------------------

  /**
   * A new token: for the caller, or (administrators) for another user; optionally valid for one workflow
   * only, acting for its owner there and nowhere else.
   */
  async createToken(p: Principal, req: CreateToken): Promise<CreateTokenResponse> {
    if (p.kind !== "user") throw forbidden("only user tokens may create tokens");
    if (req.user !== undefined && req.user !== p.userName && !p.admin) {
      throw forbidden(`only administrators may create tokens for other users (here: '${req.user}')`);
    }
    let userId = p.userId;
    let userName = p.userName;
    if (req.user !== undefined && req.user !== p.userName) {
      userId = await this.store.auth.ensureUser(req.user, "user");
      userName = req.user;
    }
    if (req.workflowId !== undefined) {
      await this.authorizeWorkflow(p, req.workflowId);
      const owner = await this.ownerOf(req.workflowId);
      if (req.user !== undefined && owner !== userId) {
        throw conflict(`workflow ${req.workflowId} does not belong to '${userName}'; a scoped token acts for the workflow's owner`);
      }
      userId = owner!;
    }
    const kind = req.workflowId === undefined ? "user" : "workflow";
    const token = await this.store.auth.createToken(userId, kind, req.name, req.workflowId ?? null);
    return { token, user: userName, workflowId: req.workflowId ?? null };
  }

  // ---- workflows ----------------------------------------------------------------------------------

  async createWorkflow(p: Principal, req: CreateWorkflow): Promise<CreateWorkflowResponse> {
    if (p.kind !== "user") throw forbidden("only user tokens may create workflows");
    const queue = req.queue ?? this.config.defaultQueue;
    await this.requireQueue(queue);
    if (req.args !== undefined) this.checkPayload(req.args, "the workflow's arguments");
    const driverQueue = req.driverQueue ?? queue;
    if (req.mode === "remote") {
      await this.requireBundle(req.bundleHash!);
      await this.requireQueue(driverQueue);
    }
    const seed = req.seed ?? randomBytes(4).readUInt32BE(0);
    const { id, driverTaskId } = await this.store.workflows.create({
      userId: p.userId,
      name: req.name,
      mode: req.mode,
      queue,
      bundleHash: req.bundleHash ?? null,
      nodeVersion: req.nodeVersion ?? null,
      lockfileHash: req.lockfileHash ?? null,
      argsHash: req.args === undefined ? null : sha256(req.args),
      seed,
      driver:
        req.mode === "remote"
          ? {
              work: req.name,
              bundleHash: req.bundleHash!,
              queue: driverQueue,
              priority: 0,
              maxAttempts: req.driverMaxAttempts ?? this.config.defaultMaxAttempts,
              channel: `${randomBytes(16).toString("hex")}.0`,
              resultKey: randomBytes(32).toString("hex"),
              argsHash: null,
              jobs: [{ key: "driver", args: req.args! }],
            }
          : undefined,
    });
    if (driverTaskId !== null) this.notifier.notify(`queue:${driverQueue}`);
    if (req.bundleHash !== undefined) this.warm(queue, { kind: "warm", bundleHash: req.bundleHash });
    this.workflowChanged(id);
    return { id, seed, driverTaskId, driverHeartbeatMs: this.config.driverHeartbeatIntervalMs };
  }

  /** The state the lifecycle rules (core/workflow-lifecycle) decide on. */
  private async workflowState(workflowId: number): Promise<DriverRecord> {
    const wf = await this.store.workflows.driverRecord(workflowId);
    if (!wf) throw notFound("workflow", workflowId);
    return wf;
  }

  /**
   * A local driver runs again (`pando run --resume`): its work calls attach to the tasks of its earlier run,
   * and a suspended workflow runs again. Only an open local workflow can be resumed, by the same workflow
   * with the same arguments.
   */
  async resumeWorkflow(p: Principal, workflowId: number, req: ResumeWorkflow): Promise<CreateWorkflowResponse> {
    await this.authorizeWorkflow(p, workflowId);
    const wf = await this.workflowState(workflowId);
    const refusal = resumeRefusal(wf);
    if (refusal) throw conflict(refusal);
    if (wf.name !== req.name) {
      throw conflict(`workflow ${workflowId} runs '${wf.name}', not '${req.name}'; resume it with the same workflow`);
    }
    const argsHash = sha256(req.args);
    if (wf.argsHash !== null && wf.argsHash !== argsHash) {
      throw conflict(
        `workflow ${workflowId} was started with other arguments (hash ${wf.argsHash.slice(0, 12)}, now ` +
          `${argsHash.slice(0, 12)}); resume it with the arguments it was started with`,
      );
    }
    if (!(await this.store.workflows.resume(workflowId))) {
      const now = await this.workflowState(workflowId);
      throw conflict(resumeRefusal(now) ?? `workflow ${workflowId} changed while it was resumed; try again`);
    }
    if (wf.status === "suspended") {
      this.log.info({ workflow: workflowId }, "suspended workflow resumed");
      this.workflowChanged(workflowId);
    }
    return { id: workflowId, seed: wf.seed, driverTaskId: null, driverHeartbeatMs: this.config.driverHeartbeatIntervalMs };
  }

  /**
   * A local driver is alive. With waitMs the answer waits until the workflow stops running (killed,
   * suspended, closed) or waitMs passes: the driver learns at once that it must stop.
   */
  async driverHeartbeat(p: Principal, workflowId: number, req: DriverHeartbeat, signal?: AbortSignal): Promise<DriverHeartbeatResponse> {
    await this.authorizeWorkflow(p, workflowId);
    await this.store.workflows.driverHeartbeat(workflowId);
    const deadline = Date.now() + Math.min(req.waitMs, this.config.maxWaitMs);
    const sub = req.waitMs > 0 ? this.notifier.subscribe([`workflow:${workflowId}`]) : undefined;
    try {
      for (;;) {
        const wf = await this.workflowState(workflowId);
        const answer = { open: !wf.closed, status: wf.status, suspendReason: wf.suspendReason };
        const left = deadline - Date.now();
        if (!sub || !answer.open || answer.status !== "running" || left <= 0) return answer;
        if (!(await sub.wait(left, signal))) return answer;
      }
    } finally {
      sub?.close();
    }
  }

  /**
   * A local driver stops before its body ended (Ctrl-C, SIGTERM): the workflow is suspended with the reason
   * and its unfinished tasks are stopped, until `pando run --resume` takes it up again.
   */
  async suspendWorkflow(p: Principal, workflowId: number, req: SuspendWorkflow): Promise<WorkflowView> {
    await this.authorizeWorkflow(p, workflowId);
    await this.suspend(workflowId, req.reason);
    return this.getWorkflow(p, workflowId);
  }

  private async suspend(workflowId: number, reason: string): Promise<void> {
    const change = await this.store.workflows.suspend(workflowId, reason);
    if (!change) throw conflict(suspendRefusal(await this.workflowState(workflowId)) ?? `workflow ${workflowId} is not running`);
    this.afterClose(workflowId, change);
    this.log.warn({ workflow: workflowId, reason }, `workflow suspended; resume it with ${resumeHint(workflowId)}`);
  }

  /**
   * Suspends the running local workflows whose driver stopped sending heartbeats (its process was killed or
   * hangs): their unfinished tasks are stopped, and `pando run --resume` takes them up again.
   */
  async sweepLostDrivers(): Promise<number> {
    const now = Date.now();
    const timeout = this.config.driverHeartbeatTimeoutMs;
    // A driver silent while this server was down gets a whole timeout after start-up to come back (--resume).
    if (now - this.startedAt < timeout) return 0;
    const lost = await this.store.workflows.silentDrivers(now - timeout);
    let suspended = 0;
    for (const id of lost) {
      const change = await this.store.workflows.suspend(
        id,
        `the driver sent no heartbeat for ${timeout} ms (its process was killed, or hangs)`,
      );
      if (!change) continue;
      this.afterClose(id, change);
      suspended++;
    }
    if (suspended > 0) this.log.warn({ workflows: lost }, "local drivers lost (no heartbeat); their workflows are suspended");
    return suspended;
  }

  /** Values a driver computed once with context().step(), for its runs to come. */
  async steps(p: Principal, workflowId: number): Promise<StepRecord[]> {
    await this.authorizeWorkflow(p, workflowId);
    return this.store.workflows.steps(workflowId);
  }

  /** Records a step's value; a step recorded before keeps its first value, which is returned. */
  async putStep(p: Principal, workflowId: number, seq: number, req: PutStep): Promise<StepRecord> {
    await this.authorizeWorkflow(p, workflowId);
    this.checkPayload(req.value, `the value of step '${req.name}'`);
    const stored = await this.store.workflows.putStep(workflowId, seq, req.name, req.value);
    if (stored.name !== req.name) {
      throw new ApiError(
        409,
        "non_deterministic",
        `step #${seq} of workflow ${workflowId} is '${req.name}' in this run but was '${stored.name}' before: ` +
          "the driver is not deterministic (see docs/durability.md)",
      );
    }
    return { seq, ...stored };
  }

  /** A workflow with its tasks; with waitMs, waits up to that long for it to end (long-poll). */
  async getWorkflow(p: Principal, workflowId: number, q: WorkflowQuery = { waitMs: 0 }, signal?: AbortSignal): Promise<WorkflowView> {
    await this.authorizeWorkflow(p, workflowId);
    const deadline = Date.now() + Math.min(q.waitMs, this.config.maxWaitMs);
    const sub = q.waitMs > 0 ? this.notifier.subscribe([`workflow:${workflowId}`]) : undefined;
    try {
      for (;;) {
        const view = await this.workflowView(workflowId);
        const left = deadline - Date.now();
        if (!sub || FINAL_WORKFLOW_STATUSES.has(view.status) || left <= 0) return view;
        if (!(await sub.wait(left, signal))) return this.workflowView(workflowId);
      }
    } finally {
      sub?.close();
    }
  }

  /** A workflow with its tasks, each with the number of its jobs pilots hold now. */
  private async workflowView(workflowId: number): Promise<WorkflowView> {
    const view = await this.store.workflows.get(workflowId);
    if (!view) throw notFound("workflow", workflowId);
    const running = await this.store.monitor.runningByTask(view.tasks.filter((t) => !FINAL_TASK_STATUSES.has(t.status)).map((t) => t.id));
    for (const t of view.tasks) t.nRunning = running.get(t.id) ?? 0;
    await this.withPendingReasons(view.tasks, running);
    return view;
  }

  async closeWorkflow(p: Principal, workflowId: number, req: CloseWorkflow): Promise<WorkflowView> {
    await this.authorizeWorkflow(p, workflowId);
    if (req.result !== undefined) this.checkPayload(req.result, "the workflow's result");
    const change = await this.store.workflows.close(workflowId, {
      body: req.outcome,
      result: req.result ?? null,
      error: req.error ?? null,
      keep: req.completeTasks,
    });
    if (change) this.afterClose(workflowId, change);
    return this.getWorkflow(p, workflowId);
  }

  async killWorkflow(p: Principal, workflowId: number): Promise<WorkflowView> {
    await this.authorizeWorkflow(p, workflowId);
    const change = await this.store.workflows.kill(workflowId);
    if (change?.alreadyEnded) throw conflict(`workflow ${workflowId} has already ended (${change.status}); only running workflows can be killed`);
    if (change) this.afterClose(workflowId, change);
    return this.getWorkflow(p, workflowId);
  }

  /**
   * Runs the failed and cancelled jobs of a workflow's ended tasks again. Only while the workflow is
   * suspended: its resumed driver reads their new results (core/workflow-lifecycle, retryRefusal).
   */
  async retryWorkflow(p: Principal, workflowId: number): Promise<{ retried: number }> {
    const view = await this.getWorkflow(p, workflowId);
    await this.requireRetryable(workflowId);
    let retried = 0;
    for (const t of view.tasks) {
      if (t.status === "finished" || t.status === "failed" || t.status === "cancelled") {
        retried += (await this.retryTask(p, t.id)).retried;
      }
    }
    if (retried === 0) throw conflict(`workflow ${workflowId} has no failed or cancelled jobs to retry`);
    return { retried };
  }

  private async requireRetryable(workflowId: number): Promise<void> {
    const refusal = retryRefusal(await this.workflowState(workflowId));
    if (refusal) throw conflict(refusal);
  }

  // ---- tasks --------------------------------------------------------------------------------------

  // ---- queues and brokerage ------------------------------------------------------------------------

  /** The queues and their run-time status, read at most once a second. */
  private async queueRecords(): Promise<QueueRecord[]> {
    const now = Date.now();
    if (!this.queues || this.queues.until <= now) {
      this.queues = { records: await this.store.queues.list(), until: now + QUEUE_CACHE_MS };
    }
    return this.queues.records;
  }

  /** Jobs queued and running per queue, read at most once a second (brokerage weights). */
  private async queueLoad(): Promise<Map<string, { queued: number; running: number }>> {
    const now = Date.now();
    if (!this.load || this.load.until <= now) this.load = { byQueue: await this.store.queues.load(), until: now + QUEUE_CACHE_MS };
    return this.load.byQueue;
  }

  private async requireQueue(queue: string): Promise<void> {
    const records = await this.queueRecords();
    if (!records.some((r) => r.definition.name === queue)) {
      throw new ApiError(
        400,
        "unknown_queue",
        `queue '${queue}' does not exist; known queues: ${records.map((r) => r.definition.name).join(", ") || "none"}`,
      );
    }
  }

  /** The queue a task goes to, or why none can take it. Loads are read only when there is a choice to make. */
  private async broker(needs: TaskNeeds): Promise<Brokered> {
    const records = await this.queueRecords();
    const first = brokerTask(needs, records.map((r) => brokerView(r, undefined)));
    const choices = needs.queues.length > 0 ? needs.queues.length : records.length;
    if (!("queue" in first) || choices <= 1) return first;
    const load = await this.queueLoad();
    return brokerTask(needs, records.map((r) => brokerView(r, load.get(r.definition.name))));
  }

  /**
   * Gives pending tasks to queues that can now take them (a queue came online, or was declared), and
   * keeps the reason of the others up to date. Run every second by the server, and at once after a
   * queue's status changes.
   */
  async placePendingTasks(): Promise<number> {
    const pending = await this.store.tasks.pending();
    let placed = 0;
    for (const t of pending) {
      const brokered = await this.broker({ queues: t.queues, cores: t.cores, memoryMb: t.memoryMb, walltimeS: t.walltimeS });
      if ("reason" in brokered) {
        if (brokered.reason !== t.reason) await this.store.tasks.setPendingReason(t.id, brokered.reason);
        continue;
      }
      const ok = await this.store.tasks.place(t.id, brokered.queue);
      if (!ok) continue;
      placed++;
      this.notifier.notify(`queue:${brokered.queue}`);
      this.log.info({ task: t.id, queue: brokered.queue }, "pending task placed on a queue");
    }
    return placed;
  }

  /** Every queue's pilots: registered, starting, pending in the batch system and why; read at most once a second. */
  private async queuePilots(): Promise<Map<string, QueuePilots>> {
    const now = Date.now();
    if (this.pilotsByQueue && this.pilotsByQueue.until > now) return this.pilotsByQueue.byQueue;
    const [records, running, unregistered] = await Promise.all([
      this.queueRecords(),
      this.store.dispatch.runningPilotsByQueue(),
      this.store.workers.unregisteredByQueue(),
    ]);
    const byQueue = new Map<string, QueuePilots>();
    for (const r of records) {
      const d = r.definition;
      const u = unregistered.get(d.name);
      const pilots: QueuePilots = {
        queue: d.name,
        backend: d.backend,
        maxPilots: d.maxPilots,
        running: running.get(d.name) ?? 0,
        starting: u?.starting ?? 0,
        pending: u?.pending ?? [],
        submitError: null,
      };
      // Only a queue with no pilot at all can be waiting on a submission that failed.
      if (d.maxPilots > 0 && pilots.running === 0 && pilots.starting === 0 && pilots.pending.length === 0) {
        pilots.submitError = await this.store.workers.lastSubmitError(d.name);
      }
      byQueue.set(d.name, pilots);
    }
    this.pilotsByQueue = { byQueue, until: now + QUEUE_PILOTS_CACHE_MS };
    return byQueue;
  }

  /**
   * Sets the reason each running task's jobs wait, when its queue has no pilot that could take them (all
   * pending in the batch system, none submittable, none started); pending tasks keep brokerage's. The jobs
   * pilots hold are counted only for tasks that would otherwise show a reason.
   */
  private async withPendingReasons(tasks: readonly TaskView[], held?: ReadonlyMap<number, number>): Promise<void> {
    const open = tasks.filter((t) => t.status === "running");
    if (open.length === 0) return;
    const pilots = await this.queuePilots();
    const wait = (t: TaskView, heldJobs: number) => ({
      status: t.status,
      brokerageReason: t.pendingReason,
      queuedJobs: t.nJobs - t.nFinished - t.nFailed - t.nCancelled - heldJobs,
      heldJobs,
    });
    const waiting = open.filter((t) => taskPendingReason(wait(t, 0), pilots.get(t.queue)) !== null);
    if (waiting.length === 0) return;
    const byTask = held ?? (await this.store.monitor.runningByTask(waiting.map((t) => t.id)));
    for (const t of waiting) t.pendingReason = taskPendingReason(wait(t, byTask.get(t.id) ?? 0), pilots.get(t.queue));
  }

  /**
   * The provisioner saw pilots of these queues change in the batch system (pending, running, ended): the
   * queue listings and the tasks waiting there read differently now.
   */
  async workersChanged(queues: readonly string[]): Promise<void> {
    this.pilotsByQueue = undefined;
    this.notifier.notify(PROGRESS_TOPIC);
    for (const id of await this.store.queues.tasksWaiting(queues)) this.notifier.notify(`task:${id}`);
  }

  async listQueues(_p: Principal): Promise<QueueView[]> {
    this.pilotsByQueue = undefined;
    const [records, load, pilots] = await Promise.all([this.queueRecords(), this.store.queues.load(), this.queuePilots()]);
    return records.map((r) => {
      const d = r.definition;
      const own = pilots.get(d.name);
      const pending = own?.pending ?? [];
      return {
        name: d.name,
        backend: d.backend,
        status: r.status,
        cores: d.cores,
        memoryMb: { min: d.memory.min ?? 0, max: d.memory.max ?? 0 },
        walltimeMs: { min: d.walltime.min ?? 0, max: d.walltime.max ?? 0 },
        maxPilots: d.maxPilots,
        slotsPerPilot: d.slotsPerPilot,
        pilotIdleMs: d.pilotIdle,
        queued: load.get(d.name)?.queued ?? 0,
        running: load.get(d.name)?.running ?? 0,
        pilots: own?.running ?? 0,
        startingPilots: (own?.starting ?? 0) + pending.reduce((n, x) => n + x.count, 0),
        pendingPilots: pending.reduce((n, x) => n + x.count, 0),
        pendingReason: pending.length > 0 ? pendingSummary(pending) : null,
      };
    });
  }

  /** Sets a queue online, offline, brokeroff or test (administrators). */
  async setQueueStatus(p: Principal, name: string, req: QueueStatusChange): Promise<QueueView> {
    if (!p.admin) throw forbidden("only administrators may change a queue's status");
    if (!(await this.store.queues.setStatus(name, req.status))) await this.requireQueue(name);
    this.queues = undefined;
    await this.placePendingTasks();
    const view = (await this.listQueues(p)).find((q) => q.name === name);
    if (!view) throw notFound("queue", name);
    return view;
  }

  async submitTask(p: Principal, workflowId: number, req: SubmitTask): Promise<SubmitTaskResponse> {
    await this.authorizeWorkflow(p, workflowId);
    await this.requireBundle(req.bundleHash);
    const needs: TaskNeeds = {
      queues: req.queues ?? (req.queue === undefined ? [] : [req.queue]),
      cores: req.cores ?? 1,
      memoryMb: req.memoryMb ?? 0,
      walltimeS: req.walltimeS ?? 0,
    };
    for (const q of needs.queues) await this.requireQueue(q);
    const brokered = await this.broker(needs);
    const queue = "queue" in brokered ? brokered.queue : null;
    const seen = new Map<string, number>();
    req.jobs.forEach((job, i) => {
      this.checkPayload(job.args, `the arguments of jobs[${i}]`);
      const first = seen.get(job.key);
      if (first !== undefined) {
        throw new ApiError(
          400,
          "duplicate_job_key",
          `job keys must be unique within a task: '${job.key}' is the key of jobs[${first}] and jobs[${i}]`,
        );
      }
      seen.set(job.key, i);
    });
    const task = await this.store.tasks.addTask(
      {
        workflowId,
        work: req.work,
        bundleHash: req.bundleHash,
        seq: req.seq ?? null,
        queue,
        pendingReason: "reason" in brokered ? brokered.reason : undefined,
        needs,
        initEnv: req.initEnv,
        container: req.container,
        priority: req.priority ?? 0,
        maxAttempts: req.maxAttempts ?? this.config.defaultMaxAttempts,
        // A client that brings no channel still gets one, so that its results can be relayed too.
        channel: req.channel ?? `${randomBytes(16).toString("hex")}.0`,
        resultKey: req.resultKey ?? randomBytes(32).toString("hex"),
        argsHash: req.seq === undefined ? null : callHash(req.work, req.jobs),
        jobs: req.jobs,
      },
      this.waitingOn(queue),
    );
    switch (task.kind) {
      case "refused":
        throw conflict(submissionRefusal(workflowId, task.status, task.closed));
      case "mismatch":
        throw new ApiError(
          409,
          "non_deterministic",
          `call #${req.seq} of workflow ${workflowId} is ${req.work} with arguments hash ` +
            `${callHash(req.work, req.jobs).slice(0, 16)} in this run, but was ${task.work} with arguments hash ` +
            `${task.argsHash.slice(0, 16)} when the workflow first ran: the driver is not deterministic. Derive ` +
            "random numbers, times and outside data from context() (random(), now(), step()); see docs/durability.md",
        );
      case "attached":
        if (task.resumed > 0) {
          // Jobs the suspension stopped run again for the resumed driver.
          this.notifier.notify(`task:${task.id}`);
          this.workflowChanged(workflowId);
          if (task.queue !== "") this.notifier.notify(`queue:${task.queue}`, task.resumed);
        }
        return { id: task.id, nJobs: task.nJobs, attached: true };
      case "created": {
        this.workflowChanged(workflowId);
        if (queue !== null) {
          this.warm(queue, { kind: "warm", bundleHash: req.bundleHash, initEnv: req.initEnv, container: req.container });
        }
        const handed = this.deliver(task.claims);
        if (queue !== null && handed < req.jobs.length) this.notifier.notify(`queue:${queue}`, req.jobs.length - handed);
        return { id: task.id, nJobs: task.nJobs, attached: false, pendingReason: "reason" in brokered ? brokered.reason : undefined };
      }
    }
  }

  private async requireBundle(hash: string): Promise<void> {
    if (await this.bundleKnown(hash)) return;
    throw new ApiError(
      400,
      "unknown_bundle",
      `bundle ${hash} is not in the code cache; upload it first (PUT ${pathOf(ROUTES.putBundle, { hash })})`,
    );
  }

  async getTask(p: Principal, taskId: number): Promise<TaskView> {
    await this.authorizeTask(p, taskId);
    const view = await this.store.tasks.get(taskId);
    if (!view) throw notFound("task", taskId);
    await this.withPendingReasons([view]);
    return view;
  }

  /** Final outcomes after the cursor; waits up to waitMs for the first one (long-poll). */
  async taskResults(p: Principal, taskId: number, q: ResultsQuery, signal?: AbortSignal): Promise<TaskResultsResponse> {
    await this.authorizeTask(p, taskId);
    const deadline = Date.now() + Math.min(q.waitMs, this.config.maxWaitMs);
    const sub = this.notifier.subscribe([`task:${taskId}`]);
    try {
      for (;;) {
        const task = await this.store.tasks.get(taskId);
        if (!task) throw notFound("task", taskId);
        const results = task.resultCursor > q.after ? await this.store.tasks.results(taskId, q.after, q.limit) : [];
        const cursor = results.length > 0 ? results[results.length - 1]!.seq : q.after;
        if (results.length > 0 || FINAL_TASK_STATUSES.has(task.status)) return { task, results, cursor };
        const left = deadline - Date.now();
        if (left <= 0 || !(await sub.wait(left, signal))) return { task, results, cursor };
      }
    } finally {
      sub.close();
    }
  }

  async killTask(p: Principal, taskId: number): Promise<TaskView> {
    await this.authorizeTask(p, taskId);
    const killed = await this.store.tasks.kill(taskId);
    if (!killed) {
      const view = await this.getTask(p, taskId);
      throw conflict(`task ${taskId} is already ${view.status}; only unfinished tasks can be killed`);
    }
    this.wake([killed.change], [], killed.pilots);
    this.relay([killed.change]);
    if (killed.change.ended) this.settleConcurrentClose([killed.change.workflowId]);
    return this.getTask(p, taskId);
  }

  /** Runs the failed and cancelled jobs of an ended task again, while its workflow is suspended (see retryWorkflow). */
  async retryTask(p: Principal, taskId: number): Promise<{ retried: number }> {
    const workflowId = await this.authorizeTask(p, taskId);
    const view = await this.getTask(p, taskId);
    await this.requireRetryable(workflowId);
    if (!FINAL_TASK_STATUSES.has(view.status)) {
      throw conflict(`task ${taskId} is still ${view.status}; retry it once it has ended`);
    }
    const retried = await this.store.tasks.retry(taskId);
    if (retried === "refused") {
      // Resumed or killed since the check above.
      await this.requireRetryable(workflowId);
      throw conflict(`workflow ${workflowId} changed while task ${taskId} was retried; try again`);
    }
    if (retried === 0) throw conflict(`task ${taskId} has no failed or cancelled jobs to retry`);
    this.notifier.notify(`queue:${view.queue}`);
    this.notifier.notify(`task:${taskId}`);
    this.workflowChanged(workflowId);
    return { retried };
  }

  async getJob(p: Principal, jobId: number): Promise<JobView> {
    const job = await this.store.tasks.job(jobId);
    if (!job) throw notFound("job", jobId);
    await this.authorizeWorkflow(p, job.workflowId);
    return job;
  }

  // ---- code cache ---------------------------------------------------------------------------------

  async putBundle(p: Principal, hash: string, content: Uint8Array): Promise<{ hash: string; size: number }> {
    if (p.kind !== "user") throw forbidden("only user tokens may upload bundles");
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new ApiError(400, "invalid_request", `'${hash}' is not a sha256 hex digest`);
    const actual = createHash("sha256").update(content).digest("hex");
    if (actual !== hash) {
      throw new ApiError(400, "hash_mismatch", `the body's sha256 is ${actual}, not the ${hash} named in the URL`);
    }
    await this.store.bundles.put(hash, content);
    return { hash, size: content.byteLength };
  }

  async getBundle(_p: Principal, hash: string): Promise<Uint8Array> {
    const content = await this.store.bundles.get(hash);
    if (!content) throw notFound("bundle", hash);
    return content;
  }

  hasBundle(_p: Principal, hash: string): Promise<boolean> {
    return this.bundleKnown(hash);
  }

  private async bundleKnown(hash: string): Promise<boolean> {
    if (this.bundles.has(hash)) return true;
    const has = await this.store.bundles.has(hash);
    if (has) this.bundles.add(hash);
    return has;
  }

  // ---- pilots -------------------------------------------------------------------------------------

  async registerPilot(p: Principal, req: RegisterPilot): Promise<RegisterPilotResponse> {
    this.requirePilotRole(p);
    await this.requireQueue(req.queue);
    const id = await this.store.dispatch.registerPilot(req);
    if (req.worker !== undefined) await this.store.workers.registered(req.worker);
    const timeout = (await this.queueRecords()).find((q) => q.definition.name === req.queue)?.definition.heartbeatTimeout;
    const heartbeatTimeoutMs = timeout ?? this.config.heartbeatTimeoutMs;
    return {
      id,
      // Several heartbeats fit in the timeout, whatever the queue's timeout is.
      heartbeatIntervalMs: Math.min(this.config.heartbeatIntervalMs, Math.max(50, Math.floor(heartbeatTimeoutMs / 4))),
      heartbeatTimeoutMs,
      maxPayloadBytes: this.config.maxPayloadBytes,
      maxLogChars: this.config.maxLogChars,
      broker: this.brokerSettings(p),
    };
  }

  private async livePilot(p: Principal, pilotId: number) {
    this.requirePilotRole(p);
    const now = Date.now();
    const cached = this.pilotCache.get(pilotId);
    const pilot = cached && cached.until > now ? cached.pilot : await this.store.dispatch.pilot(pilotId);
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
   * jobs or commands (long-poll). A pilot keeps one such request open: it is woken when jobs arrive in its
   * queue and when one of its reports frees room, so it never has to cancel and re-ask.
   */
  async acquire(p: Principal, pilotId: number, req: Acquire, signal?: AbortSignal): Promise<AcquireResponse> {
    const pilot = await this.livePilot(p, pilotId);
    const deadline = Date.now() + Math.min(req.waitMs, this.config.maxWaitMs);
    const sub = this.notifier.subscribe([`queue:${pilot.queue}`, `pilot:${pilotId}`]);
    let waiting = this.waiting.get(pilot.queue);
    if (!waiting) this.waiting.set(pilot.queue, (waiting = new Map()));
    try {
      for (;;) {
        // Jobs already claimed for this pilot go out at once; commands come with its next request.
        const handed = this.takeOutbox(pilotId);
        if (handed.length > 0) {
          return { jobs: await this.withDriverTokens(handed), commands: this.warmCommands(pilotId, pilot.queue), recorded: [] };
        }
        const held = await this.store.dispatch.held(pilotId);
        const holding = new Set(held.refs.map((r) => `${r.jobId}:${r.attempt}`));
        // Published results not yet read from the broker take no room; those already recorded go back to the pilot.
        const recorded = req.published.filter(([job, attempt]) => !holding.has(`${job}:${attempt}`));
        const running = held.count - (req.published.length - recorded.length);
        const demand: WaitingDemand = {
          capacity: req.capacity,
          slots: pilot.slots,
          drivers: req.drivers,
          prefetchNamed: req.prefetch !== undefined,
          prefetch: req.prefetch ?? [],
        };
        const jobs = await this.withDriverTokens(await this.claimFor(pilotId, pilot.queue, demand, running));
        const commands = [...this.warmCommands(pilotId, pilot.queue), ...held.commands];
        if (jobs.length > 0 || commands.length > 0) return { jobs, commands, recorded };
        const left = deadline - Date.now();
        if (left <= 0) return { jobs, commands, recorded };
        waiting.set(pilotId, demand);
        const woken = await sub.wait(left, signal);
        waiting.delete(pilotId);
        if (!woken) {
          return { jobs: signal?.aborted ? [] : await this.withDriverTokens(this.takeOutbox(pilotId)), commands: [], recorded };
        }
      }
    } finally {
      waiting.delete(pilotId);
      sub.close();
    }
  }

  /** Jobs for a pilot that holds `held` attempts, as handOut decides: for its free slots, then its prefetch. */
  private async claimFor(pilotId: number, queue: string, demand: WaitingDemand, held: number): Promise<DispatchedJob[]> {
    const n = handOut(demand, held);
    const any = await this.store.dispatch.claim(pilotId, queue, n.any);
    // Fewer than asked for: the queue has no job left of any task.
    if (n.prefetch === 0 || demand.prefetch.length === 0 || any.length < n.any) return any;
    return [...any, ...(await this.store.dispatch.claim(pilotId, queue, n.prefetch, demand.prefetch))];
  }

  /**
   * A workflow or task of this context started on the queue: its pilots are told to warm executors for it
   * (the long-polling ones at once, the others with their next request), so that they are ready when its
   * jobs come rather than started one by one as they arrive. Only pilots that ask this server replica.
   */
  warm(queue: string, command: WarmCommand): void {
    if (this.config.warmKeepMs <= 0 || !this.warmth.started(queue, command)) return;
    for (const pilotId of this.waiting.get(queue)?.keys() ?? []) this.notifier.notify(`pilot:${pilotId}`);
  }

  private warmCommands(pilotId: number, queue: string): PilotCommand[] {
    const warm = this.warmth.next(pilotId, queue);
    return warm ? [warm] : [];
  }

  /**
   * Gives each driver job a token that acts for the workflow's owner within that workflow only: the driver's
   * work calls add tasks with it, and it can read or change nothing else. Minted per attempt, revoked when
   * the driver task ends.
   */
  private async withDriverTokens(jobs: DispatchedJob[]): Promise<DispatchedJob[]> {
    for (const job of jobs) {
      if (job.kind !== "driver") continue;
      const owner = await this.ownerOf(job.workflowId);
      if (owner === undefined) continue;
      job.token = await this.store.auth.createToken(
        owner,
        "workflow",
        `driver of workflow ${job.workflowId}, attempt ${job.attempt}`,
        job.workflowId,
      );
    }
    return jobs;
  }

  async report(p: Principal, pilotId: number, req: Report): Promise<ReportResponse> {
    await this.livePilot(p, pilotId);
    const updates = req.updates.map((u) => this.boundUpdate(u));
    const result = await this.store.dispatch.apply(pilotId, updates, "rest");
    this.afterApply(result, "rest");
    // The pilot's own long-poll takes its next jobs now that it has room; results go out first.
    if (result.accepted > 0) this.notifier.notify(`pilot:${pilotId}`);
    return { accepted: result.accepted, ignored: result.ignored };
  }

  /** Keeps a pilot's report within the limits even if the pilot does not enforce them itself. */
  private boundUpdate(u: AttemptUpdate): AttemptUpdate {
    const limit = this.config.maxLogChars;
    if (u.stdout !== undefined && u.stdout.length > limit) u.stdout = u.stdout.slice(0, limit);
    if (u.stderr !== undefined && u.stderr.length > limit) u.stderr = u.stderr.slice(0, limit);
    if (u.result === undefined) return u;
    const size = byteLength(u.result, this.config.maxPayloadBytes);
    if (size <= this.config.maxPayloadBytes) return u;
    const { result: _dropped, ...rest } = u;
    return {
      ...rest,
      state: "failed",
      error: {
        code: "payload_too_large",
        message: `the result is ${formatBytes(size)}, over the ${formatBytes(this.config.maxPayloadBytes)} payload limit`,
      },
    };
  }

  async heartbeat(p: Principal, pilotId: number, req: Heartbeat): Promise<HeartbeatResponse> {
    await this.livePilot(p, pilotId);
    const missing = await this.store.dispatch.heartbeat(pilotId, req.held, this.config.dispatchGraceMs);
    if (missing.length > 0) {
      this.log.warn({ pilotId, missing: missing.length }, "pilot does not hold jobs sent to it; retrying them");
      await this.failAttempts(missing, {
        code: "lost_dispatch",
        message: `pilot ${pilotId} never received the job or dropped it`,
      });
    }
    const { commands, refs } = await this.store.dispatch.held(pilotId);
    return { commands, held: refs.map(({ jobId, attempt }) => ({ jobId, attempt })) };
  }

  /** A provisioned pilot's batch job ended under it: whatever it held is retried elsewhere at once. */
  async pilotGone(pilotId: number, reason: string): Promise<void> {
    const held = await this.store.dispatch.endPilot(pilotId);
    this.forgetPilot(pilotId);
    await this.failAttempts(held, { code: "pilot_gone", message: reason });
  }

  /** Pilots the provisioner started, newest first. */
  async listWorkers(_p: Principal): Promise<WorkerView[]> {
    return this.store.workers.recent(500);
  }

  async endPilot(p: Principal, pilotId: number): Promise<void> {
    this.requirePilotRole(p);
    const held = await this.store.dispatch.endPilot(pilotId);
    this.forgetPilot(pilotId);
    await this.failAttempts(held, { code: "pilot_exited", message: `pilot ${pilotId} exited while holding the job` });
  }

  /** Fails attempts on behalf of the server (lost pilots): their jobs are retried or fail. */
  async failAttempts(attempts: readonly AttemptRef[], error: ErrorInfo): Promise<void> {
    if (attempts.length === 0) return;
    const now = Date.now();
    const result = await this.store.dispatch.apply(
      null,
      attempts.map((a) => ({ ...a, state: "failed", endedAt: now, error })),
      "server",
    );
    this.afterApply(result, "server");
  }

  /** One pass of the lost-heartbeat timer. */
  async sweepLostPilots(): Promise<number> {
    const now = Date.now();
    const own = new Map<string, number>();
    for (const q of await this.queueRecords()) {
      if (q.definition.heartbeatTimeout !== undefined) own.set(q.definition.name, now - q.definition.heartbeatTimeout);
    }
    const { pilots, attempts } = await this.store.dispatch.sweepLostPilots(now - this.config.heartbeatTimeoutMs, own);
    if (pilots.length === 0) return 0;
    for (const id of pilots) this.forgetPilot(id);
    this.log.warn({ pilots, attempts: attempts.length }, "pilots lost (no heartbeat); retrying their jobs");
    await this.failAttempts(attempts, {
      code: "lost_heartbeat",
      message: "the pilot sent no heartbeat within its queue's heartbeat timeout",
    });
    return pilots.length;
  }
}
