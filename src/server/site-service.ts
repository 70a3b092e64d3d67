import { ApiError, forbidden, notFound } from "../api/errors.js";
import type { WorkerView } from "../api/queues.js";
import type {
  CreateSiteWorker,
  QueueDemand,
  RegisterSite,
  RegisterSiteResponse,
  SiteDemand,
  SiteDemandInput,
  SiteView,
  UpdateSiteWorker,
} from "../api/sites.js";
import { provisioningPlan } from "../core/provisioning.js";
import type { Principal } from "../store/auth-store.js";
import { QueueTakenError } from "../store/queue-store.js";
import type { AccessGuard } from "./access-guard.js";
import type { ServerContext } from "./context.js";
import type { DispatchService } from "./dispatch-service.js";
import { Topics } from "./events.js";
import type { QueueService } from "./queue-service.js";
import { siteUser } from "./token-service.js";

/** A site's queue as users address it. */
export function siteQueueName(site: string, queue: string): string {
  return `${site}/${queue}`;
}

/**
 * Site agents (Harvester's role at a remote cluster): they register their site's queues, long-poll the
 * demand for pilots (computed here, as the server's own provisioner computes it), and record the workers
 * they start and what their batch system says of them. A site's token acts for that site alone.
 */
export class SiteService {
  constructor(
    private readonly ctx: ServerContext,
    private readonly deps: { guard: AccessGuard; queues: QueueService; dispatch: DispatchService },
  ) {}

  async registerSite(p: Principal, site: string, req: RegisterSite): Promise<RegisterSiteResponse> {
    this.deps.guard.requireSite(p, site, "register the queues");
    const { store } = this.ctx;
    const definitions = req.queues.map((q) => ({ ...q, name: siteQueueName(site, q.name) }));
    try {
      await store.queues.declareFor(site, definitions);
    } catch (err) {
      if (err instanceof QueueTakenError) {
        throw forbidden(`site '${site}' cannot register queue '${err.queue}': ${err.message}; rename the queue in the queues file`);
      }
      throw err;
    }
    await store.sites.heartbeat(site);
    const heldId = req.pilotToken === undefined ? undefined : await store.auth.sitePilotTokenId(req.pilotToken, site);
    const pilot = heldId === undefined ? await this.newPilotToken(site) : { token: req.pilotToken!, id: heldId };
    await store.auth.holdSitePilotToken(pilot.id, site);
    await this.retirePilotTokens(site);
    this.deps.queues.forgetQueues();
    await this.deps.queues.placePendingTasks();
    this.ctx.events.progress();
    this.ctx.log.info({ site, queues: definitions.map((d) => d.name) }, "site registered its queues");
    return { site, queues: definitions.map((d) => d.name), pilotToken: pilot.token, pilotTokenId: pilot.id, silenceMs: this.ctx.config.siteSilenceMs };
  }

  private async newPilotToken(site: string): Promise<{ token: string; id: number }> {
    const { auth } = this.ctx.store;
    const userId = await auth.ensureUser(siteUser(site), "user");
    const token = await auth.createToken(userId, "pilot", `pilots of site ${site}`, { site });
    return { token, id: (await auth.sitePilotTokenId(token, site))! };
  }

  /**
   * The agent holds that pilot token now; a token revoked or expired meanwhile is a conflict, which makes the
   * agent register again for a new one.
   */
  private async holdPilotToken(site: string, id: number): Promise<void> {
    if (!(await this.ctx.store.auth.holdSitePilotToken(id, site))) {
      throw new ApiError(409, "conflict", `pilot token ${id} of site '${site}' is revoked or expired; the agent registers again for a new one`);
    }
  }

  /**
   * Revokes the site's pilot tokens no agent held within the site silence time and no live worker was started
   * with: an agent that restarts gets a new token, and the old one would otherwise stay valid for ever.
   */
  private async retirePilotTokens(site: string): Promise<void> {
    const retired = await this.ctx.store.auth.retireSitePilotTokens(site, Date.now() - this.ctx.config.siteSilenceMs);
    if (retired === 0) return;
    // Every replica stops accepting them now, not when its cached tokens expire.
    this.deps.guard.forgetTokens();
    this.ctx.log.info({ site, retired }, "revoked the site's pilot tokens no agent holds and no pilot uses");
  }

