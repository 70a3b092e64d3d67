import { randomBytes } from "node:crypto";
import { ApiError, conflict, notFound } from "../api/errors.js";
import type { ResultsQuery, TaskResultsResponse } from "../api/results.js";
import type { JobView, SubmitTask, SubmitTaskResponse, TaskView } from "../api/tasks.js";
import type { TaskNeeds } from "../core/brokerage.js";
import { callHash } from "../core/call-hash.js";
import { hop, hopAt, tracingHops } from "../core/hop-trace.js";
import { FINAL_TASK_STATUSES } from "../core/states.js";
import { submissionRefusal } from "../core/workflow-lifecycle.js";
import type { Principal } from "../store/auth-store.js";
import type { TaskChange } from "../store/task-store.js";
import type { AccessGuard } from "./access-guard.js";
import type { BundleService } from "./bundle-service.js";
import { resultsFrom } from "./carried-results.js";
import type { ServerContext } from "./context.js";
import { Topics } from "./events.js";
import { checkPayload } from "./payload-limits.js";
import type { PilotHandoff } from "./pilot-handoff.js";
import type { QueueService } from "./queue-service.js";
import type { WorkflowEnds } from "./workflow-ends.js";
import { requireRetryable } from "./workflow-state.js";
import { epochNow } from "../core/epoch-clock.js";

/** The siblings the task service works with, named by the composition root. */
export interface TaskDeps {
  guard: AccessGuard;
  queues: QueueService;
  bundles: BundleService;
  handoff: PilotHandoff;
  ends: WorkflowEnds;
}

/** A workflow's tasks: submitted (brokered to a queue, handed to waiting pilots), read, their results, killed, retried. */
export class TaskService {
  constructor(
    private readonly ctx: ServerContext,
    private readonly deps: TaskDeps,
  ) {}

