// The site agent (Harvester's role at a site): it connects only outwards, to the server. It registers the
// site's queues, long-polls the demand for pilots, starts pilots on the site's own backends, tells the
// server what the batch system says of each, and reconnects by itself when the server goes away.
import type { Logger } from "pino";
import type { ApiCaller } from "../api/caller.js";
import { ApiError } from "../api/errors.js";
import type { WorkerView } from "../api/queues.js";
import type { SiteDemand } from "../api/sites.js";
import { errorMessage } from "../core/errors.js";
import type { QueueBackend, QueueDefinition } from "../core/queue-config.js";
import type { PilotBackend } from "../resources/pilot-backend.js";

export interface SiteAgentOptions {
  site: string;
  /** The server's URL as the site's pilots reach it (given to them as their --server). */
  serverUrl: string;
  /** What the site's pilots need besides their token to reach serverUrl (PANDO_CA, PANDO_INSECURE_HTTP). */
  pilotEnv: Record<string, string>;
  /** The site's queues as its queues file declares them (names without the site). */
  queues: readonly QueueDefinition[];
  api: ApiCaller;
  backends: Record<QueueBackend, PilotBackend>;
  /** Where the site's pilots keep their code cache and their logs. */
  cacheDir: string;
  logDir: string;
  /** How long one demand poll may wait on the server (also the agent's heartbeat and reconciliation period). */
  pollMs: number;
  /** Longest wait between two tries while the server cannot be reached. */
  maxBackoffMs: number;
  /** After a pilot could not be started on a queue, how long to leave that queue be. */
  submitBackoffMs: number;
  /** The agent's log: JSON lines whose ids (queue, workerId, batchId) are fields; the command binds `site`. */
  log: Logger;
}

/** A refusal no retry can mend: the token is unknown, expired, revoked, or not this site's. */
function fatal(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 401 || err.status === 403 || (err.status === 400 && err.code !== "unknown_queue"));
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

export class SiteAgent {
  private readonly stopping = new AbortController();
  /** The pilot token of the last registration; kept across outages and presented again, so the server keeps it. */
  private pilotToken: string | undefined;
  /** That token's id, named in demand polls (which keep it valid) and in the workers started with it. */
  private pilotTokenId: number | undefined;
  /** Registered with the server as it is now: false at first, and again after losing the server. */
  private registered = false;
  /** The queues by the name users and pilots address them: `<site>/<queue>`. */
  private readonly definitions = new Map<string, QueueDefinition>();
  /** Workers being started right now (their batch id not yet known to the server). */
  private readonly submitting = new Set<number>();
  /** Queues whose last submission failed, and until when they are left be. */
  private readonly backoff = new Map<string, number>();
  /** The site's workers as the last demand listed them. */
  private workers: WorkerView[] = [];

  constructor(private readonly o: SiteAgentOptions) {}

  /** Runs until stop(): every failure to reach the server is one log line, then tries again with a growing pause. */
  async run(): Promise<void> {
    const signal = this.stopping.signal;
    let pause = 1000;
    let outage: string | undefined;
    while (!signal.aborted) {
      try {
        if (!this.registered) await this.register();
        await this.pass();
        if (outage !== undefined) this.o.log.info({ server: this.o.serverUrl }, "the server is reachable again");
        outage = undefined;
        pause = 1000;
      } catch (err) {
        if (signal.aborted) break;
        if (fatal(err)) throw new Error(`the server at ${this.o.serverUrl} refused site '${this.o.site}': ${errorMessage(err)}`, { cause: err });
        if (outage === undefined) {
          outage = errorMessage(err);
          this.o.log.warn({ server: this.o.serverUrl, reason: outage }, "the server cannot be reached; trying again until it answers");
        }
        // A server that was away may have been restarted or replaced: register again when it answers.
        this.registered = false;
        await sleep(pause, signal);
        pause = Math.min(pause * 2, this.o.maxBackoffMs);
      }
    }
  }

  private async register(): Promise<void> {
    const answer = await this.o.api.registerSite({ params: { name: this.o.site }, body: { queues: [...this.o.queues], pilotToken: this.pilotToken } });
    this.definitions.clear();
    this.o.queues.forEach((q, i) => this.definitions.set(answer.queues[i]!, { ...q, name: answer.queues[i]! }));
    this.pilotToken = answer.pilotToken;
    this.pilotTokenId = answer.pilotTokenId;
    this.registered = true;
    this.o.log.info({ queues: answer.queues }, "site registered its queues");
  }

  /** One demand poll, then reconciling the workers with the batch system, cancelling and starting pilots. */
  private async pass(): Promise<void> {
    const signal = this.stopping.signal;
    const demand = await this.o.api.siteDemand({ params: { name: this.o.site }, body: { waitMs: this.o.pollMs, pilotTokenId: this.pilotTokenId } }, { signal });
    if (signal.aborted) return;
    this.workers = demand.workers;
    const ended = await this.reconcile(demand.workers);
    for (const q of demand.queues) await this.follow(q, ended);
    // The server answers at once while pilots are wanted: when every queue that wants them is left be
    // after a failed start, wait here instead of asking again and again.
    const now = Date.now();
    const wanting = demand.queues.filter((q) => q.start > 0 || q.cancel.length > 0);
    const waits = wanting.map((q) => (q.cancel.length === 0 ? (this.backoff.get(q.queue) ?? 0) - now : 0));
    if (wanting.length > 0 && waits.every((ms) => ms > 0)) await sleep(Math.min(this.o.pollMs, ...waits), signal);
  }