  /** What each of the site's queues needs; waits up to waitMs for jobs to come when nothing is to be done. */
  async demand(p: Principal, site: string, req: SiteDemandInput, signal?: AbortSignal): Promise<SiteDemand> {
    this.deps.guard.requireSite(p, site, "follow the demand");
    const { store, events, config } = this.ctx;
    await store.sites.heartbeat(site);
    // An agent that names the token it holds keeps it valid; one of an older version does not, and retiring
    // tokens on its polls would revoke its own.
    if (req.pilotTokenId !== undefined) {
      await this.holdPilotToken(site, req.pilotTokenId);
      await this.retirePilotTokens(site);
    }
    const queues = (await store.queues.list()).filter((q) => q.site === site);
    if (queues.length === 0) throw new ApiError(409, "conflict", `site '${site}' has no queues; its agent registers them first`);
    const sub = events.subscribe(queues.map((q) => Topics.queue(q.definition.name)));
    try {
      const deadline = Date.now() + Math.min(req.waitMs ?? 0, config.maxWaitMs);
      for (;;) {
        const answer = await this.currentDemand(site, queues);
        const left = deadline - Date.now();
        if (left <= 0 || answer.queues.some((q) => q.start > 0 || q.cancel.length > 0)) return answer;
        if (!(await sub.wait(left, signal))) return signal?.aborted ? answer : await this.currentDemand(site, queues);
      }
    } finally {
      sub.close();
    }
  }

  private async currentDemand(site: string, queues: Awaited<ReturnType<ServerContext["store"]["queues"]["list"]>>): Promise<SiteDemand> {
    const { store } = this.ctx;
    const [load, workers] = await Promise.all([store.queues.load(), store.workers.liveOfSite(site)]);
    const demand: QueueDemand[] = [];
    for (const q of queues) {
      const def = q.definition;
      const live = workers.filter((w) => w.queue === def.name);
      const starting = live.filter((w) => w.pilotId === null);
      const queued = q.status === "offline" ? 0 : (load.get(def.name)?.queued ?? 0);
      if (def.maxPilots === 0) {
        demand.push({ queue: def.name, queued, start: 0, cancel: [] });
        continue;
      }
      const plan = provisioningPlan({ queued, maxPilots: def.maxPilots, slotsPerPilot: def.slotsPerPilot, live: live.length, starting: starting.length });
      const cancel = starting.slice(starting.length - plan.cancelStarting).map((w) => w.id);
      demand.push({ queue: def.name, queued, start: plan.start, cancel });
    }
    return { queues: demand, workers };
  }

  async createWorker(p: Principal, site: string, req: CreateSiteWorker): Promise<{ id: number }> {
    this.deps.guard.requireSite(p, site, "start pilots for the queues");
    const queue = await this.deps.queues.record(req.queue);
    if (!queue) throw notFound("queue", req.queue);
    if (queue.site !== site) throw forbidden(`queue '${req.queue}' is not site '${site}''s; a site starts pilots for its own queues only`);
    if (req.pilotTokenId !== undefined) await this.holdPilotToken(site, req.pilotTokenId);
    const id = await this.ctx.store.workers.create(req.queue, req.backend, { site, pilotTokenId: req.pilotTokenId ?? null });
    await this.deps.queues.workersChanged([req.queue]);
    return { id };
  }

  /** Records what the site's batch system says of a worker; a vanished one's pilot's jobs are retried at once. */
  async updateWorker(p: Principal, site: string, id: number, req: UpdateSiteWorker): Promise<WorkerView> {
    this.deps.guard.requireSite(p, site, "record the workers");
    const { store, log } = this.ctx;
    const worker = await store.workers.get(id);
    if (!worker || worker.site !== site) throw notFound("worker", id);
    if (req.batchId !== undefined) await store.workers.setBatchId(id, req.batchId);
    if (req.batchState !== undefined) await store.workers.setBatchStatus(id, req.batchState, req.pendingReason ?? null);
    if (req.ended !== undefined) {
      const pilot = worker.pilotId === null ? undefined : await store.pilots.get(worker.pilotId);
      if (!req.vanished) {
        await store.workers.end(id, req.ended);
      } else if (pilot?.status === "running") {
        // As the server's own provisioner does: the jobs its pilot held are retried at once.
        const reason = `${req.ended} while the pilot held jobs (cancelled, preempted or failed)`;
        await store.workers.end(id, reason);
        await this.deps.dispatch.pilotGone(pilot.id, reason);
        log.warn({ site, workerId: id, pilotId: pilot.id, batchId: worker.batchId }, "a site's pilot gone from its batch system");
      } else {
        await store.workers.end(id, pilot ? "its pilot exited" : "ended before its pilot registered");
      }
    }
    await this.deps.queues.workersChanged([worker.queue]);
    return (await store.workers.get(id))!;
  }

  async listSites(_p: Principal): Promise<SiteView[]> {
    const { store } = this.ctx;
    const [sites, queues, workers] = await Promise.all([store.sites.list(), store.queues.list(), store.workers.live()]);
    return sites.map((s) => ({
      name: s.name,
      state: this.deps.queues.siteState(s),
      heartbeatAt: s.heartbeatAt,
      lastHeardAt: Math.max(s.heartbeatAt, s.pilotHeartbeatAt ?? 0),
      queues: queues.filter((q) => q.site === s.name).map((q) => q.definition.name),
      workers: workers.filter((w) => w.site === s.name).length,
      pilots: s.pilots,
    }));
  }
}
