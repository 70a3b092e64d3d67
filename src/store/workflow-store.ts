import type { ErrorInfo } from "../core/errors.js";
import type { WorkflowView } from "../core/protocol.js";
import type { TaskStatus, WorkflowMode, WorkflowStatus } from "../core/states.js";
import { workflowStatusOnClose, type BodyOutcome } from "../core/task-status.js";
import type { StoreContext, Tx } from "./store.js";
import { refreshClosedWorkflows } from "./workflow-status.js";
import type { NewTask, TaskChange, TaskKind, TaskStore } from "./task-store.js";

export interface NewWorkflow {
  userId: number;
  name: string;
  mode: WorkflowMode;
  queue: string;
  bundleHash: string | null;
  nodeVersion: string | null;
  lockfileHash: string | null;
  argsHash: string | null;
  seed: number;
  /** Remote mode: the task of one job that runs the body on a pilot. */
  driver?: Omit<NewTask, "workflowId" | "seq">;
}

/** What a driver needs to know about its workflow to run (again). */
export interface DriverRecord {
  id: number;
  name: string;
  mode: WorkflowMode;
  status: WorkflowStatus;
  closed: boolean;
  argsHash: string | null;
  seed: number;
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
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      if (!wf.driver) return { id: row.id, driverTaskId: null };
      const driverTaskId = await this.tasks.insertTask(trx, { ...wf.driver, workflowId: row.id, seq: null }, "driver");
      await trx.updateTable("workflows").set({ driver_task_id: driverTaskId }).where("id", "=", row.id).execute();
      return { id: row.id, driverTaskId };
    });
  }

  async driverRecord(workflowId: number): Promise<DriverRecord | undefined> {
    const row = await this.ctx.db.selectFrom("workflows").selectAll().where("id", "=", workflowId).executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      name: row.name,
      mode: row.mode as WorkflowMode,
      status: row.status as WorkflowStatus,
      closed: row.closed_at !== null,
      argsHash: row.args_hash,
      seed: row.seed,
    };
  }

  /**
   * Re-derives the status of these workflows if they are closed, from committed state. On PostgreSQL a
   * workflow's close and its last results can commit side by side, each without seeing the other; whichever
   * commits last runs this afterwards, so the status never stays "running".
   */
  async refreshIfClosed(workflowIds: readonly number[]): Promise<void> {
    if (workflowIds.length === 0) return;
    const now = Date.now();
    await this.ctx.db.transaction().execute((trx) => refreshClosedWorkflows(trx, workflowIds, now));
  }

  /** A local driver is alive. */
  async driverHeartbeat(workflowId: number): Promise<void> {
    await this.ctx.db
      .updateTable("workflows")
      .set({ driver_heartbeat_at: Date.now() })
      .where("id", "=", workflowId)
      .where("closed_at", "is", null)
      .execute();
  }

  /** Open local workflows whose driver has been silent since `cutoff`. */
  async silentDrivers(cutoff: number): Promise<number[]> {
    const rows = await this.ctx.db
      .selectFrom("workflows")
      .select("id")
      .where("closed_at", "is", null)
      .where("driver_heartbeat_at", "<", cutoff)
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

  /** Records a step's value unless the step was recorded before; returns what is recorded. */
  async putStep(workflowId: number, seq: number, name: string, value: string): Promise<{ name: string; value: string }> {
    await this.ctx.db
      .insertInto("steps")
      .values({ workflow_id: workflowId, seq, name, value, created_at: Date.now() })
      .onConflict((oc) => oc.columns(["workflow_id", "seq"]).doNothing())
      .execute();
    return this.ctx.db
      .selectFrom("steps")
      .select(["name", "value"])
      .where("workflow_id", "=", workflowId)
      .where("seq", "=", seq)
      .executeTakeFirstOrThrow();
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
      status: row.status as WorkflowStatus,
      mode: row.mode as WorkflowMode,
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
      tasks: await this.tasks.listForWorkflow(workflowId),
    };
  }

  /**
   * Closes a workflow when its body ended: unfinished tasks are cancelled and the status follows
   * iDDS's request rules. Closing twice changes nothing.
   */
  async close(workflowId: number, outcome: CloseOutcome): Promise<WorkflowChange | undefined> {
    const now = Date.now();
    return this.ctx.db.transaction().execute(async (trx) => {
      const wf = await trx
        .selectFrom("workflows")
        .select(["status", "closed_at"])
        .where("id", "=", workflowId)
        .executeTakeFirst();
      if (!wf) return undefined;
      if (wf.closed_at !== null) return { status: wf.status as WorkflowStatus, tasks: [], pilots: [] };
      // The driver task (remote mode) is the one closing: it ends when its job reports.
      const { tasks: changes, pilots } = await this.killOpenTasks(trx, workflowId, now, ["work"], outcome.keep);
      const statuses = await trx
        .selectFrom("tasks")
        .select("status")
        .where("workflow_id", "=", workflowId)
        .where("kind", "=", "work")
        .execute();
      const status =
        wf.status === "cancelled"
          ? "cancelled"
          : workflowStatusOnClose(
              statuses.map((s) => s.status as TaskStatus),
              outcome.body,
            );
      await trx
        .updateTable("workflows")
        .set({
          status,
          result: outcome.result,
          error: outcome.error ? JSON.stringify(outcome.error) : null,
          updated_at: now,
          closed_at: now,
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
  ): Promise<Omit<WorkflowChange, "status">> {
    const tasks: TaskChange[] = [];
    const pilots = new Set<number>();
    for (const taskId of await this.tasks.openTaskIds(trx, workflowId, kinds)) {
      if (keep.includes(taskId)) continue;
      const killed = await this.tasks.kill(trx, taskId, now);
      if (!killed) continue;
      tasks.push(killed.change);
      for (const p of killed.pilots) pilots.add(p);
    }
    return { tasks, pilots: [...pilots] };
  }

  /** Kills a workflow: every unfinished task is killed and the workflow is cancelled. */
  async kill(workflowId: number): Promise<WorkflowChange | undefined> {
    const now = Date.now();
    return this.ctx.db.transaction().execute(async (trx) => {
      const wf = await trx.selectFrom("workflows").select(["status", "ended_at"]).where("id", "=", workflowId).executeTakeFirst();
      if (!wf) return undefined;
      // An ended workflow keeps its final status: there is nothing left to kill.
      if (wf.ended_at !== null) return { status: wf.status as WorkflowStatus, tasks: [], pilots: [], alreadyEnded: true };
      const { tasks: changes, pilots } = await this.killOpenTasks(trx, workflowId, now, ["work", "driver"]);
      await trx
        .updateTable("workflows")
        .set({ status: "cancelled", updated_at: now, ended_at: now })
        .where("id", "=", workflowId)
        .execute();
      return { status: "cancelled", tasks: changes, pilots };
    });
  }
}
