import type { Store } from "../store/store.js";

/** The areas of the store whose operations are timed: every one the services call. */
const AREAS = ["auth", "bundles", "workflows", "tasks", "taskReads", "placement", "dispatch", "held", "pilots", "queues", "workers", "sites", "monitor", "jobValues", "archive"] as const satisfies ReadonlyArray<keyof Store>;

type Observe = (operation: string) => { observe(seconds: number): void };

/**
 * The store as the services see it, each asynchronous operation timed under its name (`dispatch.claim`):
 * the round trip of its transaction or query to the database. Calls inside the store (one area using
 * another) are not timed again, so an operation counts once.
 */
export function timedStore(store: Store, observe: Observe): Store {
  const areas = new Map<string | symbol, object>(AREAS.map((name) => [name, timedArea(name, store[name], observe)]));
  return new Proxy(store, { get: (target, prop) => areas.get(prop) ?? Reflect.get(target, prop, target) });
}

function timedArea<A extends object>(area: string, target: A, observe: Observe): A {
  const wrappers = new Map<string | symbol, unknown>();
  return new Proxy(target, {
    get(t, prop) {
      const known = wrappers.get(prop);
      if (known !== undefined) return known;
      const value: unknown = Reflect.get(t, prop, t);
      if (typeof value !== "function") return value;
      const operation = `${area}.${String(prop)}`;
      let observer: { observe(seconds: number): void } | undefined;
      const fn = value as (...args: unknown[]) => unknown;
      const wrapper = (...args: unknown[]) => {
        const started = performance.now();
        const answer = fn.apply(t, args);
        if (!(answer instanceof Promise)) return answer;
        const done = () => (observer ??= observe(operation)).observe((performance.now() - started) / 1000);
        answer.then(done, done);
        return answer;
      };
      wrappers.set(prop, wrapper);
      return wrapper;
    },
  });
}
