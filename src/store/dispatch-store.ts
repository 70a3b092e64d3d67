import { sql, type RawBuilder } from "../vendor/kysely.js";
import { transitionAttempt, type AttemptJob } from "../core/attempt-transition.js";
import { handOut, type Demand } from "../core/hand-out.js";
import type { AttemptUpdate, DispatchedJob, ResultVia } from "../core/dispatch-records.js";
import { needsHistoryRow } from "../core/attempt-history.js";
import { reportRefusal, type OwnershipRefusal } from "../core/report-ownership.js";
import type { JobState } from "../core/states.js";
import { historyRow, insertHistory, type HistoryRow } from "./attempt-history.js";
import type { StoreContext, Tx } from "./context.js";
import { inIds, jsonRows, rowLimit } from "./dialect.js";
import { recordFinals, type JobFinal, type TaskChange } from "./finals.js";
import { HELD_COUNTS_PER_STATEMENT, type HeldCounts, type HeldStore } from "./held-store.js";
import type { TaskInfoCache } from "./task-info.js";

export interface ApplyResult {
  accepted: number;
  ignored: number;
  tasks: TaskChange[];
  /** Queues that got jobs back (retries), so idle pilots can be woken. */
  requeued: string[];
  /** Updates the sending pilot had no right to make (core/report-ownership), never applied. */
  refused: Array<{ jobId: number; attempt: number; reason: OwnershipRefusal }>;
}

/** A batch of attempt updates from a pilot (null: the server's own timers), of one task's jobs when `taskId` is given. */
export interface PilotReport {
  pilotId: number | null;
  updates: readonly AttemptUpdate[];
  taskId?: number;
}

/** What the reports of one transaction changed, written together at its end. */
interface ReportChanges {
  finals: JobFinal[];
  moved: Map<number, LoadedJob>;
  history: HistoryRow[];
  requeued: Set<string>;
}

/** A pilot whose long-poll waits on a queue, and what it asked for. */
export interface WaitingPilot {
  pilotId: number;
  demand: Demand;
}

/** Jobs claimed for pilots, by pilot. */
export type Claims = Map<number, DispatchedJob[]>;

interface JobRow {
  id: number;
  task_id: number;
  idx: number;
  job_key: string;
  /** The name of the pilot of its attempt. */
  pilot: string | null;
  state: JobState;
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

/** A job as the attempt rules see it, and where it lives. */
interface LoadedJob {
  id: number;
  taskId: number;
  index: number;
  key: string;
  pilot: string | null;
  queue: string;
  job: AttemptJob;
}

const MOVED_COLUMNS = { id: "int", s: "text", f: "int", y: "int", b: "int", k: "int" } as const;

/** The condition of a claim of these tasks' jobs only; none without a list. */
function ofTasks(tasks: readonly number[] | undefined): RawBuilder<unknown> {
  return tasks ? sql`AND task_id IN (${sql.join(tasks)})` : sql``;
}

function loaded(r: JobRow): LoadedJob {
  return {
    id: r.id,
    taskId: r.task_id,
    index: r.idx,
    key: r.job_key,
    pilot: r.pilot,
    queue: r.queue,
    job: {
      state: r.state,
      attempt: r.attempt_nr,
      pilotId: r.pilot_id,
      sentAt: r.sent_at,
      startedAt: r.started_at,
      killRequested: r.kill_requested === 1,
      failures: r.failures,
      systemFailures: r.system_failures,
      maxAttempts: r.max_attempts,
    },
  };
}

/**
 * The job traffic with pilots: claim, hand-off, what a pilot holds, reports. A job's current attempt lives on
 * its row (pilot, attempt number, sent time); the attempts table keeps the attempts that ended. What a report
 * does to a job is core/attempt-transition's to decide; this loads, applies and writes. Pilots' own rows
 * (registration, heartbeats, their end) are PilotStore's.
 */
export class DispatchStore {
  /** Queues whose last claim of any task through this store got as many jobs as it asked for. */
  private readonly queuesLeftFull = new Set<string>();