  /**
   * Tells the server what the batch system says of each worker: pending (and why) or running, or gone.
   * Returns the ids of the workers found ended.
   */
  private async reconcile(workers: readonly WorkerView[]): Promise<Set<number>> {
    const ended = new Set<number>();
    for (const [kind, backend] of Object.entries(this.o.backends) as Array<[QueueBackend, PilotBackend]>) {
      const mine = workers.filter((w) => w.backend === kind && !this.submitting.has(w.id));
      if (mine.length === 0) continue;
      let statuses: Awaited<ReturnType<PilotBackend["status"]>>;
      try {
        statuses = await backend.status(mine.flatMap((w) => w.batchId ?? []));
      } catch (err) {
        this.o.log.warn({ backend: kind, reason: errorMessage(err) }, "cannot ask the batch system about the site's pilots; trying again later");
        continue;
      }
      for (const w of mine) {
        const status = w.batchId === null ? undefined : statuses.get(w.batchId);
        const params = { name: this.o.site, id: w.id };
        if (status) {
          if (status.state !== w.batchState || status.reason !== w.pendingReason) {
            await this.o.api.updateSiteWorker({ params, body: { batchState: status.state, pendingReason: status.reason } });
          }
          continue;
        }
        ended.add(w.id);
        const what = w.batchId === null ? "it was never submitted (the agent stopped while starting it)" : `its ${kind} job ${w.batchId} ended`;
        await this.o.api.updateSiteWorker({ params, body: { ended: what, vanished: w.batchId !== null } });
      }
    }
    return ended;
  }

  private async follow(q: SiteDemand["queues"][number], ended: ReadonlySet<number>): Promise<void> {
    const def = this.definitions.get(q.queue);
    if (!def) return;
    const backend = this.o.backends[def.backend];
    for (const id of q.cancel) {
      if (ended.has(id)) continue;
      const w = this.workers.find((x) => x.id === id);
      if (w?.batchId) await backend.cancel(w.batchId).catch(() => undefined);
      await this.o.api.updateSiteWorker({ params: { name: this.o.site, id }, body: { ended: "cancelled: no job waits for it any more" } });
    }
    if (q.start > 0 && (this.backoff.get(q.queue) ?? 0) <= Date.now()) await this.start(def, backend, q.start);
  }

  private async start(def: QueueDefinition, backend: PilotBackend, n: number): Promise<void> {
    for (let i = 0; i < n && !this.stopping.signal.aborted; i++) {
      const { id } = await this.o.api.createSiteWorker({ params: { name: this.o.site }, body: { queue: def.name, backend: def.backend, pilotTokenId: this.pilotTokenId } });
      this.submitting.add(id);
      try {
        const batchId = await backend.submit({
          workerId: id,
          queue: def,
          serverUrl: this.o.serverUrl,
          env: this.o.pilotEnv,
          token: this.pilotToken!,
          cacheDir: this.o.cacheDir,
          logDir: this.o.logDir,
        });
        await this.o.api.updateSiteWorker({ params: { name: this.o.site, id }, body: { batchId } });
        this.o.log.info({ queue: def.name, workerId: id, backend: def.backend, batchId }, "pilot started");
      } catch (err) {
        if (err instanceof ApiError) throw err;
        const why = `could not start a pilot: ${errorMessage(err)}`;
        await this.o.api.updateSiteWorker({ params: { name: this.o.site, id }, body: { ended: why } });
        this.backoff.set(def.name, Date.now() + this.o.submitBackoffMs);
        this.o.log.warn({ queue: def.name, workerId: id, reason: errorMessage(err), retryInS: Math.round(this.o.submitBackoffMs / 1000) }, "could not start a pilot; trying again later");
        return;
      } finally {
        this.submitting.delete(id);
      }
    }
  }

  /**
   * Stops polling, cancels the site's pilots still waiting to start (pending in the batch system, or not
   * registered yet) and tells the server; pilots that run jobs carry on (local ones stop with the agent).
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    // The latest list: pilots may have been started since the last poll.
    const latest = await this.o.api
      .siteDemand({ params: { name: this.o.site }, body: { waitMs: 0 } })
      .then((d) => d.workers)
      .catch(() => this.workers);
    const pending = latest.filter((w) => w.pilotId === null);
    for (const w of pending) {
      const def = this.definitions.get(w.queue);
      if (w.batchId && def) await this.o.backends[def.backend].cancel(w.batchId).catch(() => undefined);
      await this.o.api
        .updateSiteWorker({ params: { name: this.o.site, id: w.id }, body: { ended: "cancelled: the site agent stopped" } })
        .catch(() => undefined);
    }
    if (pending.length > 0) this.o.log.info({ cancelled: pending.length }, "pilots still waiting to start cancelled");
    await Promise.all(Object.values(this.o.backends).map((b) => b.close()));
  }
}
