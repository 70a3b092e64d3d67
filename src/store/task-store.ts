import { sql, type RawBuilder } from "../vendor/kysely.js";
import { type ErrorInfo, killedError } from "../core/errors.js";
import type { DeclaredObjective } from "../core/objective.js";
import { FINAL_TASK_STATUSES, OPEN_JOB_STATES, type TaskKind, type WorkflowStatus } from "../core/states.js";
import { taskStatusFromCounts } from "../core/task-status.js";
import { keepLastAttempts } from "./attempt-history.js";
import type { StoreContext, Tx } from "./context.js";
import { inIds, jsonField, jsonRows } from "./dialect.js";
import type { Claims, DispatchStore, WaitingPilot } from "./dispatch-store.js";
import { HELD_COUNTS_PER_STATEMENT, heldCountsFromRows, type HeldCountRow, type HeldCounts, type HeldStore } from "./held-store.js";
import { recordFinals, type JobFinal, type TaskChange } from "./finals.js";
import type { TaskInfoCache } from "./task-info.js";
import { readTaskView } from "./task-reads.js";

export type { TaskChange } from "./finals.js";

export interface NewTask {
  workflowId: number;
  work: string;
  bundleHash: string;
  /** The project archive its jobs run in (a hash in the code cache), if its workflow ships one. */
  projectHash?: string;
  seq: number | null;
  /** The queue brokerage chose; null: no queue can take the task yet (it waits as pending). */
  queue: string | null;
  /** Why no queue can take it, when `queue` is null. */
  pendingReason?: string;
  initEnv?: string;
  container?: string;
  needs?: { cores: number; memoryMb: number; walltimeS: number; queues: readonly string[] };
  priority: number;
  maxAttempts: number;
  /** The objective its work declared, if any. */
  objective?: DeclaredObjective;
  channel: string;
  resultKey: string;
  /** Hash of the call (see Service.submitTask): a re-run driver's call at the same number must match it. */
  argsHash: string | null;
  jobs: ReadonlyArray<{ key: string; args: string }>;
}

export type AddTaskResult =
  /** `claims`: jobs of the new task already claimed for the pilots that waited for work on its queue. */
  | { kind: "created"; id: number; nJobs: number; claims: Claims }
  /** `resumed`: jobs stopped when the workflow was suspended, queued again now that its driver is back. */
  | { kind: "attached"; id: number; nJobs: number; resumed: number; queue: string }
  | { kind: "mismatch"; work: string; argsHash: string }
  /** The workflow takes no task: it was closed (its body ended, or it was killed) or is suspended. */
  | { kind: "refused"; status: WorkflowStatus; closed: boolean };

const INSERT_CHUNK = 5000;
/** What a task needs when its submission says nothing. */
const DEFAULT_NEEDS: NonNullable<NewTask["needs"]> = { cores: 1, memoryMb: 0, walltimeS: 0, queues: [] };

/** The workflow of a submitted call, and the task its call number already has if any (columns t.* null if none). */
interface CallRow {
  closed_at: number | null;
  status: WorkflowStatus;
  user_id: number;
  id: number | null;
  work: string;
  args_hash: string | null;
  n_jobs: number;
  queue: string;
  n_cancelled: number;
}

/** A submitted call's row, and what the statement that read it did besides: the task it inserted, the holdings it counted. */
interface CallFound {
  row: CallRow | undefined;
  inserted: number | undefined;
  /** What the first waiting pilots hold (for handOffWithin), if counted. */
  firstHeld: HeldCounts | undefined;
}

interface TaskStatements {
  jobCount: number;
  insertTask(from: RawBuilder<unknown>): RawBuilder<{ id: number }>;
  insertJobs(taskId: RawBuilder<unknown>, start: number, from: RawBuilder<unknown>): RawBuilder<unknown>;
}

/**
 * Tasks and their jobs as they are placed and changed: submission (with the hand-off of new jobs to waiting
 * pilots), kill, retry and the resumption of what a suspension stopped. Reading them is TaskReads'; the
 * queues they wait on, TaskPlacement's.
 */
