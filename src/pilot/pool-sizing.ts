// How many executors a pilot keeps per execution context: a warm command starts at most the warm count of
// them (not one per slot: an idle executor holds tens of MiB), jobs that wait start the others up to the
// slots, and those beyond the warm count give their memory back once they have run nothing for a while.
// Decided here from a snapshot, without processes or clocks, and applied by the executor pool.

/** Executors a warm command starts for a context, at most: the warm count, no more than the slots. */
export function warmTarget(slots: number, warmExecutors: number): number {
  return Math.max(0, Math.min(slots, warmExecutors));
}

export interface SizedExecutor {
  /** Execution context (contextKey). */
  key: string;
  /** It has imported its bundle; a starting executor is counted on for a job and never retired. */
  ready: boolean;
  /** Jobs sent to it and not ended (the running one included). */
  jobs: number;
  /** When it started, or last ended a job (ms). */
  lastBusy: number;
}

export interface RetirementInput {
  executors: readonly SizedExecutor[];
  /** Contexts that have jobs waiting for an executor: theirs are kept for them. */
  waitingKeys: ReadonlySet<string>;
  /** Executors kept per context whatever their idleness (the warm count). */
  keep: number;
  /** How long an executor beyond `keep` may run nothing before it is retired; 0: never. */
  idleMs: number;
  now: number;
}

export interface Retirement {
  /** Executors (indices) to end now. */
  retire: number[];
  /** When to look again: the earliest moment another one could be retired (undefined: none can yet). */
  nextAt: number | undefined;
}

/**
 * Executors beyond `keep` of a context that hold no job and ran none for `idleMs` are retired, those idle
 * longest first, down to `keep`. Never an executor that is starting or holds a job, and none of a context
 * that has jobs waiting or queued behind a running one (an idle executor takes those).
 */
export function planRetirement(input: RetirementInput): Retirement {
  const { executors, waitingKeys, keep, idleMs, now } = input;
  const plan: Retirement = { retire: [], nextAt: undefined };
  if (idleMs <= 0) return plan;
  const byKey = new Map<string, number[]>();
  executors.forEach((e, i) => {
    const list = byKey.get(e.key);
    if (list) list.push(i);
    else byKey.set(e.key, [i]);
  });
  for (const [key, members] of byKey) {
    if (members.length <= keep || waitingKeys.has(key)) continue;
    if (members.some((i) => executors[i]!.jobs > 1)) continue;
    const idle = members.filter((i) => executors[i]!.ready && executors[i]!.jobs === 0).sort((a, b) => executors[a]!.lastBusy - executors[b]!.lastBusy);
    let over = members.length - keep;
    for (const i of idle) {
      if (over === 0) break;
      const due = executors[i]!.lastBusy + idleMs;
      if (due <= now) {
        plan.retire.push(i);
        over--;
      } else {
        plan.nextAt = plan.nextAt === undefined ? due : Math.min(plan.nextAt, due);
        break;
      }
    }
  }
  return plan;
}
