import type { PilotCommand } from "../core/dispatch-records.js";

export type WarmCommand = Extract<PilotCommand, { kind: "warm" }>;

export interface WarmthLimits {
  /** How long a context stays worth warming after its workflow or last task started. */
  keepMs: number;
  /** Contexts remembered per queue; the least recently started are forgotten first. */
  perQueue: number;
}

const keyOf = (c: WarmCommand) => JSON.stringify([c.owner, c.bundleHash, c.projectHash ?? "", c.initEnv ?? "", c.container ?? ""]);

/**
 * The execution contexts (user, bundle, initEnv, container) whose workflows and tasks started lately on each
 * queue, and what each pilot was told last: a pilot of the queue is told about the most recently started
 * context when it next asks for jobs (once, until another context has started since), so that its
 * executors start before the jobs come. Only the most recent: a pilot that warmed every context in turn
 * would have started executors in the same slots over and over.
 */
export class Warmth {
  private readonly byQueue = new Map<string, Map<string, { command: WarmCommand; at: number }>>();
  /** The context each pilot was told to warm last. */
  private readonly told = new Map<number, string>();
  /** The code of that context: its bundle, and its project archive if it ships one. */
  private readonly toldCode = new Map<number, string[]>();

  constructor(private readonly limits: WarmthLimits) {}

  /** A workflow or task of this context started on the queue; true if pilots have yet to hear of it. */
  started(queue: string, command: WarmCommand, now = Date.now()): boolean {
    let contexts = this.byQueue.get(queue);
    if (!contexts) this.byQueue.set(queue, (contexts = new Map()));
    const key = keyOf(command);
    const known = contexts.get(key);
    const fresh = !known || known.at + this.limits.keepMs <= now;
    contexts.delete(key);
    contexts.set(key, { command, at: now });
    if (contexts.size > this.limits.perQueue) contexts.delete(contexts.keys().next().value!);
    return fresh;
  }

  /** The warm command a pilot of the queue has not received yet, if any; it counts as received. */
  next(pilotId: number, queue: string, now = Date.now()): WarmCommand | undefined {
    const contexts = this.byQueue.get(queue);
    const newest = contexts && [...contexts.entries()].at(-1);
    if (!newest || newest[1].at + this.limits.keepMs <= now) return undefined;
    if (this.told.get(pilotId) === newest[0]) return undefined;
    this.told.set(pilotId, newest[0]);
    const { bundleHash, projectHash } = newest[1].command;
    this.toldCode.set(pilotId, projectHash === undefined ? [bundleHash] : [bundleHash, projectHash]);
    return newest[1].command;
  }

  /**
   * The code of the context a pilot was told to warm last, which it may fetch before it holds a job of it:
   * the bundle, and the project archive its executors run in.
   */
  codeToldTo(pilotId: number): readonly string[] {
    return this.toldCode.get(pilotId) ?? [];
  }

  forget(pilotId: number): void {
    this.told.delete(pilotId);
    this.toldCode.delete(pilotId);
  }
}
