// The colour a status is shown in. The same word means different things by entity: a task that "finished"
// has some failed jobs (all succeeded is "done"), while a workflow or job that "finished" fully succeeded.

export type Tone = "ok" | "partial" | "bad" | "active" | "waiting" | "stopped";
export type Entity = "workflow" | "task" | "job" | "pilot" | "worker" | "queue";

const TONES: Record<Entity, Record<string, Tone>> = {
  // Suspended: its driver stopped and the workflow waits for `pando run --resume`.
  workflow: { new: "waiting", running: "active", suspended: "waiting", finished: "ok", subfinished: "partial", failed: "bad", cancelled: "stopped" },
  task: { new: "waiting", pending: "waiting", running: "active", done: "ok", finished: "partial", failed: "bad", cancelled: "stopped" },
  job: {
    defined: "waiting",
    activated: "waiting",
    sent: "active",
    starting: "active",
    running: "active",
    finished: "ok",
    failed: "bad",
    cancelled: "stopped",
    closed: "stopped",
  },
  pilot: { running: "active", lost: "bad", finished: "stopped" },
  worker: { submitted: "waiting", running: "active", ended: "stopped" },
  queue: { online: "ok", brokeroff: "partial", test: "waiting", offline: "stopped" },
};

export function statusTone(entity: Entity, status: string): Tone {
  return TONES[entity][status] ?? "waiting";
}

/** Whether a workflow or task status is final: nothing runs any more, and a workflow's never changes again. */
export function hasEnded(status: string): boolean {
  return ["finished", "subfinished", "done", "failed", "cancelled"].includes(status);
}
