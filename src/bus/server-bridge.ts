import type { IMessage } from "@stomp/stompjs";
import type { Logger } from "pino";
import { errorMessage } from "../core/errors.js";
import type { AttemptUpdate, JobOutcome } from "../core/dispatch-records.js";
import { describeBroker, type BrokerConfig } from "./broker-config.js";
import {
  HEADER,
  reportMessageSchema,
  reportsQueue,
  resultsHeaders,
  resultsTopic,
  verify,
  type ServerResults,
  unpackReport,
} from "./messages.js";
import { seal } from "./sealed.js";
import { StompLink } from "./stomp-link.js";

/** What the bridge needs from the server. */
export interface BridgeHost {
  /** The channel and result key of a task, or undefined for an unknown task. */
  taskChannel(taskId: number): Promise<{ channel: string; key: string; workflowId: number } | undefined>;
  /** The key a pilot signs its reports with, or undefined for an unknown pilot (or one registered without a key). */
  pilotKey(pilotId: number): Promise<string | undefined>;
  /** Records a pilot's attempt reports about one task that came through the broker. */
  applyReports(pilotId: number, taskId: number, updates: AttemptUpdate[]): Promise<void>;
  /** Counts a message of the reports queue dropped unread, and why. */
  dropped(reason: "oversized" | "malformed" | "forged"): void;
  /** The largest report message parsed, in characters: the REST report's body limit (a larger one is dropped unread). */
  maxMessageChars: number;
}

const PREFETCH = 1000;
const RELAY_RECEIPT_MS = 5000;

/**
 * The server's side of the broker: consumes the pilots' attempt reports from the reports queue (so the
 * server's copy is complete even for results published while it was down), and relays to each task's
 * topic the final states drivers cannot have had from pilots (REST reports, failures, lost pilots, kills).
 * The broker is an untrusted transport: a report counts only when signed with its pilot's own key, and then
 * only for the attempts of its task that pilot holds (checked where it is recorded); the results relayed are
 * sealed with their task's key.
 */
export class ServerBridge {
  readonly link: StompLink;
  private pending: Array<{ message: IMessage; pilot: number; task: number; updates: AttemptUpdate[] }> = [];
  private flushing = false;

  constructor(
    readonly config: BrokerConfig,
    private readonly host: BridgeHost,
    private readonly log: Logger,
  ) {
    this.link = new StompLink(config, { name: "server", reconnectDelayMs: 2000 });
    this.link.onState((s) => {
      if (s.connected) this.log.info({ broker: describeBroker(config) }, "connected to the broker");
      else this.log.warn({ broker: describeBroker(config), reason: s.error }, "broker unavailable; results use the REST path");
    });
  }

  get connected(): boolean {
    return this.link.connected;
  }

  /** Starts connecting; resolves once connected or when the first attempt failed (the link keeps retrying). */
  async start(waitMs: number): Promise<void> {
    this.link.start();
    void this.link.subscribe(reportsQueue(this.config.prefix), this.consumerHeaders(), (m) => this.receive(m));
    await this.link.waitConnected(waitMs);
  }

  private consumerHeaders(): Record<string, string> {
    return { ack: "client-individual", "activemq.prefetchSize": String(PREFETCH), "prefetch-count": String(PREFETCH) };
  }

  private receive(message: IMessage): void {
    let parsed;
    try {
      if (message.body.length <= this.host.maxMessageChars) parsed = reportMessageSchema.safeParse(JSON.parse(message.body));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      this.host.dropped(message.body.length > this.host.maxMessageChars ? "oversized" : "malformed");
      this.log.warn({ destination: message.headers.destination, size: message.body.length }, "dropped a malformed message from the reports queue");
      message.ack();
      return;
    }
    const data = parsed.data;
    void this.host.pilotKey(data.pilot).then(
      (key) => {
        if (key === undefined || !verify(key, message.body, message.headers[HEADER.sig])) {
          this.host.dropped("forged");
          this.log.warn({ taskId: data.task, pilotId: data.pilot }, "dropped a report not signed with the report key of the pilot it names");
          message.ack();
          return;
        }
        this.pending.push({ message, pilot: data.pilot, task: data.task, updates: unpackReport(data) });
        if (!this.flushing) setImmediate(() => void this.flush());
      },
      (err: unknown) => {
        this.log.error({ err }, "could not look up the pilot of a report; it will be redelivered");
        message.nack();
      },
    );
  }

  /** Applies everything that arrived together in one go per pilot and task, then acknowledges it. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        const bySender = new Map<string, typeof batch>();
        for (const item of batch) {
          const list = bySender.get(`${item.pilot}:${item.task}`);
          if (list) list.push(item);
          else bySender.set(`${item.pilot}:${item.task}`, [item]);
        }
        for (const items of bySender.values()) {
          const { pilot, task } = items[0]!;
          try {
            await this.host.applyReports(pilot, task, items.flatMap((i) => i.updates));
            for (const i of items) i.message.ack();
          } catch (err) {
            this.log.error({ err, pilotId: pilot }, "could not record reports from the broker; they will be redelivered");
            for (const i of items) i.message.nack();
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Publishes final outcomes to their task's topic; false when the broker is not there (drivers then read REST). */
  async relay(taskId: number, outcomes: JobOutcome[]): Promise<boolean> {
    if (outcomes.length === 0 || !this.link.connected) return false;
    const task = await this.host.taskChannel(taskId);
    if (!task) return false;
    const message: ServerResults = { v: 1, kind: "results", task: taskId, outcomes };
    try {
      const body = seal(task.key, { taskId, channel: task.channel }, JSON.stringify(message));
      await this.link.publish(
        resultsTopic(this.config.prefix, task.channel),
        body,
        resultsHeaders({ channel: task.channel, taskId, workflowId: task.workflowId }),
        RELAY_RECEIPT_MS,
      );
      return true;
    } catch (err) {
      this.log.warn({ taskId, err: errorMessage(err) }, "could not relay results to the broker");
      return false;
    }
  }

  async stop(): Promise<void> {
    await this.link.stop();
  }
}
