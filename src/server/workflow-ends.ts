import type { TaskChange } from "../store/task-store.js";
import type { AccessGuard } from "./access-guard.js";
import type { ServerContext } from "./context.js";

/**
 * What follows a workflow's end or the end of its tasks, whichever service caused it: waiters woken,
 * statuses re-derived where two ends raced, a remote driver's workflow closed and its tokens revoked.
 */
export class WorkflowEnds {
  /** What follows ends, in flight: it outlives the requests that caused it, and the store must not close under it. */
  private readonly following = new Set<Promise<void>>();

  constructor(
    private readonly ctx: Pick<ServerContext, "store" | "log" | "events">,
    private readonly guard: AccessGuard,
  ) {}

  /** A workflow was closed, killed or suspended: its stopped tasks and the pilots told to stop them hear of it. */
  afterClose(workflowId: number, change: { tasks: TaskChange[]; pilots: number[] }): void {
    this.ctx.events.tasksChanged(change.tasks, { pilots: change.pilots });
    this.ctx.events.workflowStatusChanged(workflowId);
    this.settleConcurrentClose([workflowId]);
  }

  /** Tasks ended by their jobs' reports: a remote workflow's driver task closes its workflow. */
  tasksEnded(changes: readonly TaskChange[]): void {
    const ended = changes.filter((t) => t.ended);
    for (const t of ended) {
      this.follow(this.driverEnded(t).catch((err: unknown) => this.ctx.log.error({ err, taskId: t.taskId }, "closing after the driver ended failed")));
    }
    this.settleConcurrentClose(ended.map((t) => t.workflowId));
  }

  /**
   * On PostgreSQL, a workflow's close and the end of its last task may commit concurrently without seeing
   * each other (SQLite runs them one after the other): both re-derive the status afterwards.
   */
  settleConcurrentClose(workflowIds: readonly number[]): void {
    if (workflowIds.length === 0) return;
    this.follow(
      this.ctx.store.workflows
        .settleConcurrentCloses(workflowIds)
        .then((settled) => {
          if (settled) for (const id of new Set(workflowIds)) this.ctx.events.workflowStatusChanged(id);
        })
        .catch((err: unknown) => this.ctx.log.error({ err }, "re-deriving workflow statuses failed")),
    );
  }

  /** Resolves once nothing that follows an end is in flight (what it starts meanwhile included): the server is closing. */
  async drain(): Promise<void> {
    while (this.following.size > 0) await Promise.all([...this.following]);
  }

  private follow(work: Promise<void>): void {
    this.following.add(work);
    void work.finally(() => this.following.delete(work));
  }

  /**
   * A remote workflow's driver task ended. Its body closes the workflow before its job ends; if the job
   * ended without that (it failed on every attempt, or was cancelled), the workflow is closed as failed
   * with the driver's error. Either way the driver's workflow tokens are revoked: nobody needs them now.
   */
  private async driverEnded(change: TaskChange): Promise<void> {
    const { store } = this.ctx;
    const info = await store.taskReads.info(change.taskId);
    if (info?.kind !== "driver") return;
    const [outcome] = await store.taskReads.results(change.taskId, 0, 1);
    const closed = await store.workflows.close(change.workflowId, {
      body: "threw",
      result: null,
      error: {
        name: "DriverFailed",
        message: `the workflow's driver ${outcome?.state ?? change.status}: ${outcome?.error?.message ?? "no error recorded"}`,
      },
      keep: [],
    });
    if (closed) this.afterClose(change.workflowId, closed);
    await store.auth.revokeWorkflowTokens(change.workflowId);
    this.guard.forgetTokens();
  }
}
