// Running a workflow's body as its driver, the same way wherever it runs: in the program that called the
// workflow (local mode) or in an executor on a pilot (remote mode).
import { acquireResultChannel, releaseResultChannel } from "../bus/result-channel.js";
import { encode } from "../codec/tagged-json.js";
import { seededRandom } from "../core/seeded-random.js";
import type { WorkflowView } from "../core/protocol.js";
import type { PandoClient } from "./client.js";
import { withRun, type RunContext, type TaskProgress } from "./context.js";

export interface DriverRun {
  client: PandoClient;
  workflowId: number;
  seed: number;
  bundleHash: string;
  queue: string | undefined;
  body: (...args: unknown[]) => unknown;
  args: unknown[];
  /** Local mode: how often to tell the server this driver is alive. */
  heartbeatMs?: number;
  onProgress?: (p: TaskProgress) => void;
  onWarning?: (message: string) => void;
  /** Defaults of the work calls' execution context (workflow({ initEnv, container })). */
  workDefaults?: { initEnv?: string; container?: string };
}

export type DriverOutcome = { ok: true; value: unknown; view: WorkflowView } | { ok: false; error: unknown; view: WorkflowView | undefined };

const FINAL_STATUS_WAIT_MS = 60_000;

function errorFields(err: unknown): { name?: string; message: string; stack?: string } {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { message: String(err) };
}

/**
 * The workflow once the server's copy has caught up: results that came through the broker may reach the
 * driver before the server has read them, and the workflow's status follows the server's copy.
 */
async function settled(client: PandoClient, view: WorkflowView): Promise<WorkflowView> {
  if (view.status !== "running") return view;
  return client.getWorkflow(view.id, { waitMs: FINAL_STATUS_WAIT_MS });
}

/**
 * Runs the body with its work calls as tasks of the workflow, then closes the workflow with the body's
 * value or error. Never throws for the body's sake: the outcome says what happened.
 */
export async function executeDriver(run: DriverRun): Promise<DriverOutcome> {
  const { client, workflowId } = run;
  const ctx: RunContext = {
    workflowId,
    distributed: true,
    client,
    results: await acquireResultChannel(client, run.onWarning),
    bundleHash: run.bundleHash,
    queue: run.queue,
    nextSeq: 0,
    nextStep: 0,
    steps: undefined,
    random: seededRandom(run.seed),
    completeTasks: [],
    onProgress: run.onProgress,
    onNotice: run.onWarning,
    workDefaults: run.workDefaults,
  };
  const heartbeat =
    run.heartbeatMs === undefined
      ? undefined
      : setInterval(() => void client.driverHeartbeat(workflowId).catch(() => undefined), run.heartbeatMs);
  heartbeat?.unref();
  let value: unknown;
  let result: string;
  try {
    try {
      value = await withRun(ctx, () => run.body(...run.args));
      result = encode(value, { root: "result" });
    } finally {
      await releaseResultChannel(client);
    }
  } catch (error) {
    const view = await client
      .closeWorkflow(workflowId, { outcome: "threw", error: errorFields(error), completeTasks: ctx.completeTasks })
      .then((v) => settled(client, v))
      .catch(() => undefined)
      .finally(() => clearInterval(heartbeat));
    return { ok: false, error, view };
  }
  try {
    const view = await client.closeWorkflow(workflowId, { outcome: "returned", result, completeTasks: ctx.completeTasks });
    return { ok: true, value, view: await settled(client, view) };
  } finally {
    clearInterval(heartbeat);
  }
}