export class TaskStore {
  constructor(
    private readonly ctx: StoreContext,
    private readonly infos: TaskInfoCache,
    private readonly dispatch: DispatchStore,
    private readonly held: HeldStore,
  ) {}

  /**
   * Adds a work call's task and all its jobs in one transaction; the jobs are immediately dispatchable.
   * A call whose (workflow, call number) already has a task attaches to it when it is the same call (same
   * work and arguments), so a re-run driver submits nothing twice, and is refused when it is another; jobs
   * stopped when the workflow was suspended run again then. Only a running, open workflow takes tasks: on
   * PostgreSQL its row is share-locked, so a kill or suspension (which write it first) waits for a submission
   * in flight, and a submission after them finds the workflow closed or suspended.
   * A new task's jobs go at once to the pilots `waiting` on its queue (as many as their free slots take), in
   * the same transaction, so a dispatch costs no transaction of its own; the claims come back for the
   * server to hand them over.
   */
  async addTask(task: NewTask, waiting: readonly WaitingPilot[]): Promise<AddTaskResult> {
    return this.ctx.db.transaction().execute(async (trx) => {
      const { row, inserted, firstHeld } = this.ctx.dialect === "postgres" ? await this.insertIfNew(trx, task, waiting) : await this.readCall(trx, task);
      if (!row || row.closed_at !== null || row.status !== "running") {
        return { kind: "refused", status: row?.status ?? "cancelled", closed: row?.closed_at !== null };
      }
      if (task.seq !== null && row.id !== null) {
        if (row.work === task.work && row.args_hash === task.argsHash) {
          // Only a task with cancelled jobs can have jobs a suspension stopped.
          const resumed = row.n_cancelled > 0 ? await this.resumeSuspendedJobs(trx, row.id, Date.now()) : 0;
          return { kind: "attached", id: row.id, nJobs: row.n_jobs, resumed, queue: row.queue };
        }
        return { kind: "mismatch", work: row.work, argsHash: row.args_hash ?? "" };
      }
      const id = inserted ?? (await this.insertWithin(trx, task, "work", row.user_id));
      const claims: Claims = task.queue === null ? new Map() : await this.dispatch.handOffWithin(trx, task.queue, task.jobs.length, waiting, firstHeld);
      return { kind: "created", id, nJobs: task.jobs.length, claims };
    });
  }

  /** The workflow, and the task its call number already has if any, in one read. */
  private async readCall(trx: Tx, task: NewTask): Promise<CallFound> {
    const { rows } = await sql<CallRow>`
      SELECT w.closed_at, w.status, w.user_id, t.id, t.work, t.args_hash, t.n_jobs, t.queue, t.n_cancelled
      FROM workflows w LEFT JOIN tasks t ON t.workflow_id = w.id AND t.seq = ${task.seq}
      WHERE w.id = ${task.workflowId}`.execute(trx);
    return { row: rows[0], inserted: undefined, firstHeld: undefined };
  }

  /**
   * On PostgreSQL, where each statement is a round trip: the read of readCall (with the workflow's row
   * share-locked), the task and its first jobs inserted if the workflow takes it and the call is new, and
   * what the first waiting pilots hold (the hand-off's first read), in one statement where there were three.
   */
  private async insertIfNew(trx: Tx, task: NewTask, waiting: readonly WaitingPilot[]): Promise<CallFound> {
    const statements = this.taskStatements(task, "work");
    // The pilots handOffWithin counts the holdings of first.
    const pilots = waiting.slice(0, HELD_COUNTS_PER_STATEMENT).map((w) => w.pilotId);
    const held = pilots.length === 0 ? sql`NULL` : sql`(SELECT json_agg(h) FROM (${this.held.countsQuery(pilots)}) h)`;
    const { rows } = await sql<CallRow & { inserted: number | null; held: HeldCountRow[] | null }>`
      WITH w AS (SELECT closed_at, status, user_id FROM workflows WHERE id = ${task.workflowId} FOR SHARE),
           e AS (SELECT id, work, args_hash, n_jobs, queue, n_cancelled FROM tasks WHERE workflow_id = ${task.workflowId} AND seq = ${task.seq}),
           t AS (${statements.insertTask(sql`FROM w WHERE w.closed_at IS NULL AND w.status = 'running' AND NOT EXISTS (SELECT 1 FROM e)`)}),
           j AS (${statements.insertJobs(sql`t.id`, 0, sql`t, `)})
      SELECT w.closed_at, w.status, w.user_id, e.id, e.work, e.args_hash, e.n_jobs, e.queue, e.n_cancelled,
             (SELECT id FROM t) AS inserted, ${held} AS held
      FROM w LEFT JOIN e ON true`.execute(trx);
    const row = rows[0];
    if (row?.inserted == null) return { row, inserted: undefined, firstHeld: undefined };
    const id = Number(row.inserted);
    await this.insertRest(trx, statements, id, INSERT_CHUNK);
    this.remember(task, "work", row.user_id, id);
    return { row, inserted: id, firstHeld: pilots.length === 0 ? undefined : heldCountsFromRows(row.held ?? []) };
  }

