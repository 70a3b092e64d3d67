// In-process wake-ups for long-polls: a pilot waiting for jobs of a queue, a driver waiting for results of a
// task. Topics are plain strings ("queue:local", "task:12", "pilot:3").

export interface Subscription {
  /** Resolves true when one of the topics fired since subscribing, false when the time ran out or aborted. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Stops hearing one of its topics (false), or hears it again (true): a wake-up of it meanwhile is missed. */
  hear(topic: string, on: boolean): void;
  close(): void;
}

export class Notifier {
  /** Each subscriber's wake function: true if this counts as a wake-up (see wakeLocal). */
  private readonly listeners = new Map<string, Set<() => boolean>>();
  /** Waits in progress, ended all at once by stop(). */
  private readonly waiting = new Set<(woken: boolean) => void>();
  private isStopped = false;
  private relay: ((topic: string, count: number) => void) | undefined;

  get stopped(): boolean {
    return this.isStopped;
  }

  /** Ends every wait (as timed out) and makes later waits return at once: the server is closing. */
  stop(): void {
    this.isStopped = true;
    for (const end of [...this.waiting]) end(false);
  }

  /**
   * Wakes the subscribers of a topic, or only the first `count` of them (one new job needs one pilot, not
   * all of them racing for it). A woken subscriber that is busy sees the wake-up on its next wait.
   */
  notify(topic: string, count = Infinity): void {
    this.wakeLocal(topic, count);
    this.relay?.(topic, count);
  }

  /** Also tells the server's other replicas of every notification made here (see ReplicaBus). */
  relayTo(send: ((topic: string, count: number) => void) | undefined): void {
    this.relay = send;
  }

  /**
   * Wakes this process's subscribers only: a notification that came from another replica. A subscriber that
   * was woken already and has not waited again since (it is looking at the state anyway) is told too, but
   * does not count against `count`: a pilot just handed jobs must not take the wake-up meant for one that is
   * about to wait with nothing.
   */
  wakeLocal(topic: string, count = Infinity): void {
    const set = this.listeners.get(topic);
    if (!set) return;
    let left = count;
    // The set itself, not a copy: a wake-up for one of ten thousand waiting pilots costs one call, not a copy
    // of them all. A listener only resolves a promise when fired, so none subscribes or leaves meanwhile.
    for (const fire of set) {
      if (left <= 0) break;
      if (fire()) left--;
    }
  }

  /** Subscribe before reading state, then wait: a notification in between is not missed. */
  subscribe(topics: readonly string[]): Subscription {
    let fired = false;
    // Woken and not waiting again yet: it looks at the state before it waits again.
    let looking = false;
    let wake: (() => void) | undefined;
    const fire = () => {
      const counts = !fired && !looking;
      fired = true;
      wake?.();
      return counts;
    };
    for (const t of topics) {
      let set = this.listeners.get(t);
      if (!set) this.listeners.set(t, (set = new Set()));
      set.add(fire);
    }
    const leave = (t: string) => {
      const set = this.listeners.get(t);
      if (!set) return;
      set.delete(fire);
      if (set.size === 0) this.listeners.delete(t);
    };
    const close = () => {
      for (const t of topics) leave(t);
    };
    return {
      close,
      hear: (topic, on) => {
        if (!topics.includes(topic)) return;
        if (!on) return leave(topic);
        let set = this.listeners.get(topic);
        if (!set) this.listeners.set(topic, (set = new Set()));
        set.add(fire);
      },
      wait: (timeoutMs, signal) => {
        looking = fired;
        if (fired) {
          fired = false;
          return Promise.resolve(true);
        }
        if (timeoutMs <= 0 || signal?.aborted || this.isStopped) return Promise.resolve(false);
        return new Promise<boolean>((resolve) => {
          const done = (value: boolean) => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            this.waiting.delete(done);
            wake = undefined;
            fired = false;
            looking = value;
            resolve(value);
          };
          this.waiting.add(done);
          const onAbort = () => done(false);
          const timer = setTimeout(() => done(false), timeoutMs);
          wake = () => done(true);
          signal?.addEventListener("abort", onAbort, { once: true });
        });
      },
    };
  }
}
