import { sql } from "kysely";
import type { ErrorInfo } from "../core/errors.js";
import type { AttemptRef, AttemptUpdate, DispatchedJob, PilotCommand, ResultVia } from "../core/protocol.js";
import { decideAfterAttempt } from "../core/retry-policy.js";
import { CLAIMED_JOB_STATES } from "../core/states.js";
import { HELD_BY_PILOT, inIds, jsonRows } from "./dialect.js";
import type { StoreContext, Tx } from "./store.js";
import type { JobFinal, TaskChange, TaskStore } from "./task-store.js";

export interface NewPilot {
  queue: string;
  name: string;
  host: string;
  pid: number;
  slots: number;
  version: string;
  worker?: number;
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
  sent_at: number | null;
  started_at: number | null;
  kill_requested: number;
}

interface ClaimedRow {
  id: number;
  task_id: number;
  idx: number;
  job_key: string;
  args: string;
  attempt_nr: number;
  priority: number;
}

const HELD = sql.raw(HELD_BY_PILOT);

function isClaimed(state: string): boolean {
  return (CLAIMED_JOB_STATES as readonly string[]).includes(state);
}

/**
 * Pilots and the job traffic with them: claim, reports, heartbeats, lost pilots. A job's current attempt
 * lives on its row (pilot, attempt number, sent time); the attempts table keeps the attempts that ended.
 */
export class DispatchStore {
  constructor(
    private readonly ctx: StoreContext,
    private readonly tasks: TaskStore,
  ) {}

