import type { Logger } from "pino";
import { errorMessage } from "../core/errors.js";
import { provisioningPlan } from "../core/provisioning.js";
import type { QueueDefinition } from "../core/queue-config.js";
import type { Store } from "../store/store.js";
import type { StoredWorker } from "../store/worker-store.js";
import { LocalBackend } from "./local-backend.js";
import type { PilotBackend } from "./pilot-backend.js";
import { SlurmBackend } from "./slurm-backend.js";

export type Backends = Record<QueueDefinition["backend"], PilotBackend>;

/** One backend of each kind, shared by the start-up check and the provisioner. */
export function createBackends(): Backends {
  return { local: new LocalBackend(), slurm: new SlurmBackend() };
}

/**
 * Refuses a queue whose pilots no node of its backend could ever run (they would wait in the batch queue
 * forever): throws with one line naming the queue, what a pilot asks, the largest node and what to change.
 * Queues whose pilots are started by hand (maxPilots 0) are not checked. A backend that cannot be asked
 * (sinfo unreachable) does not stop the server: its queues are returned as warnings, and their pilots'
 * pending reasons show later in `pando queues` and on the tasks.
 */
export async function checkQueuesFit(queues: readonly QueueDefinition[], backends: Backends): Promise<string[]> {
  const warnings: string[] = [];
  for (const q of queues) {
    const backend = backends[q.backend];
    if (q.maxPilots === 0 || !backend.fitProblem) continue;
    let problem: string | undefined;
    try {
      problem = await backend.fitProblem(q);
    } catch (err) {
      warnings.push(
        `cannot check that the pilots of queue '${q.name}' fit a node (${errorMessage(err)}); starting anyway — ` +
          "if they cannot, `pando queues` and its tasks show the batch system's reason",
      );
      continue;
    }
    if (problem) throw new Error(problem);
  }
  return warnings;
}

export interface ProvisionerOptions {
  serverUrl: string;
  /** What pilots need besides the token to reach serverUrl (PANDO_CA, PANDO_INSECURE_HTTP). */
  pilotEnv?: Record<string, string>;
  /**
   * This server process among replicas on one database: the local pilots it starts are its children, and
   * only it can tell whether they still run.
   */
  replica: string;
  pilotToken: string;
  dataDir: string;
  backends: Backends;
  /** A pilot whose batch job ended while the server still counted it as running: its jobs are retried. */
  onPilotGone(pilotId: number, reason: string): Promise<void>;
  /** Workers of these queues changed their batch state (pending, running, ended): views of their tasks may change. */
  onWorkersChanged(queues: readonly string[]): void;
}

/**
 * Harvester's role: keeps pilots on every queue with `maxPilots` > 0, in proportion to its queued jobs;
 * records what the batch system says of each (pending and why, running); notices pilots that died in the
 * batch system; cancels pilots still starting that nothing waits for. Pilots leave by themselves after the
 * queue's idle lifetime, and the batch jobs this server submitted are cancelled when it stops.
 */
export class Provisioner {
  private readonly backends: Backends;
  /** Queues whose last submission failed, and until when to leave them be (no submission storm). */
  private readonly backoff = new Map<string, number>();
  /** Batch jobs this process submitted and has not seen end, by backend: cancelled when it stops. */
  private readonly submitted = new Map<PilotBackend, Set<string>>();

  constructor(
    private readonly store: Store,
    private readonly options: ProvisionerOptions,
    private readonly log: Logger,
  ) {
    this.backends = options.backends;
  }

  /**
   * Start, cancel and reconcile the pilots of the server's own queues (site agents provision theirs). Run by
   * one replica at a time; the local pilots other replicas started are theirs to watch (watchLocal).
   */
  async tick(): Promise<void> {
    const queues = (await this.store.queues.list()).filter((q) => q.site === null && q.definition.maxPilots > 0);
    if (queues.length === 0) return;
    const load = await this.store.queues.load();
    for (const q of queues) {
      const def = q.definition;
      const backend = this.backends[def.backend];
      const stored = await this.store.workers.live(def.name);
      const live = def.backend === "local" ? await this.othersLocal(stored) : await this.reconcile(backend, stored);
      const starting = live.filter((w) => w.pilotId === null);
      const plan = provisioningPlan({
        queued: q.status === "offline" ? 0 : (load.get(def.name)?.queued ?? 0),
        maxPilots: def.maxPilots,
        slotsPerPilot: def.slotsPerPilot,
        live: live.length,
        starting: starting.length,
      });
      // Another replica's local pilot is its child: only that replica can cancel it.
      const cancellable = starting.filter((w) => def.backend !== "local" || this.isMine(w));
      for (const w of cancellable.slice(Math.max(0, cancellable.length - plan.cancelStarting))) {
        if (w.batchId) await backend.cancel(w.batchId).catch(() => undefined);
        if (w.batchId) this.submitted.get(backend)?.delete(w.batchId);
        await this.store.workers.end(w.id, "cancelled: no job waits for it any more");
        this.options.onWorkersChanged([def.name]);
      }
      if (plan.start > 0 && (this.backoff.get(def.name) ?? 0) <= Date.now()) await this.start(backend, q.definition, plan.start);
    }
  }

