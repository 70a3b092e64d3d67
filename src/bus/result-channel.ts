import { randomBytes } from "node:crypto";
import type { IMessage } from "@stomp/stompjs";
import type { ResultsQueryRequest, TaskResultsResponse } from "../api/results.js";
import type { BrokerSettings } from "../api/pilots.js";
import type { JobOutcome } from "../core/dispatch-records.js";
import { parseByteSize } from "../codec/limits.js";
import { errorMessage } from "../core/errors.js";
import { FINAL_TASK_STATUSES } from "../core/states.js";
import { fromSettings, type BrokerConfig } from "./broker-config.js";
import { driverTopic, HEADER, topicMessageSchema } from "./messages.js";
import { open } from "./sealed.js";
import type { StompLink } from "./stomp-link.js";

/** What result delivery needs from the server, as a driver's client reaches it (the SDK's PandoClient is one). */
export interface ResultSource {
  /** The broker the server's results travel through, or null when they go over REST only. */
  brokerSettings(): Promise<BrokerSettings | null>;
  taskResults(taskId: number, query: ResultsQueryRequest, signal?: AbortSignal): Promise<TaskResultsResponse>;
}

/** How a result reached the driver. */
export type ReceivedVia = "broker" | "rest";

const REST_WAIT_MS = 30_000;
const REST_BATCH = 10_000;
const FIRST_CONNECT_MS = 2000;
/**
 * Largest message on a task's channel a driver reads (characters), the server's default limit on a pilot's
 * report; PANDO_MAX_BROKER_MESSAGE changes it. The messages that arrive before the submission's answer are
 * kept up to the same total. What is over either is not read: the task's results then come from the server.
 */
export const DEFAULT_MAX_BROKER_MESSAGE_CHARS = 256 * 1024 * 1024;

/**
 * The driver's side of result delivery. With a broker, one subscription (a wildcard over this driver's task
 * channels, with a selector on ActiveMQ) takes the results of every task the driver submits; it is in place
 * before a task is submitted, so no result can be missed while the link is up. Without a broker, or while it
 * is down, results come from the server's long-poll (cursor-based). Both paths may deliver a job twice:
 * the caller keeps the first final state per job key.
 */
export class ResultChannel {
  readonly driver = randomBytes(8).toString("hex");
  private readonly config: BrokerConfig | undefined;
  private readonly tasks = new Map<string, TaskResults>();
  private link: StompLink | undefined;
  private subscribed: Promise<boolean> | undefined;
  private confirmed = false;
  private closed = false;
  private serial = 0;
  /** Messages on this driver's channels that did not open with their task's key, or were not of that task. */
  dropped = 0;

  constructor(
    readonly client: ResultSource,
    settings: BrokerSettings | null,
    /** Told about messages that were dropped as forged or misrouted. */
    private readonly warnUser: (message: string) => void = () => undefined,
    /** Messages longer than this are not read (DEFAULT_MAX_BROKER_MESSAGE_CHARS). */
    readonly maxMessageChars = DEFAULT_MAX_BROKER_MESSAGE_CHARS,
  ) {
    this.config = settings ? fromSettings(settings) : undefined;
  }

  /** Whether results come through the broker right now. */
  get brokerActive(): boolean {
    return this.confirmed && this.link?.connected === true;
  }

  /** Counts a dropped message and says why. */
  warn(message: string): void {
    this.dropped++;
    this.warnUser(message);
  }

  /** A fresh channel for a task about to be submitted; its results are collected from now on. */
  async openTask(): Promise<TaskResults> {
    if (this.config) await this.subscribe(this.config);
    const task = new TaskResults(this, `${this.driver}.${++this.serial}`);
    this.tasks.set(task.channel, task);
    return task;
  }

  forget(task: TaskResults): void {
    this.tasks.delete(task.channel);
  }

