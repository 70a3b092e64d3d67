import type { Selectable } from "kysely";
import type { WorkerView } from "../core/protocol.js";
import type { WorkersTable } from "./schema.js";
import type { StoreContext } from "./store.js";

/** Pilots the provisioner started: their batch ids and lives. */
export class WorkerStore {
  constructor(private readonly ctx: StoreContext) {}

  async create(queue: string, backend: string): Promise<number> {
    const row = await this.ctx.db
      .insertInto("workers")
      .values({ queue, backend, batch_id: null, status: "submitted", reason: null, created_at: Date.now(), ended_at: null })
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
        "workers.created_at",
        "workers.ended_at",
        "pilots.id as pilot_id",
      ]);
  }

  /** Workers not ended, with their pilot if it registered. */
  async live(queue?: string): Promise<WorkerView[]> {
    let q = this.select().where("workers.status", "!=", "ended").orderBy("workers.id");
    if (queue !== undefined) q = q.where("workers.queue", "=", queue);
    return (await q.execute()).map(toView);
  }

  /** Every worker, newest first (for listings). */
  async recent(limit: number): Promise<WorkerView[]> {
    return (await this.select().orderBy("workers.id", "desc").limit(limit).execute()).map(toView);
  }
}

function toView(r: Selectable<WorkersTable> & { pilot_id: number | null }): WorkerView {
  return {
    id: r.id,
    queue: r.queue,
    backend: r.backend,
    batchId: r.batch_id,
    status: r.status as WorkerView["status"],
    reason: r.reason,
    pilotId: r.pilot_id,
    createdAt: r.created_at,
    endedAt: r.ended_at,
  };
}
