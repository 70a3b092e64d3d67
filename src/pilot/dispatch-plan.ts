import { attemptKey } from "../core/attempt-key.js";
// Which executor runs which of a pilot's waiting jobs, which executors to start, stop or take jobs back
// from: decided here from a snapshot, without processes, and applied by the executor pool.
//
// The rule the pilot promises with `--slots`: a job never waits behind another while a slot could run it.
// So each waiting job, in order, goes to the first of: an idle executor of its context; an executor of its
// context that is starting (counted on for one job each); an executor of its own in a free slot (several
// start at once, not one after the other), or in the slot of an idle executor of a context nobody waits
// for; and only then the queue of a busy executor, as deep as the jobs' tasks are known to be fast (a task
// not seen yet has depth one: it never queues). An executor that is still idle while another of its
// context has jobs queued behind a running one takes some of them back.

export interface PlanJob {
  /** Execution context (contextKey): jobs run only on executors of their context. */
  key: string;
  taskId: number;
}

export interface PlanExecutor {
  key: string;
  /** It has imported its bundle and takes jobs; otherwise it is starting. */
  ready: boolean;
  /** Jobs sent to it and not ended, but for those being taken back: the first runs, the others wait. */
  jobs: number;
  /** The tasks of those jobs, each once. */
  tasks: readonly number[];
  /** Jobs of its queue being taken back already (not in `jobs`). */
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

/**
 * An executor as planDispatch sees it, from the jobs it holds (`inflight`, the running one first) and the
 * attempt keys of jobs being taken back. Its queue may hold a thousand fast jobs: one pass, few tasks.
 */
export function planExecutor(
  ex: { key: string; ready: boolean },
  inflight: readonly { jobId: number; attempt: number; taskId: number }[],
  moving: ReadonlySet<string>,
): PlanExecutor {
  const tasks: number[] = [];
  const checkMoving = moving.size > 0;
  let leaving = 0;
  let last = -1;
  for (let i = 0; i < inflight.length; i++) {
    const j = inflight[i]!;
    if (checkMoving && moving.has(attemptKey(j))) leaving++;
    else if (j.taskId !== last) {
      last = j.taskId;
      if (!tasks.includes(last)) tasks.push(last);
    }
  }
  return { key: ex.key, ready: ex.ready, jobs: inflight.length - leaving, tasks, leaving };
}

export function planDispatch(input: PlanInput): Plan {
  const { executors, waiting, slots, depthOf } = input;
  const plan: Plan = { assign: new Map(), start: [], retire: [], takeBack: [] };
  const load = executors.map((e) => e.jobs + e.leaving);
  // How deep an executor's queue may grow: no deeper than the shallowest task among its jobs.
  const room = executors.map((e) => Math.min(Number.POSITIVE_INFINITY, ...e.tasks.map(depthOf)));
  const give = (ex: number, job: number) => {
    const list = plan.assign.get(ex);
    if (list) list.push(job);
    else plan.assign.set(ex, [job]);
    load[ex]!++;
    room[ex] = Math.min(room[ex]!, depthOf(waiting[job]!.taskId));
  };
  const idle = new Map<string, number[]>();
  const starting = new Map<string, number>();
  let idleLeft = 0;
  let startingLeft = 0;
  executors.forEach((e, i) => {
    if (!e.ready) {
      starting.set(e.key, (starting.get(e.key) ?? 0) + 1);
      startingLeft++;
    } else if (load[i] === 0) {
      push(idle, e.key, i);
      idleLeft++;
    }
  });
  // Executors that could give up their slot: holding no job, of a context no job waits for, with no jobs
  // queued on other executors of their context either (those they should take back). Found when first
  // needed: finding them reads every waiting job.
  let retirable: number[] | undefined;
  const victims = (): number[] => {
    if (retirable) return retirable;
    const waitingKeys = new Set(waiting.map((j) => j.key));
    const queuedKeys = new Set(executors.filter((e) => e.jobs > 1).map((e) => e.key));
    retirable = executors
      .map((_, i) => i)
      .filter((i) => load[i] === 0 && !waitingKeys.has(executors[i]!.key) && !queuedKeys.has(executors[i]!.key));
    return retirable;
  };
  const mayRetire = () => (retirable ? retirable.length > 0 : load.some((l) => l === 0));
  const mayQueue = () => executors.some((e, i) => e.ready && load[i]! < room[i]!);

  let total = executors.length;
  for (let j = 0; j < waiting.length; j++) {
    // Nothing left that any job could use: the rest stays waiting without being looked at (a pilot may
    // hold a thousand fast jobs; this runs whenever a job ends).
    if (idleLeft === 0 && startingLeft === 0 && total >= slots && !mayRetire() && !mayQueue()) break;
    const job = waiting[j]!;
    // 1. An idle executor of its context.
    const ex = idle.get(job.key)?.shift();
    if (ex !== undefined) {
      idleLeft--;
      give(ex, j);
      continue;
    }
    // 2. An executor of its context that is starting: it takes this job once ready.
    const n = starting.get(job.key) ?? 0;
    if (n > 0) {
      starting.set(job.key, n - 1);
      startingLeft--;
      continue;
    }
    // 3. An executor of its own, in a free slot or in the slot of an executor nobody needs.
    if (total < slots) {
      plan.start.push(job.key);
      total++;
      continue;
    }
    const victim = mayRetire() ? victims().shift() : undefined;
    if (victim !== undefined) {
      plan.retire.push(victim);
      plan.start.push(job.key);
      continue;
    }
    // 4. Behind ready executors of its context, least loaded first, as deep as its task (and every task
    //    already in that queue) allows.
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
  const stillIdle = new Map<string, number>();
  executors.forEach((e, i) => {
    if (e.ready && load[i] === 0 && !retired.has(i)) stillIdle.set(e.key, (stillIdle.get(e.key) ?? 0) + 1);
  });
  const movable = executors.map((e) => Math.max(0, e.jobs - 1));
  const taken = new Map<number, number>();
  for (const [key, count] of stillIdle) {
    const coming = executors.reduce((c, e) => c + (e.key === key ? e.leaving : 0), 0);
    for (let need = count - coming; need > 0; need--) {
      let donor: number | undefined;
      executors.forEach((e, i) => {
        if (e.key === key && movable[i]! > 0 && (donor === undefined || movable[i]! > movable[donor]!)) donor = i;
      });
      if (donor === undefined) break;
      const c = Math.ceil(movable[donor]! / 2);
      movable[donor]! -= c;
      taken.set(donor, (taken.get(donor) ?? 0) + c);
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
