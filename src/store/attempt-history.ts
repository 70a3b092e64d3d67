// The attempts history as the store writes and reads it: rows of ended attempts, and the last attempt of a
// final job that its job's row stands for (core/attempt-history), built from that row where the history is read
// and written out before the row is reset for a retry.
import { sql, type RawBuilder } from "../vendor/kysely.js";
import type { EndedAttempt } from "../core/attempt-transition.js";
import { endedAttemptOnRow } from "../core/attempt-history.js";
import type { Tx } from "./context.js";
import { jsonRows, type DialectName } from "./dialect.js";
import type { AttemptsTable, JobsTable } from "./schema.js";

const HISTORY_COLUMNS = { j: "int", n: "int", s: "text", p: "int", t: "int", b: "int", x: "int", e: "text", o: "text", r: "text" } as const;

/** An ended attempt as the history insert takes it (short names keep the JSON of thousands small). */
export interface HistoryRow {
  j: number;
  n: number;
  s: string;
  p: number | null;
  t: number;
  b: number | null;
  x: number | null;
  e: string | null;
  o: string | null;
  r: string | null;
}

export function historyRow(jobId: number, e: EndedAttempt): HistoryRow {
  return { j: jobId, n: e.attempt, s: e.state, p: e.pilotId, t: e.sentAt, b: e.startedAt, x: e.endedAt, e: e.error ? JSON.stringify(e.error) : null, o: e.stdout, r: e.stderr };
}

/** Inserts ended attempts into the history; one already there (a report applied twice) is kept. */
export function insertHistory(dialect: DialectName, rows: readonly HistoryRow[]): RawBuilder<unknown> {
  return sql`
    INSERT INTO attempts (job_id, nr, state, pilot_id, sent_at, started_at, ended_at, error, stdout, stderr)
    SELECT u.j, u.n, u.s, u.p, u.t, u.b, u.x, u.e, u.o, u.r FROM ${jsonRows(dialect, rows, HISTORY_COLUMNS)} WHERE true
    ON CONFLICT (job_id, nr) DO NOTHING`;
}

/** The columns of a job's row its last attempt is read from. */
export type JobRowOfAttempt = Pick<JobsTable, "state" | "attempt_nr" | "pilot_id" | "sent_at" | "started_at" | "ended_at" | "error" | "kill_requested"> & {
  id: number;
};

/** The history row the job's row stands for, when `known` (the attempt numbers the history has of it) lacks it. */
export function lastAttemptOnRow(row: JobRowOfAttempt, known: readonly number[]): AttemptsTable | undefined {
  const onRow = { state: row.state, attemptNr: row.attempt_nr, pilotId: row.pilot_id, sentAt: row.sent_at, startedAt: row.started_at, endedAt: row.ended_at, killRequested: row.kill_requested === 1 };
  const state = endedAttemptOnRow(onRow);
  if (state === null || known.includes(row.attempt_nr)) return undefined;
  return {
    job_id: row.id,
    nr: row.attempt_nr,
    state,
    pilot_id: row.pilot_id!,
    sent_at: row.sent_at!,
    started_at: row.started_at,
    ended_at: row.ended_at,
    error: row.error,
    stdout: null,
    stderr: null,
  };
}

/**
 * Writes into the history the last attempts the rows of these jobs stand for, in the caller's transaction,
 * before the rows are reset (a retry): the attempts stay in the job's history afterwards.
 */
export async function keepLastAttempts(trx: Tx, dialect: DialectName, rows: readonly JobRowOfAttempt[]): Promise<void> {
  const kept = rows.flatMap((r) => lastAttemptOnRow(r, []) ?? []);
  if (kept.length === 0) return;
  const history = kept.map((a): HistoryRow => ({ j: a.job_id, n: a.nr, s: a.state, p: a.pilot_id, t: a.sent_at, b: a.started_at, x: a.ended_at, e: a.error, o: null, r: null }));
  await insertHistory(dialect, history).execute(trx);
}
