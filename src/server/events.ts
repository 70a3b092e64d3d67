import type { TaskChange } from "../store/task-store.js";
import type { Notifier, Subscription } from "./notifier.js";

/**
 * Every topic long-polls and streams wait on, defined here only. The notifier and the replica bus carry them
 * as plain text ("queue:local", "task:12").
 */
export const Topics = {
  /** Any workflow was created, changed status or got a task: the monitor's workflow listing. */
  workflows: "workflows",
  /** Jobs of any task changed: the monitor's live listings, throttled on their side. */
  progress: "progress",
  /** Tokens were revoked: every replica drops its cached tokens. */
  tokens: "tokens",
  /** A workflow's status or task list changed. */
  workflow: (id: number) => `workflow:${id}` as const,
  /**
   * A workflow was closed, killed, suspended or resumed, or its status re-derived after a close: its local
   * driver's heartbeat, which a new task or a task's end must not wake into a read (an open workflow's status
   * changes only so).
   */
  workflowStatus: (id: number) => `workflow-status:${id}` as const,
  /** A task got results, ended, or reads differently (why its jobs wait). */
  task: (id: number) => `task:${id}` as const,
  /** A queue has new jobs for its pilots. */
  queue: (name: string) => `queue:${name}` as const,
  /** A pilot has jobs handed to it, commands, or room after a report. */
  pilot: (id: number) => `pilot:${id}` as const,
} as const;

export type Topic =
  | typeof Topics.workflows
  | typeof Topics.progress
  | typeof Topics.tokens
  | ReturnType<typeof Topics.workflow | typeof Topics.workflowStatus | typeof Topics.task | typeof Topics.queue | typeof Topics.pilot>;

/** Told of every batch of task changes after its waiters were woken: the broker relay. */
export type ResultsListener = (changes: readonly TaskChange[]) => void;

/** Told of one task's changes that carry their results (TaskChange.results): a driver's results long-poll. */
export type TaskResultsListener = (change: TaskChange) => void;

/**
 * The server's wake-ups, in one place: what changed is announced here, and the waiters of each topic (on
 * this replica and, through the replica bus, on the others) look again. Listeners of recorded task changes
 * hear of them right after the waiters were woken.
 */
export class EventHub {
  private readonly resultListeners = new Set<ResultsListener>();
  private readonly taskResultListeners = new Map<number, Set<TaskResultsListener>>();

  constructor(private readonly notifier: Notifier) {}

  /** True once the server is closing: waits return at once. */
  get stopped(): boolean {
    return this.notifier.stopped;
  }

  /** Ends every wait: the server is closing. */
  stop(): void {
    this.notifier.stop();
  }

  /** Subscribe before reading state, then wait: a wake-up in between is not missed. */
  subscribe(topics: readonly Topic[]): Subscription {
    return this.notifier.subscribe(topics);
  }

  onResults(listener: ResultsListener): () => void {
    this.resultListeners.add(listener);
    return () => this.resultListeners.delete(listener);
  }

  /** Hears the changes of one task that carry their results, made on this replica, from now until called back. */
  onTaskResults(taskId: number, listener: TaskResultsListener): () => void {
    let set = this.taskResultListeners.get(taskId);
    if (!set) this.taskResultListeners.set(taskId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.taskResultListeners.delete(taskId);
    };
  }

  /**
   * Tasks changed (results, ends): their waiters, the workflows of those that ended, the monitor's listings,
   * the queues with requeued jobs and the pilots with new commands are woken; then the result listeners hear
   * of the changes. The listeners of a task hear of its changes with their results before its woken waiters
   * run (they run after this returns).
   */
  tasksChanged(changes: readonly TaskChange[], woken: { queues?: readonly string[]; pilots?: readonly number[] } = {}): void {
    for (const t of changes) {
      this.notifier.notify(Topics.task(t.taskId));
      if (t.results) for (const listener of this.taskResultListeners.get(t.taskId) ?? []) listener(t);
      if (t.ended) this.workflowChanged(t.workflowId);
    }
    if (changes.length > 0) this.progress();
    for (const q of woken.queues ?? []) this.queueHasWork(q);
    for (const p of woken.pilots ?? []) this.pilotWoken(p);
    for (const listener of this.resultListeners) listener(changes);
  }

  /** A task reads differently without new results (jobs run again, why it waits changed). */
  taskChanged(taskId: number): void {
    this.notifier.notify(Topics.task(taskId));
  }

  /** A workflow's status or task list changed: its waiters and the monitor's listings look again. */
  workflowChanged(workflowId: number): void {
    this.notifier.notify(Topics.workflow(workflowId));
    this.notifier.notify(Topics.workflows);
  }

  /** A workflow's status changed, or may have: its driver's heartbeat hears it, besides workflowChanged's waiters. */
  workflowStatusChanged(workflowId: number): void {
    this.notifier.notify(Topics.workflowStatus(workflowId));
    this.workflowChanged(workflowId);
  }

  /** The monitor's live listings look again. */
  progress(): void {
    this.notifier.notify(Topics.progress);
  }

  /** A queue has `count` new jobs: as many waiting pilots are woken (one job needs one pilot, not all). */
  queueHasWork(queue: string, count = Infinity): void {
    this.notifier.notify(Topics.queue(queue), count);
  }

  pilotWoken(pilotId: number): void {
    this.notifier.notify(Topics.pilot(pilotId));
  }

  tokensRevoked(): void {
    this.notifier.notify(Topics.tokens);
  }
}
