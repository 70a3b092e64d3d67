import { describe, expect, it } from "vitest";
import type { TaskChange } from "../store/task-store.js";
import { EventHub, Topics, type Topic } from "./events.js";
import { Notifier } from "./notifier.js";

const change = (taskId: number, workflowId: number, ended: boolean): TaskChange => ({
  taskId,
  workflowId,
  status: ended ? "done" : "running",
  ended,
  seqFrom: 0,
  seqTo: 1,
});

/** Every topic a notifier was told of, in order, with its count. */
function recorded(): { notifier: Notifier; told: Array<[string, number]> } {
  const notifier = new Notifier();
  const told: Array<[string, number]> = [];
  notifier.relayTo((topic, count) => told.push([topic, count]));
  return { notifier, told };
}

describe("EventHub", () => {
  it("spells every topic as the notifier and the replica bus carry it", () => {
    const topics: Topic[] = [
      Topics.workflows,
      Topics.progress,
      Topics.tokens,
      Topics.workflow(3),
      Topics.workflowStatus(3),
      Topics.task(12),
      Topics.queue("local"),
      Topics.pilot(7),
    ];
    expect(topics).toEqual(["workflows", "progress", "tokens", "workflow:3", "workflow-status:3", "task:12", "queue:local", "pilot:7"]);
  });

  it("wakes a workflow's driver heartbeat on a change of its status only, not on its tasks' ends", () => {
    const { notifier, told } = recorded();
    const hub = new EventHub(notifier);
    hub.tasksChanged([change(1, 20, true)]);
    hub.workflowChanged(20);
    expect(told.map(([topic]) => topic)).not.toContain("workflow-status:20");
    told.length = 0;
    hub.workflowStatusChanged(20);
    expect(told).toEqual([
      ["workflow-status:20", Infinity],
      ["workflow:20", Infinity],
      ["workflows", Infinity],
    ]);
  });

  it("wakes a changed task's waiters, the workflow of an ended one, the listings, queues and pilots, in that order", () => {
    const { notifier, told } = recorded();
    new EventHub(notifier).tasksChanged([change(1, 10, false), change(2, 20, true)], { queues: ["local"], pilots: [5] });
    expect(told).toEqual([
      ["task:1", Infinity],
      ["task:2", Infinity],
      ["workflow:20", Infinity],
      ["workflows", Infinity],
      ["progress", Infinity],
      ["queue:local", Infinity],
      ["pilot:5", Infinity],
    ]);
  });

  it("tells the result listeners of task changes after the waiters were woken, and stops when they unsubscribe", () => {
    const { notifier, told } = recorded();
    const hub = new EventHub(notifier);
    const heard: Array<{ changes: number; toldBefore: number }> = [];
    const unsubscribe = hub.onResults((changes) => heard.push({ changes: changes.length, toldBefore: told.length }));
    hub.tasksChanged([change(1, 10, false)]);
    unsubscribe();
    hub.tasksChanged([change(2, 10, false)]);
    expect(heard).toEqual([{ changes: 1, toldBefore: 2 }]);
  });

  it("announces no progress when no task changed", () => {
    const { notifier, told } = recorded();
    new EventHub(notifier).tasksChanged([], { pilots: [4] });
    expect(told).toEqual([["pilot:4", Infinity]]);
  });

  it("wakes only as many waiters of a queue as it has new jobs", async () => {
    const hub = new EventHub(new Notifier());
    const subs = [0, 1, 2].map(() => hub.subscribe([Topics.queue("local")]));
    hub.queueHasWork("local", 2);
    expect(await Promise.all(subs.map((s) => s.wait(0)))).toEqual([true, true, false]);
    for (const s of subs) s.close();
  });

  it("ends every wait when stopped", async () => {
    const hub = new EventHub(new Notifier());
    const sub = hub.subscribe([Topics.workflow(1)]);
    const waiting = sub.wait(60_000);
    hub.stop();
    expect(await waiting).toBe(false);
    expect(hub.stopped).toBe(true);
    sub.close();
  });
});
