// In-process wake-ups for long-polls: a pilot waiting for jobs of a queue, a driver waiting for results of a
// task. Topics are plain strings ("queue:local", "task:12", "pilot:3").

export interface Subscription {
  /** Resolves true when one of the topics fired since subscribing, false when the time ran out or aborted. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  close(): void;
}

export class Notifier {
  private readonly listeners = new Map<string, Set<() => void>>();

  notify(topic: string): void {
    const set = this.listeners.get(topic);
    if (set) for (const fire of [...set]) fire();
  }

  /** Subscribe before reading state, then wait: a notification in between is not missed. */
  subscribe(topics: readonly string[]): Subscription {
    let fired = false;
    let wake: (() => void) | undefined;
    const fire = () => {
      fired = true;
      wake?.();
    };
    for (const t of topics) {
      let set = this.listeners.get(t);
      if (!set) this.listeners.set(t, (set = new Set()));
      set.add(fire);
    }
    const close = () => {
      for (const t of topics) {
        const set = this.listeners.get(t);
        if (!set) continue;
        set.delete(fire);
        if (set.size === 0) this.listeners.delete(t);
      }
    };
    return {
      close,
      wait: (timeoutMs, signal) => {
        if (fired) {
          fired = false;
          return Promise.resolve(true);
        }
        if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve(false);
        return new Promise<boolean>((resolve) => {
          const done = (value: boolean) => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            wake = undefined;
            fired = false;
            resolve(value);
          };
          const onAbort = () => done(false);
          const timer = setTimeout(() => done(false), timeoutMs);
          wake = () => done(true);
          signal?.addEventListener("abort", onAbort, { once: true });
        });
      },
    };
  }
}