  /** Inserts a task and its jobs, in the caller's transaction; `owner` is the user whose workflow it is. */
  async insertWithin(trx: Tx, task: NewTask, kind: TaskKind, owner: number): Promise<number> {
    const statements = this.taskStatements(task, kind);
    let id: number;
    let start = 0;
    if (this.ctx.dialect === "postgres" && task.jobs.length > 0) {
      // The task and its first jobs in one statement (one round trip).
      const { rows } = await sql<{ id: number }>`
        WITH t AS (${statements.insertTask(sql``)}), j AS (${statements.insertJobs(sql`t.id`, 0, sql`t, `)}) SELECT id FROM t`.execute(trx);
      id = rows[0]!.id;
      start = INSERT_CHUNK;
    } else {
      id = (await statements.insertTask(sql``).execute(trx)).rows[0]!.id;
    }
    await this.insertRest(trx, statements, id, start);
    this.remember(task, kind, owner, id);
    return id;
  }

  /** The jobs from `start` on, a chunk a statement. */
  private async insertRest(trx: Tx, statements: TaskStatements, id: number, start: number): Promise<void> {
    for (; start < statements.jobCount; start += INSERT_CHUNK) await statements.insertJobs(sql`${id}`, start, sql``).execute(trx);
  }

  /**
   * The statements that insert a task (its row's values selected `from` what the caller gives, which may
   * filter them out) and its jobs (a chunk from `start` on, of the task `taskId` names, from the row sources `from`).
   */
  private taskStatements(task: NewTask, kind: TaskKind): TaskStatements {
    const now = Date.now();
    const pending = task.queue === null;
    const queue = task.queue ?? "";
    const needs = task.needs ?? DEFAULT_NEEDS;
    return {
      jobCount: task.jobs.length,
      insertTask: (from) => sql<{ id: number }>`
        INSERT INTO tasks (workflow_id, seq, work, bundle_hash, project_hash, status, queue, priority, max_attempts, n_jobs,
                           n_finished, n_failed, n_cancelled, result_seq, killed, channel, result_key, kind, args_hash,
                           cores, memory_mb, walltime_s, named_queues, pending_reason, init_env, container,
                           objective_name, objective_direction, created_at, updated_at)
        SELECT ${task.workflowId}, ${task.seq}, ${task.work}, ${task.bundleHash}, ${task.projectHash ?? null}, ${pending ? "pending" : "running"},
               ${queue}, ${task.priority}, ${task.maxAttempts}, ${task.jobs.length}, 0, 0, 0, 0, 0, ${task.channel},
               ${task.resultKey}, ${kind}, ${task.argsHash}, ${needs.cores}, ${needs.memoryMb}, ${needs.walltimeS},
               ${JSON.stringify(needs.queues)}, ${task.pendingReason ?? null}, ${task.initEnv ?? null},
               ${task.container ?? null}, ${task.objective?.name ?? null}, ${task.objective?.direction ?? null}, ${now}, ${now}
        ${from}
        RETURNING id`,
      insertJobs: (taskId, start, from) => {
        const rows = task.jobs.slice(start, start + INSERT_CHUNK).map((j, i) => ({ i: start + i, k: j.key, a: j.args }));
        return sql`
          INSERT INTO jobs (task_id, idx, job_key, state, queue, priority, args, attempt_nr, failures,
                            system_failures, max_attempts, kill_requested, created_at, updated_at)
          SELECT ${taskId}, u.i, u.k, ${pending ? "defined" : "activated"}, ${queue}, ${task.priority}, u.a, 0, 0, 0, ${task.maxAttempts}, 0,
                 ${now}, ${now}
          FROM ${from}${jsonRows(this.ctx.dialect, rows, { i: "int", k: "text", a: "text" })}`;
      },
    };
  }

