import type { Logger } from "pino";
import type { BrokerSettings } from "../api/pilots.js";
import type { AttemptUpdate } from "../core/dispatch-records.js";
import { errorMessage } from "../core/errors.js";
import { describeBroker, fromSettings, type BrokerConfig } from "./broker-config.js";
import { packReport, reportHeaders, reportsQueue, resultsHeaders, resultsTopic, sign, type PilotSuccesses } from "./messages.js";
import { seal } from "./sealed.js";
import { StompLink } from "./stomp-link.js";

/** What a pilot publishes for one task: its attempt reports, and the successes among them. */
export interface TaskReports {
  taskId: number;
  workflowId: number;
  channel: string;
  /** The task's result key: the successes go out sealed with it. */
  key: string;
  updates: AttemptUpdate[];
  successes: PilotSuccesses["jobs"];
}

const RECEIPT_MS = 5000;

/**
 * A pilot's side of the broker. Each batch of final states goes out twice, both confirmed by receipts:
 * the successes to the task's topic, where the driver takes them at once, and every report to the server's
 * persistent queue, from which the server records them. If the broker cannot confirm both, the caller
 * reports over REST instead (and the server relays). The successes are sealed with the task's key (only
 * the task's driver and the server can read them); the reports are signed with the pilot's own report key,
 * which the server gave this pilot alone when it registered.
 */
export class ResultPublisher {
  private readonly link: StompLink;
  private readonly config: BrokerConfig;

  constructor(
    settings: BrokerSettings,
    private readonly pilotId: number,
    private readonly reportKey: string,
    private readonly pilotName: string,
    private readonly queue: string,
    private readonly log: Logger,
  ) {
    this.config = fromSettings(settings);
    this.link = new StompLink(this.config, { name: `pilot-${pilotId}` });
    this.link.onState((s) => {
      if (s.connected) this.log.info({ broker: describeBroker(this.config) }, "publishing results to the broker");
      else this.log.warn({ reason: s.error }, "broker unavailable; reporting results over REST");
    });
  }

  start(): void {
    this.link.start();
  }

  get connected(): boolean {
    return this.link.connected;
  }

  /** Publishes one task's reports; true once the broker confirmed every message. */
  async publish(task: TaskReports): Promise<boolean> {
    if (!this.link.connected) return false;
    const sends: Array<Promise<void>> = [];
    // The driver's copy first: it is the one somebody waits for.
    if (task.successes.length > 0) {
      const results: PilotSuccesses = {
        v: 1,
        kind: "successes",
        task: task.taskId,
        pilot: this.pilotName,
        queue: this.queue,
        jobs: task.successes,
      };
      let body: string;
      try {
        body = seal(task.key, { taskId: task.taskId, channel: task.channel }, JSON.stringify(results));
      } catch (err) {
        // A task whose key cannot seal (made before keys were the server's): the server relays its results.
        this.log.warn({ taskId: task.taskId, reason: errorMessage(err) }, "cannot seal results for the broker; reporting over REST");
        return false;
      }
      sends.push(this.link.publish(resultsTopic(this.config.prefix, task.channel), body, resultsHeaders(task), RECEIPT_MS));
    }
    const report = packReport(task.taskId, this.pilotId, task.updates);
    const reportBody = JSON.stringify(report);
    sends.push(
      this.link.publish(
        reportsQueue(this.config.prefix),
        reportBody,
        reportHeaders(task.taskId, sign(this.reportKey, reportBody)),
        RECEIPT_MS,
      ),
    );
    const outcomes = await Promise.allSettled(sends);
    const failed = outcomes.find((o) => o.status === "rejected");
    if (failed) {
      this.log.warn({ taskId: task.taskId, reason: String(failed.reason) }, "the broker did not confirm results; reporting over REST");
      return false;
    }
    return true;
  }

  async stop(): Promise<void> {
    await this.link.stop();
  }
}
