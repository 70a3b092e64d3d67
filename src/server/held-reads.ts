// Reading what pilots hold: those that waited for a turn are read together, in one statement.
import { BatchingGate } from "../core/batching-gate.js";
import type { Held, HeldCount } from "../store/held-store.js";
import type { ServerContext } from "./context.js";

/**
 * Pilots read in one statement at most: the answers of one read are checked and sent in one turn of the
 * event loop, which other requests wait for.
 */
const MAX_PILOTS_PER_READ = 250;

/**
 * What pilots hold, as every heartbeat (their attempts) and every acquire (their count) reads it: at most
 * `--max-concurrent-held-reads` reads of each kind at once; the pilots asked for meanwhile wait in memory and
 * the next turn reads them all in one statement. Alone, a read goes at once; at thousands of pilots, where
 * heartbeats and acquires come by the thousand a second, a round trip serves hundreds of them.
 */
export class HeldReads {
  private readonly attempts: BatchingGate<number, Held>;
  private readonly counts: BatchingGate<number, HeldCount>;

  constructor(ctx: Pick<ServerContext, "store" | "config">) {
    const { store, config } = ctx;
    const gate = <R>(read: (pilots: readonly number[]) => Promise<Map<number, R>>) =>
      new BatchingGate<number, R>(
        config.maxConcurrentHeldReads,
        MAX_PILOTS_PER_READ,
        () => "",
        () => 1,
        async (pilots) => {
          const by = await read([...new Set(pilots)]);
          return pilots.map((p) => by.get(p)!);
        },
      );
    this.attempts = gate((pilots) => store.held.heldBy(pilots));
    this.counts = gate((pilots) => store.held.heldCountsOf(pilots));
  }

  /** The attempts the pilot holds, with its kill orders. */
  of(pilotId: number): Promise<Held> {
    return this.attempts.run(pilotId);
  }

  /** How many attempts the pilot holds, with its kill orders. */
  countOf(pilotId: number): Promise<HeldCount> {
    return this.counts.run(pilotId);
  }
}
