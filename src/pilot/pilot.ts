import { hostname } from "node:os";
import type { Logger } from "pino";
import { errorMessage } from "../core/errors.js";
import type { RegisterPilotResponse } from "../api/pilots.js";
import type { AttemptRef, DispatchedJob, PilotCommand } from "../core/dispatch-records.js";
import { settledWithin, sleep } from "../core/sleep.js";
import { Bundles, placeFailure } from "./bundles.js";
import { containerUnavailable, contextKey, findContainerRuntime } from "./execution-context.js";
import { processExecutors } from "./executor-handle.js";
import type { ExecutorContext, PoolEvents } from "./executor-interface.js";
import { ExecutorPool } from "./executor-pool.js";
import { leaveWhenIdle } from "./idle-exit.js";
import { Ledger, killedByUser, type Outcome } from "./ledger.js";
import { PILOT_DEFAULTS, poolSettings, workRootOf, type PilotOptions } from "./pilot-options.js";
import { Registration } from "./registration.js";
import { Reporter } from "./reporter.js";
import { isPilotEnded, ServerLink } from "./server-link.js";
import { epochNow } from "../core/epoch-clock.js";

const ACQUIRE_WAIT_MS = 30_000;

/**
 * The worker agent, a loop: it registers, takes jobs of its queue from the server in batches (a long-poll),
 * dispatches them to warm executor processes, reports their outcomes in batches, and stops. What it holds is
 * in its ledger, listed in its heartbeats until the server has recorded each job's final state.
 */
