import { randomBytes } from "node:crypto";
import { ApiError, conflict, forbidden, notFound } from "../api/errors.js";
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
import { sha256Hex } from "../codec/sha256.js";
import { lostBefore } from "../core/pilot-loss.js";
import { FINAL_TASK_STATUSES, FINAL_WORKFLOW_STATUSES } from "../core/states.js";
import { resumeHint, resumeRefusal, suspendRefusal } from "../core/workflow-lifecycle.js";
import type { Principal } from "../store/auth-store.js";
import type { AccessGuard } from "./access-guard.js";
import type { BundleService } from "./bundle-service.js";
import type { ServerContext } from "./context.js";
import { Topics } from "./events.js";
import { checkPayload } from "./payload-limits.js";
import type { PilotHandoff } from "./pilot-handoff.js";
import type { QueueService } from "./queue-service.js";
import type { TaskService } from "./task-service.js";
import type { WorkflowEnds } from "./workflow-ends.js";
import { requireRetryable, workflowState } from "./workflow-state.js";


/** The siblings the workflow service works with, named by the composition root. */
export interface WorkflowDeps {
  guard: AccessGuard;
  queues: QueueService;
  bundles: BundleService;
  handoff: PilotHandoff;
  ends: WorkflowEnds;
  tasks: TaskService;
}

/** Workflows: created, resumed, suspended, kept alive by their drivers, read, closed, killed, retried; their steps. */
export class WorkflowService {
  constructor(
    private readonly ctx: ServerContext,
    private readonly deps: WorkflowDeps,
  ) {}

  async createWorkflow(p: Principal, req: CreateWorkflow): Promise<CreateWorkflowResponse> {
    const { config, events } = this.ctx;
    const { queues, bundles } = this.deps;
    if (p.kind !== "user") throw forbidden("only user tokens may create workflows");
    const queue = req.queue ?? config.defaultQueue;
    await queues.requireQueue(queue);
    if (req.args !== undefined) checkPayload(config, req.args, "the workflow's arguments");
    const driverQueue = req.driverQueue ?? queue;
    // A local workflow's bundle is warmed on its queue's pilots, so it too must be the caller's.
    if (req.bundleHash !== undefined) await bundles.requireBundle(p, req.bundleHash);
    if (req.projectHash !== undefined) await bundles.requireBundle(p, req.projectHash);
    if (req.mode === "remote") await queues.requireQueue(driverQueue);
    const seed = req.seed ?? randomBytes(4).readUInt32BE(0);
    const { id, driverTaskId } = await this.ctx.store.workflows.create({
      userId: p.userId,
      name: req.name,
      mode: req.mode,
      queue,
      bundleHash: req.bundleHash ?? null,
      projectHash: req.projectHash ?? null,
      nodeVersion: req.nodeVersion ?? null,
      lockfileHash: req.lockfileHash ?? null,
      argsHash: req.args === undefined ? null : sha256Hex(req.args),
      seed,
      driver:
        req.mode === "remote"
          ? {
              work: req.name,
              bundleHash: req.bundleHash!,
              projectHash: req.projectHash,
              queue: driverQueue,
              priority: 0,
              maxAttempts: req.driverMaxAttempts ?? config.defaultMaxAttempts,
              channel: `${randomBytes(16).toString("hex")}.0`,
              resultKey: randomBytes(32).toString("hex"),
              argsHash: null,
              jobs: [{ key: "driver", args: req.args! }],
            }
          : undefined,
    });
    if (driverTaskId !== null) events.queueHasWork(driverQueue);
    if (req.bundleHash !== undefined) this.deps.handoff.warm(queue, { kind: "warm", owner: p.userId, bundleHash: req.bundleHash, projectHash: req.projectHash });
    events.workflowChanged(id);
    return { id, seed, driverTaskId, driverHeartbeatMs: config.driverHeartbeatIntervalMs };
  }

  /**
   * A local driver runs again (`pando run --resume`): its work calls attach to the tasks of its earlier run,
   * and a suspended workflow runs again. Only an open local workflow can be resumed, by the same workflow
   * with the same arguments.
   */
  async resumeWorkflow(p: Principal, workflowId: number, req: ResumeWorkflow): Promise<CreateWorkflowResponse> {
    const { store } = this.ctx;
    await this.deps.guard.authorizeWorkflow(p, workflowId);
    const wf = await workflowState(store, workflowId);
    const refusal = resumeRefusal(wf);
    if (refusal) throw conflict(refusal);
    if (wf.name !== req.name) {
      throw conflict(`workflow ${workflowId} runs '${wf.name}', not '${req.name}'; resume it with the same workflow`);
    }
    const argsHash = sha256Hex(req.args);
    if (wf.argsHash !== null && wf.argsHash !== argsHash) {
      throw conflict(
        `workflow ${workflowId} was started with other arguments (hash ${wf.argsHash.slice(0, 12)}, now ` +
          `${argsHash.slice(0, 12)}); resume it with the arguments it was started with`,
      );
    }
    if (!(await store.workflows.resume(workflowId))) {
      const now = await workflowState(store, workflowId);
      throw conflict(resumeRefusal(now) ?? `workflow ${workflowId} changed while it was resumed; try again`);
    }
    if (wf.status === "suspended") {
      this.ctx.log.info({ workflowId }, "suspended workflow resumed");
      this.ctx.events.workflowStatusChanged(workflowId);
    }
    return { id: workflowId, seed: wf.seed, driverTaskId: null, driverHeartbeatMs: this.ctx.config.driverHeartbeatIntervalMs };
  }

