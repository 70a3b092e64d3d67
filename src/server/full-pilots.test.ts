import { describe, expect, it } from "vitest";
import { EventHub, Topics } from "./events.js";
import { FullPilots } from "./full-pilots.js";
import { Notifier } from "./notifier.js";

const demand = { capacity: 2, slots: 2, drivers: 0, prefetchNamed: false };

function pilots() {
  const notifier = new Notifier();
  const events = new EventHub(notifier);
  return { full: new FullPilots(events), events, notifier };
}

describe("FullPilots", () => {
  it("keeps what an answer that filled a pilot left it holding, for its next request only", async () => {
    const { full } = pilots();
    full.answered(7, demand, 2, full.watch(7));
    expect(await full.take(7, demand)).toBe(2);
    expect(await full.take(7, demand)).toBeUndefined();
  });

  it("keeps nothing for a pilot the answer left room", async () => {
    const { full } = pilots();
    full.answered(7, demand, 1, full.watch(7));
    expect(await full.take(7, demand)).toBeUndefined();
  });

  it("drops the count when the pilot's topic fired after it began listening, here or from another replica", async () => {
    const { full, events, notifier } = pilots();
    const since = full.watch(7);
    // A report recorded while the count was being read: the count may be too high.
    events.pilotWoken(7);
    full.answered(7, demand, 2, since);
    expect(await full.take(7, demand)).toBeUndefined();
    full.answered(8, demand, 2, full.watch(8));
    notifier.wakeLocal(Topics.pilot(8));
    expect(await full.take(8, demand)).toBeUndefined();
  });

  it("hears no other pilot's topic", async () => {
    const { full, events } = pilots();
    full.answered(7, demand, 2, full.watch(7));
    events.pilotWoken(8);
    expect(await full.take(7, demand)).toBe(2);
  });

  it("gives nothing when the pilot asks for more than it held, or once forgotten", async () => {
    const { full } = pilots();
    full.answered(7, demand, 2, full.watch(7));
    expect(await full.take(7, { ...demand, capacity: 3 })).toBeUndefined();
    full.answered(7, demand, 2, full.watch(7));
    full.forget(7);
    expect(await full.take(7, demand)).toBeUndefined();
  });

  it("leaves no listener behind on the topics of pilots it took or forgot", async () => {
    const { full, notifier } = pilots();
    full.answered(7, demand, 2, full.watch(7));
    full.answered(8, demand, 2, full.watch(8));
    full.answered(9, demand, 1, full.watch(9));
    await full.take(7, demand);
    full.forget(8);
    expect((notifier as unknown as { listeners: Map<string, unknown> }).listeners.size).toBe(0);
  });
});
