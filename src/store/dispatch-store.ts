import { sql } from "kysely";
import type { ErrorInfo } from "../core/errors.js";
import type { AttemptRef, AttemptUpdate, DispatchedJob, PilotCommand } from "../core/protocol.js";
import { decideAfterAttempt } from "../core/retry-policy.js";
import { CLAIMED_JOB_STATES } from "../core/states.js";
import { inIds, jsonRows } from "./dialect.js";
import type { StoreContext, Tx } from "./store.js";
import type { JobFinal, TaskChange, TaskStore } from "./task-store.js";

export interface NewPilot {
  queue: string;
  name: string;
  host: string;
  pid: number;
  slots: number;
  version: string;
}

export interface ApplyResult {
  accepted: number;
  ignored: number;
  tasks: TaskChange[];
  /** Queues that got jobs back (retries), so idle pilots can be woken. */
  requeued: string[];
}

interface JobRow {
  id: number;
  task_id: number;
  state: string;
  queue: string;
  attempt_nr: number;
  failures: number;
  system_failures: number;
  max_attempts: number;
  pilot_id: number | null;
  started_at: number | null;
}

// Written as a literal, not bound parameters, so SQLite can use the partial index on active attempts;
// the unary plus on pilot_id in the report update keeps it from choosing that index where the primary key is better.
const ACTIVE = sql.raw("('sent', 'starting', 'running')");

/** Pilots and the job traffic with them: claim, reports, heartbeats, lost pilots. */
export class DispatchStore {
  constructor(
    private readonly ctx: StoreContext,
    private readonly tasks: TaskStore,
  ) {}

