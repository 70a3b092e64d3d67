import type { ErrorInfo } from "../core/errors.js";
import type { WorkflowView } from "../api/workflows.js";
import { TASK_KINDS, type TaskKind, type WorkflowMode, type WorkflowStatus } from "../core/states.js";
import { workflowStatusOnClose, type BodyOutcome } from "../core/task-status.js";
import type { WorkflowState } from "../core/workflow-lifecycle.js";
import type { StoreContext, Tx } from "./context.js";
import { inIds } from "./dialect.js";
import type { TaskChange } from "./finals.js";
import type { TaskReads } from "./task-reads.js";
import type { NewTask, TaskStore } from "./task-store.js";
import { refreshClosedWorkflows } from "./workflow-status.js";

export interface NewWorkflow {
  userId: number;
  name: string;
  mode: WorkflowMode;
  queue: string;
  bundleHash: string | null;
  /** The project archive the workflow ships, if any. */
  projectHash?: string | null;
  nodeVersion: string | null;
  lockfileHash: string | null;
  argsHash: string | null;
  seed: number;
  /** Remote mode: the task of one job that runs the body on a pilot. */
  driver?: Omit<NewTask, "workflowId" | "seq">;
}

/** What a driver needs to know about its workflow to run (again), and what its lifecycle rules decide on. */
export interface DriverRecord extends WorkflowState {
  name: string;
  argsHash: string | null;
  seed: number;
  /** Why the workflow is suspended, while it is. */
  suspendReason: string | null;
}

export interface CloseOutcome {
  body: BodyOutcome;
  result: string | null;
  error: Omit<ErrorInfo, "code"> | null;
  /** Open tasks to leave running (their results are on their way to the server). */
  keep: readonly number[];
}

/** What closing or killing a workflow changed, for wake-ups. */
export interface WorkflowChange {
  status: WorkflowStatus;
  tasks: TaskChange[];
  pilots: number[];
  /** A kill found the workflow ended already and changed nothing. */
  alreadyEnded?: boolean;
}

/** Workflows (iDDS requests): creation, views, close and kill. */
export class WorkflowStore {
  constructor(
    private readonly ctx: StoreContext,
    private readonly tasks: TaskStore,
    private readonly taskReads: TaskReads,
  ) {}

  /** Creates a workflow and, in remote mode, its driver task, in one transaction. */
  async create(wf: NewWorkflow): Promise<{ id: number; driverTaskId: number | null }> {
    const now = Date.now();
    return this.ctx.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto("workflows")
        .values({
          user_id: wf.userId,
          name: wf.name,
          status: "running",
          mode: wf.mode,
          queue: wf.queue,
          bundle_hash: wf.bundleHash,
          project_hash: wf.projectHash ?? null,
          node_version: wf.nodeVersion,
          lockfile_hash: wf.lockfileHash,
          result: null,
          error: null,
          created_at: now,
          updated_at: now,
          closed_at: null,
          ended_at: null,
          driver_task_id: null,
          driver_heartbeat_at: wf.mode === "local" ? now : null,
          seed: wf.seed,
          args_hash: wf.argsHash,
          suspended_at: null,
          suspend_reason: null,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      if (!wf.driver) return { id: row.id, driverTaskId: null };
      const driverTaskId = await this.tasks.insertWithin(trx, { ...wf.driver, workflowId: row.id, seq: null }, "driver", wf.userId);
      await trx.updateTable("workflows").set({ driver_task_id: driverTaskId }).where("id", "=", row.id).execute();
      return { id: row.id, driverTaskId };
    });
  }

  async driverRecord(workflowId: number): Promise<DriverRecord | undefined> {
    // Read on every wake-up of a driver's heartbeat: named columns, so that the statement can be prepared.
    const row = await this.ctx.db
      .selectFrom("workflows")
      .select(["id", "name", "mode", "status", "closed_at", "args_hash", "seed", "suspend_reason"])
      .where("id", "=", workflowId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      name: row.name,
      mode: row.mode,
      status: row.status,
      closed: row.closed_at !== null,
      argsHash: row.args_hash,
      seed: row.seed,
      suspendReason: row.suspend_reason,
    };
  }

  /** Re-derives the status of these workflows if they are closed, from committed state. */
  async refreshIfClosed(workflowIds: readonly number[]): Promise<void> {
    if (workflowIds.length === 0) return;
    const now = Date.now();
    await this.ctx.db.transaction().execute((trx) => refreshClosedWorkflows(trx, this.ctx.dialect, workflowIds, now, "wait"));
  }

