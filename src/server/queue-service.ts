import { ApiError, forbidden, notFound } from "../api/errors.js";
import type { QueueStatusChange, QueueView, WorkerView } from "../api/queues.js";
import type { TaskView } from "../api/tasks.js";
import { brokerTask, silenceReason, type Brokered, type TaskNeeds } from "../core/brokerage.js";
import { lostBefore } from "../core/pilot-loss.js";
import { pendingSummary, taskPendingReason, type QueuePilots } from "../core/pending-reason.js";
import { SingleFlight } from "../core/single-flight.js";
import type { Principal } from "../store/auth-store.js";
import { brokerView, type QueueRecord } from "../store/queue-store.js";
import type { SiteRecord } from "../store/site-store.js";
import type { ServerContext } from "./context.js";

const QUEUE_CACHE_MS = 1_000;
const QUEUE_PILOTS_CACHE_MS = 1_000;

type Load = Map<string, { queued: number; running: number }>;

/**
 * Queues and brokerage: which queue a task goes to, pending tasks placed once a queue can take them, why
 * jobs wait (the queue's pilots), and the queue and worker listings. Queue rows, loads and pilots are read
 * at most once a second, and once for all the requests that find them out of date together.
 */
export class QueueService {
  private queues: { records: QueueRecord[]; until: number } | undefined;
  private load: { byQueue: Load; until: number } | undefined;
  private pilotsByQueue: { byQueue: Map<string, QueuePilots>; until: number } | undefined;
  private sites: { records: SiteRecord[]; until: number } | undefined;

  /** The reads of queues, sites and loads in flight; `generation` moves on when the queues must be read afresh. */
  private readonly reads = new SingleFlight<string>();
  private generation = 0;

  constructor(private readonly ctx: ServerContext) {}

  /** The queues and their run-time status. */
  async records(): Promise<QueueRecord[]> {
    const now = Date.now();
    if (!this.queues || this.queues.until <= now) {
      this.queues = { records: await this.reads.run(`queues ${this.generation}`, () => this.ctx.store.queues.list()), until: now + QUEUE_CACHE_MS };
    }
    return this.queues.records;
  }

  /** One queue's record, if it is declared. */
  async record(name: string): Promise<QueueRecord | undefined> {
    return (await this.records()).find((r) => r.definition.name === name);
  }

  /** How long a pilot of the queue may stay silent: its own heartbeat timeout, else the server's. */
  async heartbeatTimeoutOf(name: string): Promise<number> {
    return (await this.record(name))?.definition.heartbeatTimeout ?? this.ctx.config.heartbeatTimeoutMs;
  }

  /** A site registered or changed its queues: read them again. */
  forgetQueues(): void {
    this.generation++;
    this.queues = undefined;
    this.sites = undefined;
  }

  /** The sites, with their agents' and pilots' last heartbeats. */
  async siteRecords(): Promise<SiteRecord[]> {
    const now = Date.now();
    if (!this.sites || this.sites.until <= now) {
      this.sites = { records: await this.reads.run(`sites ${this.generation}`, () => this.ctx.store.sites.list()), until: now + QUEUE_CACHE_MS };
    }
    return this.sites.records;
  }

  /**
   * Whether a site is silent: neither its agent nor any of its pilots heard from within siteSilenceMs while
   * this server was up to hear them (core/pilot-loss.ts).
   */
  siteState(site: SiteRecord, now = Date.now()): "online" | "silent" {
    const last = Math.max(site.heartbeatAt, site.pilotHeartbeatAt ?? 0);
    return last < lostBefore(now, this.ctx.config.siteSilenceMs, this.ctx.heardSince.at(now)) ? "silent" : "online";
  }

  /** The queue records as brokerage sees them: with their load, and their site if it is silent. */
  async brokerViews(load: Load | undefined): Promise<ReturnType<typeof brokerView>[]> {
    const [records, sites] = await Promise.all([this.records(), this.siteRecords()]);
    const silenceMs = this.ctx.config.siteSilenceMs;
    const silent = new Set(sites.filter((s) => this.siteState(s) === "silent").map((s) => s.name));
    return records.map((r) => {
      const view = brokerView(r, load?.get(r.definition.name));
      return r.site !== null && silent.has(r.site) ? { ...view, silentSite: { site: r.site, silenceMs } } : view;
    });
  }

  /** Jobs queued and running per queue (brokerage weights). */
  private async queueLoad(): Promise<Load> {
    const now = Date.now();
    if (!this.load || this.load.until <= now) this.load = { byQueue: await this.reads.run("load", () => this.ctx.store.queues.load()), until: now + QUEUE_CACHE_MS };
    return this.load.byQueue;
  }

  async requireQueue(queue: string): Promise<void> {
    const records = await this.records();
    if (!records.some((r) => r.definition.name === queue)) {
      throw new ApiError(
        400,
        "unknown_queue",
        `queue '${queue}' does not exist; known queues: ${records.map((r) => r.definition.name).join(", ") || "none"}`,
      );
    }
  }

  /** The queue a task goes to, or why none can take it. Loads are read only when there is a choice to make. */
  async broker(needs: TaskNeeds): Promise<Brokered> {
    const first = brokerTask(needs, await this.brokerViews(undefined));
    const choices = needs.queues.length > 0 ? needs.queues.length : (await this.records()).length;
    if (!("queue" in first) || choices <= 1) return first;
    return brokerTask(needs, await this.brokerViews(await this.queueLoad()));
  }