  async submitTask(p: Principal, workflowId: number, req: SubmitTask): Promise<SubmitTaskResponse> {
    const tReceived = tracingHops() ? epochNow() : 0;
    const { config, events } = this.ctx;
    const { queues, handoff } = this.deps;
    await this.deps.guard.authorizeWorkflow(p, workflowId);
    await this.deps.bundles.requireBundle(p, req.bundleHash);
    if (req.projectHash !== undefined) await this.deps.bundles.requireBundle(p, req.projectHash);
    const needs: TaskNeeds = {
      queues: req.queues ?? (req.queue === undefined ? [] : [req.queue]),
      cores: req.cores ?? 1,
      memoryMb: req.memoryMb ?? 0,
      walltimeS: req.walltimeS ?? 0,
    };
    for (const q of needs.queues) await queues.requireQueue(q);
    const brokered = await queues.broker(needs);
    const queue = "queue" in brokered ? brokered.queue : null;
    const seen = new Map<string, number>();
    req.jobs.forEach((job, i) => {
      checkPayload(config, job.args, `the arguments of jobs[${i}]`);
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
    // The server makes every task's key: a key a client chose could be one another task already uses.
    const resultKey = randomBytes(32).toString("hex");
    const task = await this.ctx.store.tasks.addTask(
      {
        workflowId,
        work: req.work,
        bundleHash: req.bundleHash,
        projectHash: req.projectHash,
        seq: req.seq ?? null,
        queue,
        pendingReason: "reason" in brokered ? brokered.reason : undefined,
        needs,
        initEnv: req.initEnv,
        container: req.container,
        priority: req.priority ?? 0,
        maxAttempts: req.maxAttempts ?? config.defaultMaxAttempts,
        objective: req.objective,
        // A client that brings no channel still gets one, so that its results can be relayed too.
        channel: req.channel ?? `${randomBytes(16).toString("hex")}.0`,
        resultKey,
        argsHash: req.seq === undefined ? null : callHash(req.work, req.jobs),
        jobs: req.jobs,
      },
      handoff.waitingOn(queue, config.maxHandOffPilots),
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
          events.taskChanged(task.id);
          events.workflowChanged(workflowId);
          if (task.queue !== "") events.queueHasWork(task.queue, task.resumed);
        }
        return { id: task.id, nJobs: task.nJobs, attached: true, resultKey: (await this.ctx.store.taskReads.info(task.id))?.resultKey ?? "" };
      case "created": {
        if (tracingHops()) {
          hopAt("server.submit_received", task.id, 0, 0, tReceived);
          hop("server.recorded", task.id, 0, 0);
        }
        events.workflowChanged(workflowId);
        if (queue !== null) {
          const owner = (await this.deps.guard.ownerOf(workflowId)) ?? p.userId;
          handoff.warm(queue, { kind: "warm", owner, bundleHash: req.bundleHash, projectHash: req.projectHash, initEnv: req.initEnv, container: req.container });
        }
        const handed = handoff.deliver(task.claims);
        if (queue !== null && handed < req.jobs.length) events.queueHasWork(queue, req.jobs.length - handed);
        return {
          id: task.id,
          nJobs: task.nJobs,
          attached: false,
          resultKey,
          pendingReason: "reason" in brokered ? brokered.reason : undefined,
        };
      }
    }
  }

  async getTask(p: Principal, taskId: number): Promise<TaskView> {
    await this.deps.guard.authorizeTask(p, taskId);
    const view = await this.ctx.store.taskReads.get(taskId);
    if (!view) throw notFound("task", taskId);
    await this.deps.queues.withPendingReasons([view]);
    return view;
  }

  /**
   * Final outcomes after the cursor; waits up to waitMs for the first one (long-poll). Woken by a change that
   * carries its results from the cursor on (pilots' reports recorded on this replica), it answers with them
   * rather than reading them back.
   */
  async taskResults(p: Principal, taskId: number, q: ResultsQuery, signal?: AbortSignal): Promise<TaskResultsResponse> {
    const { store, config, events } = this.ctx;
    await this.deps.guard.authorizeTask(p, taskId);
    const deadline = Date.now() + Math.min(q.waitMs, config.maxWaitMs);
    const sub = events.subscribe([Topics.task(taskId)]);
    const carried: TaskChange[] = [];
    const stopHearing = events.onTaskResults(taskId, (change) => carried.push(change));
    try {
      for (;;) {
        // Those heard so far are committed, so the read below sees them.
        carried.length = 0;
        const task = await store.taskReads.get(taskId);
        if (!task) throw notFound("task", taskId);
        const results = task.resultCursor > q.after ? await store.taskReads.results(taskId, q.after, q.limit) : [];
        const cursor = results.length > 0 ? results[results.length - 1]!.seq : q.after;
        if (results.length > 0 || FINAL_TASK_STATUSES.has(task.status)) return { task, results, cursor };
        const left = deadline - Date.now();
        if (left <= 0 || !(await sub.wait(left, signal))) return { task, results, cursor };
        const heard = resultsFrom(carried, q.after, q.limit);
        if (heard) return heard;
      }
    } finally {
      stopHearing();
      sub.close();
    }
  }

  async killTask(p: Principal, taskId: number): Promise<TaskView> {
    await this.deps.guard.authorizeTask(p, taskId);
    const killed = await this.ctx.store.tasks.kill(taskId);
    if (!killed) {
      const view = await this.getTask(p, taskId);
      throw conflict(`task ${taskId} is already ${view.status}; only unfinished tasks can be killed`);
    }
    this.ctx.events.tasksChanged([killed.change], { pilots: killed.pilots });
    if (killed.change.ended) this.deps.ends.settleConcurrentClose([killed.change.workflowId]);
    return this.getTask(p, taskId);
  }

  /** Runs the failed and cancelled jobs of an ended task again, while its workflow is suspended (see retryWorkflow). */
  async retryTask(p: Principal, taskId: number): Promise<{ retried: number }> {
    const { store, events } = this.ctx;
    const workflowId = await this.deps.guard.authorizeTask(p, taskId);
    const view = await this.getTask(p, taskId);
    await requireRetryable(store, workflowId);
    if (!FINAL_TASK_STATUSES.has(view.status)) {
      throw conflict(`task ${taskId} is still ${view.status}; retry it once it has ended`);
    }
    const retried = await store.tasks.retry(taskId);
    if (retried === "refused") {
      // Resumed or killed since the check above.
      await requireRetryable(store, workflowId);
      throw conflict(`workflow ${workflowId} changed while task ${taskId} was retried; try again`);
    }
    if (retried === 0) throw conflict(`task ${taskId} has no failed or cancelled jobs to retry`);
    events.queueHasWork(view.queue);
    events.taskChanged(taskId);
    events.workflowChanged(workflowId);
    return { retried };
  }

  async getJob(p: Principal, jobId: number): Promise<JobView> {
    const job = await this.ctx.store.taskReads.job(jobId);
    if (!job) throw notFound("job", jobId);
    await this.deps.guard.authorizeWorkflow(p, job.workflowId);
    return job;
  }
}
