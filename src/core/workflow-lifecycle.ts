// What may be done to a workflow in each of its states, and what to tell the user when it may not: the rules
// of suspend, resume and retry, and what a local driver learns from its heartbeat. An ended workflow never
// changes again; a suspended one (a local driver that stopped before its body ended) waits for --resume.
import { FINAL_WORKFLOW_STATUSES, type WorkflowMode, type WorkflowStatus } from "./states.js";

export interface WorkflowState {
  id: number;
  status: WorkflowStatus;
  mode: WorkflowMode;
  /** The body ended or the workflow was killed: no task can be added any more. */
  closed: boolean;
}

/** How to take a suspended workflow up again, for messages. */
export function resumeHint(workflowId: number): string {
  return `pando run <file>#<workflow> <same arguments> --resume ${workflowId}`;
}

/**
 * Why the failed and cancelled jobs of a workflow's ended tasks cannot run again now; undefined when they
 * can. Only a suspended workflow's can: its driver is away and reads their new results when it is resumed.
 * Any other driver has read the outcomes of its ended calls already (or is gone for good), so jobs run
 * again would produce results nobody reads.
 */
export function retryRefusal(wf: WorkflowState): string | undefined {
  if (wf.status === "suspended") return undefined;
  if (FINAL_WORKFLOW_STATUSES.has(wf.status)) {
    return (
      `workflow ${wf.id} has ended (${wf.status}) and its driver is gone: nobody would read the results of ` +
      "jobs run again. Start a new run instead"
    );
  }
  if (wf.closed) {
    return `the body of workflow ${wf.id} has returned (the workflow waits for its last results): nobody would read the results of jobs run again`;
  }
  if (wf.mode === "remote") {
    return (
      `workflow ${wf.id} runs remotely and its driver is running: it has the outcomes of the ended calls ` +
      "already and would not read new ones"
    );
  }
  return (
    `workflow ${wf.id} is running and its driver is running: it has the outcomes of the ended calls already ` +
    `and would not read new ones. Stop the driver (Ctrl-C suspends the workflow), retry, then resume it: ${resumeHint(wf.id)}`
  );
}

/** Why a workflow takes no new task (it takes them only while it runs and is open). */
export function submissionRefusal(workflowId: number, status: WorkflowStatus, closed: boolean): string {
  if (status === "cancelled") return `workflow ${workflowId} was killed; it takes no new tasks`;
  if (status === "suspended") {
    return `workflow ${workflowId} is suspended; its tasks can only be added by its driver once resumed: ${resumeHint(workflowId)}`;
  }
  if (closed && status === "running") return `the body of workflow ${workflowId} has returned; tasks can only be added while it runs`;
  return `workflow ${workflowId} is ${status}; tasks can only be added while it runs`;
}

/** Why a workflow cannot be suspended; undefined when it can (a running local workflow whose body runs). */
export function suspendRefusal(wf: WorkflowState): string | undefined {
  if (wf.mode === "remote") {
    return `workflow ${wf.id} runs remotely: its server runs its driver again when the driver's pilot is lost; kill it to stop it`;
  }
  if (wf.status === "suspended") return `workflow ${wf.id} is suspended already`;
  if (FINAL_WORKFLOW_STATUSES.has(wf.status)) return `workflow ${wf.id} has ended (${wf.status})`;
  if (wf.closed) return `the body of workflow ${wf.id} has returned already`;
  return undefined;
}

/** Why a local driver cannot run a workflow again with --resume; undefined when it can. */
export function resumeRefusal(wf: WorkflowState): string | undefined {
  if (wf.mode !== "local") {
    return `workflow ${wf.id} runs remotely: its server re-runs the driver itself when its pilot is lost`;
  }
  if (wf.closed) return `workflow ${wf.id} is closed (${wf.status}) and cannot be resumed; start a new run instead`;
  return undefined;
}

/** What a local driver's heartbeat tells it about its workflow. */
export interface DriverState {
  status: WorkflowStatus;
  /** False once the workflow was closed (by its body, or by a kill). */
  open: boolean;
  /** Why the workflow was suspended, while it is. */
  suspendReason?: string | null;
}

/**
 * Why a driver whose body still runs must stop now, or undefined if it goes on: its workflow was killed,
 * suspended or ended without it. Its work calls would be refused from now on, so the driver ends at once
 * rather than when its body reaches its next call.
 */
export function driverStopReason(workflowId: number, state: DriverState): string | undefined {
  if (state.open && state.status === "running") return undefined;
  if (state.status === "cancelled") return `workflow ${workflowId} was killed`;
  if (state.status === "suspended") {
    const why = state.suspendReason ? `: ${state.suspendReason}` : "";
    return `workflow ${workflowId} was suspended${why}. Resume it with ${resumeHint(workflowId)}`;
  }
  return `workflow ${workflowId} was closed (${state.status}) by another run of its driver`;
}