  /**
   * Reconciles the local pilots this replica started (its child processes), whichever replica provisions:
   * run by every replica.
   */
  async watchLocal(): Promise<void> {
    const mine = (await this.store.workers.live()).filter((w) => w.site === null && w.backend === "local" && this.isMine(w));
    if (mine.length > 0) await this.reconcile(this.backends.local, mine);
  }

  /** Workers started by this replica, or by a server from before replicas were told apart. */
  private isMine(w: { owner: string | null }): boolean {
    return w.owner === null || w.owner === this.options.replica;
  }

  /**
   * The live local workers of a queue, without those of other replicas whose pilot has ended (their
   * replica may be gone, and a pilot's end is in the database); this replica's own are watched by
   * watchLocal. Another replica's local pilot that never registered is left to that replica.
   */
  private async othersLocal(live: StoredWorker[]): Promise<StoredWorker[]> {
    const still: StoredWorker[] = [];
    for (const w of live) {
      if (!this.isMine(w) && w.pilotId !== null) {
        const pilot = await this.store.pilots.get(w.pilotId);
        if (pilot && pilot.status !== "running") {
          await this.store.workers.end(w.id, "its pilot exited");
          this.options.onWorkersChanged([w.queue]);
          continue;
        }
      }
      still.push(w);
    }
    return still;
  }

  /**
   * Records what the backend says of each worker's job (pending and why, or running), ends the workers it
   * no longer knows, and returns those still alive.
   */
  private async reconcile(backend: PilotBackend, live: StoredWorker[]): Promise<StoredWorker[]> {
    const withBatch = live.filter((w) => w.batchId !== null);
    let statuses: Awaited<ReturnType<PilotBackend["status"]>>;
    try {
      statuses = await backend.status(withBatch.map((w) => w.batchId!));
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, "cannot list the batch system's jobs; trying again later");
      return live;
    }
    const still = [];
    const changed = new Set<string>();
    for (const w of live) {
      const status = w.batchId === null ? undefined : statuses.get(w.batchId);
      if (w.batchId === null || status) {
        if (status && (status.state !== w.batchState || status.reason !== w.pendingReason)) {
          await this.store.workers.setBatchStatus(w.id, status.state, status.reason);
          this.log.debug({ queue: w.queue, workerId: w.id, batchId: w.batchId, ...status }, "pilot's batch job changed state");
          changed.add(w.queue);
        }
        still.push(w);
        continue;
      }
      this.submitted.get(backend)?.delete(w.batchId);
      changed.add(w.queue);
      const pilot = w.pilotId === null ? undefined : await this.store.pilots.get(w.pilotId);
      if (pilot?.status === "running") {
        const reason = `its ${w.backend} job ${w.batchId} ended while the pilot held jobs (cancelled, preempted or failed)`;
        await this.store.workers.end(w.id, reason);
        await this.options.onPilotGone(pilot.id, reason);
        this.log.warn({ queue: w.queue, workerId: w.id, pilotId: pilot.id, batchId: w.batchId }, "pilot gone from the batch system");
      } else {
        await this.store.workers.end(w.id, pilot ? "its pilot exited" : "ended before its pilot registered");
      }
    }
    if (changed.size > 0) this.options.onWorkersChanged([...changed]);
    return still;
  }

  private async start(backend: PilotBackend, queue: QueueDefinition, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const workerId = await this.store.workers.create(queue.name, queue.backend, { owner: this.options.replica });
      try {
        const batchId = await backend.submit({
          workerId,
          queue,
          serverUrl: this.options.serverUrl,
          env: this.options.pilotEnv ?? {},
          token: this.options.pilotToken,
          cacheDir: `${this.options.dataDir}/cache`,
          logDir: `${this.options.dataDir}/logs`,
        });
        await this.store.workers.setBatchId(workerId, batchId);
        let mine = this.submitted.get(backend);
        if (!mine) this.submitted.set(backend, (mine = new Set()));
        mine.add(batchId);
        this.log.info({ queue: queue.name, workerId, batchId }, "pilot submitted");
      } catch (err) {
        await this.store.workers.end(workerId, errorMessage(err));
        this.options.onWorkersChanged([queue.name]);
        this.backoff.set(queue.name, Date.now() + 30_000);
        this.log.error({ queue: queue.name, err: errorMessage(err) }, "could not start a pilot; trying again in 30 s");
        return;
      }
    }
  }

  /**
   * Cancels the batch jobs this process submitted that are still pending or running (local pilots stop with
   * their backend): a stopped server leaves no pilot holding a node or a place in the batch queue. Their
   * workers are left as they are: the next server to reconcile them finds their jobs gone and retries what
   * their pilots held, without spending attempts.
   */
  async close(): Promise<void> {
    for (const [backend, ids] of this.submitted) {
      const cancelled = await Promise.allSettled([...ids].map((id) => backend.cancel(id)));
      const failed = cancelled.filter((r) => r.status === "rejected");
      if (failed.length > 0) {
        this.log.warn({ failed: failed.length, err: String((failed[0] as PromiseRejectedResult).reason) }, "could not cancel pilots' batch jobs");
      }
      if (ids.size > 0) this.log.info({ batchIds: [...ids] }, "batch jobs of this server's pilots cancelled");
      ids.clear();
    }
    await Promise.all(Object.values(this.backends).map((b) => b.close()));
  }
}
