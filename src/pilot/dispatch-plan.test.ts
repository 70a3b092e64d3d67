import { describe, expect, it } from "vitest";
import { planDispatch, type PlanExecutor, type PlanJob } from "./dispatch-plan.js";

const jobs = (n: number, taskId = 1, key = "a"): PlanJob[] => Array.from({ length: n }, () => ({ key, taskId }));
const idle = (key = "a"): PlanExecutor => ({ key, ready: true, jobs: 0, tasks: [], leaving: 0 });
/** A ready executor with jobs of these tasks (the first running). */
const busy = (tasks: number[], key = "a", leaving = 0): PlanExecutor => ({
  key,
  ready: true,
  jobs: tasks.length,
  tasks: [...new Set(tasks)],
  leaving,
});
const starting = (key = "a"): PlanExecutor => ({ key, ready: false, jobs: 0, tasks: [], leaving: 0 });
/** Task 1 unknown (depth one), task 2 fast (depth 20). */
const depthOf = (taskId: number) => (taskId === 2 ? 20 : 1);

describe("planDispatch", () => {
  it("starts an executor for every job at once, up to the slots", () => {
    const plan = planDispatch({ slots: 10, waiting: jobs(20), executors: [], depthOf });
    expect(plan.start).toEqual(Array(10).fill("a"));
    expect(plan.assign.size).toBe(0);
  });

  it("gives idle executors one job each before any executor gets a second", () => {
    const plan = planDispatch({ slots: 3, waiting: jobs(6, 2), executors: [idle(), idle(), idle()], depthOf });
    expect([...plan.assign.values()].map((l) => l.length)).toEqual([2, 2, 2]);
    expect([...plan.assign.values()].map((l) => l[0])).toEqual([0, 1, 2]);
  });

  it("does not queue jobs of a task not seen yet behind a busy executor, even after fast tasks", () => {
    const executors = [busy([2]), idle(), busy([2])];
    const plan = planDispatch({ slots: 3, waiting: jobs(4, 1), executors, depthOf });
    expect(plan.assign).toEqual(new Map([[1, [0]]]));
    expect(plan.start).toEqual([]);
  });

  it("counts on starting executors instead of queueing behind busy ones", () => {
    const executors = [busy([2]), starting(), starting()];
    const plan = planDispatch({ slots: 4, waiting: jobs(3, 1), executors, depthOf });
    // Two jobs wait for the two starting executors, the third gets the free slot.
    expect(plan.start).toEqual(["a"]);
    expect(plan.assign.size).toBe(0);
  });

  it("queues fast jobs behind busy executors, least loaded first, once no slot is free", () => {
    const executors = [busy([2, 2, 2]), busy([2])];
    const plan = planDispatch({ slots: 2, waiting: jobs(3, 2), executors, depthOf });
    expect(plan.assign.get(1)).toEqual([0, 1]);
    expect(plan.assign.get(0)).toEqual([2]);
  });

  it("never queues a fast job behind a job of a slow task", () => {
    const plan = planDispatch({ slots: 1, waiting: jobs(2, 2), executors: [busy([1])], depthOf });
    expect(plan.assign.size).toBe(0);
  });

  it("stops idle executors of contexts nobody waits for to start ones for waiting jobs", () => {
    const executors = [idle("old"), busy([1], "b"), idle("old")];
    const plan = planDispatch({ slots: 3, waiting: jobs(3, 1, "a"), executors, depthOf });
    expect(plan.retire).toEqual([0, 2]);
    expect(plan.start).toEqual(["a", "a"]);
  });

  it("keeps idle executors whose context has jobs queued elsewhere, and gives them some of those jobs", () => {
    const executors = [busy([2, 2, 2, 2, 2]), idle()];
    const plan = planDispatch({ slots: 2, waiting: jobs(1, 1, "b"), executors, depthOf });
    expect(plan.retire).toEqual([]);
    expect(plan.takeBack).toEqual([{ executor: 0, count: 2 }]);
  });

  it("takes back one queued job per idle executor when each donor holds one", () => {
    const executors = [busy([2, 2]), busy([2, 2]), idle(), idle(), idle()];
    const plan = planDispatch({ slots: 5, waiting: [], executors, depthOf });
    expect(plan.takeBack.sort((x, y) => x.executor - y.executor)).toEqual([
      { executor: 0, count: 1 },
      { executor: 1, count: 1 },
    ]);
  });

  it("does not take back more while jobs are already on their way back", () => {
    const executors = [busy([2, 2, 2], "a", 1), idle()];
    const plan = planDispatch({ slots: 2, waiting: [], executors, depthOf });
    expect(plan.takeBack).toEqual([]);
  });

  it("leaves jobs waiting when every slot is busy with slow jobs", () => {
    const plan = planDispatch({ slots: 2, waiting: jobs(5, 1), executors: [busy([1]), busy([1])], depthOf });
    expect(plan).toEqual({ assign: new Map(), start: [], retire: [], takeBack: [] });
  });
});
