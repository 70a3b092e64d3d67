import { sql } from "../vendor/kysely.js";
import type { ErrorInfo } from "../core/errors.js";
import type { DeclaredObjective } from "../core/objective.js";
import type { ErrorGroup, JobSummary, PilotView, TimelineView, WorkflowSummary } from "../api/monitoring.js";
import type { JobState, PilotStatus, WorkflowStatus } from "../core/states.js";
import { HELD_BY_PILOT, JOB_PROBLEMS, PILOT_LAST_HEARD, inIds, jsonField } from "./dialect.js";
import type { StoreContext } from "./context.js";

export interface WorkflowFilter {
  userId?: number;
  statuses?: readonly WorkflowStatus[];
  /** Glob with * and ?, case-insensitive. */
  name?: string;
  createdAfter?: number;
  createdBefore?: number;
  endedBefore?: number;
  /** Only workflows with a smaller id (the listing runs newest first). */
  before?: number;
  limit: number;
}

const PROBLEM_STATES: ReadonlySet<JobState> = new Set(["failed", "cancelled", "closed"]);
const HELD = sql.raw(HELD_BY_PILOT);
const PROBLEMS = sql.raw(JOB_PROBLEMS);

/** A glob (* and ?) as a LIKE pattern, with LIKE's own wildcards escaped. */
export function likePattern(glob: string): string {
  return glob
    .toLowerCase()
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replace(/\*/g, "%")
    .replace(/\?/g, "_");
}

function parseError(text: string | null): ErrorInfo | null {
  return text === null ? null : (JSON.parse(text) as ErrorInfo);
}

/**
 * Read-only queries of the monitor and the command line. Each reads one page or one aggregate through an
 * index, never a whole table, so pages stay fast with millions of jobs.
 */
export class MonitorStore {
  constructor(private readonly ctx: StoreContext) {}

  async listWorkflows(f: WorkflowFilter): Promise<WorkflowSummary[]> {
    let q = this.ctx.db
      .selectFrom("workflows")
      .innerJoin("users", "users.id", "workflows.user_id")
      .select([
        "workflows.id",
        "workflows.name",
        "users.name as user",
        "workflows.status",
        "workflows.mode",
        "workflows.created_at",
        "workflows.updated_at",
        "workflows.ended_at",
      ])
      .orderBy("workflows.id", "desc")
      .limit(f.limit);
    if (f.userId !== undefined) q = q.where("workflows.user_id", "=", f.userId);
    if (f.statuses && f.statuses.length > 0) q = q.where("workflows.status", "in", [...f.statuses]);
    if (f.name !== undefined) q = q.where(sql<boolean>`lower(workflows.name) LIKE ${likePattern(f.name)} ESCAPE '\\'`);
    if (f.createdAfter !== undefined) q = q.where("workflows.created_at", ">=", f.createdAfter);
    if (f.createdBefore !== undefined) q = q.where("workflows.created_at", "<", f.createdBefore);
    if (f.endedBefore !== undefined) q = q.where("workflows.ended_at", "<", f.endedBefore);
    if (f.before !== undefined) q = q.where("workflows.id", "<", f.before);
    const rows = await q.execute();
    if (rows.length === 0) return [];
    const counts = await this.ctx.db
      .selectFrom("tasks")
      .select((eb) => [
        "workflow_id",
        "status",
        eb.fn.countAll<number>().as("n"),
        eb.fn.sum<number>("n_jobs").as("jobs"),
        eb.fn.sum<number>("n_finished").as("finished"),
        eb.fn.sum<number>("n_failed").as("failed"),
        eb.fn.sum<number>("n_cancelled").as("cancelled"),
      ])
      .where(inIds(this.ctx.dialect, "workflow_id", rows.map((r) => r.id)))
      .where("kind", "=", "work")
      .groupBy(["workflow_id", "status"])
      .execute();
    return rows.map((r) => {
      const summary: WorkflowSummary = {
        id: r.id,
        name: r.name,
        user: r.user,
        status: r.status,
        mode: r.mode,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        endedAt: r.ended_at,
        tasks: {},
        nTasks: 0,
        nJobs: 0,
        nFinished: 0,
        nFailed: 0,
        nCancelled: 0,
        progress: 0,
      };
      for (const c of counts) {
        if (c.workflow_id !== r.id) continue;
        summary.tasks[c.status] = Number(c.n);
        summary.nTasks += Number(c.n);
        summary.nJobs += Number(c.jobs);
        summary.nFinished += Number(c.finished);
        summary.nFailed += Number(c.failed);
        summary.nCancelled += Number(c.cancelled);
      }
      const ended = summary.nFinished + summary.nFailed + summary.nCancelled;
      summary.progress = summary.nJobs === 0 ? 0 : Math.floor((1000 * ended) / summary.nJobs) / 10;
      return summary;
    });
  }

