import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { BundleCache } from "../bundle/cache.js";
import type { ErrorInfo } from "../core/errors.js";
import { ResultPublisher, type TaskReports } from "../bus/publisher.js";
import type {
  AcquireResponse,
  AttemptRef,
  AttemptUpdate,
  DispatchedJob,
  HeartbeatResponse,
  PilotCommand,
  RegisterPilotResponse,
  ReportResponse,
} from "../core/protocol.js";
import { HttpTransport, PandoApiError } from "../sdk/http.js";
import { Environments } from "./environments.js";
import { CONTAINER_RUNTIMES, contextKey, findContainerRuntime } from "./execution-context.js";
import { ExecutorHandle, type ExecutorEvents } from "./executor-handle.js";
import type { JobDone } from "./executor-protocol.js";
import { planDispatch, type PlanExecutor } from "./dispatch-plan.js";
import { TaskDepths } from "./job-depth.js";
import { treeResidentMb } from "./process-tree.js";

export interface PilotOptions {
  server: string;
  token: string;
  queue: string;
  /** Executor processes, i.e. jobs run at once. */
  slots: number;
  /** Where fetched bundles are kept. */
  cacheDir: string;
  /** Where command works get their working directories; default PANDO_WORK_ROOT, or the system's temporary directory. */
  workRoot?: string;
  name?: string;
  /** Most jobs held per slot when jobs are fast (default 1000). */
  maxDepthPerSlot?: number;
  /** Most tasks named as fast in one acquire, those it may hold more jobs of than it has free slots (default 20; 0: none). */
  prefetchTasks?: number;
  /**
   * A warm command replaces executors of other bundles only after they ran no job for this long (default
   * 5 s): a workflow between two iterations keeps its executors, code nobody runs any more gives them up.
   */
  warmReplacesIdleMs?: number;
  /** How long a stopping pilot lets running jobs finish. */
  stopGraceMs?: number;
  /** Leaves after holding no job for this long (a provisioned pilot frees its slot); default never. */
  idleExitMs?: number;
  /** The provisioner's worker this pilot is, if it started it. */
  worker?: number;
  /**
   * Told when every executor this pilot started for a warm command (PilotCommand "warm") of a bundle is
   * ready, or could not start: `pando run` waits for its local pilots this way before its driver runs.
   */
  onWarm?: (bundleHash: string) => void;
  log: Logger;
}

type Phase = "fetching" | "waiting" | "running" | "done";

/** A job waiting for an executor, with its execution context (contextKey) worked out once. */
interface Waiting {
  job: DispatchedJob;
  key: string;
  taskId: number;
}

const waitingOf = (job: DispatchedJob): Waiting => ({ job, key: contextKey(job), taskId: job.taskId });

interface Held {
  job: DispatchedJob;
  phase: Phase;
  startedAt: number | undefined;
  runningReported: boolean;
  /** Its final state went to the broker; it stays listed in heartbeats until the server has recorded it. */
  published: boolean;
  /** The final update as published, kept to report it over REST should the server not record it in time. */
  update: AttemptUpdate | undefined;
  publishedAt: number;
  /** Stops the limit watches of the running job. */
  stopWatching?: () => void;
}

const ACQUIRE_WAIT_MS = 30_000;
const REPORT_BATCH = 5000;
const REPORT_BATCH_CHARS = 32 * 1024 * 1024;
const RUNNING_REPORT_DELAY_MS = 100;
const DEPTH_WINDOW_MS = 20;
const DEFAULT_WARM_REPLACES_IDLE_MS = 5_000;
const DEFAULT_PREFETCH_TASKS = 20;
const DEFAULT_MAX_DEPTH_PER_SLOT = 1000;

