import { describe, expect, it } from "vitest";
import type { AccessGuard } from "./access-guard.js";
import type { ServerContext } from "./context.js";
import { EventHub } from "./events.js";
import { Notifier } from "./notifier.js";
import { WorkflowEnds } from "./workflow-ends.js";

/** WorkflowEnds over a store whose re-derivation of statuses ends only when `finish` is called. */
function ends() {
  const settling: Array<() => void> = [];
  const store = {
    workflows: {
      settleConcurrentCloses: () => new Promise<boolean>((resolve) => settling.push(() => resolve(true))),
    },
  };
  const errors: unknown[] = [];
  const log = { error: (fields: unknown) => errors.push(fields) };
  const ctx = { store, log, events: new EventHub(new Notifier()) } as unknown as ServerContext;
  return { ends: new WorkflowEnds(ctx, {} as AccessGuard), finish: () => settling.splice(0).forEach((f) => f()), settling, errors };
}

describe("WorkflowEnds", () => {
  it("drains what follows the tasks' ends before the store may close, however many came meanwhile", async () => {
    const e = ends();
    e.ends.settleConcurrentClose([1]);
    e.ends.afterClose(2, { tasks: [], pilots: [] });
    let drained = false;
    const draining = e.ends.drain().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(drained).toBe(false);
    expect(e.settling).toHaveLength(2);
    e.finish();
    await draining;
    expect(drained).toBe(true);
    expect(e.errors).toEqual([]);
  });

  it("drains at once when nothing is in flight", async () => {
    await expect(ends().ends.drain()).resolves.toBeUndefined();
  });

  it("keeps following work its own drain has not seen yet", async () => {
    const e = ends();
    e.ends.settleConcurrentClose([1]);
    let drained = false;
    const draining = e.ends.drain().then(() => (drained = true));
    e.ends.settleConcurrentClose([3]);
    e.settling.shift()!();
    await new Promise((r) => setTimeout(r, 10));
    expect(drained).toBe(false);
    e.finish();
    await draining;
    expect(drained).toBe(true);
  });
});