  /** The new task's facts kept in memory for the dispatch and the reports (TaskInfoCache). */
  private remember(task: NewTask, kind: TaskKind, owner: number, id: number): void {
    const needs = task.needs ?? DEFAULT_NEEDS;
    this.infos.remember({
      id,
      workflowId: task.workflowId,
      owner,
      work: task.work,
      bundleHash: task.bundleHash,
      projectHash: task.projectHash ?? null,
      queue: task.queue ?? "",
      channel: task.channel,
      resultKey: task.resultKey,
      kind,
      walltimeS: needs.walltimeS,
      memoryMb: needs.memoryMb,
      initEnv: task.initEnv ?? null,
      container: task.container ?? null,
    });
  }

  /**
   * Kills a task (a user asked): queued jobs are cancelled at once; running ones are cancelled too and their
   * attempts marked for the pilot to kill. Returns the pilots that must be told, or undefined if the task is
   * final.
   */
  kill(taskId: number): Promise<{ change: TaskChange; pilots: number[] } | undefined> {
    return this.ctx.db.transaction().execute((trx) => this.killWithin(trx, taskId, Date.now()));
  }

  /** Kills a task in the caller's transaction (see kill); `error` says why. */
  async killWithin(
    trx: Tx,
    taskId: number,
    now: number,
    error: ErrorInfo = killedError("the task was killed"),
  ): Promise<{ change: TaskChange; pilots: number[] } | undefined> {
    const task = await trx.selectFrom("tasks").select(["status"]).where("id", "=", taskId).executeTakeFirst();
    if (!task || FINAL_TASK_STATUSES.has(task.status)) return undefined;
    // The open jobs are locked first (PostgreSQL), in id order, before the task: the order in which a pilot's
    // report locks them (DispatchStore.apply), so a kill and a report wait for each other, never deadlock,
    // and neither writes over what the other committed.
    let query = trx
      .selectFrom("jobs")
      .select(["id", "state", "started_at", "attempt_nr", "pilot_id"])
      .where("task_id", "=", taskId)
      .where("state", "in", OPEN_JOB_STATES);
    if (this.ctx.dialect === "postgres") query = query.orderBy("id").forUpdate();
    const open = await query.execute();
    if (this.ctx.dialect === "postgres") {
      // A report that ended the task's last job may have committed while this waited for its jobs.
      const locked = await trx.selectFrom("tasks").select("status").where("id", "=", taskId).forUpdate().executeTakeFirst();
      if (!locked || FINAL_TASK_STATUSES.has(locked.status)) return undefined;
    }
    await trx.updateTable("tasks").set({ killed: 1 }).where("id", "=", taskId).execute();
    const claimed = open.filter((j) => j.state !== "defined" && j.state !== "activated");
    const pilots = [...new Set(claimed.map((j) => j.pilot_id).filter((p): p is number => p !== null))];
    if (claimed.length > 0) {
      // The attempts run on: their pilots are told to kill them and confirm (jobs_held lists them until then).
      await trx
        .updateTable("jobs")
        .set({ kill_requested: 1 })
        .where(inIds(this.ctx.dialect, "id", claimed.map((j) => j.id)))
        .execute();
    }
    const finals: JobFinal[] = open.map((j) => ({
      jobId: j.id,
      taskId,
      state: "cancelled",
      result: null,
      error,
      startedAt: j.started_at,
      endedAt: now,
      via: "server",
    }));
    const changes = await recordFinals(trx, this.ctx.dialect, finals, now);
    let change = changes[0];
    if (!change) {
      // A task whose jobs were all final already but not yet marked: settle its status now.
      const t = await readTaskView(trx, taskId);
      if (!t) return undefined;
      const status = taskStatusFromCounts(t, true);
      await trx.updateTable("tasks").set({ status, ended_at: now }).where("id", "=", taskId).execute();
      change = { taskId, workflowId: t.workflowId, status, ended: true, seqFrom: t.resultCursor, seqTo: t.resultCursor };
    }
    return { change, pilots };
  }

