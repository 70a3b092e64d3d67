// Which executor runs which of a pilot's waiting jobs, which executors to start, stop or take jobs back
// from: decided here from a snapshot, without processes, and applied by the pilot.
//
// The rule the pilot promises with `--slots`: a job never waits behind another while a slot could run it.
// So, in this order: idle executors take a job each; executors that are starting are counted on for a job
// each; every other job gets an executor of its own while slots are free (several start at once, not one
// after the other), making room by stopping idle executors of contexts nobody waits for; only what is left
// queues behind busy executors, and only as deep as the jobs' tasks are known to be fast (a task not seen
// yet has depth one: it never queues). An executor that is idle while another of its context has jobs
// queued behind a running one takes some of them back.

export interface PlanJob {
  /** Execution context (contextKey): jobs run only on executors of their context. */
  key: string;
  taskId: number;
}

export interface PlanExecutor {
  key: string;
  /** It has imported its bundle and takes jobs; otherwise it is starting. */
  ready: boolean;
  /** Tasks of the jobs sent to it and not ended, in order: the first runs, the others wait in its queue. */
  tasks: readonly number[];
  /** Jobs of its queue being taken back already (not in `tasks`). */
  leaving: number;
}

export interface PlanInput {
  slots: number;
  /** The pilot's waiting jobs, in the order they should start. */
  waiting: readonly PlanJob[];
  executors: readonly PlanExecutor[];
  /** Jobs of the task an executor may hold, the running one included (TaskDepths). */
  depthOf(taskId: number): number;
}

export interface Plan {
  /** Waiting jobs (indices into `waiting`) to send to executors (indices into `executors`), in order. */
  assign: Map<number, number[]>;
  /** Executors to start now, by context key, one entry each. */
  start: string[];
  /** Idle executors (indices) to stop: their slots go to executors of contexts that have jobs waiting. */
  retire: number[];
  /** Not-started jobs to take back from the end of executors' queues, for idle executors of their context. */
  takeBack: Array<{ executor: number; count: number }>;
}

export function planDispatch(input: PlanInput): Plan {
  const { executors, waiting, slots, depthOf } = input;
  const plan: Plan = { assign: new Map(), start: [], retire: [], takeBack: [] };
  const load = executors.map((e) => e.tasks.length + e.leaving);
  // How deep an executor's queue may grow: no deeper than the shallowest task among its jobs.
  const room = executors.map((e) => Math.min(Number.POSITIVE_INFINITY, ...e.tasks.map(depthOf)));
  const give = (ex: number, job: number) => {
    const list = plan.assign.get(ex);
    if (list) list.push(job);
    else plan.assign.set(ex, [job]);
    load[ex]!++;
    room[ex] = Math.min(room[ex]!, depthOf(waiting[job]!.taskId));
  };

  // 1. Idle executors take one job each, in the jobs' order.
  const idleByKey = new Map<string, number[]>();
  executors.forEach((e, i) => {
    if (e.ready && load[i] === 0) push(idleByKey, e.key, i);
  });
  const unplaced: number[] = [];
  waiting.forEach((job, j) => {
    const ex = idleByKey.get(job.key)?.shift();
    if (ex === undefined) unplaced.push(j);
    else give(ex, j);
  });

  // 2. Each starting executor will take one of the jobs of its context when it is ready.
  const starting = new Map<string, number>();
  for (const e of executors) if (!e.ready) starting.set(e.key, (starting.get(e.key) ?? 0) + 1);
  const unreserved = unplaced.filter((j) => {
    const key = waiting[j]!.key;
    const n = starting.get(key) ?? 0;
    if (n === 0) return true;
    starting.set(key, n - 1);
    return false;
  });

  // 3. Every other job gets an executor of its own while slots are free, or while idle executors of
  //    contexts that nobody waits for (and that have nothing to take back) can make room.
  const waitingKeys = new Set(waiting.map((j) => j.key));
  const queuedKeys = new Set(executors.filter((e) => e.tasks.length > 1).map((e) => e.key));
  const retirable = executors
    .map((e, i) => i)
    .filter((i) => load[i] === 0 && !waitingKeys.has(executors[i]!.key) && !queuedKeys.has(executors[i]!.key));
  let total = executors.length;
  const leftover: number[] = [];
  for (const j of unreserved) {
    const key = waiting[j]!.key;
    if (total < slots) {
      plan.start.push(key);
      total++;
      continue;
    }
    const victim = retirable.shift();
    if (victim === undefined) {
      leftover.push(j);
      continue;
    }
    plan.retire.push(victim);
    plan.start.push(key);
  }

  // 4. What no slot can run now queues behind ready executors of its context, least loaded first, as deep
  //    as its task (and every task already in that queue) allows.
  for (const j of leftover) {
    const job = waiting[j]!;
    let best: number | undefined;
    executors.forEach((e, i) => {
      if (!e.ready || e.key !== job.key || load[i]! >= Math.min(room[i]!, depthOf(job.taskId))) return;
      if (best === undefined || load[i]! < load[best]!) best = i;
    });
    if (best !== undefined) give(best, j);
  }

  // 5. Executors still idle take back jobs queued behind a running one on another executor of their context
  //    (half of the longest such queue each), unless jobs already on their way back will do.
  const retired = new Set(plan.retire);
  const idle = new Map<string, number>();
  executors.forEach((e, i) => {
    if (e.ready && load[i] === 0 && !retired.has(i)) idle.set(e.key, (idle.get(e.key) ?? 0) + 1);
  });
  const movable = executors.map((e) => Math.max(0, e.tasks.length - 1));
  const taken = new Map<number, number>();
  for (const [key, count] of idle) {
    const coming = executors.reduce((n, e) => n + (e.key === key ? e.leaving : 0), 0);
    for (let need = count - coming; need > 0; need--) {
      let donor: number | undefined;
      executors.forEach((e, i) => {
        if (e.key === key && movable[i]! > 0 && (donor === undefined || movable[i]! > movable[donor]!)) donor = i;
      });
      if (donor === undefined) break;
      const n = Math.ceil(movable[donor]! / 2);
      movable[donor]! -= n;
      taken.set(donor, (taken.get(donor) ?? 0) + n);
    }
  }
  for (const [executor, count] of taken) plan.takeBack.push({ executor, count });
  return plan;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
