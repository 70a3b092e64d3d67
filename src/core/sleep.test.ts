import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { settledWithin, sleep } from "./sleep.js";

describe("sleep", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const settled = async (p: Promise<void>) => {
    let done = false;
    void p.then(() => (done = true));
    await Promise.resolve();
    await Promise.resolve();
    return done;
  };

  it("resolves once the time has passed, not before", async () => {
    const p = sleep(1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(p)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(p)).toBe(true);
  });

  it("resolves at once when its signal aborts, and stops its timer", async () => {
    const abort = new AbortController();
    const p = sleep(60_000, { signal: abort.signal });
    expect(vi.getTimerCount()).toBe(1);
    abort.abort();
    expect(await settled(p)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("resolves at once when its signal has already aborted", async () => {
    const p = sleep(60_000, { signal: AbortSignal.abort() });
    expect(await settled(p)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("leaves no listener on a signal that outlives many sleeps", async () => {
    const abort = new AbortController();
    const add = vi.spyOn(abort.signal, "addEventListener");
    const remove = vi.spyOn(abort.signal, "removeEventListener");
    for (let i = 0; i < 20; i++) {
      const p = sleep(10, { signal: abort.signal });
      await vi.advanceTimersByTimeAsync(10);
      await p;
    }
    expect(add).toHaveBeenCalledTimes(20);
    expect(remove).toHaveBeenCalledTimes(20);
  });

  it("can leave the process free to exit while it waits", () => {
    vi.useRealTimers();
    const unref = vi.spyOn(globalThis, "setTimeout");
    void sleep(5, { unref: true });
    const timer = unref.mock.results[0]!.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    void sleep(5);
    expect((unref.mock.results[1]!.value as NodeJS.Timeout).hasRef()).toBe(true);
    unref.mockRestore();
  });

  it("waits for work at most the time given, and leaves no timer once the work settled", async () => {
    let finish!: () => void;
    const quick = settledWithin(new Promise<void>((resolve) => (finish = resolve)), 60_000);
    finish();
    await quick;
    expect(vi.getTimerCount()).toBe(0);
    const slow = settledWithin(new Promise(() => undefined), 1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(slow)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(slow)).toBe(true);
    await settledWithin(Promise.reject(new Error("refused")), 60_000);
    expect(vi.getTimerCount()).toBe(0);
  });
});