  /** Jobs of a task in index order from `from`, optionally in some states only. */
  async jobs(taskId: number, states: readonly JobState[] | undefined, from: number, limit: number): Promise<JobSummary[]> {
    let q = this.ctx.db
      .selectFrom("jobs")
      .leftJoin("pilots", "pilots.id", "jobs.pilot_id")
      .select([
        "jobs.id",
        "jobs.idx",
        "jobs.job_key",
        "jobs.state",
        "jobs.attempt_nr",
        "pilots.name as pilot",
        "jobs.started_at",
        "jobs.ended_at",
        "jobs.error",
      ])
      .where("jobs.task_id", "=", taskId)
      .where("jobs.idx", ">=", from)
      .orderBy("jobs.idx")
      .limit(limit);
    if (states && states.length > 0) {
      // Failed and cancelled jobs are read through their own small index, not among the finished ones.
      if (states.every((s) => PROBLEM_STATES.has(s))) q = q.where(sql<boolean>`${PROBLEMS}`);
      q = q.where("jobs.state", "in", [...states]);
    }
    const rows = await q.execute();
    return rows.map((r) => ({
      id: r.id,
      index: r.idx,
      key: r.job_key,
      state: r.state,
      attempts: r.attempt_nr,
      pilot: r.pilot,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      error: parseError(r.error),
    }));
  }

  /** Jobs of each task running right now (not those a pilot fetched ahead and has not started). */
  async runningByTask(taskIds: readonly number[]): Promise<Map<number, number>> {
    if (taskIds.length === 0) return new Map();
    const rows = await this.ctx.db
      .selectFrom("jobs")
      .select((eb) => ["task_id", eb.fn.countAll<number>().as("n")])
      .where("pilot_id", "is not", null)
      .where(sql<boolean>`${HELD}`)
      .where("state", "in", ["starting", "running"])
      .where(inIds(this.ctx.dialect, "task_id", taskIds))
      .groupBy("task_id")
      .execute();
    return new Map(rows.map((r) => [r.task_id, Number(r.n)]));
  }

  /** Failed and cancelled jobs of some tasks, grouped by error code and message, largest group first. */
  async errorGroups(taskIds: readonly number[], maxGroups: number): Promise<ErrorGroup[]> {
    if (taskIds.length === 0) return [];
    const code = jsonField(this.ctx.dialect, "error", "code");
    const message = jsonField(this.ctx.dialect, "error", "message");
    const inTasks = inIds(this.ctx.dialect, "task_id", taskIds);
    const { rows } = await sql<{ code: string | null; message: string | null; n: number }>`
      SELECT ${code} AS code, ${message} AS message, count(*) AS n
      FROM jobs WHERE ${inTasks} AND ${PROBLEMS}
      GROUP BY 1, 2 ORDER BY n DESC LIMIT ${maxGroups}`.execute(this.ctx.db);
    const groups: ErrorGroup[] = [];
    for (const r of rows) {
      const { rows: examples } = await sql<{ id: number; task_id: number; idx: number }>`
        SELECT id, task_id, idx FROM jobs
        WHERE ${inTasks} AND ${PROBLEMS}
          AND coalesce(${code}, '') = ${r.code ?? ""} AND coalesce(${message}, '') = ${r.message ?? ""}
        ORDER BY id LIMIT 3`.execute(this.ctx.db);
      groups.push({
        // Jobs cancelled before they ran have no error.
        code: r.code ?? "cancelled",
        message: r.message ?? "cancelled before it ran",
        count: Number(r.n),
        exampleJobs: examples.map((e) => ({ id: e.id, taskId: e.task_id, index: e.idx })),
      });
    }
    return groups;
  }

  /** Starts, ends and running jobs of a task over time, in `buckets` equal steps. */
  async timeline(taskId: number, buckets: number, now: number): Promise<TimelineView> {
    const span = await this.ctx.db
      .selectFrom("jobs")
      .select((eb) => [eb.fn.min("started_at").as("start"), eb.fn.max("ended_at").as("end"), eb.fn.countAll<number>().as("open")])
      .where("task_id", "=", taskId)
      .where("started_at", "is not", null)
      .executeTakeFirst();
    const start = span?.start ?? null;
    if (start === null) return { taskId, start: null, end: null, bucketMs: 0, buckets: [] };
    const task = await this.ctx.db.selectFrom("tasks").select("ended_at").where("id", "=", taskId).executeTakeFirst();
    const end = Math.max(Number(start) + 1, task?.ended_at ?? now, Number(span?.end ?? 0));
    const bucketMs = Math.max(1, Math.ceil((end - Number(start)) / buckets));
    const histogram = async (column: "started_at" | "ended_at") => {
      const { rows } = await sql<{ b: number; n: number }>`
        SELECT CAST((${sql.ref(column)} - ${start}) / ${bucketMs} AS INTEGER) AS b, count(*) AS n
        FROM jobs WHERE task_id = ${taskId} AND ${sql.ref(column)} IS NOT NULL AND started_at IS NOT NULL
        GROUP BY 1`.execute(this.ctx.db);
      const out = new Array<number>(buckets).fill(0);
      for (const r of rows) out[Math.min(buckets - 1, Math.max(0, Math.floor(Number(r.b))))]! += Number(r.n);
      return out;
    };
    const started = await histogram("started_at");
    const ended = await histogram("ended_at");
    let running = 0;
    return {
      taskId,
      start: Number(start),
      end,
      bucketMs,
      buckets: started.map((s, i) => {
        running += s - ended[i]!;
        return { t: Number(start) + i * bucketMs, started: s, ended: ended[i]!, running };
      }),
    };
  }

