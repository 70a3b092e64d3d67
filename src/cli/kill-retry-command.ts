import type { ApiCaller } from "../api/caller.js";
import { FINAL_TASK_STATUSES } from "../core/states.js";
import { plural } from "./format.js";
import type { ClientFlags } from "./client-options.js";
import { checkSameWorkflow, print, printJson, withServer } from "./server-call.js";

export interface TaskTargetFlags extends ClientFlags {
  task?: number;
}

type Target = { workflow: number; task?: undefined } | { task: number };

/** What a kill or retry acts on: a workflow, or a task with --task (of the workflow, when both are named). */
async function target(api: ApiCaller, workflowId: number | undefined, flags: TaskTargetFlags, verb: string): Promise<Target> {
  if (flags.task === undefined) {
    if (workflowId === undefined) throw new Error(`say what to ${verb}: pando ${verb} <workflowId> or pando ${verb} --task <id>`);
    return { workflow: workflowId };
  }
  if (workflowId !== undefined) {
    const task = await api.getTask({ params: { id: flags.task } });
    checkSameWorkflow(`task ${flags.task}`, task.workflowId, workflowId);
  }
  return { task: flags.task };
}

/**
 * `pando kill <workflowId>`: cancels the workflow and kills its unfinished tasks, the driver's too;
 * `--task <id>`: kills one task (its queued jobs are cancelled, running ones stopped on their pilots).
 */
export async function killCommand(workflowId: number | undefined, flags: TaskTargetFlags): Promise<void> {
  await withServer(flags, async (api) => {
    const what = await target(api, workflowId, flags, "kill");
    if (what.task !== undefined) {
      const task = await api.killTask({ params: { id: what.task } });
      return flags.json ? printJson(task) : print(`task ${task.id} ${task.work} ${task.status}`);
    }
    // Read first to say how many tasks the kill stopped; the server refuses an ended workflow (409).
    const before = await api.getWorkflow({ params: { id: what.workflow } });
    const after = await api.killWorkflow({ params: { id: what.workflow } });
    if (flags.json) return printJson(after);
    const killed = before.tasks.filter((t) => !FINAL_TASK_STATUSES.has(t.status)).length;
    print(`workflow ${after.id} (${after.name}) ${after.status}: ${plural(killed, "unfinished task")} killed`);
  });
}

/**
 * `pando retry <workflowId>`: the failed and cancelled jobs of the workflow's ended tasks run again, each as
 * a new attempt; `--task <id>`: those of one task. Only a suspended workflow's: its resumed driver reads the
 * new results (the server says why otherwise).
 */
export async function retryCommand(workflowId: number | undefined, flags: TaskTargetFlags): Promise<void> {
  await withServer(flags, async (api) => {
    const what = await target(api, workflowId, flags, "retry");
    const answer =
      what.task !== undefined ? await api.retryTask({ params: { id: what.task } }) : await api.retryWorkflow({ params: { id: what.workflow } });
    if (flags.json) return printJson(answer);
    const of = flags.task === undefined ? `workflow ${workflowId}` : `task ${flags.task}`;
    print(`retried ${plural(answer.retried, "job")} of ${of}: each runs again as a new attempt`);
  });
}