  async registerPilot(p: NewPilot): Promise<number> {
    const now = Date.now();
    const row = await this.ctx.db
      .insertInto("pilots")
      .values({ ...p, status: "running", created_at: now, heartbeat_at: now, ended_at: null })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async pilot(pilotId: number) {
    return this.ctx.db.selectFrom("pilots").selectAll().where("id", "=", pilotId).executeTakeFirst();
  }

  /**
   * Atomically moves up to `max` activated jobs of the queue to `sent` for this pilot (activated→sent only if
   * still activated), each as a new attempt.
   */
  async claim(pilotId: number, queue: string, max: number): Promise<DispatchedJob[]> {
    if (max <= 0) return [];
    const now = Date.now();
    const { dialect, db } = this.ctx;
    // Looking first, outside any transaction, keeps an empty poll from costing a write transaction.
    const candidates = await sql<{ id: number }>`
      SELECT id FROM jobs WHERE queue = ${queue} AND state = 'activated' ORDER BY priority DESC, id LIMIT ${max}`.execute(db);
    if (candidates.rows.length === 0) return [];
    const ids = candidates.rows.map((r) => r.id);
    const claimed = await db.transaction().execute(async (trx) => {
      const pick =
        dialect === "postgres"
          ? sql`SELECT id FROM jobs WHERE ${inIds(dialect, "id", ids)} AND state = 'activated' FOR UPDATE SKIP LOCKED`
          : sql`SELECT value FROM json_each(${JSON.stringify(ids)})`;
      const rows = await sql<{
        id: number;
        task_id: number;
        idx: number;
        job_key: string;
        args: string;
        attempt_nr: number;
        priority: number;
      }>`
        UPDATE jobs SET state = 'sent', attempt_nr = attempt_nr + 1, pilot_id = ${pilotId}, updated_at = ${now}
        WHERE id IN (${pick}) AND state = 'activated'
        RETURNING id, task_id, idx, job_key, args, attempt_nr, priority`.execute(trx);
      if (rows.rows.length === 0) return [];
      const refs = rows.rows.map((r) => ({ j: r.id, n: r.attempt_nr }));
      await sql`
        INSERT INTO attempts (job_id, nr, state, pilot_id, kill_requested, sent_at)
        SELECT u.j, u.n, 'sent', ${pilotId}, 0, ${now}
        FROM ${jsonRows(dialect, refs, { j: "int", n: "int" })}`.execute(trx);
      return rows.rows;
    });
    claimed.sort((a, b) => b.priority - a.priority || a.id - b.id);
    const out: DispatchedJob[] = [];
    for (const r of claimed) {
      const info = await this.tasks.info(r.task_id);
      if (!info) throw new Error(`job ${r.id} belongs to task ${r.task_id}, which does not exist`);
      out.push({
        jobId: r.id,
        attempt: r.attempt_nr,
        taskId: r.task_id,
        workflowId: info.workflowId,
        index: r.idx,
        key: r.job_key,
        work: info.work,
        bundleHash: info.bundleHash,
        args: r.args,
      });
    }
    return out;
  }

  /** How many attempts this pilot holds (sent, starting or running), and the kill orders among them. */
  async held(pilotId: number): Promise<{ count: number; commands: PilotCommand[] }> {
    const rows = await sql<{ job_id: number; nr: number; kill_requested: number }>`
      SELECT job_id, nr, kill_requested FROM attempts WHERE pilot_id = ${pilotId} AND state IN ${ACTIVE}`.execute(
      this.ctx.db,
    );
    const commands: PilotCommand[] = [];
    for (const r of rows.rows) if (r.kill_requested === 1) commands.push({ kind: "kill", jobId: r.job_id, attempt: r.nr });
    return { count: rows.rows.length, commands };
  }

  /** Kill orders for attempts this pilot still runs. */
  async commands(pilotId: number): Promise<PilotCommand[]> {
    return (await this.held(pilotId)).commands;
  }

  /**
   * Applies a batch of attempt updates from a pilot (or from the server's own timers when pilotId is null).
   * An update counts only for the job's current attempt on the pilot that holds it, so a late report from a
   * lost attempt can never overwrite a newer one.
   */
  async apply(pilotId: number | null, updates: readonly AttemptUpdate[]): Promise<ApplyResult> {
    if (updates.length === 0) return { accepted: 0, ignored: 0, tasks: [], requeued: [] };
    const now = Date.now();
    const { dialect, limits } = this.ctx;
    return this.ctx.db.transaction().execute(async (trx) => {
      const ids = [...new Set(updates.map((u) => u.jobId))];
      const rows = await trx
        .selectFrom("jobs")
        .select([
          "id",
          "task_id",
          "state",
          "queue",
          "attempt_nr",
          "failures",
          "system_failures",
          "max_attempts",
          "pilot_id",
          "started_at",
        ])
        .where(inIds(dialect, "id", ids))
        .execute();
      const jobs = new Map<number, JobRow>(rows.map((r) => [r.id, { ...r }]));
      const finals: JobFinal[] = [];
      const moved = new Map<number, JobRow>();
      const attempts: object[] = [];
      const requeued = new Set<string>();
      let accepted = 0;
      for (const u of updates) {
        attempts.push({
          j: u.jobId,
          n: u.attempt,
          s: u.state,
          b: u.startedAt ?? null,
          x: u.endedAt ?? null,
          e: u.error ? JSON.stringify(u.error) : null,
          o: u.stdout ?? null,
          r: u.stderr ?? null,
        });
        const job = jobs.get(u.jobId);
        const current =
          job !== undefined &&
          job.attempt_nr === u.attempt &&
          (pilotId === null || job.pilot_id === pilotId) &&
          (CLAIMED_JOB_STATES as readonly string[]).includes(job.state);
        if (!current) continue;
        accepted++;
        if (u.startedAt !== undefined) job.started_at = u.startedAt;
        if (u.state === "running") {
          job.state = "running";
          moved.set(job.id, job);
          continue;
        }
        const error: ErrorInfo | null =
          u.state === "finished" ? null : (u.error ?? { code: "killed", message: "the attempt was cancelled" });
        const decision = decideAfterAttempt(
          {
            failures: job.failures,
            systemFailures: job.system_failures,
            maxAttempts: job.max_attempts,
            maxSystemRetries: limits.maxSystemRetries,
          },
          u.state === "finished" ? { ok: true } : { ok: false, code: error?.code ?? "killed" },
        );
        job.failures = decision.failures;
        job.system_failures = decision.systemFailures;
        if (decision.next === "activated") {
          job.state = "activated";
          moved.set(job.id, job);
          requeued.add(job.queue);
          continue;
        }
        job.state = decision.next;
        moved.delete(job.id);
        finals.push({
          jobId: job.id,
          taskId: job.task_id,
          state: u.state === "cancelled" ? "cancelled" : decision.next,
          result: u.state === "finished" ? (u.result ?? null) : null,
          error,
          startedAt: job.started_at,
          endedAt: u.endedAt ?? now,
        });
      }
      await sql`
        UPDATE attempts SET state = u.s, started_at = COALESCE(u.b, attempts.started_at),
               ended_at = COALESCE(u.x, attempts.ended_at), error = COALESCE(u.e, attempts.error),
               stdout = COALESCE(u.o, attempts.stdout), stderr = COALESCE(u.r, attempts.stderr)
        FROM ${jsonRows(dialect, attempts, { j: "int", n: "int", s: "text", b: "int", x: "int", e: "text", o: "text", r: "text" })}
        WHERE attempts.job_id = u.j AND attempts.nr = u.n AND attempts.state IN ${ACTIVE}
          ${pilotId === null ? sql`` : sql`AND +attempts.pilot_id = ${pilotId}`}`.execute(trx);
      if (moved.size > 0) {
        const rowsMoved = [...moved.values()].map((j) => ({
          id: j.id,
          s: j.state,
          f: j.failures,
          y: j.system_failures,
          b: j.started_at,
        }));
        await sql`
          UPDATE jobs SET state = u.s, failures = u.f, system_failures = u.y, started_at = u.b, updated_at = ${now}
          FROM ${jsonRows(dialect, rowsMoved, { id: "int", s: "text", f: "int", y: "int", b: "int" })}
          WHERE jobs.id = u.id`.execute(trx);
      }
      const tasks = await this.tasks.recordFinals(trx, finals, now);
      return { accepted, ignored: updates.length - accepted, tasks, requeued: [...requeued] };
    });
  }

  /** Records a pilot's heartbeat and returns the attempts it should hold but does not (lost in dispatch). */
  async heartbeat(pilotId: number, held: readonly AttemptRef[], dispatchGraceMs: number): Promise<AttemptRef[]> {
    const now = Date.now();
    await this.ctx.db
      .updateTable("pilots")
      .set({ heartbeat_at: now })
      .where("id", "=", pilotId)
      .where("status", "=", "running")
      .execute();
    const active = await this.ctx.db
      .selectFrom("attempts")
      .select(["job_id", "nr", "sent_at"])
      .where("pilot_id", "=", pilotId)
      .where(sql<boolean>`state IN ${ACTIVE}`)
      .execute();
    const holds = new Set(held.map((h) => `${h.jobId}:${h.attempt}`));
    return active
      .filter((a) => !holds.has(`${a.job_id}:${a.nr}`) && a.sent_at < now - dispatchGraceMs)
      .map((a) => ({ jobId: a.job_id, attempt: a.nr }));
  }

  /** Marks pilots silent since `cutoff` as lost; returns them with the attempts they held. */
  async sweepLostPilots(cutoff: number): Promise<{ pilots: number[]; attempts: AttemptRef[] }> {
    const now = Date.now();
    return this.ctx.db.transaction().execute(async (trx) => {
      const lost = await trx
        .updateTable("pilots")
        .set({ status: "lost", ended_at: now })
        .where("status", "in", ["starting", "running"])
        .where("heartbeat_at", "<", cutoff)
        .returning("id")
        .execute();
      const pilots = lost.map((p) => p.id);
      return { pilots, attempts: await this.activeAttempts(trx, pilots) };
    });
  }

  /** Marks a pilot as ended; returns the attempts it still held. */
  async endPilot(pilotId: number): Promise<AttemptRef[]> {
    const now = Date.now();
    return this.ctx.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("pilots")
        .set({ status: "finished", ended_at: now })
        .where("id", "=", pilotId)
        .where("status", "in", ["starting", "running"])
        .execute();
      return this.activeAttempts(trx, [pilotId]);
    });
  }

  private async activeAttempts(trx: Tx, pilots: readonly number[]): Promise<AttemptRef[]> {
    if (pilots.length === 0) return [];
    const rows = await trx
      .selectFrom("attempts")
      .select(["job_id", "nr"])
      .where(inIds(this.ctx.dialect, "pilot_id", pilots))
      .where(sql<boolean>`state IN ${ACTIVE}`)
      .execute();
    return rows.map((r) => ({ jobId: r.job_id, attempt: r.nr }));
  }
}