  /** Results of a workflow's work tasks, at most `perTask` each, for plotting numeric objectives. */
  async finishedResults(workflowId: number, perTask: number): Promise<Array<{ taskId: number; seq: number | null; work: string; objective: DeclaredObjective | null; results: string[] }>> {
    const tasks = await this.ctx.db
      .selectFrom("tasks")
      .select(["id", "seq", "work", "objective_name", "objective_direction"])
      .where("workflow_id", "=", workflowId)
      .where("kind", "=", "work")
      .orderBy("id")
      .limit(500)
      .execute();
    const out = [];
    for (const t of tasks) {
      const rows = await this.ctx.db
        .selectFrom("jobs")
        .select("result")
        .where("task_id", "=", t.id)
        .where("state", "=", "finished")
        .orderBy("idx")
        .limit(perTask)
        .execute();
      const objective = t.objective_name === null || t.objective_direction === null ? null : { name: t.objective_name, direction: t.objective_direction };
      out.push({ taskId: t.id, seq: t.seq, work: t.work, objective, results: rows.flatMap((r) => (r.result === null ? [] : [r.result])) });
    }
    return out;
  }

  async pilots(f: { status?: PilotStatus; queue?: string; before?: number; limit: number }): Promise<PilotView[]> {
    let q = this.ctx.db
      .selectFrom("pilots")
      .selectAll()
      .select(sql.raw<number>(PILOT_LAST_HEARD).as("last_heard"))
      .orderBy("id", "desc")
      .limit(f.limit);
    if (f.status !== undefined) q = q.where("status", "=", f.status);
    if (f.queue !== undefined) q = q.where("queue", "=", f.queue);
    if (f.before !== undefined) q = q.where("id", "<", f.before);
    const rows = await q.execute();
    const held =
      rows.length === 0
        ? []
        : await this.ctx.db
            .selectFrom("jobs")
            .select((eb) => ["pilot_id", eb.fn.countAll<number>().as("n")])
            .where(inIds(this.ctx.dialect, "pilot_id", rows.map((r) => r.id)))
            .where(sql<boolean>`${HELD}`)
            .groupBy("pilot_id")
            .execute();
    const running = new Map(held.map((h) => [h.pilot_id, Number(h.n)]));
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      queue: r.queue,
      host: r.host,
      pid: r.pid,
      slots: r.slots,
      version: r.version,
      status: r.status,
      running: running.get(r.id) ?? 0,
      createdAt: r.created_at,
      heartbeatAt: Number(r.last_heard),
      endedAt: r.ended_at,
    }));
  }

  /**
   * Jobs not ended, by queue and state, in one statement read through the partial indexes of dispatch
   * (activated), of what pilots hold (sent, starting, running) and of pending tasks (defined, whose queue
   * is not chosen yet: queue ""): its cost follows the work in flight, never the jobs stored.
   */
  async openJobCounts(): Promise<Array<{ queue: string; state: JobState; count: number }>> {
    const { rows } = await sql<{ queue: string; state: JobState; n: number | string }>`
      SELECT queue, 'activated' AS state, COUNT(*) AS n FROM jobs WHERE state = 'activated' GROUP BY queue
      UNION ALL
      SELECT queue, state, COUNT(*) AS n FROM jobs WHERE ${HELD} AND state IN ('sent', 'starting', 'running') GROUP BY queue, state
      UNION ALL
      SELECT '' AS queue, 'defined' AS state, COALESCE(SUM(n_jobs), 0) AS n FROM tasks WHERE status = 'pending'`.execute(this.ctx.db);
    return rows.map((r) => ({ queue: r.queue, state: r.state, count: Number(r.n) }));
  }

  /**
   * Live pilots by queue: registered and running (pilots), and submitted to a backend but not registered yet
   * (workers). One statement through the status indexes; pilots that ended are not read.
   */
  async livePilotCounts(): Promise<Array<{ queue: string; state: "running" | "submitted"; count: number }>> {
    const { rows } = await sql<{ queue: string; state: "running" | "submitted"; n: number | string }>`
      SELECT queue, 'running' AS state, COUNT(*) AS n FROM pilots WHERE status = 'running' GROUP BY queue
      UNION ALL
      SELECT queue, 'submitted' AS state, COUNT(*) AS n FROM workers WHERE status = 'submitted' GROUP BY queue`.execute(this.ctx.db);
    return rows.map((r) => ({ queue: r.queue, state: r.state, count: Number(r.n) }));
  }
}
