// What a run of iterations, each a task of jobs on a number of slots, would take with no overhead at all, and how
// far a measured run is from it. Times are in milliseconds.

/** One job as it ran: when its last attempt started and ended. */
export interface JobSpan {
  startedAt: number;
  endedAt: number;
}

/** One iteration's task: when the driver created it and when its jobs ran. */
export interface TaskTiming {
  taskId: number;
  createdAt: number;
  jobs: JobSpan[];
}

/** No schedule of these jobs on `slots` slots can end sooner: the longest job, or the total spread evenly. */
export function lowerBound(durations: readonly number[], slots: number): number {
  checkSlots(slots);
  if (durations.length === 0) return 0;
  const total = durations.reduce((s, d) => s + d, 0);
  return Math.max(Math.max(...durations), total / slots);
}

/**
 * How long the jobs take when each, in the given order, goes to the slot that frees first, and handing out costs
 * nothing: what pilots taking a task's queued jobs in order would achieve with no overhead.
 */
export function listSchedule(durations: readonly number[], slots: number): number {
  checkSlots(slots);
  const freeAt = new Array<number>(slots).fill(0);
  for (const d of durations) {
    let earliest = 0;
    for (let s = 1; s < slots; s++) if (freeAt[s]! < freeAt[earliest]!) earliest = s;
    freeAt[earliest] = freeAt[earliest]! + d;
  }
  return Math.max(...freeAt);
}

function checkSlots(slots: number): void {
  if (!(Number.isInteger(slots) && slots >= 1)) throw new RangeError(`slots must be a whole number of at least 1, got ${slots}`);
}

export interface IterationOverhead {
  taskId: number;
  jobs: number;
  /** Sum of the jobs' durations. */
  jobTime: number;
  lowerBound: number;
  listSchedule: number;
  /** From the end of the previous iteration's last job (or the workflow's start) to this task's creation: the driver. */
  beforeTask: number;
  /** From the task's creation to its first job's start: submission and dispatch. */
  toFirstStart: number;
  /** From the first job's start to the last job's end. */
  jobsSpan: number;
}

export interface RunOverhead {
  iterations: IterationOverhead[];
  /** The workflow's wall time, from its creation to its end. */
  makespan: number;
  jobTime: number;
  /** Sum over the iterations of their lower bounds: iterations run one after the other, their jobs side by side. */
  ideal: number;
  /** Sum over the iterations of their list schedules. */
  listScheduled: number;
  overhead: number;
  /** makespan / ideal. */
  ratio: number;
  /** From the last job's end to the workflow's end. */
  afterLastJob: number;
}

/** Compares a run's wall time with the ideal for its jobs on `slots` slots, iteration by iteration. */
export function runOverhead(workflow: { createdAt: number; endedAt: number }, tasks: readonly TaskTiming[], slots: number): RunOverhead {
  const ordered = [...tasks].sort((a, b) => a.createdAt - b.createdAt);
  let previousEnd = workflow.createdAt;
  const iterations = ordered.map((task): IterationOverhead => {
    if (task.jobs.length === 0) throw new Error(`task ${task.taskId} has no job that ran`);
    const durations = task.jobs.map((j) => j.endedAt - j.startedAt);
    const firstStart = Math.min(...task.jobs.map((j) => j.startedAt));
    const lastEnd = Math.max(...task.jobs.map((j) => j.endedAt));
    const iteration: IterationOverhead = {
      taskId: task.taskId,
      jobs: task.jobs.length,
      jobTime: durations.reduce((s, d) => s + d, 0),
      lowerBound: lowerBound(durations, slots),
      listSchedule: listSchedule(durations, slots),
      beforeTask: task.createdAt - previousEnd,
      toFirstStart: firstStart - task.createdAt,
      jobsSpan: lastEnd - firstStart,
    };
    previousEnd = lastEnd;
    return iteration;
  });
  const sum = (pick: (i: IterationOverhead) => number) => iterations.reduce((s, i) => s + pick(i), 0);
  const makespan = workflow.endedAt - workflow.createdAt;
  const ideal = sum((i) => i.lowerBound);
  return {
    iterations,
    makespan,
    jobTime: sum((i) => i.jobTime),
    ideal,
    listScheduled: sum((i) => i.listSchedule),
    overhead: makespan - ideal,
    ratio: makespan / ideal,
    afterLastJob: workflow.endedAt - previousEnd,
  };
}
