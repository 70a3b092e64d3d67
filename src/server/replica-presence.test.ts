import { afterEach, describe, expect, it } from "vitest";
import { ReplicaPresence, type PresencePort } from "./replica-presence.js";

function port(counts: Array<number | null>) {
  const said = { hellos: 0, warnings: [] as string[] };
  let last: number | null = counts[0] ?? 0;
  const p: PresencePort = {
    countOthers: async () => {
      if (counts.length > 0) last = counts.shift()!;
      return last;
    },
    hello: async () => {
      said.hellos++;
    },
    warn: (m) => said.warnings.push(m),
  };
  return { p, said };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
let presence: ReplicaPresence | undefined;
afterEach(() => presence?.stop());

describe("ReplicaPresence", () => {
  it("a replica alone relays nothing and says no hello", async () => {
    const { p, said } = port([0]);
    presence = new ReplicaPresence(p, { checkEveryMs: 60_000, helloWaitMs: 1000 });
    await presence.arrive();
    expect(presence.othersAlive).toBe(false);
    expect(said.hellos).toBe(0);
  });

  it("a replica joining others waits until each answered its hello, then relays", async () => {
    const { p, said } = port([2]);
    presence = new ReplicaPresence(p, { checkEveryMs: 60_000, helloWaitMs: 5000 });
    let arrived = false;
    const arriving = presence.arrive().then(() => (arrived = true));
    await wait(10);
    expect(said.hellos).toBe(1);
    presence.acknowledged("a");
    await wait(10);
    expect(arrived).toBe(false);
    presence.acknowledged("a");
    await wait(10);
    expect(arrived).toBe(false);
    presence.acknowledged("b");
    await arriving;
    expect(presence.othersAlive).toBe(true);
    expect(said.warnings).toEqual([]);
  });

  it("serves anyway, with a warning, when an answer does not come", async () => {
    const { p, said } = port([1]);
    presence = new ReplicaPresence(p, { checkEveryMs: 60_000, helloWaitMs: 20 });
    await presence.arrive();
    expect(presence.othersAlive).toBe(true);
    expect(said.warnings[0]).toMatch(/1 did not answer within 20 ms/);
  });

  it("a replica that hears from a newcomer relays at once, and stops when the count says it left", async () => {
    const { p } = port([0, 0, 0]);
    presence = new ReplicaPresence(p, { checkEveryMs: 60_000, helloWaitMs: 1000 });
    await presence.arrive();
    presence.heard();
    expect(presence.othersAlive).toBe(true);
    presence.stop();
    presence = new ReplicaPresence(port([0, 1, 1, 0]).p, { checkEveryMs: 5, helloWaitMs: 1000 });
    await presence.arrive();
    expect(presence.othersAlive).toBe(false);
    await wait(8);
    expect(presence.othersAlive).toBe(true);
    await wait(40);
    expect(presence.othersAlive).toBe(false);
  });

  it("a count that started before another replica was heard from never turns relaying off", async () => {
    let release: (n: number) => void = () => undefined;
    const p: PresencePort = {
      countOthers: () => new Promise<number>((r) => (release = r)),
      hello: async () => undefined,
      warn: () => undefined,
    };
    presence = new ReplicaPresence(p, { checkEveryMs: 60_000, helloWaitMs: 1000 });
    const arriving = presence.arrive();
    presence.heard();
    release(0);
    await arriving;
    expect(presence.othersAlive).toBe(true);
  });

  it("relays when the others cannot be counted, or the listening connection is down", async () => {
    const { p, said } = port([null]);
    presence = new ReplicaPresence(p, { checkEveryMs: 60_000, helloWaitMs: 1000 });
    await presence.arrive();
    expect(presence.othersAlive).toBe(true);
    expect(said.hellos).toBe(0);
    presence.stop();
    presence = new ReplicaPresence(port([0]).p, { checkEveryMs: 60_000, helloWaitMs: 1000 });
    await presence.arrive();
    presence.lost();
    expect(presence.othersAlive).toBe(true);
  });
});
