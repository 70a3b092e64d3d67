import { describe, expect, it } from "vitest";
import { poolFrom } from "./pool-options.js";

describe("poolFrom", () => {
  it("takes each flag, else its variable, else leaves it to the pilot's default", () => {
    expect(poolFrom({}, {})).toEqual({ warmExecutors: undefined, executorIdleMs: undefined, cacheKeepMs: undefined });
    const env = { PANDO_WARM_EXECUTORS: "4", PANDO_EXECUTOR_IDLE: "2m", PANDO_CACHE_KEEP: "3d" };
    expect(poolFrom({}, env)).toEqual({ warmExecutors: 4, executorIdleMs: 120_000, cacheKeepMs: 3 * 24 * 3_600_000 });
    expect(poolFrom({ warmExecutors: 0, executorIdle: 0, cacheKeep: 0 }, env)).toEqual({ warmExecutors: 0, executorIdleMs: 0, cacheKeepMs: 0 });
  });

  it("says which variable holds a bad value", () => {
    expect(() => poolFrom({}, { PANDO_WARM_EXECUTORS: "many" })).toThrow("PANDO_WARM_EXECUTORS: 'many' is not a whole number of at least 0");
    expect(() => poolFrom({}, { PANDO_EXECUTOR_IDLE: "soon" })).toThrow("PANDO_EXECUTOR_IDLE: 'soon' is not a duration");
    expect(() => poolFrom({}, { PANDO_CACHE_KEEP: "a week" })).toThrow("PANDO_CACHE_KEEP: 'a week' is not a duration");
  });
});