  /**
   * On PostgreSQL a workflow's close and the end of its last tasks can commit side by side, each without
   * seeing the other; whichever commits last runs this afterwards, so the status never stays "running".
   * Returns whether it re-derived anything: SQLite runs one transaction after the other, so nothing is ever
   * left to settle there. Only the workflows closed and not ended need it, and a plain read (no lock, no
   * commit) finds them: one still open when read after the caller's commit is closed later, by a transaction
   * that sees that commit and settles afterwards itself; an ended one never changes.
   */
  async settleConcurrentCloses(workflowIds: readonly number[]): Promise<boolean> {
    if (this.ctx.dialect !== "postgres" || workflowIds.length === 0) return false;
    const unsettled = await this.ctx.db
      .selectFrom("workflows")
      .select("id")
      .where(inIds(this.ctx.dialect, "id", [...new Set(workflowIds)]))
      .where("closed_at", "is not", null)
      .where("ended_at", "is", null)
      .execute();
    if (unsettled.length === 0) return false;
    await this.refreshIfClosed(unsettled.map((w) => w.id));
    return true;
  }

  /** A local driver is alive: recorded while its workflow runs (a suspended one waits for --resume). */
  async driverHeartbeat(workflowId: number): Promise<void> {
    await this.ctx.db
      .updateTable("workflows")
      .set({ driver_heartbeat_at: Date.now() })
      .where("id", "=", workflowId)
      .where("closed_at", "is", null)
      .where("status", "=", "running")
      .execute();
  }

  /** Running local workflows whose driver has been silent since `cutoff`. */
  async silentDrivers(cutoff: number): Promise<number[]> {
    const rows = await this.ctx.db
      .selectFrom("workflows")
      .select("id")
      .where("closed_at", "is", null)
      .where("driver_heartbeat_at", "<", cutoff)
      .where("status", "=", "running")
      .execute();
    return rows.map((r) => r.id);
  }

  async steps(workflowId: number): Promise<Array<{ seq: number; name: string; value: string }>> {
    return this.ctx.db
      .selectFrom("steps")
      .select(["seq", "name", "value"])
      .where("workflow_id", "=", workflowId)
      .orderBy("seq")
      .execute();
  }

  /**
   * Records a step's value unless the step was recorded before; returns what is recorded, or undefined when the
   * workflow is gone. The workflow row is locked first (PostgreSQL) so that a deletion running meanwhile is
   * waited for and seen, rather than failing the insert on the steps' foreign key.
   */
  async putStep(workflowId: number, seq: number, name: string, value: string): Promise<{ name: string; value: string } | undefined> {
    return this.ctx.db.transaction().execute(async (trx) => {
      const wf = await trx
        .selectFrom("workflows")
        .select("id")
        .where("id", "=", workflowId)
        .$if(this.ctx.dialect === "postgres", (q) => q.forKeyShare())
        .executeTakeFirst();
      if (!wf) return undefined;
      await trx
        .insertInto("steps")
        .values({ workflow_id: workflowId, seq, name, value, created_at: Date.now() })
        .onConflict((oc) => oc.columns(["workflow_id", "seq"]).doNothing())
        .execute();
      return trx
        .selectFrom("steps")
        .select(["name", "value"])
        .where("workflow_id", "=", workflowId)
        .where("seq", "=", seq)
        .executeTakeFirstOrThrow();
    });
  }

  /** The owner of a workflow, for authorisation; undefined if there is no such workflow. */
  async ownerOf(workflowId: number): Promise<number | undefined> {
    const row = await this.ctx.db.selectFrom("workflows").select("user_id").where("id", "=", workflowId).executeTakeFirst();
    return row?.user_id;
  }

  async get(workflowId: number): Promise<WorkflowView | undefined> {
    const row = await this.ctx.db
      .selectFrom("workflows")
      .innerJoin("users", "users.id", "workflows.user_id")
      .selectAll("workflows")
      .select("users.name as user")
      .where("workflows.id", "=", workflowId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      name: row.name,
      user: row.user,
      status: row.status,
      mode: row.mode,
      queue: row.queue,
      bundleHash: row.bundle_hash,
      nodeVersion: row.node_version,
      lockfileHash: row.lockfile_hash,
      seed: row.seed,
      driverTaskId: row.driver_task_id,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      endedAt: row.ended_at,
      result: row.result,
      error: row.error === null ? null : (JSON.parse(row.error) as ErrorInfo),
      suspendedAt: row.suspended_at,
      suspendReason: row.suspend_reason,
      tasks: await this.taskReads.listForWorkflow(workflowId),
    };
  }

  /** A workflow's status, or undefined if there is no such workflow. */
  private async statusOf(trx: Tx, workflowId: number): Promise<WorkflowStatus | undefined> {
    const row = await trx.selectFrom("workflows").select("status").where("id", "=", workflowId).executeTakeFirst();
    return row?.status;
  }

