// What pilots hold: the attempts sent to them and not ended yet, read for their heartbeats and acquires and
// for the hand-off of a new task to the pilots that wait for work.
import { sql, type RawBuilder } from "../vendor/kysely.js";
import type { AttemptRef, PilotCommand } from "../core/dispatch-records.js";
import type { StoreContext, Tx } from "./context.js";
import { HELD_BY_PILOT, inIds } from "./dialect.js";

const HELD = sql.raw(HELD_BY_PILOT);
/** Pilots whose holdings one statement counts (a hand-off to more waiting pilots takes several). */
export const HELD_COUNTS_PER_STATEMENT = 500;

/** What a pilot holds as the server counts it: its attempts, when each was sent, and its kill orders. */
export interface Held {
  count: number;
  commands: PilotCommand[];
  refs: Array<AttemptRef & { sentAt: number }>;
}

/** How many attempts a pilot holds, with its kill orders. */
export type HeldCount = Omit<Held, "refs">;

/** What pilots hold, by pilot (absent: nothing): attempts, and how many of them a user killed. */
export type HeldCounts = Map<number, { count: number; kills: number }>;

/** A row of HeldStore.countsQuery. */
export interface HeldCountRow {
  pilot_id: number;
  n: number;
  kills: number | null;
}

export function heldCountsFromRows(rows: readonly HeldCountRow[]): HeldCounts {
  return new Map(rows.map((r) => [Number(r.pilot_id), { count: Number(r.n), kills: Number(r.kills ?? 0) }]));
}

export class HeldStore {
  constructor(private readonly ctx: StoreContext) {}

  /** The attempts each of these pilots holds, with kill orders for those a user killed; in one statement. */
  async heldBy(pilots: readonly number[]): Promise<Map<number, Held>> {
    const { rows } = await sql<{ pilot_id: number; id: number; attempt_nr: number; kill_requested: number; sent_at: number }>`
      SELECT pilot_id, id, attempt_nr, kill_requested, sent_at FROM jobs WHERE ${this.ofPilots(pilots)} AND ${HELD}`.execute(this.ctx.db);
    const by = new Map<number, Held>(pilots.map((p) => [p, { count: 0, commands: [], refs: [] }]));
    for (const r of rows) {
      const held = by.get(Number(r.pilot_id))!;
      held.count++;
      if (r.kill_requested === 1) held.commands.push({ kind: "kill", jobId: Number(r.id), attempt: Number(r.attempt_nr) });
      held.refs.push({ jobId: Number(r.id), attempt: Number(r.attempt_nr), sentAt: Number(r.sent_at) });
    }
    return by;
  }

  /**
   * How many attempts each of these pilots holds, with kill orders for those a user killed: what heldBy()
   * tells without reading every attempt (a pilot of fast jobs holds up to a thousand, and asks at each report).
   * One statement, and one more for the pilots with killed attempts.
   */
  async heldCountsOf(pilots: readonly number[]): Promise<Map<number, HeldCount>> {
    const counts = await this.count(this.ctx.db, pilots);
    const by = new Map<number, HeldCount>(pilots.map((p) => [p, { count: counts.get(p)?.count ?? 0, commands: [] }]));
    const killing = pilots.filter((p) => (counts.get(p)?.kills ?? 0) > 0);
    if (killing.length === 0) return by;
    const killed = await sql<{ pilot_id: number; id: number; attempt_nr: number }>`
      SELECT pilot_id, id, attempt_nr FROM jobs WHERE ${this.ofPilots(killing)} AND kill_requested = 1 AND ${HELD}`.execute(this.ctx.db);
    for (const r of killed.rows) by.get(Number(r.pilot_id))!.commands.push({ kind: "kill", jobId: Number(r.id), attempt: Number(r.attempt_nr) });
    return by;
  }

  /** How many attempts each of these pilots holds, and how many of them were killed, in one statement of `db`. */
  async count(db: Tx, pilots: readonly number[]): Promise<HeldCounts> {
    const { rows } = await this.countsQuery(pilots).execute(db);
    return heldCountsFromRows(rows);
  }

  /** The statement of count(), for a caller that runs it within a statement of its own (heldCountsFromRows reads its rows). */
  countsQuery(pilots: readonly number[]): RawBuilder<HeldCountRow> {
    return sql<HeldCountRow>`
      SELECT pilot_id, COUNT(*) AS n, SUM(kill_requested) AS kills FROM jobs WHERE ${this.ofPilots(pilots)} AND ${HELD} GROUP BY pilot_id`;
  }

  /** One pilot by equality (the plainer statement for the usual single read), several by a list. */
  private ofPilots(pilots: readonly number[]): RawBuilder<boolean> {
    return pilots.length === 1 ? sql<boolean>`pilot_id = ${pilots[0]!}` : inIds(this.ctx.dialect, "pilot_id", pilots);
  }
}