  private subscribe(config: BrokerConfig): Promise<boolean> {
    this.subscribed ??= (async () => {
      // The STOMP client loads with the first broker subscription: a program without a broker never needs it.
      const { StompLink } = await import("./stomp-link.js");
      // Closed while the client loaded: no connection may outlive the channel.
      if (this.closed) return false;
      const link = new StompLink(config, { name: `driver-${this.driver}` });
      this.link = link;
      link.onState((s) => {
        if (s.connected) return;
        this.confirmed = false;
        for (const t of this.tasks.values()) t.brokerLost();
      });
      link.start();
      await link.waitConnected(FIRST_CONNECT_MS);
      const sub = await link.subscribe(
        driverTopic(config.prefix, this.driver),
        // ActiveMQ: deliver on the sender's thread rather than hand over to another (lower latency).
        { selector: `${HEADER.driver} = '${this.driver}'`, "activemq.dispatchAsync": "false" },
        (m) => this.receive(m),
      );
      link.onState((s) => {
        // After a reconnection the link renews the subscription by itself.
        if (s.connected) this.confirmed = true;
      });
      this.confirmed = sub.confirmed;
      return sub.confirmed;
    })();
    return this.subscribed;
  }

  private receive(message: IMessage): void {
    const task = this.tasks.get(message.headers[HEADER.channel] ?? "");
    task?.receive(message.body);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.tasks.clear();
    await this.link?.stop();
  }
}

/** The results of one task, from the broker and, when needed, from the server's long-poll. */
export class TaskResults {
  private taskId: number | undefined;
  /** The key the server made for the task (known once it answered the submission). */
  private key = "";
  private early: string[] = [];
  private earlyChars = 0;
  /**
   * A message of this task could not be read (too large, not sealed with its key, not a result of it): one
   * that was genuine would be missing, so the task's results are read from the server too.
   */
  private unread = false;
  private deliver: ((outcomes: JobOutcome[], via: ReceivedVia) => void) | undefined;
  private restLoop: Promise<void> | undefined;
  private finish: (() => void) | undefined;
  private fail: ((err: unknown) => void) | undefined;
  private signal: AbortSignal | undefined;
  private complete = false;
  /** Job keys by index: pilots' compact messages name jobs by index. */
  private keys: readonly string[] | undefined;

  constructor(
    private readonly owner: ResultChannel,
    readonly channel: string,
  ) {}

  receive(body: string): void {
    const max = this.owner.maxMessageChars;
    if (body.length > max) {
      this.notRead(`it is ${body.length} characters long, over the ${max} a driver reads (PANDO_MAX_BROKER_MESSAGE)`);
      return;
    }
    if (this.taskId === undefined) {
      if (this.earlyChars + body.length > max) {
        this.notRead(`the messages that came before the task's submission was answered are over ${max} characters in all`);
        return;
      }
      this.earlyChars += body.length;
      this.early.push(body);
      return;
    }
    const plain = open(this.key, { taskId: this.taskId, channel: this.channel }, body);
    if (plain === undefined) {
      this.notRead("it is not sealed with the task's key");
      return;
    }
    let parsed;
    try {
      parsed = topicMessageSchema.safeParse(JSON.parse(plain));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success || parsed.data.task !== this.taskId) {
      this.notRead("it is not a result of this task");
      return;
    }
    const data = parsed.data;
    // Pilots publish successes only: a pilot's failure may still be retried, only the server's word makes it final.
    const outcomes: JobOutcome[] =
      data.kind === "results"
        ? data.outcomes
        : data.jobs.flatMap(([jobId, index, attempts, startedAt, endedAt, result]) => {
            const key = this.keys?.[index];
            if (key === undefined) return [];
            return [
              { jobId, index, key, state: "finished", result, attempts, startedAt, endedAt, pilot: data.pilot, queue: data.queue, via: "broker", seq: 0 },
            ];
          });
    if (outcomes.length > 0) this.deliver?.(outcomes, "broker");
  }