  /**
   * Closes a running workflow when its body ended: unfinished tasks are cancelled and the status follows
   * iDDS's request rules. A workflow closed already (twice, or killed) or suspended changes nothing: the
   * row is claimed first, by a write only an open running workflow matches, so a concurrent kill or close
   * waits for this one and then finds nothing to do.
   */
  async close(workflowId: number, outcome: CloseOutcome): Promise<WorkflowChange | undefined> {
    const now = Date.now();
    return this.ctx.db.transaction().execute(async (trx) => {
      const claimed = await trx
        .updateTable("workflows")
        .set({ closed_at: now, updated_at: now })
        .where("id", "=", workflowId)
        .where("closed_at", "is", null)
        .where("status", "=", "running")
        .returning("id")
        .executeTakeFirst();
      if (!claimed) {
        const status = await this.statusOf(trx, workflowId);
        return status === undefined ? undefined : { status, tasks: [], pilots: [] };
      }
      // The driver task (remote mode) is the one closing: it ends when its job reports.
      const { tasks: changes, pilots } = await this.killOpenTasks(trx, workflowId, now, ["work"], outcome.keep);
      const statuses = await trx
        .selectFrom("tasks")
        .select("status")
        .where("workflow_id", "=", workflowId)
        .where("kind", "=", "work")
        .execute();
      const status = workflowStatusOnClose(
        statuses.map((s) => s.status),
        outcome.body,
      );
      await trx
        .updateTable("workflows")
        .set({
          status,
          result: outcome.result,
          error: outcome.error ? JSON.stringify(outcome.error) : null,
          ended_at: status === "running" ? null : now,
        })
        .where("id", "=", workflowId)
        .execute();
      return { status, tasks: changes, pilots };
    });
  }

  private async killOpenTasks(
    trx: Tx,
    workflowId: number,
    now: number,
    kinds: readonly TaskKind[],
    keep: readonly number[] = [],
    error?: ErrorInfo,
  ): Promise<Omit<WorkflowChange, "status">> {
    const tasks: TaskChange[] = [];
    const pilots = new Set<number>();
    // A set: a driver may list many tasks, and a workflow may have many open ones.
    const kept = new Set(keep);
    for (const taskId of await this.tasks.openTaskIdsWithin(trx, workflowId, kinds)) {
      if (kept.has(taskId)) continue;
      const killed = await this.tasks.killWithin(trx, taskId, now, error);
      if (!killed) continue;
      tasks.push(killed.change);
      for (const p of killed.pilots) pilots.add(p);
    }
    return { tasks, pilots: [...pilots] };
  }

  /**
   * Kills a workflow: it is closed and cancelled, and every unfinished task is killed. Closed, it takes no
   * new task, and its driver's heartbeat tells the driver to stop. An ended workflow keeps its final state.
   */
  async kill(workflowId: number): Promise<WorkflowChange | undefined> {
    const now = Date.now();
    return this.ctx.db.transaction().execute(async (trx) => {
      const claimed = await trx
        .updateTable("workflows")
        .set((eb) => ({ status: "cancelled", updated_at: now, ended_at: now, closed_at: eb.fn.coalesce("closed_at", eb.val(now)) }))
        .where("id", "=", workflowId)
        .where("ended_at", "is", null)
        .returning("id")
        .executeTakeFirst();
      if (!claimed) {
        const status = await this.statusOf(trx, workflowId);
        return status === undefined ? undefined : { status, tasks: [], pilots: [], alreadyEnded: true };
      }
      const { tasks: changes, pilots } = await this.killOpenTasks(trx, workflowId, now, TASK_KINDS);
      return { status: "cancelled", tasks: changes, pilots };
    });
  }

  /**
   * Suspends a running local workflow whose driver stopped before its body ended: when and why are
   * recorded, and its unfinished tasks are stopped (their jobs cancelled with code `suspended`, freeing the
   * pilots) until a resumed driver attaches to them again. Undefined if the workflow was not running.
   */
  async suspend(workflowId: number, reason: string): Promise<WorkflowChange | undefined> {
    const now = Date.now();
    return this.ctx.db.transaction().execute(async (trx) => {
      const claimed = await trx
        .updateTable("workflows")
        .set({ status: "suspended", suspended_at: now, suspend_reason: reason, updated_at: now })
        .where("id", "=", workflowId)
        .where("mode", "=", "local")
        .where("status", "=", "running")
        .where("closed_at", "is", null)
        .returning("id")
        .executeTakeFirst();
      if (!claimed) return undefined;
      const error: ErrorInfo = { code: "suspended", message: `the workflow was suspended: ${reason}` };
      const { tasks, pilots } = await this.killOpenTasks(trx, workflowId, now, ["work"], [], error);
      return { status: "suspended", tasks, pilots };
    });
  }

  /**
   * A driver runs an open local workflow again (`--resume`): a suspended one runs again, and its driver's
   * heartbeats count from now. False if the workflow is closed.
   */
  async resume(workflowId: number): Promise<boolean> {
    const now = Date.now();
    const resumed = await this.ctx.db
      .updateTable("workflows")
      .set({ status: "running", suspended_at: null, suspend_reason: null, driver_heartbeat_at: now, updated_at: now })
      .where("id", "=", workflowId)
      .where("closed_at", "is", null)
      .where("status", "in", ["running", "suspended"])
      .executeTakeFirst();
    return Number(resumed.numUpdatedRows) > 0;
  }
}
