import { mayTake } from "../core/brokerage.js";
import type { ServerContext } from "./context.js";
import type { PilotHandoff } from "./pilot-handoff.js";
import type { QueueService } from "./queue-service.js";

/**
 * Jobs waiting on one queue while pilots of another queue their task may also run on wait idle: brokerage
 * places a task on one queue, and a task that may run on several (two sites) would otherwise leave the
 * other's free slots unused until its own queue's pilots get through it. Each round moves as many of its
 * waiting jobs as the idle pilots have room for to their queue (PanDA's rebrokerage of waiting jobs, done as
 * soon as a queue idles rather than after hours). Only the pilots long-polling this server replica count.
 */
export class JobSharing {
  constructor(
    private readonly ctx: Pick<ServerContext, "store" | "events" | "log">,
    private readonly deps: { queues: QueueService; handoff: PilotHandoff },
  ) {}

  /** One round; returns how many jobs moved. */
  async shareWithIdleQueues(): Promise<number> {
    const idle = this.deps.handoff.idleRoom();
    if (idle.size === 0) return 0;
    const { store, events, log } = this.ctx;
    const views = await this.deps.queues.brokerViews(undefined);
    // Jobs on a queue that cannot run them (offline, a silent site's) are moveOffUnavailableQueues' to move, with their task.
    const busy = views.filter((q) => !idle.has(q.name) && !q.silentSite && q.status !== "offline").map((q) => q.name);
    const waiting = await store.placement.queuedOn(busy);
    if (waiting.length === 0) return 0;
    let moved = 0;
    for (const [queue, room] of idle) {
      const view = views.find((q) => q.name === queue);
      let left = room;
      for (const t of waiting) {
        if (left <= 0 || !view) break;
        if (!mayTake(view, { queues: t.queues, cores: t.cores, memoryMb: t.memoryMb, walltimeS: t.walltimeS })) continue;
        const n = await store.placement.shareWaiting(t.id, t.queue, queue, left);
        if (n === 0) continue;
        left -= n;
        moved += n;
        events.taskChanged(t.id);
        log.info({ taskId: t.id, from: t.queue, to: queue, jobs: n }, "waiting jobs moved to a queue whose pilots idle");
      }
      if (left < room) events.queueHasWork(queue);
    }
    return moved;
  }
}