const keyOf = (j: { jobId: number; attempt: number }) => `${j.jobId}:${j.attempt}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const MEMORY_CHECK_MS = 500;

/** How a job whose executor the pilot killed ended: over a limit, or killed by a user. */
function killedOutcome(ex: ExecutorHandle): Omit<AttemptUpdate, "jobId" | "attempt"> {
  return ex.killReason ? { state: "failed", error: ex.killReason } : { state: "cancelled", error: { code: "killed", message: "killed by a user" } };
}

/**
 * The worker agent: takes jobs of its queue from the server in batches (long-poll), runs them in warm
 * executor processes, and reports their outcomes in batches. Everything it holds is listed in its
 * heartbeats until the server has acknowledged the job's final state.
 */
export class Pilot implements ExecutorEvents {
  /**
   * To the server, or its replicas (--server a,b,…): a replica that cannot be reached is left for the next;
   * they share the database, so this pilot, its id and the jobs it holds are the same there.
   */
  private readonly http: HttpTransport;
  private readonly cache: BundleCache;
  private readonly depths: TaskDepths;
  private readonly held = new Map<string, Held>();
  private waiting: Waiting[] = [];
  /** Jobs being taken back from an executor's queue (not started there) to run on another one. */
  private readonly moving = new Set<string>();
  /** Executors started for a warm command, by bundle, until all of them are ready or gone. */
  private readonly warming = new Map<string, Set<ExecutorHandle>>();
  /** When each executor started or last ended a job. */
  private readonly lastBusy = new WeakMap<ExecutorHandle, number>();
  private dispatchScheduled = false;
  private readonly executors: ExecutorHandle[] = [];
  /** Executors of driver jobs: one each, outside the slots (a driver mostly waits for its work calls). */
  private readonly drivers = new Set<ExecutorHandle>();
  private readonly bundles = new Map<string, Promise<string>>();
  /** Bundles ready to import, by hash (in the cache, or beside their installed environment). */
  private readonly bundleFiles = new Map<string, string>();
  private readonly environments: Environments;
  /** Execution contexts (bundle, initEnv, container) whose executor could not load: their jobs fail at once. */
  private readonly brokenContexts = new Map<string, ErrorInfo>();
  /** The container runtime of this host, if any. */
  private readonly runtime = findContainerRuntime();
  private pending: AttemptUpdate[] = [];
  /** Updates that must go over REST even though the broker is up (see reportUnrecorded). */
  private readonly restOnly = new Set<string>();
  private reporting: Promise<void> | undefined;
  private acquiring: AbortController | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private runningTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private busyAt = Date.now();
  private stopped: Promise<void> | undefined;
  private stopping = false;
  private id = 0;
  private config: RegisterPilotResponse | undefined;
  private publisher: ResultPublisher | undefined;

  constructor(private readonly options: PilotOptions) {
    this.http = new HttpTransport(options.server, options.token, (server) =>
      this.log.warn({ pilot: this.id, server }, "moved to another server replica"),
    );
    this.cache = new BundleCache(options.cacheDir);
    this.environments = new Environments(join(options.cacheDir, "envs"), (hash) => this.fetchBlob(hash), options.log);
    this.depths = new TaskDepths(DEPTH_WINDOW_MS, options.maxDepthPerSlot ?? DEFAULT_MAX_DEPTH_PER_SLOT);
  }

  get pilotId(): number {
    return this.id;
  }

  private get name(): string {
    return this.options.name ?? `${hostname()}:${process.pid}`;
  }

  private get log(): Logger {
    return this.options.log;
  }

  /** Registers and works until stop() is called, or until it has been idle for idleExitMs. */
  async run(): Promise<void> {
    await this.register();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.config!.heartbeatIntervalMs);
    const idleExit = this.options.idleExitMs;
    if (idleExit !== undefined) {
      this.idleTimer = setInterval(() => {
        if (this.held.size > 0 || this.drivers.size > 0) this.busyAt = Date.now();
        else if (Date.now() - this.busyAt >= idleExit) {
          this.log.info({ pilot: this.id, idleMs: idleExit }, "idle; leaving");
          void this.stop();
        }
      }, Math.min(1000, Math.max(50, idleExit / 4)));
    }
    while (!this.stopping) await this.acquireOnce();
  }

  private async register(): Promise<void> {
    this.config = await this.http.json<RegisterPilotResponse>(
      "POST",
      "/api/v1/pilots",
      {
        queue: this.options.queue,
        name: this.name,
        host: hostname(),
        pid: process.pid,
        slots: this.options.slots,
        version: process.version,
        worker: this.options.worker,
      },
      { retryUnreachableMs: 30_000 },
    );
    this.id = this.config.id;
    this.log.info({ pilot: this.id, queue: this.options.queue, slots: this.options.slots }, "pilot registered");
    await this.publisher?.stop();
    this.publisher = undefined;
    if (this.config.broker) {
      this.publisher = new ResultPublisher(this.config.broker, this.id, this.name, this.options.queue, this.log);
      this.publisher.start();
    }
  }

  // ---- taking jobs ----------------------------------------------------------------------------------

  /**
   * What this pilot asks for: up to its slots times the depth of the fast tasks it knows, besides the
   * drivers it runs. The server hands out jobs of any task only for its free slots, and beyond them only
   * jobs of those fast tasks (core/hand-out.ts): jobs of a task it knows nothing of stay on the server for
   * other pilots' free slots.
   */
  private demand(): { capacity: number; drivers: number; prefetch: number[] } {
    if (this.stopping) return { capacity: 0, drivers: this.drivers.size, prefetch: [] };
    const { tasks, depth } = this.depths.prefetch(this.options.prefetchTasks ?? DEFAULT_PREFETCH_TASKS);
    return { capacity: this.options.slots * depth + this.drivers.size, drivers: this.drivers.size, prefetch: tasks };
  }

  /**
   * One long-poll for jobs and commands. The server subtracts what this pilot holds from its capacity and
   * answers as soon as there is room and work, so one open request serves both idle and busy pilots.
   */
  private async acquireOnce(): Promise<void> {
    const controller = new AbortController();
    this.acquiring = controller;
    try {
      const res = await this.http.json<AcquireResponse>(
        "POST",
        `/api/v1/pilots/${this.id}/acquire`,
        { ...this.demand(), published: this.published(), waitMs: ACQUIRE_WAIT_MS },
        { signal: controller.signal },
      );
      this.handleCommands(res.commands);
      this.forgetRecorded(res.recorded.map(([jobId, attempt]) => ({ jobId, attempt })), true);
      for (const job of res.jobs) this.accept(job);
      // Jobs of bundles at hand go to executors now, before this pilot's next request leaves.
      if (res.jobs.length > 0) this.dispatch();
    } catch (err) {
      if (controller.signal.aborted) return;
      await this.onServerError(err, "acquire");
    } finally {
      this.acquiring = undefined;
    }
  }

  private async onServerError(err: unknown, what: string): Promise<void> {
    if (err instanceof PandoApiError && err.code === "pilot_ended") {
      this.log.warn({ pilot: this.id }, "the server declared this pilot ended; dropping its jobs and registering again");
      this.dropEverything();
      await this.register();
      return;
    }
    this.log.warn({ err: err instanceof Error ? err.message : String(err), what }, "server request failed; retrying");
    await sleep(1000);
  }

  private dropEverything(): void {
    for (const ex of [...this.executors.splice(0), ...this.drivers]) ex.kill();
    this.drivers.clear();
    this.held.clear();
    this.waiting = [];
    this.pending = [];
  }

  private accept(job: DispatchedJob): void {
    const held: Held = {
      job,
      phase: "fetching",
      startedAt: undefined,
      runningReported: false,
      published: false,
      update: undefined,
      publishedAt: 0,
    };
    this.held.set(keyOf(job), held);
    if (job.container && !this.runtime) {
      this.finish(held, {
        state: "failed",
        error: {
          code: "container_unavailable",
          message:
            `the job runs in container ${job.container}, but pilot ${this.name} has no container runtime ` +
            `(${CONTAINER_RUNTIMES.join(", ")}); install one on the pilot's hosts or send the work to a queue that has one`,
        },
      });
      return;
    }
    const broken = this.brokenContexts.get(contextKey(job));
    if (broken) {
      this.finish(held, { state: "failed", error: broken });
      return;
    }
    if (job.kind !== "driver" && this.bundleFiles.has(job.bundleHash)) {
      // The bundle is here already: the job waits for an executor at once (the caller dispatches).
      held.phase = "waiting";
      this.waiting.push(waitingOf(job));
      return;
    }
    this.bundlePath(job.bundleHash).then(
      () => {
        if (held.phase !== "fetching") return;
        if (job.kind === "driver") {
          this.startDriver(held);
          return;
        }
        held.phase = "waiting";
        this.waiting.push(waitingOf(job));
        this.scheduleDispatch();
      },
      (err: unknown) =>
        this.finish(held, {
          state: "failed",
          error: { code: "bundle_unavailable", message: `could not fetch bundle ${job.bundleHash}: ${String(err)}` },
        }),
    );
  }

  private fetchBlob(hash: string): Promise<Uint8Array> {
    return this.http.bytes("GET", `/api/v1/bundles/${hash}`, undefined, { retryUnreachableMs: 10_000 }) as Promise<Uint8Array>;
  }

  /** The file to import a bundle from, fetched (and its environment installed) the first time. */
  private bundlePath(hash: string): Promise<string> {
    let path = this.bundles.get(hash);
    if (!path) {
      const cached = this.cache.has(hash)
        ? Promise.resolve(this.cache.pathOf(hash))
        : this.fetchBlob(hash).then((code) => this.cache.put(hash, code));
      path = cached.then((file) => this.environments.place(file, hash));
      path.then((file) => this.bundleFiles.set(hash, file)).catch(() => this.bundles.delete(hash));
      this.bundles.set(hash, path);
    }
    return path;
  }

  // ---- executors ------------------------------------------------------------------------------------

  /**
   * Dispatches once the events at hand are handled: a batch of jobs accepted or ended together costs one
   * plan, not one each.
   */
  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    queueMicrotask(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  /**
   * Sends waiting jobs to executors of their context as planDispatch decides (idle executors first, new
   * executors for the rest at once while slots are free, queues behind busy executors only for tasks known
   * to be fast), and takes queued jobs back for executors that are idle.
   */
  private dispatch(): void {
    if (this.stopping) return;
    // Nothing waits and no executor is idle (to take queued jobs back): nothing to plan.
    if (this.waiting.length === 0 && !this.executors.some((e) => e.ready && e.inflight.length === 0)) return;
    const executors = this.executors.filter((e) => e.alive);
    const plan = planDispatch({
      slots: this.options.slots,
      waiting: this.waiting,
      executors: executors.map((e) => this.planned(e)),
      depthOf: (taskId) => this.depths.depth(taskId),
    });
    for (const i of plan.retire) this.retire(executors[i]!);
    const sent = new Set<number>();
    for (const [i, jobs] of plan.assign) {
      const ex = executors[i]!;
      const batch = jobs.map((j) => this.waiting[j]!.job);
      jobs.forEach((j) => sent.add(j));
      const wasIdle = ex.inflight.length === 0;
      for (const j of batch) this.held.get(keyOf(j))!.phase = "running";
      ex.run(batch);
      if (wasIdle) this.started(ex);
    }
    for (const key of plan.start) {
      this.executors.push(this.newExecutor(this.waiting.find((w) => w.key === key)!.job));
    }
    for (const { executor, count } of plan.takeBack) {
      const ex = executors[executor]!;
      // From the end of its queue, never the job it runs.
      const queued = ex.inflight.slice(1).filter((j) => !this.moving.has(keyOf(j)));
      for (const job of queued.slice(-count)) {
        this.moving.add(keyOf(job));
        ex.cancelQueued(job);
      }
    }
    // Mostly the first few of many: removed in place, from the last, rather than copying the rest.
    for (const j of [...sent].sort((a, b) => b - a)) this.waiting.splice(j, 1);
  }

  /** An executor as planDispatch sees it (its queue may hold a thousand fast jobs: one pass, few tasks). */
  private planned(ex: ExecutorHandle): PlanExecutor {
    const tasks: number[] = [];
    const checkMoving = this.moving.size > 0;
    const inflight = ex.inflight;
    let leaving = 0;
    let last = -1;
    for (let i = 0; i < inflight.length; i++) {
      const j = inflight[i]!;
      if (checkMoving && this.moving.has(keyOf(j))) leaving++;
      else if (j.taskId !== last) {
        last = j.taskId;
        if (!tasks.includes(last)) tasks.push(last);
      }
    }
    return { key: ex.key, ready: ex.ready, jobs: inflight.length - leaving, tasks, leaving };
  }

  /**
   * A warm command: a workflow of this context started on the queue, so its jobs are due soon. Starts
   * executors for it in every free slot, and in the slots of executors of other bundles that hold and await
   * no job and have run none for a while (an older version of the code, most likely), before any job of it
   * arrives.
   */
  private warm(context: Pick<DispatchedJob, "bundleHash" | "initEnv" | "container">): void {
    const key = contextKey(context);
    const done = () => this.options.onWarm?.(context.bundleHash);
    if (this.brokenContexts.has(key) || (context.container && !this.runtime)) {
      done();
      return;
    }
    this.bundlePath(context.bundleHash).then(
      () => {
        if (this.stopping) return;
        const started = this.warming.get(context.bundleHash) ?? new Set<ExecutorHandle>();
        let want = this.options.slots - this.executors.filter((e) => e.alive && e.key === key).length;
        while (want > 0) {
          if (this.executors.length >= this.options.slots) {
            const idleSince = Date.now() - (this.options.warmReplacesIdleMs ?? DEFAULT_WARM_REPLACES_IDLE_MS);
            const idle = this.executors.find(
              (e) =>
                e.inflight.length === 0 &&
                e.bundleHash !== context.bundleHash &&
                (this.lastBusy.get(e) ?? 0) <= idleSince &&
                !this.waiting.some((w) => w.key === e.key),
            );
            if (!idle) break;
            this.retire(idle);
          }
          const ex = this.newExecutor(context);
          this.executors.push(ex);
          started.add(ex);
          want--;
        }
        this.log.info({ pilot: this.id, bundle: context.bundleHash.slice(0, 12), executors: started.size }, "warming executors");
        if (started.size === 0) done();
        else this.warming.set(context.bundleHash, started);
      },
      (err: unknown) => {
        this.log.warn({ bundle: context.bundleHash, err: String(err) }, "could not fetch a bundle to warm");
        done();
      },
    );
  }

  /** An executor started for a warm command is ready or gone: the pilot is warm once all of them are. */
  private warmed(ex: ExecutorHandle): void {
    const started = this.warming.get(ex.bundleHash);
    if (!started?.delete(ex) || started.size > 0) return;
    this.warming.delete(ex.bundleHash);
    this.log.info({ pilot: this.id, bundle: ex.bundleHash.slice(0, 12) }, "executors warm");
    this.options.onWarm?.(ex.bundleHash);
  }

  private newExecutor(job: Pick<DispatchedJob, "bundleHash" | "initEnv" | "container">): ExecutorHandle {
    const settings = {
      maxPayloadBytes: this.config!.maxPayloadBytes,
      maxLogChars: this.config!.maxLogChars,
      label: `pilot ${this.id} executor`,
      serverUrl: this.http.baseUrl,
      workRoot: this.options.workRoot || process.env.PANDO_WORK_ROOT || tmpdir(),
    };
    const context = { initEnv: job.initEnv, container: job.container, runtime: this.runtime };
    const file = this.bundleFiles.get(job.bundleHash) ?? this.cache.pathOf(job.bundleHash);
    const ex = new ExecutorHandle(contextKey(job), job.bundleHash, file, settings, context, this);
    this.lastBusy.set(ex, Date.now());
    return ex;
  }

  /** A driver job gets an executor of its own, started at once. */
  private startDriver(held: Held): void {
    held.phase = "running";
    const ex = this.newExecutor(held.job);
    this.drivers.add(ex);
    ex.inflight.push(held.job);
  }

  private retire(ex: ExecutorHandle): void {
    this.executors.splice(this.executors.indexOf(ex), 1);
    ex.kill();
  }

  /** The executor's next job starts now. */
  private started(ex: ExecutorHandle): void {
    const job = ex.current;
    if (!job) return;
    const held = this.held.get(keyOf(job));
    // Already under way (a job taken back from its queue ended, not the one running).
    if (!held || held.startedAt !== undefined) return;
    held.startedAt = Date.now();
    this.watchLimits(held, ex);
    this.runningTimer ??= setTimeout(() => {
      this.runningTimer = undefined;
      this.reportRunning();
    }, RUNNING_REPORT_DELAY_MS);
  }

  /**
   * Holds a job to what it asked for: its executor is killed when the job runs past its walltime
   * (`walltime_exceeded`) or the resident memory of the executor and every process it started (a command
   * work's command and its children) goes over the job's memory (`out_of_memory`).
   */
  private watchLimits(held: Held, ex: ExecutorHandle): void {
    const job = held.job;
    const over = (error: ErrorInfo) => {
      if (ex.current === job && held.phase === "running") ex.kill(job, error);
    };
    const stops: Array<() => void> = [];
    if (job.walltimeMs > 0) {
      const timer = setTimeout(
        () => over({ code: "walltime_exceeded", message: `the job ran longer than its walltime of ${job.walltimeMs} ms and was killed` }),
        job.walltimeMs,
      );
      stops.push(() => clearTimeout(timer));
    }
    if (job.memoryMb > 0) {
      const check = setInterval(() => {
        const rss = ex.pid === undefined ? undefined : treeResidentMb(ex.pid);
        if (rss === undefined || rss <= job.memoryMb) return;
        over({
          code: "out_of_memory",
          message: `the job's processes used ${Math.round(rss)} MiB, over the ${job.memoryMb} MiB it asked for, and were killed`,
        });
      }, MEMORY_CHECK_MS);
      stops.push(() => clearInterval(check));
    }
    held.stopWatching = () => stops.forEach((stop) => stop());
  }

  /** Jobs still running a moment after they started are reported as running (fast ones never are). */
  private reportRunning(): void {
    const now = Date.now();
    let added = false;
    for (const h of this.held.values()) {
      if (h.phase !== "running" || h.runningReported || h.startedAt === undefined) continue;
      if (now - h.startedAt < RUNNING_REPORT_DELAY_MS) continue;
      h.runningReported = true;
      this.pending.push({ jobId: h.job.jobId, attempt: h.job.attempt, state: "running", startedAt: h.startedAt });
      added = true;
    }
    if (added) void this.flush();
  }

  onReady(ex: ExecutorHandle): void {
    if (this.drivers.has(ex)) {
      // Its one job was put in flight when the executor was started.
      ex.run(ex.inflight.splice(0));
      this.started(ex);
      return;
    }
    this.warmed(ex);
    this.scheduleDispatch();
  }

  onLoadFailed(ex: ExecutorHandle, error: ErrorInfo): void {
    if (this.drivers.delete(ex)) {
      const held = ex.inflight[0] && this.held.get(keyOf(ex.inflight[0]));
      ex.inflight.splice(0);
      ex.kill();
      if (held) this.finish(held, { state: "failed", error });
      return;
    }
    this.brokenContexts.set(ex.key, error);
    this.retire(ex);
    const failing = this.waiting.filter((w) => w.key === ex.key);
    this.waiting = this.waiting.filter((w) => w.key !== ex.key);
    for (const { job: j } of failing) {
      const held = this.held.get(keyOf(j));
      if (held) this.finish(held, { state: "failed", error });
    }
  }

  onDone(ex: ExecutorHandle, job: DispatchedJob, done: JobDone): void {
    this.lastBusy.set(ex, Date.now());
    const held = this.held.get(keyOf(job));
    if (this.drivers.delete(ex)) {
      ex.kill();
      if (held) {
        const { t: _t, ok, dropped: _dropped, jobId: _j, attempt: _a, ...fields } = done;
        this.finish(held, { ...fields, state: ok ? "finished" : "failed" });
      }
      return;
    }
    const moved = this.moving.delete(keyOf(job));
    if (held && done.dropped && moved) {
      // Taken back before it started: it runs on the next executor that is free.
      held.stopWatching?.();
      held.startedAt = undefined;
      held.phase = "waiting";
      this.waiting.unshift(waitingOf(job));
    } else if (held) {
      if (done.dropped) {
        this.finish(held, { state: "cancelled", error: { code: "killed", message: "killed by a user" } });
      } else {
        this.depths.observe(job.taskId, done.endedAt - done.startedAt);
        this.finish(held, {
          state: done.ok ? "finished" : "failed",
          result: done.result,
          error: done.error,
          startedAt: done.startedAt,
          endedAt: done.endedAt,
          stdout: done.stdout,
          stderr: done.stderr,
        });
      }
    }
    this.started(ex);
    this.scheduleDispatch();
  }

  onExit(ex: ExecutorHandle, inflight: DispatchedJob[], reason: string): void {
    if (this.drivers.delete(ex)) {
      const held = inflight[0] && this.held.get(keyOf(inflight[0]));
      if (!held) return;
      if (ex.killedFor === held.job) this.finish(held, killedOutcome(ex));
      else this.finish(held, { state: "failed", error: { code: "executor_crash", message: reason } });
      return;
    }
    const i = this.executors.indexOf(ex);
    if (i >= 0) this.executors.splice(i, 1);
    this.warmed(ex);
    for (const j of inflight) this.moving.delete(keyOf(j));
    const [first, ...rest] = inflight;
    if (first && this.stopping && ex.killedFor !== first) {
      // Killed with the pilot (its batch job ended, say): not the job's fault. The server retries it as held
      // by a pilot that left, without spending the user's attempts.
      this.held.delete(keyOf(first));
    } else if (first) {
      const held = this.held.get(keyOf(first));
      if (held && ex.killedFor === first) {
        this.finish(held, killedOutcome(ex));
      } else if (held && !this.brokenContexts.has(ex.key)) {
        this.finish(held, { state: "failed", error: { code: "executor_crash", message: reason } });
      }
    }
    // Jobs queued behind the one that ended never started: they go to another executor, no attempt spent.
    for (const j of rest) {
      const held = this.held.get(keyOf(j));
      if (held) held.phase = "waiting";
    }
    this.waiting.unshift(...rest.map(waitingOf));
    this.scheduleDispatch();
  }

  // ---- reporting ------------------------------------------------------------------------------------

  private finish(held: Held, update: Omit<AttemptUpdate, "jobId" | "attempt">): void {
    if (held.phase === "done") return;
    held.phase = "done";
    held.stopWatching?.();
    this.pending.push({
      jobId: held.job.jobId,
      attempt: held.job.attempt,
      ...update,
      startedAt: update.startedAt ?? held.startedAt,
      endedAt: update.endedAt ?? Date.now(),
    });
    void this.flush();
  }

  /**
   * Sends pending updates: at once if no report is in flight, otherwise together with everything else
   * that piles up meanwhile (so batches grow exactly when the server is busy).
   */
  private flush(): Promise<void> {
    this.reporting ??= this.sendReports().finally(() => (this.reporting = undefined));
    return this.reporting;
  }

  private async sendReports(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = await this.publish(this.takeBatch());
      if (batch.length === 0) continue;
      try {
        const res = await this.http.json<ReportResponse>("POST", `/api/v1/pilots/${this.id}/report`, { updates: batch });
        for (const u of batch) if (u.state !== "running") this.held.delete(keyOf(u));
        if (res.ignored > 0) this.log.debug({ ignored: res.ignored }, "the server ignored stale updates");
      } catch (err) {
        if (err instanceof PandoApiError && err.code === "pilot_ended") {
          await this.onServerError(err, "report");
          return;
        }
        this.pending.unshift(...batch);
        await this.onServerError(err, "report");
      }
    }
  }

  /**
   * Sends the final states of a batch through the broker when there is one, a message per task; returns
   * what must still go over REST (running states, and everything the broker did not confirm).
   */
  private async publish(batch: AttemptUpdate[]): Promise<AttemptUpdate[]> {
    const publisher = this.publisher;
    if (!publisher?.connected || this.stopping) return batch;
    const rest: AttemptUpdate[] = [];
    const byTask = new Map<number, TaskReports>();
    for (const u of batch) {
      const held = this.held.get(keyOf(u));
      if (u.state === "running" || !held || this.restOnly.delete(keyOf(u))) {
        rest.push(u);
        continue;
      }
      const job = held.job;
      let reports = byTask.get(job.taskId);
      if (!reports) {
        reports = {
          taskId: job.taskId,
          workflowId: job.workflowId,
          channel: job.channel,
          key: job.resultKey,
          updates: [],
          successes: [],
        };
        byTask.set(job.taskId, reports);
      }
      reports.updates.push(u);
      if (u.state === "finished" && u.result !== undefined) {
        reports.successes.push([job.jobId, job.index, job.attempt, u.startedAt ?? null, u.endedAt ?? null, u.result]);
      }
    }
    const tasks = [...byTask.values()];
    const sent = await Promise.all(tasks.map((t) => publisher.publish(t)));
    tasks.forEach((t, i) => {
      if (!sent[i]) {
        rest.push(...t.updates);
        return;
      }
      const now = Date.now();
      for (const u of t.updates) {
        const held = this.held.get(keyOf(u));
        if (!held) continue;
        held.published = true;
        held.update = u;
        held.publishedAt = now;
      }
    });
    return rest;
  }

  private takeBatch(): AttemptUpdate[] {
    let chars = 0;
    let n = 0;
    while (n < this.pending.length && n < REPORT_BATCH) {
      const u = this.pending[n]!;
      chars += (u.result?.length ?? 0) + (u.stdout?.length ?? 0) + (u.stderr?.length ?? 0) + 200;
      if (n > 0 && chars > REPORT_BATCH_CHARS) break;
      n++;
    }
    return this.pending.splice(0, n);
  }

  private async heartbeat(): Promise<void> {
    if (this.stopping) return;
    try {
      const held = [...this.held.values()].map((h) => ({ jobId: h.job.jobId, attempt: h.job.attempt }));
      const res = await this.http.json<HeartbeatResponse>("POST", `/api/v1/pilots/${this.id}/heartbeat`, { held });
      this.handleCommands(res.commands);
      this.forgetRecorded(res.held);
      this.reportUnrecorded();
    } catch (err) {
      if (err instanceof PandoApiError && err.code === "pilot_ended") await this.onServerError(err, "heartbeat");
      else this.log.warn({ err: err instanceof Error ? err.message : String(err) }, "heartbeat failed");
    }
  }

  /**
   * Before leaving, waits until the server has recorded the results this pilot published to the broker:
   * leaving earlier would make the server retry those jobs as held by a pilot that exited.
   */
  private async awaitRecorded(deadline: number): Promise<void> {
    while ([...this.held.values()].some((h) => h.published) && Date.now() < deadline) {
      const held = [...this.held.values()].map((h) => ({ jobId: h.job.jobId, attempt: h.job.attempt }));
      const res = await this.http
        .json<HeartbeatResponse>("POST", `/api/v1/pilots/${this.id}/heartbeat`, { held })
        .catch(() => undefined);
      if (res) this.forgetRecorded(res.held);
      await sleep(100);
    }
  }

  /**
   * Results published to the broker that the server still has not recorded after two heartbeat intervals
   * (a message the broker lost, a consumer that is stuck) are reported over REST as well: recording is
   * idempotent, so a duplicate costs nothing and a loss is impossible.
   */
  private reportUnrecorded(): void {
    const cutoff = Date.now() - 2 * this.config!.heartbeatIntervalMs;
    for (const h of this.held.values()) {
      if (!h.published || h.publishedAt > cutoff || !h.update) continue;
      h.published = false;
      this.pending.push(h.update);
      this.restOnly.add(keyOf(h.update));
    }
    if (this.restOnly.size > 0) void this.flush();
  }

  /** Results published to the broker that the server has not been seen to record. */
  private published(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const h of this.held.values()) if (h.published) out.push([h.job.jobId, h.job.attempt]);
    return out;
  }

  /**
   * Forgets published results the server has recorded: given either the recorded ones, or (from a
   * heartbeat) everything the server still counts as held.
   */
  private forgetRecorded(refs: readonly AttemptRef[], recorded = false): void {
    const set = new Set(refs.map(keyOf));
    for (const [key, h] of this.held) if (h.published && set.has(key) === recorded) this.held.delete(key);
  }

  // ---- commands -------------------------------------------------------------------------------------

  private handleCommands(commands: readonly PilotCommand[]): void {
    for (const c of commands) {
      if (c.kind === "shutdown") void this.stop();
      else if (c.kind === "warm") this.warm(c);
      else this.kill(c.jobId, c.attempt);
    }
  }

  private kill(jobId: number, attempt: number): void {
    const held = this.held.get(keyOf({ jobId, attempt }));
    if (!held || held.phase === "done") return;
    if (held.phase === "fetching" || held.phase === "waiting") {
      this.waiting = this.waiting.filter((w) => w.job !== held.job);
      this.finish(held, { state: "cancelled", error: { code: "killed", message: "killed by a user" } });
      return;
    }
    const ex = [...this.executors, ...this.drivers].find((e) => e.inflight.includes(held.job));
    if (!ex) return;
    // A job being taken back that is killed ends there, cancelled, rather than going back to waiting.
    this.moving.delete(keyOf(held.job));
    if (ex.current === held.job) ex.kill(held.job);
    else ex.cancelQueued(held.job);
  }

  // ---- stopping -------------------------------------------------------------------------------------

  /**
   * Stops taking jobs, lets running jobs finish (up to the grace period), reports, and tells the server it
   * left so that anything it still held is retried elsewhere at once.
   */
  stop(graceMs = this.options.stopGraceMs ?? 10_000): Promise<void> {
    this.stopped ??= this.leave(graceMs);
    return this.stopped;
  }

  private async leave(graceMs: number): Promise<void> {
    this.stopping = true;
    this.acquiring?.abort();
    clearInterval(this.heartbeatTimer);
    clearInterval(this.idleTimer);
    clearTimeout(this.runningTimer);
    // Jobs not started yet are left to the server, which hands them to other pilots when this one exits.
    for (const [key, h] of this.held) if (h.phase === "fetching" || h.phase === "waiting") this.held.delete(key);
    this.waiting = [];
    const deadline = Date.now() + graceMs;
    while (this.executors.some((e) => e.inflight.length > 0) && Date.now() < deadline) await sleep(20);
    await Promise.race([this.flush(), sleep(Math.max(0, deadline - Date.now()))]);
    for (const ex of this.executors.splice(0)) ex.kill();
    // Drivers are not waited for: the server gives them to another pilot, where they pick up where they were.
    for (const ex of this.drivers) {
      for (const j of ex.inflight) this.held.delete(keyOf(j));
      ex.kill();
    }
    this.drivers.clear();
    await this.awaitRecorded(deadline);
    await this.publisher?.stop();
    if (this.id > 0) {
      await this.http.json("POST", `/api/v1/pilots/${this.id}/exit`, {}).catch(() => undefined);
    }
    await this.http.close();
  }
}
