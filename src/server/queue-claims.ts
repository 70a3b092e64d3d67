// Claiming a queue's jobs for acquiring pilots: those that waited for a turn are claimed for together, in one statement.
import { BatchingGate } from "../core/batching-gate.js";
import type { DispatchedJob } from "../core/dispatch-records.js";
import type { ServerContext } from "./context.js";

/** Pilots claimed for in one statement at most: their answers are sent in one turn of the event loop. */
const MAX_PILOTS_PER_CLAIM = 250;

interface ClaimRequest {
  pilotId: number;
  queue: string;
  n: number;
}

/**
 * The claims of acquires, of any task of a queue: at most `--max-concurrent-claims` statements at once; the
 * acquires that come meanwhile wait in memory and the next turn claims for all of those of one queue in one
 * statement. Alone, a claim goes at once; at thousands of pilots, where acquires come by the thousand a
 * second, a statement serves hundreds of them.
 */
export class QueueClaims {
  private readonly gate: BatchingGate<ClaimRequest, DispatchedJob[]>;

  constructor(ctx: Pick<ServerContext, "store" | "config">) {
    const { store, config } = ctx;
    this.gate = new BatchingGate<ClaimRequest, DispatchedJob[]>(
      config.maxConcurrentClaims,
      MAX_PILOTS_PER_CLAIM,
      (r) => r.queue,
      () => 1,
      async (requests) => {
        const claims = await store.dispatch.claimEach(requests[0]!.queue, requests);
        // A pilot asking twice at once (a long-poll it gave up on while the server still answered it) gets its
        // jobs through the first request.
        return requests.map(({ pilotId }) => {
          const jobs = claims.get(pilotId) ?? [];
          claims.delete(pilotId);
          return jobs;
        });
      },
    );
  }

  /** Up to `n` jobs of the queue, of any task, for the pilot. */
  claim(pilotId: number, queue: string, n: number): Promise<DispatchedJob[]> {
    return n <= 0 ? Promise.resolve([]) : this.gate.run({ pilotId, queue, n });
  }
}
