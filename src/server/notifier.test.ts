import { describe, expect, it } from "vitest";
import { Notifier } from "./notifier.js";

describe("Notifier", () => {
  it("does not miss a notification between subscribe and wait", async () => {
    const n = new Notifier();
    const sub = n.subscribe(["task:1"]);
    n.notify("task:1");
    expect(await sub.wait(0)).toBe(true);
    // The wake-up is used up by that wait.
    expect(await sub.wait(0)).toBe(false);
    sub.close();
  });

  it("wakes a pending wait", async () => {
    const n = new Notifier();
    const sub = n.subscribe(["queue:local"]);
    const waiting = sub.wait(10_000);
    n.notify("queue:local");
    expect(await waiting).toBe(true);
    sub.close();
  });

  it("wakes on any of the subscribed topics and ignores others", async () => {
    const n = new Notifier();
    const sub = n.subscribe(["a", "b"]);
    n.notify("c");
    expect(await sub.wait(0)).toBe(false);
    n.notify("b");
    expect(await sub.wait(0)).toBe(true);
    sub.close();
  });

  it("does not wake, nor count, a subscription that stopped hearing a topic, until it hears it again", async () => {
    const n = new Notifier();
    const full = n.subscribe(["queue:local", "pilot:1"]);
    const withRoom = n.subscribe(["queue:local", "pilot:2"]);
    full.hear("queue:local", false);
    // One wake-up of the queue: the subscription that does not hear it neither wakes nor uses it up.
    n.notify("queue:local", 1);
    expect([await full.wait(0), await withRoom.wait(0)]).toEqual([false, true]);
    n.notify("pilot:1");
    expect(await full.wait(0)).toBe(true);
    full.hear("queue:local", true);
    n.notify("queue:local", 1);
    expect(await full.wait(0)).toBe(true);
    full.close();
    withRoom.close();
  });

  it("wakes every subscriber by default", async () => {
    const n = new Notifier();
    const a = n.subscribe(["t"]);
    const b = n.subscribe(["t"]);
    n.notify("t");
    expect([await a.wait(0), await b.wait(0)]).toEqual([true, true]);
  });

  it("wakes only one of two subscribers with count 1", async () => {
    const n = new Notifier();
    const a = n.subscribe(["queue:local"]);
    const b = n.subscribe(["queue:local"]);
    const waits = [a.wait(50), b.wait(50)];
    n.notify("queue:local", 1);
    const woken = await Promise.all(waits);
    expect(woken.filter(Boolean)).toHaveLength(1);
    expect(woken).toEqual([true, false]);
    a.close();
    b.close();
  });

  it("counts a subscriber already woken and not yet waiting again as no wake-up: the next one gets it", async () => {
    const n = new Notifier();
    // a was just woken through its own topic (jobs handed to it) and is looking at the state again; b is
    // between subscribing and waiting. One new job: b must hear of it, a looks anyway.
    const a = n.subscribe(["queue:local", "pilot:1"]);
    const b = n.subscribe(["queue:local", "pilot:2"]);
    const waiting = a.wait(10_000);
    n.notify("pilot:1");
    expect(await waiting).toBe(true);
    n.notify("queue:local", 1);
    expect(await b.wait(0)).toBe(true);
    expect(await a.wait(0)).toBe(true);
    a.close();
    b.close();
  });

  it("resolves false when the time runs out", async () => {
    const n = new Notifier();
    const sub = n.subscribe(["t"]);
    const started = Date.now();
    expect(await sub.wait(20)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    sub.close();
  });

  it("resolves false when aborted, at once if already aborted", async () => {
    const n = new Notifier();
    const sub = n.subscribe(["t"]);
    const controller = new AbortController();
    const waiting = sub.wait(10_000, controller.signal);
    controller.abort();
    expect(await waiting).toBe(false);
    expect(await sub.wait(10_000, controller.signal)).toBe(false);
    // A later notification still reaches the subscription.
    n.notify("t");
    expect(await sub.wait(0)).toBe(true);
    sub.close();
  });

  it("stops notifying a closed subscription", async () => {
    const n = new Notifier();
    const closed = n.subscribe(["t"]);
    const open = n.subscribe(["t"]);
    closed.close();
    // With the closed one gone, the single wake-up goes to the open subscriber.
    n.notify("t", 1);
    expect(await closed.wait(0)).toBe(false);
    expect(await open.wait(0)).toBe(true);
    open.close();
  });

  it("ends every wait at once when stopped, and later waits return immediately", async () => {
    const n = new Notifier();
    const sub = n.subscribe(["t"]);
    const started = Date.now();
    const pending = sub.wait(10_000);
    n.stop();
    expect(await pending).toBe(false);
    expect(await n.subscribe(["u"]).wait(10_000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

