import { sql } from "../vendor/kysely.js";
import type { AttemptRef } from "../core/dispatch-records.js";
import type { StoreContext, Tx } from "./context.js";
import { HELD_BY_PILOT, PILOT_LAST_HEARD, inIds } from "./dialect.js";
import type { PilotsTable } from "./schema.js";

/** A pilot as it registers: the columns of its row it names, its worker if the provisioner started it. */
export interface NewPilot extends Pick<PilotsTable, "queue" | "name" | "host" | "pid" | "slots" | "version"> {
  worker?: number;
  /** HMAC key the pilot signs its broker reports with. */
  reportKey: string;
}

const HELD = sql.raw(HELD_BY_PILOT);
/** Two parameters a row: well below SQLite's and PostgreSQL's limits on a statement's parameters. */
const HEARTBEATS_PER_STATEMENT = 1000;
const LAST_HEARD = sql.raw<number>(PILOT_LAST_HEARD);

/**
 * Pilots' rows: registration, when each was last heard from, and their end (exited, or lost when silent too
 * long), which answers the attempts the pilot still held for the server to settle. The job traffic with
 * pilots (claims, reports) is DispatchStore's.
 */
export class PilotStore {
  constructor(private readonly ctx: StoreContext) {}

  async register(p: NewPilot): Promise<number> {
    const now = Date.now();
    const row = await this.ctx.db
      .insertInto("pilots")
      .values({
        queue: p.queue,
        name: p.name,
        host: p.host,
        pid: p.pid,
        slots: p.slots,
        version: p.version,
        worker_id: p.worker ?? null,
        report_key: p.reportKey,
        status: "running",
        created_at: now,
        heartbeat_at: now,
        ended_at: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async get(pilotId: number) {
    return this.ctx.db.selectFrom("pilots").selectAll().where("id", "=", pilotId).executeTakeFirst();
  }

  /** The pilots that ended (exited, lost, gone) at or after `since` (ms), whichever replica ended them. */
  async endedSince(since: number): Promise<number[]> {
    const rows = await this.ctx.db.selectFrom("pilots").select("id").where("ended_at", ">=", since).execute();
    return rows.map((r) => r.id);
  }

  /** Pilots alive per queue. */
  async runningByQueue(): Promise<Map<string, number>> {
    const rows = await this.ctx.db
      .selectFrom("pilots")
      .select(["queue", (eb) => eb.fn.countAll<number>().as("n")])
      .where("status", "=", "running")
      .groupBy("queue")
      .execute();
    return new Map(rows.map((r) => [r.queue, Number(r.n)]));
  }

  /**
   * Records when pilots were last heard from (pilot id → time), in one statement per thousand pilots, in id
   * order, into a table of their own that a hand-out never locks. A time never goes back: replicas that heard
   * the same pilot may write in any order.
   */
  async recordHeartbeats(beats: ReadonlyMap<number, number>): Promise<void> {
    const rows = [...beats].sort(([a], [b]) => a - b).map(([pilot_id, heard_at]) => ({ pilot_id, heard_at }));
    for (let i = 0; i < rows.length; i += HEARTBEATS_PER_STATEMENT) {
      await this.ctx.db
        .insertInto("pilot_heartbeats")
        .values(rows.slice(i, i + HEARTBEATS_PER_STATEMENT))
        .onConflict((oc) =>
          oc
            .column("pilot_id")
            .doUpdateSet({ heard_at: (eb) => eb.ref("excluded.heard_at") })
            .where("excluded.heard_at", ">", (eb) => eb.ref("pilot_heartbeats.heard_at")),
        )
        .execute();
    }
  }

  /**
   * Declares lost the pilots silent since `cutoff`, or since their queue's own cutoff for queues with a
   * heartbeat timeout of their own; returns them and the attempts they held.
   */
  async sweepLost(
    cutoff: number,
    queueCutoffs: ReadonlyMap<string, number> = new Map(),
  ): Promise<{ pilots: number[]; attempts: AttemptRef[] }> {
    const now = Date.now();
    const own = [...queueCutoffs.keys()];
    return this.ctx.db.transaction().execute(async (trx) => {
      const lost = await trx
        .updateTable("pilots")
        .set({ status: "lost", ended_at: now })
        .where("status", "=", "running")
        .where((eb) =>
          eb.or([
            own.length === 0
              ? eb(LAST_HEARD, "<", cutoff)
              : eb.and([eb(LAST_HEARD, "<", cutoff), eb("queue", "not in", own)]),
            ...[...queueCutoffs].map(([queue, c]) => eb.and([eb("queue", "=", queue), eb(LAST_HEARD, "<", c)])),
          ]),
        )
        .returning("id")
        .execute();
      const pilots = lost.map((p) => p.id);
      return { pilots, attempts: await this.heldBy(trx, pilots) };
    });
  }

  /** Ends a running pilot: `ended` says whether it was running until now; `held` what it still held. */
  async end(pilotId: number): Promise<{ ended: boolean; held: AttemptRef[] }> {
    const now = Date.now();
    return this.ctx.db.transaction().execute(async (trx) => {
      const update = await trx
        .updateTable("pilots")
        .set({ status: "finished", ended_at: now })
        .where("id", "=", pilotId)
        .where("status", "=", "running")
        .executeTakeFirst();
      return { ended: update.numUpdatedRows > 0n, held: await this.heldBy(trx, [pilotId]) };
    });
  }

  /** The attempts these pilots hold, in the caller's transaction. */
  private async heldBy(trx: Tx, pilots: readonly number[]): Promise<AttemptRef[]> {
    if (pilots.length === 0) return [];
    const { rows } = await sql<{ id: number; attempt_nr: number }>`
      SELECT id, attempt_nr FROM jobs WHERE ${inIds(this.ctx.dialect, "pilot_id", pilots)} AND ${HELD}`.execute(trx);
    return rows.map((r) => ({ jobId: r.id, attempt: r.attempt_nr }));
  }
}