export class Pilot {
  private readonly link: ServerLink;
  private readonly ledger = new Ledger();
  private readonly bundles: Bundles;
  private readonly pool: ExecutorPool;
  private readonly reporter: Reporter;
  private readonly registration: Registration;
  /** The container runtime of this host, if any. */
  private readonly runtime = findContainerRuntime();
  private readonly name: string;
  private readonly log: Logger;
  private config: RegisterPilotResponse | undefined;
  private acquiring: AbortController | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private stopped: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly options: PilotOptions) {
    const log = (this.log = options.log);
    this.name = options.name ?? `${hostname()}:${process.pid}`;
    const { transport, sandbox } = options;
    this.link = new ServerLink(options.server, options.token, (server) => log.warn({ server }, "moved to another server replica"), { transport });
    this.bundles = new Bundles(options.cacheDir, (hash) => this.link.bundle(hash), log, sandbox, options.projectLimits);
    this.reporter = new Reporter({ link: this.link, ledger: this.ledger, log, onServerError: (err, what) => this.onServerError(err, what) });
    this.pool = new ExecutorPool({
      slots: options.slots,
      ...poolSettings(options),
      start: processExecutors(
        () => ({
          maxPayloadBytes: this.config!.maxPayloadBytes, maxLogChars: this.config!.maxLogChars,
          label: `pilot ${this.pilotId} executor`, serverUrl: this.link.baseUrl,
          workRoot: workRootOf(options.workRoot),
          cacheDir: this.bundles.cacheDir, secrets: [options.token], sandbox, onTiming: options.onTiming,
        }),
        this.runtime,
        this.bundles, log,
      ),
      events: this.poolEvents(),
    });
    for (const p of options.prewarmed?.executors ?? []) this.pool.adopt(p, options.prewarmed!.owner);
    // What an ended registration held is dropped: its jobs, its ledger, its reports.
    const drop = () => void (this.pool.drop(), this.ledger.clear(), this.reporter.clear());
    this.registration = new Registration({ register: () => this.register(), id: () => this.pilotId, drop, log });
  }

  get pilotId(): number {
    return this.link.pilotId;
  }

  /** Registers and works until stop() is called, or until it has been idle for idleExitMs. */
  async run(): Promise<void> {
    await this.register();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.config!.heartbeatIntervalMs);
    this.bundles.keepCache(this.options.cacheKeepMs ?? PILOT_DEFAULTS.cacheKeepMs, () => this.pool.codeInUse());
    const idleMs = this.options.idleExitMs;
    if (idleMs !== undefined) {
      this.idleTimer = leaveWhenIdle(idleMs, () => this.ledger.size > 0 || this.pool.driverCount > 0, () => {
        this.log.info({ idleMs }, "idle; leaving");
        void this.stop();
      });
    }
    while (!this.stopping) await this.acquireOnce();
  }

  private async register(): Promise<void> {
    const { queue, slots, worker } = this.options;
    this.config = await this.link.register({ queue, name: this.name, host: hostname(), pid: process.pid, slots, version: process.version, worker });
    this.log.info({ slots }, "pilot registered");
    this.options.onTiming?.({ kind: "pilot", step: "registered", at: epochNow() });
    await this.reporter.useBroker(this.config.broker, { id: this.pilotId, reportKey: this.config.reportKey, name: this.name, queue });
  }

  /**
   * One long-poll for jobs and commands. The server subtracts what this pilot holds from its capacity and
   * answers as soon as there is room and work, so one open request serves both idle and busy pilots.
   */
  private async acquireOnce(): Promise<void> {
    const controller = new AbortController();
    this.acquiring = controller;
    try {
      const demand = this.pool.demand(this.options.prefetchTasks ?? PILOT_DEFAULTS.prefetchTasks);
      const res = await this.link.acquire({ ...demand, published: this.ledger.publishedRefs(), waitMs: ACQUIRE_WAIT_MS }, controller.signal);
      this.handleCommands(res.commands);
      this.ledger.forgetRecorded(res.recorded.map(([jobId, attempt]) => ({ jobId, attempt })));
      for (const job of res.jobs) this.accept(job);
      this.ledger.answered(res.at);
      // Jobs of bundles at hand go to executors now, before this pilot's next request leaves.
      if (res.jobs.length > 0) this.pool.dispatch();
    } catch (err) {
      if (controller.signal.aborted) return;
      await this.onServerError(err, "acquire");
    } finally {
      this.acquiring = undefined;
    }
  }

  private async onServerError(err: unknown, what: string): Promise<void> {
    if (isPilotEnded(err)) return this.registration.ended(err.pilotId);
    this.log.warn({ err: errorMessage(err), what }, "server request failed; retrying");
    await sleep(1000);
  }

  private accept(job: DispatchedJob): void {
    this.ledger.accept(job);
    const unrunnable = job.container && !this.runtime ? containerUnavailable(job.container, this.name) : this.pool.brokenReason(contextKey(job));
    if (unrunnable) return this.finish(job, { state: "failed", error: unrunnable });
    if (job.kind !== "driver" && this.bundles.has(job)) {
      // The bundle is here already: the job waits for an executor at once (the caller dispatches).
      this.ledger.fetched(job, "waiting");
      this.pool.enqueue(job);
      return;
    }
    const driver = job.kind === "driver";
    this.bundles.place(job).then(
      () => {
        if (!this.ledger.fetched(job, driver ? "running" : "waiting")) return;
        if (driver) return this.pool.startDriver(job);
        this.pool.enqueue(job);
        this.pool.dispatchSoon();
      },
      (err: unknown) => this.finish(job, { state: "failed", error: placeFailure(job, err) }),
    );
  }

  /** The ledger follows the jobs through the pool; the reporter hears of their runs and ends. */
  private poolEvents(): PoolEvents {
    const { ledger, log } = this;
    return {
      sent: (jobs) => jobs.forEach((j) => ledger.sent(j)),
      started: (job) => {
        if (ledger.started(job, Date.now())) this.reporter.runningSoon();
      },
      returned: (job) => ledger.returned(job),
      ended: (job, outcome) => this.finish(job, outcome),
      abandoned: (job) => ledger.forget(job),
      warm: (bundleHash) => {
        log.info({ bundle: bundleHash.slice(0, 12) }, "executors warm");
        this.options.onWarm?.(bundleHash);
      },
    };
  }

  private finish(ref: AttemptRef, outcome: Outcome): void {
    const update = this.ledger.finish(ref, outcome, Date.now());
    if (update) this.reporter.add(update);
  }

  private async heartbeat(): Promise<void> {
    if (this.stopping) return;
    try {
      this.handleCommands(await this.reporter.heartbeat(this.config!.heartbeatIntervalMs));
    } catch (err) {
      if (isPilotEnded(err)) await this.onServerError(err, "heartbeat");
      else this.log.warn({ err: errorMessage(err) }, "heartbeat failed");
    }
  }

  private handleCommands(commands: readonly PilotCommand[]): void {
    for (const c of commands) {
      if (c.kind === "shutdown") void this.stop();
      else if (c.kind === "warm") void this.warm(c);
      else this.kill(c);
    }
  }

  private kill(ref: AttemptRef): void {
    const phase = this.ledger.phase(ref);
    if (phase === "running") this.pool.kill(ref);
    else if (phase === "fetching" || phase === "waiting") {
      this.pool.withdraw(ref);
      this.finish(ref, killedByUser());
    }
  }

  /**
   * A warm command: a workflow of this context started on the queue, so its jobs are due soon. The pool
   * starts executors for it before any job of it arrives.
   */
  private async warm(context: ExecutorContext): Promise<void> {
    const done = () => this.options.onWarm?.(context.bundleHash);
    if (this.pool.brokenReason(contextKey(context)) || (context.container && !this.runtime)) return done();
    const placed = await this.bundles.place(context).then(
      () => true,
      (err: unknown) => this.log.warn({ bundle: context.bundleHash, err: String(err) }, "could not fetch a bundle to warm"),
    );
    if (!placed) return done();
    if (this.stopping) return;
    const starting = this.pool.warm(context);
    this.log.info({ bundle: context.bundleHash.slice(0, 12), executors: starting }, "warming executors");
    if (starting === 0) done();
  }

  /**
   * Stops taking jobs, lets running jobs finish (up to the grace period), reports, and tells the server it
   * left so that anything it still held is retried elsewhere at once.
   */
  stop(graceMs = this.options.stopGraceMs ?? PILOT_DEFAULTS.stopGraceMs): Promise<void> {
    this.stopped ??= this.leave(graceMs);
    return this.stopped;
  }

  private async leave(graceMs: number): Promise<void> {
    this.stopping = true;
    this.acquiring?.abort();
    clearInterval(this.heartbeatTimer);
    clearInterval(this.idleTimer);
    this.bundles.stopKeepingCache();
    this.reporter.close();
    // Jobs not started yet are left to the server, which hands them to other pilots when this one exits.
    this.ledger.forgetNotStarted();
    this.pool.stop();
    const deadline = Date.now() + graceMs;
    while (this.pool.busy && Date.now() < deadline) await sleep(20);
    await settledWithin(this.reporter.flush(), Math.max(0, deadline - Date.now()));
    this.pool.endWorkers();
    // Drivers are not waited for: the server gives them to another pilot, where they pick up where they were.
    this.pool.endDrivers();
    await this.reporter.awaitRecorded(deadline);
    await this.reporter.stop();
    if (this.pilotId > 0) await this.link.exit().catch(() => undefined);
    await this.link.close();
  }
}
