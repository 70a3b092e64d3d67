import { ApiError } from "../api/errors.js";
import type { WorkflowView } from "../api/workflows.js";
import { decode } from "../codec/tagged-json.js";
import { FINAL_WORKFLOW_STATUSES, type WorkflowStatus } from "../core/states.js";
import type { PandoClient } from "./client.js";
import { WorkflowError } from "./errors.js";

const WAIT_MS = 30_000;

/** The body of a workflow ended with an error (or the workflow was cancelled or lost its driver). */
export class WorkflowFailedError extends WorkflowError {
  constructor(
    readonly workflowId: number,
    readonly status: WorkflowStatus,
    message: string,
    readonly remoteName: string | undefined,
    readonly remoteStack: string | undefined,
  ) {
    super(message);
    this.name = "WorkflowFailedError";
    if (remoteStack) this.stack = `${this.stack ?? message}\n    --- driver stack ---\n${remoteStack}`;
  }
}

/** The value of a finished workflow, or the error its body ended with. */
export function workflowValue<T>(view: WorkflowView): T {
  if (view.error) {
    throw new WorkflowFailedError(
      view.id,
      view.status,
      `workflow ${view.id} (${view.name}) ${view.status}: ${view.error.message}`,
      view.error.name,
      view.error.stack,
    );
  }
  if (view.status === "cancelled") {
    throw new WorkflowFailedError(view.id, view.status, `workflow ${view.id} (${view.name}) was cancelled`, undefined, undefined);
  }
  return (view.result === null ? undefined : decode(view.result)) as T;
}

/** A workflow submitted to run remotely (`wf.submit()`): its driver runs on a pilot. */
export class WorkflowHandle<T> {
  constructor(
    readonly id: number,
    private readonly client: PandoClient,
  ) {}

  /** Where to follow the workflow: its page in the server's web monitor (which asks for a token once per browser). */
  get monitorUrl(): string {
    return `${this.serverUrl}/#/workflows/${this.id}`;
  }

  /** The server the workflow runs on (the replica in use), for `--server`, PANDO_SERVER or the REST API. */
  get serverUrl(): string {
    return this.client.serverUrl;
  }

  /** The workflow with its tasks, as the server has it now. */
  view(): Promise<WorkflowView> {
    return this.client.getWorkflow(this.id);
  }

  async status(): Promise<WorkflowStatus> {
    return (await this.view()).status;
  }

  /**
   * Waits for the workflow to end and returns the body's value; throws a WorkflowFailedError with the
   * driver's error if the body threw, the driver was lost for good, or the workflow was cancelled.
   * With `timeoutMs`, gives up waiting (the workflow runs on) with a WorkflowError.
   */
  async result(timeoutMs = Infinity): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      const view = await this.client.getWorkflow(this.id, { waitMs: Math.max(0, Math.min(WAIT_MS, left)) });
      if (FINAL_WORKFLOW_STATUSES.has(view.status)) return workflowValue<T>(view);
      if (Date.now() >= deadline) {
        throw new WorkflowError(`workflow ${this.id} is still ${view.status} after ${timeoutMs} ms; it runs on`);
      }
    }
  }

  /** Cancels the workflow: its driver and every unfinished task are killed. An ended workflow stays as it ended. */
  async cancel(): Promise<void> {
    try {
      await this.client.killWorkflow(this.id);
    } catch (err) {
      // 409: it has ended.
      if (!(err instanceof ApiError && err.status === 409)) throw err;
    }
  }
}