  /**
   * Gives pending tasks to queues that can now take them (a queue came online, or was declared), and
   * keeps the reason of the others up to date. Run every second by the server, and at once after a
   * queue's status changes.
   */
  async placePendingTasks(): Promise<number> {
    const { store, events, log } = this.ctx;
    const pending = await store.placement.pending();
    let placed = 0;
    for (const t of pending) {
      const brokered = await this.broker({ queues: t.queues, cores: t.cores, memoryMb: t.memoryMb, walltimeS: t.walltimeS });
      if ("reason" in brokered) {
        if (brokered.reason !== t.reason) await store.placement.setPendingReason(t.id, brokered.reason);
        continue;
      }
      const ok = await store.placement.place(t.id, brokered.queue);
      if (!ok) continue;
      placed++;
      events.queueHasWork(brokered.queue);
      log.info({ taskId: t.id, queue: brokered.queue }, "pending task placed on a queue");
    }
    return placed;
  }

  /**
   * Moves the jobs waiting on queues that cannot run them — offline ones (taken offline, or gone from their
   * queues file or site) and those of silent sites — to queues that can, for the tasks that allow another
   * queue (a task pinned to such a queue waits for it). Jobs that a silent site's pilots held come back to
   * wait once those pilots are lost, and move then.
   */
  async moveOffUnavailableQueues(): Promise<number> {
    const { store, events, log } = this.ctx;
    const unavailable = (await this.brokerViews(undefined)).filter((q) => q.silentSite || q.status === "offline");
    let moved = 0;
    for (const t of await store.placement.queuedOn(unavailable.map((q) => q.name))) {
      const brokered = await this.broker({ queues: t.queues, cores: t.cores, memoryMb: t.memoryMb, walltimeS: t.walltimeS });
      if (!("queue" in brokered) || !(await store.placement.move(t.id, t.queue, brokered.queue))) continue;
      moved++;
      events.queueHasWork(brokered.queue);
      events.taskChanged(t.id);
      const from = unavailable.find((q) => q.name === t.queue);
      const why = from?.silentSite ? "a silent site's queue" : "an offline queue";
      log.warn({ taskId: t.id, from: t.queue, to: brokered.queue }, `the task's waiting jobs moved off ${why}`);
    }
    return moved;
  }

  /** Every queue's pilots: registered, starting, pending in the batch system and why. */
  private async queuePilots(): Promise<Map<string, QueuePilots>> {
    const now = Date.now();
    if (this.pilotsByQueue && this.pilotsByQueue.until > now) return this.pilotsByQueue.byQueue;
    const { store } = this.ctx;
    const [records, running, unregistered, sites] = await Promise.all([
      this.records(),
      store.pilots.runningByQueue(),
      store.workers.unregisteredByQueue(),
      this.siteRecords(),
    ]);
    const silent = new Set(sites.filter((x) => this.siteState(x) === "silent").map((x) => x.name));
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
        ...(r.site !== null ? { site: r.site } : {}),
      };
      if (r.site !== null && silent.has(r.site)) pilots.silentSite = silenceReason(r.site, this.ctx.config.siteSilenceMs);
      // Only a queue with no pilot at all can be waiting on a submission that failed.
      if (d.maxPilots > 0 && pilots.running === 0 && pilots.starting === 0 && pilots.pending.length === 0) {
        pilots.submitError = await store.workers.lastSubmitError(d.name);
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
  async withPendingReasons(tasks: readonly TaskView[], held?: ReadonlyMap<number, number>): Promise<void> {
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
    const byTask = held ?? (await this.ctx.store.monitor.runningByTask(waiting.map((t) => t.id)));
    for (const t of waiting) t.pendingReason = taskPendingReason(wait(t, byTask.get(t.id) ?? 0), pilots.get(t.queue));
  }

  /**
   * The provisioner saw pilots of these queues change in the batch system (pending, running, ended): the
   * queue listings and the tasks waiting there read differently now.
   */
  async workersChanged(queues: readonly string[]): Promise<void> {
    this.pilotsByQueue = undefined;
    this.ctx.events.progress();
    for (const id of await this.ctx.store.queues.tasksWaiting(queues)) this.ctx.events.taskChanged(id);
  }

  async listQueues(_p: Principal): Promise<QueueView[]> {
    this.pilotsByQueue = undefined;
    this.sites = undefined;
    const [records, load, pilots, sites, workers] = await Promise.all([
      this.records(),
      this.ctx.store.queues.load(),
      this.queuePilots(),
      this.siteRecords(),
      this.ctx.store.workers.liveByQueue(),
    ]);
    return records.map((r) => {
      const d = r.definition;
      const own = pilots.get(d.name);
      const pending = own?.pending ?? [];
      const site = r.site === null ? undefined : sites.find((s) => s.name === r.site);
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
        site: r.site,
        siteState: site ? this.siteState(site) : null,
        siteHeartbeatAt: site?.heartbeatAt ?? null,
        workers: workers.get(d.name) ?? 0,
      };
    });
  }

  /** Sets a queue online, offline, brokeroff or test (administrators). */
  async setQueueStatus(p: Principal, name: string, req: QueueStatusChange): Promise<QueueView> {
    if (!p.admin) throw forbidden("only administrators may change a queue's status");
    if (!(await this.ctx.store.queues.setStatus(name, req.status))) await this.requireQueue(name);
    this.queues = undefined;
    await this.placePendingTasks();
    const view = (await this.listQueues(p)).find((q) => q.name === name);
    if (!view) throw notFound("queue", name);
    return view;
  }

  /** Pilots the provisioner started, newest first. */
  async listWorkers(_p: Principal): Promise<WorkerView[]> {
    return this.ctx.store.workers.recent(500);
  }
}
