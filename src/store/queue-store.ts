import { sql } from "../vendor/kysely.js";
import type { BrokerQueue, QueueStatus } from "../core/brokerage.js";
import { defaultQueue, type QueueDefinition } from "../core/queue-config.js";
import type { StoreContext } from "./context.js";

/** A queue as the server keeps it: its definition and its current status. */
export interface QueueRecord {
  /** Its name (`definition.name`) is the full one: `<site>/<queue>` for a site's queue. */
  definition: QueueDefinition;
  status: QueueStatus;
  /** The site whose agent serves it; null: the server's own. */
  site: string | null;
}

/** The queues: their definitions (from the queues file), their run-time status, and their load. */
export class QueueStore {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Makes the stored queues match the file's definitions. A queue's status follows the file when the queue
   * is new or the file's status changed since the last start; otherwise a run-time change is kept. A queue
   * the file no longer has goes offline (its row stays: jobs and pilots name it).
   */
  async declare(definitions: readonly QueueDefinition[]): Promise<void> {
    await this.declareFor(null, definitions);
  }

  /**
   * Makes the stored queues of a site (null: the server's own) match its definitions, whose names are the
   * full ones; its stored queues missing from them go offline, as if their definitions said so. Throws a
   * QueueTakenError, changing nothing, when one of the names belongs to someone else.
   */
  async declareFor(site: string | null, definitions: readonly QueueDefinition[]): Promise<void> {
    const now = Date.now();
    await this.ctx.db.transaction().execute(async (trx) => {
      for (const def of definitions) {
        const row = await trx
          .selectFrom("queues")
          .select(["status", "file_status", "site"])
          .where("name", "=", def.name)
          .executeTakeFirst();
        if (row && row.site !== site) throw new QueueTakenError(def.name, row.site);
        const status = !row || row.file_status !== def.status ? def.status : row.status;
        const values = { backend: def.backend, status, definition: JSON.stringify(def), file_status: def.status, site };
        if (row) await trx.updateTable("queues").set(values).where("name", "=", def.name).execute();
        else await trx.insertInto("queues").values({ name: def.name, created_at: now, ...values }).execute();
      }
      const names = definitions.map((d) => d.name);
      let dropped = trx.updateTable("queues").set({ status: "offline", file_status: "offline" });
      dropped = site === null ? dropped.where("site", "is", null) : dropped.where("site", "=", site);
      if (names.length > 0) dropped = dropped.where("name", "not in", names);
      await dropped.execute();
    });
  }

  async list(): Promise<QueueRecord[]> {
    const rows = await this.ctx.db.selectFrom("queues").select(["name", "status", "definition", "site"]).orderBy("name").execute();
    return rows.map((r) => ({
      // Queues made before definitions were stored are plain local queues.
      definition: r.definition ? (JSON.parse(r.definition) as QueueDefinition) : defaultQueue(r.name),
      status: r.status,
      site: r.site,
    }));
  }

  /** Sets a queue's status; false if there is no such queue. */
  async setStatus(name: string, status: QueueStatus): Promise<boolean> {
    const r = await this.ctx.db.updateTable("queues").set({ status }).where("name", "=", name).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Jobs waiting for a pilot and jobs held by pilots, per queue. */
  async load(): Promise<Map<string, { queued: number; running: number }>> {
    const { rows } = await sql<{ queue: string; state: string; n: number }>`
      SELECT queue, state, COUNT(*) AS n FROM jobs
      WHERE state IN ('activated', 'sent', 'starting', 'running') GROUP BY queue, state`.execute(this.ctx.db);
    const load = new Map<string, { queued: number; running: number }>();
    for (const r of rows) {
      const entry = load.get(r.queue) ?? { queued: 0, running: 0 };
      if (r.state === "activated") entry.queued += Number(r.n);
      else entry.running += Number(r.n);
      load.set(r.queue, entry);
    }
    return load;
  }

  /** The tasks with jobs waiting for a pilot on these queues. */
  async tasksWaiting(queues: readonly string[]): Promise<number[]> {
    if (queues.length === 0) return [];
    const rows = await this.ctx.db
      .selectFrom("jobs")
      .select("task_id")
      .distinct()
      .where("state", "=", "activated")
      .where("queue", "in", [...queues])
      .execute();
    return rows.map((r) => r.task_id);
  }
}

/** A queue name is someone else's: the server's own, or another site's. */
export class QueueTakenError extends Error {
  constructor(
    readonly queue: string,
    readonly owner: string | null,
  ) {
    super(`queue '${queue}' belongs to ${owner === null ? "the server itself" : `site '${owner}'`}`);
    this.name = "QueueTakenError";
  }
}

/** A queue record as brokerage sees it, with its load. */
export function brokerView(q: QueueRecord, load: { queued: number; running: number } | undefined): BrokerQueue {
  const d = q.definition;
  return {
    name: d.name,
    status: q.status,
    cores: d.cores,
    minMemoryMb: d.memory.min ?? 0,
    maxMemoryMb: d.memory.max ?? 0,
    minWalltimeS: Math.ceil((d.walltime.min ?? 0) / 1000),
    maxWalltimeS: Math.floor((d.walltime.max ?? 0) / 1000),
    queued: load?.queued ?? 0,
    running: load?.running ?? 0,
  };
}
