import { describe, expect, it } from "vitest";
import type { DispatchedJob } from "../core/dispatch-records.js";
import type { ServerContext } from "./context.js";
import { QueueClaims } from "./queue-claims.js";

type Share = { pilotId: number; n: number };

/** A store whose claims wait until the test lets them answer; each share gets `n` jobs numbered by its pilot. */
function claims(maxConcurrentClaims: number) {
  const asked: Array<[string, Share[]]> = [];
  const pending: Array<() => void> = [];
  const store = {
    dispatch: {
      claimEach: (queue: string, shares: readonly Share[]) => {
        asked.push([queue, shares.map(({ pilotId, n }) => ({ pilotId, n }))]);
        const first = new Map<number, DispatchedJob[]>();
        for (const { pilotId, n } of shares) {
          if (!first.has(pilotId)) first.set(pilotId, Array.from({ length: n }, (_, i) => ({ jobId: pilotId * 100 + i }) as DispatchedJob));
        }
        return new Promise<Map<number, DispatchedJob[]>>((resolve) => pending.push(() => resolve(first)));
      },
    },
  };
  const queueClaims = new QueueClaims({ store, config: { maxConcurrentClaims } } as unknown as ServerContext);
  return { queueClaims, asked, pending };
}

const turn = () => new Promise((r) => setImmediate(r));
const ids = (jobs: DispatchedJob[]) => jobs.map((j) => j.jobId);

describe("QueueClaims", () => {
  it("claims for a pilot at once while a turn is free, and for those that came meanwhile together, by queue", async () => {
    const { queueClaims, asked, pending } = claims(1);
    const first = queueClaims.claim(1, "q", 2);
    const waiting = [queueClaims.claim(2, "q", 1), queueClaims.claim(3, "other", 2), queueClaims.claim(4, "q", 3)];
    await turn();
    expect(asked).toEqual([["q", [{ pilotId: 1, n: 2 }]]]);
    pending.shift()!();
    expect(ids(await first)).toEqual([100, 101]);
    await turn();
    expect(asked.slice(1)).toEqual([
      [
        "q",
        [
          { pilotId: 2, n: 1 },
          { pilotId: 4, n: 3 },
        ],
      ],
    ]);
    pending.shift()!();
    await turn();
    expect(asked.slice(2)).toEqual([["other", [{ pilotId: 3, n: 2 }]]]);
    pending.shift()!();
    expect((await Promise.all(waiting)).map(ids)).toEqual([[200], [300, 301], [400, 401, 402]]);
  });

  it("gives a pilot that asked twice in one statement its jobs once, and claims nothing for no room", async () => {
    const { queueClaims, asked, pending } = claims(1);
    const busy = queueClaims.claim(9, "q", 1);
    const twice = [queueClaims.claim(5, "q", 2), queueClaims.claim(5, "q", 2)];
    expect(await queueClaims.claim(6, "q", 0)).toEqual([]);
    await turn();
    pending.shift()!();
    await busy;
    await turn();
    expect(asked).toHaveLength(2);
    pending.shift()!();
    expect((await Promise.all(twice)).map(ids)).toEqual([[500, 501], []]);
  });
});
