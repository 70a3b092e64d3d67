// Running a workflow's body as its driver, the same way wherever it runs: in the program that called the
// workflow (local mode) or in an executor on a pilot (remote mode).
import { acquireResultChannel, releaseResultChannel } from "../bus/result-channel.js";
import { encode } from "../codec/tagged-json.js";
import { errorFields } from "../core/errors.js";
import { seededRandom } from "../core/seeded-random.js";
import type { WorkflowView } from "../api/workflows.js";
import { sleep } from "../core/sleep.js";
import type { WorkflowStatus } from "../core/states.js";
import { driverStopReason } from "../core/workflow-lifecycle.js";
import type { PandoClient } from "./client.js";
import { withRun, type RunContext, type TaskProgress } from "./context.js";
import { WorkflowStoppedError } from "./errors.js";

export interface DriverRun {
  client: PandoClient;
  workflowId: number;
  seed: number;
  bundleHash: string;
  /** The project archive the workflow ships, which its tasks name. */
  projectHash?: string;
  queue: string | undefined;
  body: (...args: unknown[]) => unknown;
  args: unknown[];
  /**
   * Local mode: how often to tell the server this driver is alive. Each heartbeat waits that long for the
   * workflow to stop running, so a kill or a suspension reaches the driver at once.
   */
  heartbeatMs?: number;
  onProgress?: (p: TaskProgress) => void;
  onWarning?: (message: string) => void;
  /** Defaults of the work calls' execution context (workflow({ initEnv, container })). */
  workDefaults?: { initEnv?: string; container?: string };
}

/**
 * How the driver ended. `stopped`: the workflow was killed, suspended or closed from outside while the body
 * still ran; the body is abandoned (its calls are refused from now on) and the workflow was not closed here.
 */
export type DriverOutcome =
  | { ok: true; value: unknown; view: WorkflowView }
  | { ok: false; error: unknown; view: WorkflowView | undefined; stopped?: boolean };

const FINAL_STATUS_WAIT_MS = 60_000;

/**
 * The workflow once the server's copy has caught up: results that came through the broker may reach the
 * driver before the server has read them, and the workflow's status follows the server's copy.
 */
async function settled(client: PandoClient, view: WorkflowView): Promise<WorkflowView> {
  if (view.status !== "running") return view;
  return client.getWorkflow(view.id, { waitMs: FINAL_STATUS_WAIT_MS });
}

interface Stop {
  reason: string;
  status: WorkflowStatus;
}

/**
 * A local driver's heartbeats, each a long-poll the server answers as soon as the workflow stops running:
 * `stopped` resolves with why the driver must stop (killed, suspended, closed elsewhere). A heartbeat the
 * server cannot take is sent again after an interval; the server's timeout spans several.
 */
function heartbeats(client: PandoClient, workflowId: number, intervalMs: number): { stopped: Promise<Stop>; end(): void } {
  const controller = new AbortController();
  const { signal } = controller;
  let stop: (s: Stop) => void = () => undefined;
  const stopped = new Promise<Stop>((resolve) => (stop = resolve));
  void (async () => {
    while (!signal.aborted) {
      const sent = Date.now();
      try {
        const state = await client.driverHeartbeat(workflowId, { waitMs: intervalMs }, signal);
        if (signal.aborted) return;
        // A server that does not say the status (an older one) has the workflow running while it is open.
        const status = state.status ?? (state.open ? "running" : "cancelled");
        const reason = driverStopReason(workflowId, { ...state, status });
        if (reason !== undefined) return stop({ reason, status });
      } catch {
        // Unreachable for now: the next heartbeat comes after a whole interval.
      }
      const left = intervalMs - (Date.now() - sent);
      if (left > 0) await sleep(left, { signal, unref: true });
    }
  })();
  return { stopped, end: () => controller.abort() };
}

/**
 * Runs the body with its work calls as tasks of the workflow, then closes the workflow with the body's
 * value or error. Never throws for the body's sake: the outcome says what happened. A local driver whose
 * workflow is killed or suspended meanwhile ends at once, without waiting for the body's next call.
 */
export async function executeDriver(run: DriverRun): Promise<DriverOutcome> {
  const { client, workflowId } = run;
  const ctx: RunContext = {
    workflowId,
    distributed: true,
    client,
    results: await acquireResultChannel(client, run.onWarning),
    bundleHash: run.bundleHash,
    projectHash: run.projectHash,
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
  const watch = run.heartbeatMs === undefined ? undefined : heartbeats(client, workflowId, run.heartbeatMs);
  const body = Promise.resolve().then(() => withRun(ctx, () => run.body(...run.args)));
  // A body abandoned when its workflow stopped may still fail later: that concerns nobody any more.
  body.catch(() => undefined);
  const ended = await Promise.race([
    body.then(
      (value) => ({ kind: "returned" as const, value }),
      (error: unknown) => ({ kind: "threw" as const, error }),
    ),
    ...(watch ? [watch.stopped.then((stop) => ({ kind: "stopped" as const, stop }))] : []),
  ]);
  // From here on this driver closes the workflow itself (or has been stopped): no more heartbeats.
  watch?.end();
  await releaseResultChannel(client);
  if (ended.kind === "stopped") {
    const view = await client.getWorkflow(workflowId).catch(() => undefined);
    return { ok: false, error: new WorkflowStoppedError(ended.stop.reason, ended.stop.status), view, stopped: true };
  }
  let result: string | undefined;
  let error: unknown = ended.kind === "threw" ? ended.error : undefined;
  if (ended.kind === "returned") {
    try {
      result = encode(ended.value, { root: "result" });
    } catch (err) {
      error = err;
    }
  }
  if (result === undefined) {
    const view = await client
      .closeWorkflow(workflowId, { outcome: "threw", error: errorFields(error), completeTasks: ctx.completeTasks })
      .catch(() => undefined);
    if (view && stoppedElsewhere(view)) return stoppedOutcome(view);
    return { ok: false, error, view: view && (await settled(client, view).catch(() => undefined)) };
  }
  const view = await client.closeWorkflow(workflowId, { outcome: "returned", result, completeTasks: ctx.completeTasks });
  if (stoppedElsewhere(view)) return stoppedOutcome(view);
  return { ok: true, value: ended.kind === "returned" ? ended.value : undefined, view: await settled(client, view) };
}

/**
 * Killed or suspended just before the body ended (its last call failed because of it, say): the close
 * changed nothing, and what the body returned or threw is not the workflow's outcome.
 */
function stoppedElsewhere(view: WorkflowView): boolean {
  return view.status === "cancelled" || view.status === "suspended";
}

function stoppedOutcome(view: WorkflowView): DriverOutcome {
  const reason = driverStopReason(view.id, { open: false, status: view.status, suspendReason: view.suspendReason });
  return { ok: false, error: new WorkflowStoppedError(reason ?? `workflow ${view.id} is ${view.status}`, view.status), view, stopped: true };
}