  /**
   * Puts a finished task's failed and cancelled jobs back in the queue with a fresh attempt budget, if its
   * workflow is suspended (the only time a driver reads their new results: core/workflow-lifecycle); the
   * workflow is share-locked meanwhile (PostgreSQL), so a kill or resume waits. "refused" otherwise.
   */
  retry(taskId: number): Promise<number | "refused"> {
    return this.ctx.db.transaction().execute(async (trx) => {
      const lock = this.ctx.dialect === "postgres" ? sql`FOR SHARE OF w` : sql``;
      const { rows } = await sql<{ status: WorkflowStatus }>`
        SELECT w.status FROM tasks t JOIN workflows w ON w.id = t.workflow_id WHERE t.id = ${taskId} ${lock}`.execute(trx);
      if (rows[0]?.status !== "suspended") return "refused";
      return this.requeue(trx, taskId, Date.now(), "problems");
    });
  }

  /**
   * A resumed driver attached to a task of its workflow: the jobs cancelled when the workflow was suspended
   * go back to the queue (those that failed or a user killed keep their outcome, as the first run saw it).
   */
  private async resumeSuspendedJobs(trx: Tx, taskId: number, now: number): Promise<number> {
    return this.requeue(trx, taskId, now, "suspended");
  }

  /** Queues again a task's failed and cancelled jobs, or only those its workflow's suspension cancelled. */
  private async requeue(trx: Tx, taskId: number, now: number, which: "problems" | "suspended"): Promise<number> {
    const task = await trx.selectFrom("tasks").select("queue").where("id", "=", taskId).executeTakeFirst();
    // A task killed while it waited for a queue has none yet: it waits again, and brokerage places it.
    const placed = (task?.queue ?? "") !== "";
    let chosen = trx
      .selectFrom("jobs")
      .select(["id", "state", "attempt_nr", "pilot_id", "sent_at", "started_at", "ended_at", "error", "kill_requested"])
      .where("task_id", "=", taskId);
    chosen =
      which === "problems"
        ? chosen.where("state", "in", ["failed", "cancelled", "closed"])
        : chosen.where("state", "=", "cancelled").where(jsonField(this.ctx.dialect, "error", "code"), "=", "suspended");
    const reset = await chosen.execute();
    if (reset.length === 0) return 0;
    // Their last attempts stay in their history once the rows no longer stand for them.
    await keepLastAttempts(trx, this.ctx.dialect, reset);
    await trx
      .updateTable("jobs")
      .set({
        state: placed ? "activated" : "defined",
        failures: 0,
        system_failures: 0,
        done_seq: null,
        result: null,
        error: null,
        started_at: null,
        ended_at: null,
        updated_at: now,
      })
      .where(inIds(this.ctx.dialect, "id", reset.map((j) => j.id)))
      .execute();
    await trx
      .updateTable("tasks")
      .set((eb) =>
        which === "problems"
          ? { n_failed: 0, n_cancelled: 0, killed: 0, status: placed ? "running" : "pending", ended_at: null, updated_at: now }
          : {
              n_cancelled: eb("n_cancelled", "-", reset.length),
              killed: 0,
              status: placed ? "running" : "pending",
              ended_at: null,
              updated_at: now,
            },
      )
      .where("id", "=", taskId)
      .execute();
    return reset.length;
  }

  /** Ids of the tasks of a workflow that are not final, in the caller's transaction. */
  async openTaskIdsWithin(trx: Tx, workflowId: number, kinds: readonly TaskKind[]): Promise<number[]> {
    const rows = await trx
      .selectFrom("tasks")
      .select("id")
      .where("workflow_id", "=", workflowId)
      .where("status", "not in", [...FINAL_TASK_STATUSES])
      .where("kind", "in", kinds)
      .execute();
    return rows.map((r) => r.id);
  }
}
