/**
 * How many jobs the server hands a pilot that asks for them, and of which tasks: as many of any task as its
 * free slots can start now, and beyond that, up to what it asked for, only jobs of the tasks it has seen to
 * be fast (its prefetch). A pilot's queue thus never takes jobs that another pilot's free slots could start
 * at once, while fast jobs still travel in batches.
 */
export interface Demand {
  /** Jobs the pilot wants to hold in all (acquireSchema.capacity). */
  capacity: number;
  /** Its slots: jobs it runs at once. */
  slots: number;
  /** Driver jobs among those it holds: they run beside the slots. */
  drivers: number;
  /** Whether it names the tasks it may hold more jobs of than it has free slots; if not, any task will do. */
  prefetchNamed: boolean;
}

export interface HandOut {
  /** Jobs of any task. */
  any: number;
  /** Further jobs, of the pilot's prefetch tasks only. */
  prefetch: number;
}

/** What a pilot that holds `held` attempts (as the server counts them) gets now. */
export function handOut(demand: Demand, held: number): HandOut {
  const room = Math.max(0, demand.capacity - held);
  if (!demand.prefetchNamed) return { any: room, prefetch: 0 };
  const free = Math.max(0, demand.slots - Math.max(0, held - demand.drivers));
  const any = Math.min(room, free);
  return { any, prefetch: room - any };
}