  constructor(
    private readonly ctx: StoreContext,
    private readonly infos: TaskInfoCache,
    private readonly held: HeldStore,
  ) {}

  /**
   * Atomically moves up to `max` activated jobs of the queue to `sent` for this pilot, each as a new attempt
   * (activated→sent only if still activated), of the given tasks only if `tasks` is given. One statement; on
   * PostgreSQL concurrent claims skip each other's rows. A job queued again while its killed attempt still
   * runs somewhere (a retry or a resume right after a kill) waits until that pilot confirms the kill, so no
   * two attempts of a job run at once. A pilot that is no longer running gets nothing: its long-poll may still
   * be open (a pilot cut off from the network never closes it), and a job handed to it would never come back.
   */
  async claim(pilotId: number, queue: string, max: number, tasks?: readonly number[]): Promise<DispatchedJob[]> {
    if (!tasks) return (await this.claimEach(queue, [{ pilotId, n: max }])).get(pilotId) ?? [];
    if (max <= 0 || tasks.length === 0 || !(await this.anyWaiting(queue, tasks))) return [];
    return this.claimFor(this.ctx.db, pilotId, queue, max, tasks);
  }

  /**
   * Whether the queue has a job to claim (of these tasks, if given): an UPDATE costs a write even when it
   * changes nothing, so a queue that may be empty is looked at first.
   */
  private async anyWaiting(queue: string, tasks?: readonly number[]): Promise<boolean> {
    const any = await sql`SELECT 1 FROM jobs WHERE queue = ${queue} AND state = 'activated' AND kill_requested = 0 ${ofTasks(tasks)} LIMIT 1`.execute(this.ctx.db);
    return any.rows.length > 0;
  }

  /**
   * Claims, as `claim` does, up to `n` jobs of the queue of any task for each of several pilots, in one
   * statement: the first pilot gets the first jobs (by priority, then id). A pilot named twice gets its first
   * share only. At thousands of pilots, acquires come by the thousand a second, and a statement each queued
   * them all for the database's connections.
   */
  async claimEach(queue: string, shares: ReadonlyArray<{ pilotId: number; n: number }>): Promise<Claims> {
    const named = new Set<number>();
    const wanted = shares.filter(({ pilotId, n }) => {
      if (n <= 0 || named.has(pilotId)) return false;
      named.add(pilotId);
      return true;
    });
    if (wanted.length === 0) return new Map();
    // A queue whose last claim here got all it asked for likely has more: looking would cost a round trip.
    if (!this.queuesLeftFull.has(queue) && !(await this.anyWaiting(queue))) return new Map();
    const claims = await this.claimShares(this.ctx.db, queue, wanted);
    let got = 0;
    for (const jobs of claims.values()) got += jobs.length;
    if (got === wanted.reduce((sum, { n }) => sum + n, 0)) this.queuesLeftFull.add(queue);
    else this.queuesLeftFull.delete(queue);
    return claims;
  }

  /**
   * The claim's statement: only for a pilot still running. A pilot ended (exited, lost, gone from its batch
   * system) while its long-poll was open must not take jobs that nothing would ever give back. Its row is
   * shared-locked, so an ending that commits first is seen, and one that comes after finds these jobs among
   * the held.
   */
  private async claimFor(db: Tx, pilotId: number, queue: string, max: number, tasks?: readonly number[]): Promise<DispatchedJob[]> {
    const now = Date.now();
    // A claim of some tasks' jobs is a statement per length of their list already: its count stays bound, so
    // that the statement caches hold few variants of it.
    const limit = tasks ? sql`${max}` : rowLimit(this.ctx.dialect, max);
    const { rows } = await sql<ClaimedRow>`
      UPDATE jobs SET state = 'sent', attempt_nr = attempt_nr + 1, pilot_id = ${pilotId}, sent_at = ${now},
                      started_at = NULL, kill_requested = 0, updated_at = ${now}
      WHERE EXISTS (SELECT 1 FROM pilots WHERE id = ${pilotId} AND status = 'running' ${this.pilotLock()})
        AND id IN (SELECT id FROM jobs WHERE queue = ${queue} AND state = 'activated' AND kill_requested = 0 ${ofTasks(tasks)}
                   ORDER BY priority DESC, id LIMIT ${limit} ${this.skipLocked()})
      RETURNING id, task_id, idx, job_key, args, attempt_nr, priority`.execute(db);
    return this.dispatched(db, rows);
  }

