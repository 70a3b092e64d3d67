// Waiting, the same in Node (pilots, drivers, the server) and in the browser (the monitor).

export interface SleepOptions {
  /** Ends the wait early: the promise then resolves at once (it never rejects). */
  signal?: AbortSignal;
  /** In Node, the timer does not keep the process alive. */
  unref?: boolean;
}

/** Resolves after `ms` milliseconds, or as soon as `signal` aborts. */
export function sleep(ms: number, options: SleepOptions = {}): Promise<void> {
  const { signal, unref = false } = options;
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer: ReturnType<typeof setTimeout> = setTimeout(done, ms);
    if (unref && typeof timer === "object" && timer !== null && "unref" in timer) timer.unref();
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Waits for `work` to settle, at most `ms` milliseconds; its outcome is not returned. The timer ends with the
 * wait, so none is left behind to keep a process alive (a pilot in the server's process).
 */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  const settled = new AbortController();
  await Promise.race([work.then(() => undefined, () => undefined), sleep(ms, { signal: settled.signal })]);
  settled.abort();
}