  /**
   * A local driver is alive. With waitMs the answer waits until the workflow stops running (killed,
   * suspended, closed) or waitMs passes: the driver learns at once that it must stop.
   */
  async driverHeartbeat(p: Principal, workflowId: number, req: DriverHeartbeat, signal?: AbortSignal): Promise<DriverHeartbeatResponse> {
    const { store, config, events } = this.ctx;
    await this.deps.guard.authorizeWorkflow(p, workflowId);
    await store.workflows.driverHeartbeat(workflowId);
    const deadline = Date.now() + Math.min(req.waitMs, config.maxWaitMs);
    const sub = req.waitMs > 0 ? events.subscribe([Topics.workflowStatus(workflowId)]) : undefined;
    try {
      for (;;) {
        const wf = await workflowState(store, workflowId);
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
    await this.deps.guard.authorizeWorkflow(p, workflowId);
    const change = await this.ctx.store.workflows.suspend(workflowId, req.reason);
    if (!change) throw conflict(suspendRefusal(await workflowState(this.ctx.store, workflowId)) ?? `workflow ${workflowId} is not running`);
    this.deps.ends.afterClose(workflowId, change);
    this.ctx.log.warn({ workflowId, reason: req.reason, resume: resumeHint(workflowId) }, "workflow suspended");
    return this.getWorkflow(p, workflowId);
  }

  /**
   * Suspends the running local workflows whose driver stopped sending heartbeats (its process was killed or
   * hangs): their unfinished tasks are stopped, and `pando run --resume` takes them up again.
   */
  async sweepLostDrivers(): Promise<number> {
    const { store, config, log } = this.ctx;
    const now = Date.now();
    const timeout = config.driverHeartbeatTimeoutMs;
    // A driver silent while this server was down gets a whole timeout after start-up to come back (--resume).
    const before = lostBefore(now, timeout, this.ctx.heardSince.at(now));
    if (before === 0) return 0;
    const lost = await store.workflows.silentDrivers(before);
    let suspended = 0;
    for (const id of lost) {
      const change = await store.workflows.suspend(id, `the driver sent no heartbeat for ${timeout} ms (its process was killed, or hangs)`);
      if (!change) continue;
      this.deps.ends.afterClose(id, change);
      suspended++;
    }
    if (suspended > 0) log.warn({ workflowIds: lost }, "local drivers lost (no heartbeat); their workflows are suspended");
    return suspended;
  }

  /** Values a driver computed once with context().step(), for its runs to come. */
  async steps(p: Principal, workflowId: number): Promise<StepRecord[]> {
    await this.deps.guard.authorizeWorkflow(p, workflowId);
    return this.ctx.store.workflows.steps(workflowId);
  }

  /** Records a step's value; a step recorded before keeps its first value, which is returned. */
  async putStep(p: Principal, workflowId: number, seq: number, req: PutStep): Promise<StepRecord> {
    await this.deps.guard.authorizeWorkflow(p, workflowId);
    checkPayload(this.ctx.config, req.value, `the value of step '${req.name}'`);
    const stored = await this.ctx.store.workflows.putStep(workflowId, seq, req.name, req.value);
    if (!stored) throw notFound("workflow", workflowId);
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
    await this.deps.guard.authorizeWorkflow(p, workflowId);
    const deadline = Date.now() + Math.min(q.waitMs, this.ctx.config.maxWaitMs);
    const sub = q.waitMs > 0 ? this.ctx.events.subscribe([Topics.workflow(workflowId)]) : undefined;
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
    const { store } = this.ctx;
    const view = await store.workflows.get(workflowId);
    if (!view) throw notFound("workflow", workflowId);
    const running = await store.monitor.runningByTask(view.tasks.filter((t) => !FINAL_TASK_STATUSES.has(t.status)).map((t) => t.id));
    for (const t of view.tasks) t.nRunning = running.get(t.id) ?? 0;
    await this.deps.queues.withPendingReasons(view.tasks, running);
    return view;
  }

  async closeWorkflow(p: Principal, workflowId: number, req: CloseWorkflow): Promise<WorkflowView> {
    await this.deps.guard.authorizeWorkflow(p, workflowId);
    if (req.result !== undefined) checkPayload(this.ctx.config, req.result, "the workflow's result");
    const change = await this.ctx.store.workflows.close(workflowId, {
      body: req.outcome,
      result: req.result ?? null,
      error: req.error ?? null,
      keep: req.completeTasks,
    });
    if (change) this.deps.ends.afterClose(workflowId, change);
    return this.getWorkflow(p, workflowId);
  }

  async killWorkflow(p: Principal, workflowId: number): Promise<WorkflowView> {
    await this.deps.guard.authorizeWorkflow(p, workflowId);
    const change = await this.ctx.store.workflows.kill(workflowId);
    if (change?.alreadyEnded) throw conflict(`workflow ${workflowId} has already ended (${change.status}); only running workflows can be killed`);
    if (change) this.deps.ends.afterClose(workflowId, change);
    return this.getWorkflow(p, workflowId);
  }

  /**
   * Runs the failed and cancelled jobs of a workflow's ended tasks again. Only while the workflow is
   * suspended: its resumed driver reads their new results (core/workflow-lifecycle, retryRefusal).
   */
  async retryWorkflow(p: Principal, workflowId: number): Promise<{ retried: number }> {
    const view = await this.getWorkflow(p, workflowId);
    await requireRetryable(this.ctx.store, workflowId);
    let retried = 0;
    for (const t of view.tasks) {
      if (t.status === "finished" || t.status === "failed" || t.status === "cancelled") {
        retried += (await this.deps.tasks.retryTask(p, t.id)).retried;
      }
    }
    if (retried === 0) throw conflict(`workflow ${workflowId} has no failed or cancelled jobs to retry`);
    return { retried };
  }
}
