import type { Logger } from "pino";
import { provisioningPlan } from "../core/provisioning.js";
import type { Store } from "../store/store.js";
import { LocalBackend } from "./local-backend.js";
import type { PilotBackend } from "./pilot-backend.js";
import { SlurmBackend } from "./slurm-backend.js";

export interface ProvisionerOptions {
  serverUrl: string;
  pilotToken: string;
  dataDir: string;
  /** A pilot whose batch job ended while the server still counted it as running: its jobs are retried. */
  onPilotGone(pilotId: number, reason: string): Promise<void>;
}

/**
 * Harvester's role: keeps pilots on every queue with `maxPilots` > 0, in proportion to its queued jobs;
 * notices pilots that died in the batch system; cancels pilots still starting that nothing waits for.
 * Pilots leave by themselves after the queue's idle lifetime.
 */
export class Provisioner {
  private readonly backends: Record<string, PilotBackend> = { local: new LocalBackend(), slurm: new SlurmBackend() };
  /** Queues whose last submission failed, and until when to leave them be (no submission storm). */
  private readonly backoff = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly options: ProvisionerOptions,
    private readonly log: Logger,
  ) {}

  async tick(): Promise<void> {
    const queues = (await this.store.queues.list()).filter((q) => q.definition.maxPilots > 0);
    if (queues.length === 0) return;
    const load = await this.store.queues.load();
    for (const q of queues) {
      const def = q.definition;
      const backend = this.backends[def.backend]!;
      let live = await this.store.workers.live(def.name);
      live = await this.reconcile(backend, live);
      const starting = live.filter((w) => w.pilotId === null);
      const plan = provisioningPlan({
        queued: q.status === "offline" ? 0 : (load.get(def.name)?.queued ?? 0),
        maxPilots: def.maxPilots,
        slotsPerPilot: def.slotsPerPilot,
        live: live.length,
        starting: starting.length,
      });
      for (const w of starting.slice(starting.length - plan.cancelStarting)) {
        if (w.batchId) await backend.cancel(w.batchId).catch(() => undefined);
        await this.store.workers.end(w.id, "cancelled: no job waits for it any more");
      }
      if (plan.start > 0 && (this.backoff.get(def.name) ?? 0) <= Date.now()) await this.start(backend, q.definition, plan.start);
    }
  }

  /** Ends the workers their backend no longer knows; returns those still alive. */
  private async reconcile(backend: PilotBackend, live: Awaited<ReturnType<Store["workers"]["live"]>>) {
    const withBatch = live.filter((w) => w.batchId !== null);
    let alive: Set<string>;
    try {
      alive = await backend.alive(withBatch.map((w) => w.batchId!));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "cannot list the batch system's jobs; trying again later");
      return live;
    }
    const still = [];
    for (const w of live) {
      if (w.batchId === null || alive.has(w.batchId)) {
        still.push(w);
        continue;
      }
      const pilot = w.pilotId === null ? undefined : await this.store.dispatch.pilot(w.pilotId);
      if (pilot?.status === "running") {
        const reason = `its ${w.backend} job ${w.batchId} ended while the pilot held jobs (cancelled, preempted or failed)`;
        await this.store.workers.end(w.id, reason);
        await this.options.onPilotGone(pilot.id, reason);
        this.log.warn({ worker: w.id, pilot: pilot.id, batch: w.batchId }, "pilot gone from the batch system");
      } else {
        await this.store.workers.end(w.id, pilot ? "its pilot exited" : "ended before its pilot registered");
      }
    }
    return still;
  }

  private async start(backend: PilotBackend, queue: Parameters<PilotBackend["submit"]>[0]["queue"], n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const workerId = await this.store.workers.create(queue.name, queue.backend);
      try {
        const batchId = await backend.submit({
          workerId,
          queue,
          serverUrl: this.options.serverUrl,
          token: this.options.pilotToken,
          cacheDir: `${this.options.dataDir}/cache`,
          logDir: `${this.options.dataDir}/logs`,
        });
        await this.store.workers.setBatchId(workerId, batchId);
        this.log.info({ queue: queue.name, worker: workerId, batch: batchId }, "pilot submitted");
      } catch (err) {
        await this.store.workers.end(workerId, (err as Error).message);
        this.backoff.set(queue.name, Date.now() + 30_000);
        this.log.error({ queue: queue.name, err: (err as Error).message }, "could not start a pilot; trying again in 30 s");
        return;
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.backends).map((b) => b.close()));
  }
}
