import { sql } from "../vendor/kysely.js";
import type { StoreContext } from "./context.js";
import type { TaskInfoCache } from "./task-info.js";

/**
 * Where tasks wait for pilots, as brokerage decides: the tasks no queue takes yet, placing one on a queue,
 * and moving tasks off queues whose site fell silent.
 */
export class TaskPlacement {
  constructor(
    private readonly ctx: StoreContext,
    private readonly infos: TaskInfoCache,
  ) {}

  /** Tasks waiting for a queue, oldest first, with what they need. */
  async pending(): Promise<Array<{ id: number; cores: number; memoryMb: number; walltimeS: number; queues: string[]; reason: string | null }>> {
    const { rows } = await sql<{
      id: number;
      cores: number;
      memory_mb: number;
      walltime_s: number;
      named_queues: string;
      pending_reason: string | null;
    }>`SELECT id, cores, memory_mb, walltime_s, named_queues, pending_reason FROM tasks WHERE status = 'pending' ORDER BY id`.execute(
      this.ctx.db,
    );
    return rows.map((r) => ({
      id: r.id,
      cores: r.cores,
      memoryMb: r.memory_mb,
      walltimeS: r.walltime_s,
      queues: JSON.parse(r.named_queues) as string[],
      reason: r.pending_reason,
    }));
  }

  /** A pending task's jobs go to a queue, ready for its pilots; false if it is no longer pending (killed). */
  async place(taskId: number, queue: string): Promise<boolean> {
    const now = Date.now();
    const placed = await this.ctx.db.transaction().execute(async (trx) => {
      const task = await trx
        .updateTable("tasks")
        .set({ status: "running", queue, pending_reason: null, updated_at: now })
        .where("id", "=", taskId)
        .where("status", "=", "pending")
        .executeTakeFirst();
      if (Number(task.numUpdatedRows) === 0) return false;
      await trx
        .updateTable("jobs")
        .set({ state: "activated", queue, updated_at: now })
        .where("task_id", "=", taskId)
        .where("state", "=", "defined")
        .execute();
      return true;
    });
    if (placed) this.infos.placed(taskId, queue);
    return placed;
  }

  /**
   * The running tasks with jobs waiting for a pilot on these queues, with what they need: brokerage may
   * move them (their queue's site fell silent).
   */
  async queuedOn(
    queues: readonly string[],
  ): Promise<Array<{ id: number; queue: string; cores: number; memoryMb: number; walltimeS: number; queues: string[] }>> {
    if (queues.length === 0) return [];
    // By the jobs' queue, not the task's: a job retried after its task moved (its pilot was lost later) waits
    // again on the queue it ran from.
    const rows = await this.ctx.db
      .selectFrom("jobs")
      .innerJoin("tasks", "tasks.id", "jobs.task_id")
      .select(["tasks.id as id", "jobs.queue as queue", "tasks.cores as cores", "tasks.memory_mb as memory_mb", "tasks.walltime_s as walltime_s", "tasks.named_queues as named_queues"])
      .distinct()
      .where("tasks.status", "=", "running")
      .where("jobs.state", "=", "activated")
      .where("jobs.queue", "in", [...queues])
      .orderBy("id")
      .execute();
    return rows.map((r) => ({
      id: r.id,
      queue: r.queue,
      cores: r.cores,
      memoryMb: r.memory_mb,
      walltimeS: r.walltime_s,
      queues: JSON.parse(r.named_queues) as string[],
    }));
  }

  /**
   * Moves up to `max` of a running task's jobs waiting on queue `from` to queue `to`, the last ones first (the
   * first ones go to `from`'s pilots as they free up). Returns how many moved. On PostgreSQL, jobs being
   * claimed meanwhile are passed by.
   */
  async shareWaiting(taskId: number, from: string, to: string, max: number): Promise<number> {
    if (max <= 0) return 0;
    const lock = this.ctx.dialect === "postgres" ? sql`FOR UPDATE SKIP LOCKED` : sql``;
    const r = await sql`
      UPDATE jobs SET queue = ${to}, updated_at = ${Date.now()}
      WHERE id IN (SELECT id FROM jobs WHERE task_id = ${taskId} AND queue = ${from} AND state = 'activated' AND kill_requested = 0
                   ORDER BY priority, id DESC LIMIT ${max} ${lock})`.execute(this.ctx.db);
    return Number(r.numAffectedRows ?? 0);
  }

  /**
   * Moves a running task, and its jobs that wait for a pilot on `from`, to another queue; false if neither the
   * task nor any of its waiting jobs was on `from`.
   */
  async move(taskId: number, from: string, to: string): Promise<boolean> {
    const now = Date.now();
    const moved = await this.ctx.db.transaction().execute(async (trx) => {
      const running = await trx.selectFrom("tasks").select("id").where("id", "=", taskId).where("status", "=", "running").executeTakeFirst();
      if (!running) return false;
      const task = await trx.updateTable("tasks").set({ queue: to, updated_at: now }).where("id", "=", taskId).where("queue", "=", from).executeTakeFirst();
      const jobs = await trx
        .updateTable("jobs")
        .set({ queue: to, updated_at: now })
        .where("task_id", "=", taskId)
        .where("queue", "=", from)
        .where("state", "in", ["defined", "activated"])
        .executeTakeFirst();
      return Number(task.numUpdatedRows) + Number(jobs.numUpdatedRows) > 0;
    });
    if (moved) this.infos.placed(taskId, to);
    return moved;
  }

  /** A pending task's reason changed (the queues changed, and still none can take it). */
  async setPendingReason(taskId: number, reason: string): Promise<void> {
    await this.ctx.db
      .updateTable("tasks")
      .set({ pending_reason: reason })
      .where("id", "=", taskId)
      .where("status", "=", "pending")
      .execute();
  }
}