  async registerPilot(p: NewPilot): Promise<number> {
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
        status: "running",
        created_at: now,
        heartbeat_at: now,
        ended_at: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async pilot(pilotId: number) {
    return this.ctx.db.selectFrom("pilots").selectAll().where("id", "=", pilotId).executeTakeFirst();
  }

  /**
   * Atomically moves up to `max` activated jobs of the queue to `sent` for this pilot, each as a new attempt
   * (activated→sent only if still activated), of the given tasks only if `tasks` is given. One statement; on
   * PostgreSQL concurrent claims skip each other's rows. A job queued again while its killed attempt still
   * runs somewhere (a retry or a resume right after a kill) waits until that pilot confirms the kill, so no
   * two attempts of a job run at once.
   */
  async claim(
    pilotId: number,
    queue: string,
    max: number,
    db: Tx = this.ctx.db,
    tasks?: readonly number[],
  ): Promise<DispatchedJob[]> {
    if (max <= 0 || tasks?.length === 0) return [];
    const ofTasks = tasks ? sql`AND task_id IN (${sql.join(tasks)})` : sql``;
    // An UPDATE costs a write even when it changes nothing; most polls find nothing, so look first.
    const any = await sql`SELECT 1 FROM jobs WHERE queue = ${queue} AND state = 'activated' AND kill_requested = 0 ${ofTasks} LIMIT 1`.execute(db);
    if (any.rows.length === 0) return [];
    const now = Date.now();
    const lock = this.ctx.dialect === "postgres" ? sql`FOR UPDATE SKIP LOCKED` : sql``;
    const { rows } = await sql<ClaimedRow>`
      UPDATE jobs SET state = 'sent', attempt_nr = attempt_nr + 1, pilot_id = ${pilotId}, sent_at = ${now},
                      started_at = NULL, kill_requested = 0, updated_at = ${now}
      WHERE id IN (SELECT id FROM jobs WHERE queue = ${queue} AND state = 'activated' AND kill_requested = 0 ${ofTasks}
                   ORDER BY priority DESC, id LIMIT ${max} ${lock})
      RETURNING id, task_id, idx, job_key, args, attempt_nr, priority`.execute(db);
    rows.sort((a, b) => b.priority - a.priority || a.id - b.id);
    const out: DispatchedJob[] = [];
    for (const r of rows) {
      const info = await this.tasks.info(r.task_id, db);
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
        channel: info.channel ?? "",
        resultKey: info.resultKey ?? "",
        kind: info.kind,
        walltimeMs: info.walltimeS * 1000,
        memoryMb: info.memoryMb,
        ...(info.initEnv === null ? {} : { initEnv: info.initEnv }),
        ...(info.container === null ? {} : { container: info.container }),
      });
    }
    return out;
  }

  /** Pilots alive per queue. */
  async runningPilotsByQueue(): Promise<Map<string, number>> {
    const rows = await this.ctx.db
      .selectFrom("pilots")
      .select(["queue", (eb) => eb.fn.countAll<number>().as("n")])
      .where("status", "=", "running")
      .groupBy("queue")
      .execute();
    return new Map(rows.map((r) => [r.queue, Number(r.n)]));
  }

  /** The attempts a pilot holds, with kill orders for those a user killed. */
  async held(
    pilotId: number,
    db: Tx = this.ctx.db,
  ): Promise<{ count: number; commands: PilotCommand[]; refs: Array<AttemptRef & { sentAt: number }> }> {
    const { rows } = await sql<{ id: number; attempt_nr: number; kill_requested: number; sent_at: number }>`
      SELECT id, attempt_nr, kill_requested, sent_at FROM jobs WHERE pilot_id = ${pilotId} AND ${HELD}`.execute(db);
    const commands: PilotCommand[] = [];
    for (const r of rows) if (r.kill_requested === 1) commands.push({ kind: "kill", jobId: r.id, attempt: r.attempt_nr });
    return {
      count: rows.length,
      commands,
      refs: rows.map((r) => ({ jobId: r.id, attempt: r.attempt_nr, sentAt: r.sent_at })),
    };
  }

  /**
   * Applies a batch of attempt updates from a pilot (or from the server's own timers when pilotId is null).
   * An update counts only for the job's current attempt on the pilot that holds it, so a late report from a
   * lost attempt can never overwrite a newer one. Ended attempts go to the attempts history.
   */
  async apply(pilotId: number | null, updates: readonly AttemptUpdate[], via: ResultVia): Promise<ApplyResult> {
    if (updates.length === 0) return { accepted: 0, ignored: 0, tasks: [], requeued: [] };
    const now = Date.now();
    const { dialect, limits } = this.ctx;
    return this.ctx.db.transaction().execute(async (trx) => {
      const ids = [...new Set(updates.map((u) => u.jobId))];
      // On PostgreSQL the jobs are locked as they are read (in id order, as a kill locks them, so neither can
      // deadlock the other): a kill or suspension committed meanwhile is seen, never written over with a
      // state read before it.
      const lock = dialect === "postgres" ? sql`ORDER BY id FOR UPDATE` : sql``;
      const { rows } = await sql<JobRow>`
        SELECT id, task_id, state, queue, attempt_nr, failures, system_failures, max_attempts, pilot_id, sent_at,
               started_at, kill_requested
        FROM jobs WHERE ${inIds(dialect, "id", ids)} ${lock}`.execute(trx);
      const jobs = new Map<number, JobRow>(rows.map((r) => [r.id, r]));
      const finals: JobFinal[] = [];
      const moved = new Map<number, JobRow>();
      const history: object[] = [];
      const requeued = new Set<string>();
      let accepted = 0;
      for (const u of updates) {
        const job = jobs.get(u.jobId);
        const mine = job !== undefined && job.attempt_nr === u.attempt && (pilotId === null || job.pilot_id === pilotId);
        if (!mine) continue;
        const live = isClaimed(job.state);
        if (!live && job.kill_requested !== 1) continue;
        accepted++;
        if (u.startedAt !== undefined) job.started_at = u.startedAt;
        if (u.state === "running") {
          if (!live) continue;
          job.state = "running";
          moved.set(job.id, job);
          continue;
        }
        history.push({
          j: job.id,
          n: job.attempt_nr,
          s: u.state,
          p: job.pilot_id,
          t: job.sent_at ?? now,
          b: job.started_at,
          x: u.endedAt ?? now,
          e: u.error ? JSON.stringify(u.error) : null,
          o: u.stdout ?? null,
          r: u.stderr ?? null,
        });
        if (!live) {
          // A killed job's pilot confirms: the job is already cancelled (or queued again, and now free to go
          // to a pilot); only its attempt ends now.
          job.kill_requested = 0;
          moved.set(job.id, job);
          if (job.state === "activated") requeued.add(job.queue);
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
          error === null ? { ok: true } : { ok: false, code: error.code, nonRetryable: error.nonRetryable !== undefined },
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
          via,
        });
      }
      if (history.length > 0) {
        const cols = { j: "int", n: "int", s: "text", p: "int", t: "int", b: "int", x: "int", e: "text", o: "text", r: "text" } as const;
        await sql`
          INSERT INTO attempts (job_id, nr, state, pilot_id, sent_at, started_at, ended_at, error, stdout, stderr)
          SELECT u.j, u.n, u.s, u.p, u.t, u.b, u.x, u.e, u.o, u.r FROM ${jsonRows(dialect, history, cols)} WHERE true
          ON CONFLICT (job_id, nr) DO NOTHING`.execute(trx);
      }
      if (moved.size > 0) {
        const rowsMoved = [...moved.values()].map((j) => ({
          id: j.id,
          s: j.state,
          f: j.failures,
          y: j.system_failures,
          b: j.started_at,
          k: j.kill_requested,
        }));
        await sql`
          UPDATE jobs SET state = u.s, failures = u.f, system_failures = u.y, started_at = u.b, kill_requested = u.k,
                          updated_at = ${now}
          FROM ${jsonRows(dialect, rowsMoved, { id: "int", s: "text", f: "int", y: "int", b: "int", k: "int" })}
          WHERE jobs.id = u.id`.execute(trx);
      }
      const tasks = await this.tasks.recordFinals(trx, finals, now);
      return { accepted, ignored: updates.length - accepted, tasks, requeued: [...requeued] };
    });
  }

  /** Records a pilot's heartbeat; returns the attempts sent to it that it does not hold (lost in dispatch). */
  async heartbeat(pilotId: number, held: readonly AttemptRef[], dispatchGraceMs: number): Promise<AttemptRef[]> {
    const now = Date.now();
    await this.ctx.db
      .updateTable("pilots")
      .set({ heartbeat_at: now })
      .where("id", "=", pilotId)
      .where("status", "=", "running")
      .execute();
    const holds = new Set(held.map((h) => `${h.jobId}:${h.attempt}`));
    return (await this.held(pilotId)).refs
      .filter((a) => !holds.has(`${a.jobId}:${a.attempt}`) && a.sentAt < now - dispatchGraceMs)
      .map(({ jobId, attempt }) => ({ jobId, attempt }));
  }

  /**
   * Declares lost the pilots silent since `cutoff`, or since their queue's own cutoff for queues with a
   * heartbeat timeout of their own; returns them and the attempts they held.
   */
  async sweepLostPilots(
    cutoff: number,
    queueCutoffs: ReadonlyMap<string, number> = new Map(),
  ): Promise<{ pilots: number[]; attempts: AttemptRef[] }> {
    const now = Date.now();
    const own = [...queueCutoffs.keys()];
    return this.ctx.db.transaction().execute(async (trx) => {
      const lost = await trx
        .updateTable("pilots")
        .set({ status: "lost", ended_at: now })
        .where("status", "in", ["starting", "running"])
        .where((eb) =>
          eb.or([
            own.length === 0
              ? eb("heartbeat_at", "<", cutoff)
              : eb.and([eb("heartbeat_at", "<", cutoff), eb("queue", "not in", own)]),
            ...[...queueCutoffs].map(([queue, c]) => eb.and([eb("queue", "=", queue), eb("heartbeat_at", "<", c)])),
          ]),
        )
        .returning("id")
        .execute();
      const pilots = lost.map((p) => p.id);
      return { pilots, attempts: await this.heldBy(trx, pilots) };
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
      return this.heldBy(trx, [pilotId]);
    });
  }

  private async heldBy(trx: Tx, pilots: readonly number[]): Promise<AttemptRef[]> {
    if (pilots.length === 0) return [];
    const { rows } = await sql<{ id: number; attempt_nr: number }>`
      SELECT id, attempt_nr FROM jobs WHERE ${inIds(this.ctx.dialect, "pilot_id", pilots)} AND ${HELD}`.execute(trx);
    return rows.map((r) => ({ jobId: r.id, attempt: r.attempt_nr }));
  }
}