  private pilotLock(): RawBuilder<unknown> {
    return this.ctx.dialect === "postgres" ? sql`FOR SHARE` : sql``;
  }

  private skipLocked(): RawBuilder<unknown> {
    return this.ctx.dialect === "postgres" ? sql`FOR UPDATE SKIP LOCKED` : sql``;
  }

  /** Claimed rows as the jobs a pilot runs, in the order they were claimed (priority, then id). */
  private async dispatched(db: Tx, rows: ClaimedRow[]): Promise<DispatchedJob[]> {
    rows.sort((a, b) => b.priority - a.priority || a.id - b.id);
    const out: DispatchedJob[] = [];
    for (const r of rows) {
      const info = await this.infos.get(db, r.task_id);
      if (!info) throw new Error(`job ${r.id} belongs to task ${r.task_id}, which does not exist`);
      out.push({
        jobId: r.id,
        attempt: r.attempt_nr,
        taskId: r.task_id,
        workflowId: info.workflowId,
        owner: info.owner,
        index: r.idx,
        key: r.job_key,
        work: info.work,
        bundleHash: info.bundleHash,
        ...(info.projectHash === null ? {} : { projectHash: info.projectHash }),
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

  /**
   * Claims up to `max` jobs of the queue for pilots whose long-poll waits, in the caller's transaction (the
   * one that made the jobs available), so a dispatch costs no transaction of its own. A new task is one no
   * pilot knows to be fast: each pilot gets what its free slots start now (core/hand-out), in the order
   * given, and the rest waits for the next free slot of any pilot.
   */
  async handOffWithin(trx: Tx, queue: string, max: number, waiting: readonly WaitingPilot[], firstHeld?: HeldCounts): Promise<Claims> {
    const claims: Claims = new Map();
    let left = max;
    // What a batch of waiting pilots holds is read in one statement, and their jobs claimed in one more.
    for (let i = 0; i < waiting.length && left > 0; i += HELD_COUNTS_PER_STATEMENT) {
      const batch = waiting.slice(i, i + HELD_COUNTS_PER_STATEMENT);
      const held = i === 0 && firstHeld ? firstHeld : await this.held.count(trx, batch.map((w) => w.pilotId));
      const shares: Array<{ pilotId: number; n: number }> = [];
      let planned = 0;
      for (const { pilotId, demand } of batch) {
        const n = Math.min(left - planned, handOut(demand, held.get(pilotId)?.count ?? 0).any);
        if (n <= 0) continue;
        shares.push({ pilotId, n });
        planned += n;
      }
      for (const [pilotId, jobs] of await this.claimShares(trx, queue, shares)) {
        claims.set(pilotId, jobs);
        left -= jobs.length;
      }
    }
    return claims;
  }

  /**
   * Claims the queue's jobs for several pilots in one statement: the first `n` jobs (by priority, then id) go
   * to the first pilot, the next ones to the second, and so on, each only if its pilot is running (as
   * claimFor). A statement per pilot cost a new task of one job for each of twenty waiting pilots twenty
   * statements in the transaction that adds it; for one pilot, claimFor's plainer statement costs less.
   */
  private async claimShares(trx: Tx, queue: string, shares: ReadonlyArray<{ pilotId: number; n: number }>): Promise<Claims> {
    const claims: Claims = new Map();
    const [first] = shares;
    if (!first) return claims;
    if (shares.length === 1) {
      const jobs = await this.claimFor(trx, first.pilotId, queue, first.n);
      return jobs.length > 0 ? claims.set(first.pilotId, jobs) : claims;
    }
    let last = 0;
    const ranges = shares.map(({ pilotId, n }) => ({ p: pilotId, lo: last + 1, hi: (last += n) }));
    const now = Date.now();
    // The running pilots' ranges are found once, before the jobs are matched to them: a check of the pilot in
    // the match itself was made for every job and range, 3 million checks for 250 pilots of 50 slots.
    const { rows } = await sql<ClaimedRow & { pilot_id: number }>`
      WITH running AS MATERIALIZED (
        SELECT u.p AS p, u.lo AS lo, u.hi AS hi FROM ${jsonRows(this.ctx.dialect, ranges, { p: "int", lo: "int", hi: "int" })}
        WHERE EXISTS (SELECT 1 FROM pilots WHERE pilots.id = u.p AND status = 'running' ${this.pilotLock()}))
      UPDATE jobs SET state = 'sent', attempt_nr = attempt_nr + 1, pilot_id = picked.pilot, sent_at = ${now},
                      started_at = NULL, kill_requested = 0, updated_at = ${now}
      FROM (SELECT c.job AS job, r.p AS pilot
            FROM (SELECT id AS job, ROW_NUMBER() OVER (ORDER BY priority DESC, id) AS rn
                  FROM (SELECT id, priority FROM jobs WHERE queue = ${queue} AND state = 'activated' AND kill_requested = 0
                        ORDER BY priority DESC, id LIMIT ${rowLimit(this.ctx.dialect, last)} ${this.skipLocked()}) AS l) AS c
            JOIN running AS r ON c.rn BETWEEN r.lo AND r.hi) AS picked
      WHERE jobs.id = picked.job
      RETURNING id, task_id, idx, job_key, args, attempt_nr, priority, pilot_id`.execute(trx);
    const byPilot = new Map<number, ClaimedRow[]>();
    for (const r of rows) {
      const pilotId = Number(r.pilot_id);
      const list = byPilot.get(pilotId);
      if (list) list.push(r);
      else byPilot.set(pilotId, [r]);
    }
    for (const { pilotId } of shares) {
      const mine = byPilot.get(pilotId);
      if (mine) claims.set(pilotId, await this.dispatched(trx, mine));
    }
    return claims;
  }

  /**
   * Applies a batch of attempt updates from a pilot (or from the server's own timers when pilotId is null),
   * in one transaction: the jobs are read in one statement, each update goes through transitionAttempt in
   * order, and what changed is written in one statement per table (and one for the counters of the tasks
   * that got final jobs).
   * A pilot's update counts only for the attempt it holds now, of the task its message was signed for when
   * `taskId` is given (core/report-ownership); the others are returned as refused.
   */
  async apply(pilotId: number | null, updates: readonly AttemptUpdate[], via: ResultVia, taskId?: number): Promise<ApplyResult> {
    return (await this.applyReports([{ pilotId, updates, ...(taskId === undefined ? {} : { taskId }) }], via))[0]!;
  }

  /**
   * Applies several reports in one transaction (one commit for all), in their order, as `apply` applies
   * one: each report's updates count for what its pilot holds. Answers one result per report; the tasks that
   * changed and the queues that got jobs back come with the first.
   */
  async applyReports(reports: readonly PilotReport[], via: ResultVia): Promise<ApplyResult[]> {
    const empty = (): ApplyResult => ({ accepted: 0, ignored: 0, tasks: [], requeued: [], refused: [] });
    if (reports.every((r) => r.updates.length === 0)) return reports.map(empty);
    const now = Date.now();
    const { dialect } = this.ctx;
    return this.ctx.db.transaction().execute(async (trx) => {
      const jobs = await this.loadJobs(trx, [...new Set(reports.flatMap((r) => r.updates.map((u) => u.jobId)))]);
      const changes: ReportChanges = { finals: [], moved: new Map(), history: [], requeued: new Set() };
      const results = reports.map(empty);
      for (const [i, report] of reports.entries()) this.transitionReport(report, jobs, results[i]!, now, via, changes);
      const { finals, moved, history, requeued } = changes;
      // Written together with the finals (their jobs are not among the moved): one round trip on PostgreSQL.
      const writes: Array<RawBuilder<unknown>> = [];
      if (history.length > 0) {
        writes.push(insertHistory(dialect, history));
      }
      if (moved.size > 0) {
        const rowsMoved = [...moved.values()].map(({ id, job }) => ({
          id,
          s: job.state,
          f: job.failures,
          y: job.systemFailures,
          b: job.startedAt,
          k: job.killRequested ? 1 : 0,
        }));
        writes.push(sql`
          UPDATE jobs SET state = u.s, failures = u.f, system_failures = u.y, started_at = u.b, kill_requested = u.k,
                          updated_at = ${now}
          FROM ${jsonRows(dialect, rowsMoved, MOVED_COLUMNS)}
          WHERE jobs.id = u.id`);
      }
      results[0]!.tasks = await recordFinals(trx, dialect, finals, now, writes);
      results[0]!.requeued = [...requeued];
      return results;
    });
  }

  /** Goes through one report's updates, in order, counting them in `result` and collecting what changed. */
  private transitionReport(
    { pilotId, updates, taskId }: PilotReport,
    jobs: ReadonlyMap<number, LoadedJob>,
    result: ApplyResult,
    now: number,
    via: ResultVia,
    { finals, moved, history, requeued }: ReportChanges,
  ): void {
    const context = { reporter: pilotId, now, maxSystemRetries: this.ctx.limits.maxSystemRetries };
    for (const u of updates) {
      const loadedJob = jobs.get(u.jobId);
      if (pilotId !== null) {
        const owned = loadedJob && { taskId: loadedJob.taskId, attempt: loadedJob.job.attempt, pilotId: loadedJob.job.pilotId };
        const reason = reportRefusal(owned, u, { pilotId, taskId });
        if (reason) {
          result.refused.push({ jobId: u.jobId, attempt: u.attempt, reason });
          continue;
        }
      }
      if (!loadedJob) continue;
      const before = loadedJob.job;
      const t = transitionAttempt(before, u, context);
      if (!t.accepted) continue;
      result.accepted++;
      loadedJob.job = t.job;
      if (t.ended && needsHistoryRow(before, t.ended, t.final)) history.push(historyRow(loadedJob.id, t.ended));
      if (t.requeued) requeued.add(loadedJob.queue);
      if (t.write === "job") moved.set(loadedJob.id, loadedJob);
      if (t.final) {
        moved.delete(loadedJob.id);
        const { index, key, pilot, queue } = loadedJob;
        finals.push({ jobId: loadedJob.id, taskId: loadedJob.taskId, ...t.final, via, facts: { index, key, attempts: t.job.attempt, pilot, queue } });
      }
    }
    result.ignored = updates.length - result.accepted;
  }

  /**
   * The jobs a batch of reports is about. On PostgreSQL they are locked as they are read (in id order, as a
   * kill locks them, so neither can deadlock the other): a kill or suspension committed meanwhile is seen,
   * never written over with a state read before it.
   */
  private async loadJobs(trx: Tx, ids: readonly number[]): Promise<Map<number, LoadedJob>> {
    const lock = this.ctx.dialect === "postgres" ? sql`ORDER BY j.id FOR UPDATE OF j` : sql``;
    const { rows } = await sql<JobRow>`
      SELECT j.id, j.task_id, j.idx, j.job_key, j.state, j.queue, j.attempt_nr, j.failures, j.system_failures, j.max_attempts,
             j.pilot_id, j.sent_at, j.started_at, j.kill_requested, p.name AS pilot
      FROM jobs j LEFT JOIN pilots p ON p.id = j.pilot_id WHERE ${inIds(this.ctx.dialect, "j.id", ids)} ${lock}`.execute(trx);
    return new Map(rows.map((r) => [r.id, loaded(r)]));
  }
}
