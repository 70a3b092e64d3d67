// The few places where SQLite and PostgreSQL need different SQL, kept in one file.
import { sql, type RawBuilder } from "../vendor/kysely.js";
import { encodeStoredText, jsonMayNeedEncoding } from "../codec/stored-text.js";
import type { Tx } from "./context.js";

export type DialectName = "sqlite" | "postgres";

/**
 * Jobs a pilot holds: the condition of the partial index jobs_held, written out identically in the queries
 * that use it (SQLite uses a partial index only for a query whose condition matches it literally).
 */
export const HELD_BY_PILOT = "(state IN ('sent', 'starting', 'running') OR kill_requested = 1)";

/** The largest LIMIT written into a statement's text: each count is a statement of its own in the caches. */
const WRITTEN_LIMIT_MAX = 64;

/**
 * A LIMIT's row count. SQLite runs a claim's `id IN (SELECT … ORDER BY … LIMIT n)` four times slower with n
 * bound than written into the statement (53–69 µs against 14 µs, BENCHMARKS.md): the small counts of single
 * calls are written in, larger ones stay bound, so that the statement caches hold few variants of it.
 */
export function rowLimit(dialect: DialectName, n: number): RawBuilder<unknown> {
  return dialect === "sqlite" && Number.isSafeInteger(n) && n >= 0 && n <= WRITTEN_LIMIT_MAX ? sql.raw(String(n)) : sql`${n}`;
}

/**
 * When a pilot (a row of `pilots`) was last heard from: its last heartbeat written (pilot_heartbeats), or else
 * its registration.
 */
export const PILOT_LAST_HEARD = "COALESCE((SELECT h.heard_at FROM pilot_heartbeats h WHERE h.pilot_id = pilots.id), pilots.heartbeat_at)";

/** Jobs that did not succeed: the condition of the partial index jobs_task_problems, written out the same way. */
export const JOB_PROBLEMS = "state IN ('failed', 'cancelled', 'closed')";

export type ColumnKind = "int" | "text";

/**
 * A row source `AS u` built from a JSON array of objects, so that a batch of N rows is one statement
 * instead of N (SQLite: json_each; PostgreSQL: jsonb_to_recordset).
 */
export function jsonRows(
  dialect: DialectName,
  rows: readonly object[],
  columns: Readonly<Record<string, ColumnKind>>,
): RawBuilder<unknown> {
  let json = JSON.stringify(rows);
  const names = Object.keys(columns);
  if (dialect === "postgres") {
    // jsonb refuses an escaped NUL: texts go in as the store keeps them (codec/stored-text.ts), as parameters do.
    if (jsonMayNeedEncoding(json)) json = JSON.stringify(rows, (_key, value: unknown) => (typeof value === "string" ? encodeStoredText(value) : value));
    const defs = names.map((n) => `${n} ${columns[n] === "int" ? "bigint" : "text"}`).join(", ");
    return sql`jsonb_to_recordset(${json}::jsonb) AS u(${sql.raw(defs)})`;
  }
  const picks = names.map((n) => `value ->> '${n}' AS ${n}`).join(", ");
  return sql`(SELECT ${sql.raw(picks)} FROM json_each(${json})) AS u`;
}

/** `column IN (ids…)` with the ids bound as one parameter. */
export function inIds(dialect: DialectName, column: string, ids: readonly number[]): RawBuilder<boolean> {
  const ref = sql.ref(column);
  if (dialect === "postgres") return sql<boolean>`${ref} = ANY(${ids as number[]}::bigint[])`;
  return sql<boolean>`${ref} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;
}

/** A text field of a JSON object kept in a text column. The names are code constants, never user input. */
export function jsonField(dialect: DialectName, column: string, field: string): RawBuilder<string | null> {
  if (!/^\w+$/.test(column) || !/^\w+$/.test(field)) throw new Error(`bad JSON field reference ${column}.${field}`);
  // jsonb refuses an escaped NUL (\u0000); it reads as U+FFFD here, the stored text keeping it.
  return dialect === "postgres"
    ? sql.raw(`(replace(${column}, '\\u0000', '\\ufffd')::jsonb ->> '${field}')`)
    : sql.raw(`json_extract(${column}, '$.${field}')`);
}

/**
 * Runs writes that do not depend on each other's effects (nor read what another of them writes): on
 * PostgreSQL as one statement, the first ones as data-modifying WITH parts of the last (one round trip;
 * they all see the same snapshot), on SQLite one after the other.
 */
export async function runWrites(db: Tx, dialect: DialectName, writes: ReadonlyArray<RawBuilder<unknown>>): Promise<void> {
  if (writes.length === 0) return;
  if (dialect === "sqlite" || writes.length === 1) {
    for (const w of writes) await w.execute(db);
    return;
  }
  const parts = writes.slice(0, -1).map((w, i) => sql`${sql.raw(`w${i}`)} AS (${w})`);
  await sql`WITH ${sql.join(parts)} ${writes[writes.length - 1]!}`.execute(db);
}