  /** Drops a message it cannot read, says why, and reads the task's results from the server as well. */
  private notRead(why: string): void {
    this.owner.warn(`ignored a message on the result channel of ${this.taskId === undefined ? "a task being submitted" : `task ${this.taskId}`}: ${why}; its results are read from the server`);
    this.unread = true;
    this.brokerLost();
  }

  /**
   * Delivers the task's outcomes until `done()` says every job has a final state; broker messages open with
   * `resultKey`, the key the server made for the task. Uses the broker when it
   * is active; when it is not, or goes away, or with `restOnly`, the server's long-poll too (until the end).
   */
  collect(
    taskId: number,
    resultKey: string,
    keys: readonly string[],
    deliver: (outcomes: JobOutcome[], via: ReceivedVia) => void,
    done: () => boolean,
    signal: AbortSignal,
    restOnly = false,
  ): Promise<void> {
    this.keys = keys;
    this.key = resultKey;
    this.taskId = taskId;
    this.signal = signal;
    const finished = new Promise<void>((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
    });
    this.deliver = (outcomes, via) => {
      if (this.complete) return;
      deliver(outcomes, via);
      if (done()) {
        this.complete = true;
        this.finish?.();
      }
    };
    const onAbort = () => this.fail?.(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    for (const body of this.early.splice(0)) this.receive(body);
    this.earlyChars = 0;
    if (done()) {
      this.complete = true;
      this.finish?.();
    } else if (restOnly || this.unread || !this.owner.brokerActive) {
      this.brokerLost();
    }
    return finished.finally(() => {
      signal.removeEventListener("abort", onAbort);
      this.owner.forget(this);
      this.deliver = undefined;
    });
  }

  /** The broker is not (or no longer) there, or lost a message: read the server's long-poll until the task has ended. */
  brokerLost(): void {
    if (this.taskId === undefined || this.deliver === undefined || this.restLoop) return;
    this.restLoop = this.poll(this.taskId).catch((err: unknown) => this.fail?.(err));
  }

  private async poll(taskId: number): Promise<void> {
    let cursor = 0;
    while (!this.complete) {
      const page = await this.owner.client.taskResults(
        taskId,
        { after: cursor, waitMs: REST_WAIT_MS, limit: REST_BATCH },
        this.signal,
      );
      cursor = page.cursor;
      if (page.results.length > 0) this.deliver?.(page.results, "rest");
      if (!this.complete && page.results.length === 0 && FINAL_TASK_STATUSES.has(page.task.status)) {
        throw new Error(`task ${taskId} ended ${page.task.status} but some job outcomes never arrived`);
      }
    }
  }
}

const shared = new WeakMap<ResultSource, { channel: Promise<ResultChannel>; users: number }>();

/** The result channel of a client, shared by the workflows that run on it at the same time. */
export function acquireResultChannel(client: ResultSource, warn?: (message: string) => void): Promise<ResultChannel> {
  let entry = shared.get(client);
  if (!entry) {
    entry = { channel: client.brokerSettings().then((settings) => new ResultChannel(client, settings, warn, maxBrokerMessageChars())), users: 0 };
    shared.set(client, entry);
  }
  entry.users++;
  return entry.channel;
}

/** Gives a channel back; the last user closes its broker connection, so a finished program can exit. */
export async function releaseResultChannel(client: ResultSource): Promise<void> {
  const entry = shared.get(client);
  if (!entry || --entry.users > 0) return;
  shared.delete(client);
  await (await entry.channel).close();
}

/** PANDO_MAX_BROKER_MESSAGE (a size: `64MiB`, or characters), else DEFAULT_MAX_BROKER_MESSAGE_CHARS. */
function maxBrokerMessageChars(): number {
  const raw = process.env.PANDO_MAX_BROKER_MESSAGE;
  if (!raw) return DEFAULT_MAX_BROKER_MESSAGE_CHARS;
  try {
    return parseByteSize(raw);
  } catch (err) {
    throw new Error(`PANDO_MAX_BROKER_MESSAGE: ${errorMessage(err)}`, { cause: err });
  }
}
