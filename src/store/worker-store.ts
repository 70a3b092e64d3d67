import type { Selectable } from "kysely";
import type { QueuePilots } from "../core/pending-reason.js";
import type { WorkerView } from "../api/queues.js";
import type { WorkerBatchState } from "../core/states.js";
import type { StoreContext } from "./context.js";
import type { WorkersTable } from "./schema.js";

/** A worker with the server replica that started it (null: a site's, or started before replicas were told apart). */
export type StoredWorker = WorkerView & { owner: string | null };

/** Pilots the provisioner started: their batch ids and lives. */
export class WorkerStore {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * A new worker: of a site (its agent starts it with the site's pilot token of that id), or of the server
   * replica `owner`.
   */
  async create(queue: string, backend: string, by: { site: string; pilotTokenId: number | null } | { owner: string }): Promise<number> {
    const site = "site" in by ? by.site : null;
    const pilotTokenId = "site" in by ? by.pilotTokenId : null;
    const owner = "owner" in by ? by.owner : null;
    const row = await this.ctx.db
      .insertInto("workers")
      .values({ queue, backend, batch_id: null, status: "submitted", reason: null, created_at: Date.now(), ended_at: null, site, owner, pilot_token_id: pilotTokenId })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async setBatchId(id: number, batchId: string): Promise<void> {
    await this.ctx.db.updateTable("workers").set({ batch_id: batchId }).where("id", "=", id).execute();
  }

  /** Its pilot registered. */
  async registered(id: number): Promise<void> {
    await this.ctx.db.updateTable("workers").set({ status: "running" }).where("id", "=", id).where("status", "=", "submitted").execute();
  }

  /** What the backend says of the worker's job now. */
  async setBatchStatus(id: number, state: WorkerBatchState, reason: string | null): Promise<void> {
    await this.ctx.db
      .updateTable("workers")
      .set({ batch_state: state, batch_reason: reason })
      .where("id", "=", id)
      .where("status", "!=", "ended")
      .execute();
  }

  /**
   * The workers of each queue that have not registered their pilot yet, by what the batch system says of
   * them: pending (by reason) or starting.
   */
  async unregisteredByQueue(): Promise<Map<string, Pick<QueuePilots, "starting" | "pending">>> {
    const rows = await this.ctx.db
      .selectFrom("workers")
      .select(["queue", "batch_state", "batch_reason", (eb) => eb.fn.countAll<number>().as("n")])
      .where("status", "=", "submitted")
      .groupBy(["queue", "batch_state", "batch_reason"])
      .execute();
    const byQueue = new Map<string, { starting: number; pending: Array<{ reason: string | null; count: number }> }>();
    for (const r of rows) {
      let entry = byQueue.get(r.queue);
      if (!entry) byQueue.set(r.queue, (entry = { starting: 0, pending: [] }));
      if (r.batch_state === "pending") entry.pending.push({ reason: r.batch_reason, count: Number(r.n) });
      else entry.starting += Number(r.n);
    }
    return byQueue;
  }

  /** Why the queue's latest worker could not be submitted, if it could not (it ended with no batch id). */
  async lastSubmitError(queue: string): Promise<string | null> {
    const last = await this.ctx.db
      .selectFrom("workers")
      .select(["batch_id", "status", "reason"])
      .where("queue", "=", queue)
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    return last && last.status === "ended" && last.batch_id === null ? last.reason : null;
  }

  async end(id: number, reason: string): Promise<void> {
    await this.ctx.db
      .updateTable("workers")
      .set({ status: "ended", reason, ended_at: Date.now() })
      .where("id", "=", id)
      .where("status", "!=", "ended")
      .execute();
  }

  private select() {
    return this.ctx.db
      .selectFrom("workers")
      .leftJoin("pilots", "pilots.worker_id", "workers.id")
      .select([
        "workers.id",
        "workers.queue",
        "workers.backend",
        "workers.batch_id",
        "workers.status",
        "workers.reason",
        "workers.batch_state",
        "workers.batch_reason",
        "workers.created_at",
        "workers.ended_at",
        "workers.site",
        "workers.owner",
        "pilots.id as pilot_id",
      ]);
  }

  /** Workers not ended, with their pilot if it registered (and the replica that started them, if one did). */
  async live(queue?: string): Promise<StoredWorker[]> {
    let q = this.select().where("workers.status", "!=", "ended").orderBy("workers.id");
    if (queue !== undefined) q = q.where("workers.queue", "=", queue);
    return (await q.execute()).map((r) => ({ ...toView(r), owner: r.owner }));
  }

  /** A site's workers not ended. */
  async liveOfSite(site: string): Promise<WorkerView[]> {
    return (await this.select().where("workers.status", "!=", "ended").where("workers.site", "=", site).orderBy("workers.id").execute()).map(toView);
  }

  async get(id: number): Promise<WorkerView | undefined> {
    const row = await this.select().where("workers.id", "=", id).executeTakeFirst();
    return row && toView(row);
  }

  /** Workers not ended, per queue. */
  async liveByQueue(): Promise<Map<string, number>> {
    const rows = await this.ctx.db
      .selectFrom("workers")
      .select(["queue", (eb) => eb.fn.countAll<number>().as("n")])
      .where("status", "!=", "ended")
      .groupBy("queue")
      .execute();
    return new Map(rows.map((r) => [r.queue, Number(r.n)]));
  }

  /** Every worker, newest first (for listings). */
  async recent(limit: number): Promise<WorkerView[]> {
    return (await this.select().orderBy("workers.id", "desc").limit(limit).execute()).map(toView);
  }
}

function toView(r: Omit<Selectable<WorkersTable>, "owner" | "pilot_token_id"> & { pilot_id: number | null }): WorkerView {
  return {
    id: r.id,
    queue: r.queue,
    backend: r.backend,
    batchId: r.batch_id,
    status: r.status,
    reason: r.reason,
    batchState: r.status === "ended" ? null : r.batch_state,
    pendingReason: r.status !== "ended" && r.batch_state === "pending" ? r.batch_reason : null,
    pilotId: r.pilot_id,
    createdAt: r.created_at,
    endedAt: r.ended_at,
    site: r.site,
  };
}
