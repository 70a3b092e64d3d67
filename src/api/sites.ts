// Sites: the agents that run at remote clusters (Harvester's role) register their queues, follow the demand
// for pilots, and record the pilots (workers) they start. A site's queue is addressed as `<site>/<queue>`.
import { z } from "../vendor/zod.js";
import { queueDefinitionSchema } from "../core/queue-config.js";
import { id, idParam, label, named, siteName, time } from "./common.js";
import type { Contract } from "./contract.js";
import { workerView } from "./queues.js";

export const siteParams = z.object({ name: siteName });

export const registerSiteBody = z
  .object({
    queues: z.array(queueDefinitionSchema).min(1, "declare at least one queue").max(1000),
    /**
     * The pilot token an earlier registration of this agent gave (its pilots may still be using it): kept when it
     * is still this site's and valid, so that an agent that reconnects does not make a new token each time.
     */
    pilotToken: z.string().min(1).max(200).optional(),
  })
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.queues.forEach((q, i) => {
      if (seen.has(q.name)) ctx.addIssue({ code: "custom", path: ["queues", i, "name"], message: `'${q.name}' is declared twice` });
      seen.add(q.name);
      if (q.name.includes("/")) ctx.addIssue({ code: "custom", path: ["queues", i, "name"], message: "a site's queue name holds no '/' (users address it as <site>/<queue>)" });
    });
  });
export type RegisterSiteRequest = z.input<typeof registerSiteBody>;
export type RegisterSite = z.output<typeof registerSiteBody>;

export const registerSiteResponse = z.object({
  site: z.string(),
  /** The queues' names as users address them: `<site>/<queue>`. */
  queues: z.array(z.string()),
  /**
   * A pilot token for this site's pilots only (they may serve this site's queues and no other): the one the
   * registration presented when it is still valid, else a new one.
   */
  pilotToken: z.string(),
  /** That token's id: the agent names it (never the token) in its demand polls and the workers it records. */
  pilotTokenId: id,
  /** The site is silent (brokerage passes its queues by) when neither its agent nor a pilot was heard from for this long. */
  silenceMs: z.number().int(),
});
export type RegisterSiteResponse = z.output<typeof registerSiteResponse>;

export const siteDemandBody = z.object({
  /** How long to wait for the demand to change when there is nothing to do; 0: answer at once. */
  waitMs: z.number().int().nonnegative().optional(),
  /**
   * The id of the pilot token the agent holds (its registration's): kept valid while held. A site's pilot
   * token neither held within the site silence time nor used by a live worker is revoked.
   */
  pilotTokenId: id.optional(),
});
export type SiteDemandRequest = z.input<typeof siteDemandBody>;
export type SiteDemandInput = z.output<typeof siteDemandBody>;

/** What a queue of the site needs now. */
export const queueDemand = z.object({
  queue: z.string(),
  /** Jobs waiting for a pilot. */
  queued: z.number().int(),
  /** Pilots to start. */
  start: z.number().int(),
  /** Starting workers (not registered yet) to cancel: nothing waits for them any more. */
  cancel: z.array(id),
});
export type QueueDemand = z.output<typeof queueDemand>;

export const siteDemandResponse = z.object({
  queues: z.array(queueDemand),
  /** The site's workers that have not ended, as the server knows them (an agent that restarted picks them up here). */
  workers: z.array(workerView),
});
export type SiteDemand = z.output<typeof siteDemandResponse>;

export const createSiteWorkerBody = z.object({
  queue: label(300),
  backend: z.enum(["local", "slurm"]),
  /**
   * The id of the pilot token the pilot is started with: kept valid until the worker ends. Without it (an
   * agent of an older version) none of the site's pilot tokens is revoked while the worker lives.
   */
  pilotTokenId: id.optional(),
});
export type CreateSiteWorkerRequest = z.input<typeof createSiteWorkerBody>;
export type CreateSiteWorker = z.output<typeof createSiteWorkerBody>;

export const updateSiteWorkerBody = z.object({
  batchId: label(200).optional(),
  batchState: z.enum(["pending", "running"]).optional(),
  pendingReason: label(2000).nullable().optional(),
  /** The worker ended: why (the agent cancelled it…), or, when it vanished, what the batch system says ("its slurm job 12 ended"). */
  ended: label(2000).optional(),
  /**
   * Its batch job ended without the agent asking (the pilot exited, or was cancelled, preempted, failed): if
   * its pilot still held jobs, they are retried at once.
   */
  vanished: z.boolean().optional(),
});
export type UpdateSiteWorkerRequest = z.input<typeof updateSiteWorkerBody>;
export type UpdateSiteWorker = z.output<typeof updateSiteWorkerBody>;

export const SITE_STATES = ["online", "silent"] as const;

export const siteView = named(
  "Site",
  z.object({
    name: z.string(),
    /** "silent": neither its agent nor any of its pilots was heard from within the server's site silence time. */
    state: z.enum(SITE_STATES),
    /** The agent's last registration or demand poll. */
    heartbeatAt: time,
    /** The latest of the agent's heartbeat and its pilots'. */
    lastHeardAt: time,
    queues: z.array(z.string()),
    /** Workers (pilots the agent started) not ended. */
    workers: z.number().int(),
    /** Registered pilots serving its queues now. */
    pilots: z.number().int(),
  }),
);
export type SiteView = z.output<typeof siteView>;

export const siteEndpoints = {
  listSites: { summary: "Sites with their state, their agent's heartbeat and their workers", response: z.array(siteView) },
  registerSite: {
    summary: "Register or update a site's queues (its agent), and get a pilot token for its pilots",
    params: siteParams,
    body: registerSiteBody,
    response: registerSiteResponse,
  },
  siteDemand: {
    summary: "Pilots the site's queues need (long-poll); also the agent's heartbeat",
    params: siteParams,
    body: siteDemandBody,
    response: siteDemandResponse,
  },
  createSiteWorker: {
    summary: "Record a pilot the site's agent is starting",
    params: siteParams,
    body: createSiteWorkerBody,
    response: z.object({ id }),
  },
  updateSiteWorker: {
    summary: "Record what the site's batch system says of a worker, or that it ended",
    params: siteParams.extend({ id: idParam("worker") }),
    body: updateSiteWorkerBody,
    response: workerView,
  },
} satisfies Record<string, Contract>;
