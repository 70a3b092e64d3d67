import type { Store } from "../store/store.js";

export type PilotRow = NonNullable<Awaited<ReturnType<Store["pilots"]["get"]>>>;

/** Pilots whose rows are kept; past it the oldest is dropped (and read again when it comes back). */
const MAX_CACHED_PILOTS = 100_000;
/**
 * How much earlier than the last read the ends of pilots are read again: a row read just before another
 * replica ended its pilot may be kept after that read, and replicas' clocks, which stamp the ends, differ.
 */
const END_READ_OVERLAP_MS = 60_000;

/**
 * The rows of running pilots, read once and kept while they run: every acquire, report and heartbeat names
 * its pilot, and at thousands of pilots a row kept for a second was read again for nearly every request
 * (a pilot asks every few seconds). A row changes only when its pilot ends. The ends this replica makes are
 * forgotten at once (`forget`); those other replicas make are read at each lost-pilot sweep (`endedLately`),
 * so a replica learns of them within a sweep's interval, as a pilot's open long-poll did already.
 */
export class LivePilots {
  private readonly rows = new Map<number, PilotRow>();
  private endsReadAt = Date.now();

  constructor(private readonly store: Pick<Store, "pilots">) {}

  /** The pilot's row; undefined for no such pilot. Only a running pilot's is kept. */
  async get(pilotId: number): Promise<PilotRow | undefined> {
    const kept = this.rows.get(pilotId);
    if (kept) return kept;
    const row = await this.store.pilots.get(pilotId);
    if (row?.status !== "running") return row;
    if (this.rows.size >= MAX_CACHED_PILOTS) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(pilotId, row);
    return row;
  }

  forget(pilotId: number): void {
    this.rows.delete(pilotId);
  }

  /** The pilots any replica ended since the previous call (and a little before): for the caller to forget. */
  async endedLately(): Promise<number[]> {
    const now = Date.now();
    const ended = await this.store.pilots.endedSince(this.endsReadAt - END_READ_OVERLAP_MS);
    this.endsReadAt = now;
    return ended;
  }
}
