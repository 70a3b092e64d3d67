import type { Logger } from "pino";
import type { ResultPublisher, TaskReports } from "../bus/publisher.js";
import { attemptKey } from "../core/attempt-key.js";
import type { BrokerSettings } from "../api/pilots.js";
import type { AttemptUpdate, PilotCommand } from "../core/dispatch-records.js";
import { hopFinals } from "../core/hop-trace.js";
import { sleep } from "../core/sleep.js";
import { unrecordableReport } from "../core/unrecordable-report.js";
import type { Ledger } from "./ledger.js";
import { ApiError } from "../api/errors.js";
import { isPilotEnded, type ServerLink } from "./server-link.js";

const REPORT_BATCH = 5000;
const REPORT_BATCH_CHARS = 32 * 1024 * 1024;
/** Answers that refuse a report for what it holds: sending it again as it is cannot help. */
const REFUSALS = new Set(["invalid_request", "request_too_large", "payload_too_large"]);
/** Jobs still running this long after they started are reported as running (fast ones never are). */
const RUNNING_REPORT_DELAY_MS = 100;

export interface ReporterOptions {
  link: ServerLink;
  ledger: Ledger;
  log: Logger;
  /** A report failed: the pilot registers again if the server declared it ended, or waits a moment. */
  onServerError(err: unknown, what: string): Promise<void>;
}

/**
 * Tells the server how the pilot's attempts go: final states in batches through the broker when there is
 * one (a message per task, which its driver reads at once), over REST otherwise, and running states over
 * REST. Results the broker took but the server has not recorded in time go over REST as well.
 */
export class Reporter {
  private pending: AttemptUpdate[] = [];
  /** Updates that must go over REST even though the broker is up (see heartbeat). */
  private readonly restOnly = new Set<string>();
  private reporting: Promise<void> | undefined;
  private flushScheduled = false;
  private runningTimer: NodeJS.Timeout | undefined;
  private publisher: ResultPublisher | undefined;
  /** The pilot is leaving: everything goes over REST, which it can wait for. */
  private closing = false;
  /** Largest batch sent now: halved after a refused report, so the update to blame is found and sent alone. */
  private batchLimit = REPORT_BATCH;
  /** Failures that stand for refused updates: if one of these is refused too, it is dropped. */
  private readonly standIns = new WeakSet<AttemptUpdate>();

  constructor(private readonly options: ReporterOptions) {}

  /** After each registration: the broker the server named, if any, under the pilot's new id. */
  async useBroker(settings: BrokerSettings | null, pilot: { id: number; reportKey: string; name: string; queue: string }): Promise<void> {
    await this.publisher?.stop();
    this.publisher = undefined;
    if (!settings) return;
    // The STOMP client loads with the first broker a server names: a pilot without one never needs it.
    const { ResultPublisher } = await import("../bus/publisher.js");
    if (this.closing) return;
    this.publisher = new ResultPublisher(settings, pilot.id, pilot.reportKey, pilot.name, pilot.queue, this.options.log);
    this.publisher.start();
  }

  add(update: AttemptUpdate): void {
    this.pending.push(update);
    this.flushSoon();
  }

  /**
   * Flushes once the event loop has taken in what is ready: the results of executors that ended together
   * arrive on pipes of their own, each read in a callback of its own, and a report sent at the first would
   * be recorded (and its driver woken) before the next was even read — one report per job, one after the
   * other, where one report for all of them costs little more than one.
   */
  private flushSoon(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  /** A job started: it is reported as running if it still runs a moment later. */
  runningSoon(): void {
    this.runningTimer ??= setTimeout(() => this.reportRunning(), RUNNING_REPORT_DELAY_MS);
  }

  /**
   * Reports the jobs that have run long enough, and waits again for those that started since the timer was
   * set: one timer serves every job, so a job that started just after another is not forgotten.
   */
  private reportRunning(): void {
    this.runningTimer = undefined;
    const { ledger } = this.options;
    const now = Date.now();
    const due = ledger.dueRunning(now, RUNNING_REPORT_DELAY_MS);
    if (due.length > 0) {
      this.pending.push(...due);
      void this.flush();
    }
    const next = ledger.nextRunningDue(RUNNING_REPORT_DELAY_MS);
    if (next !== undefined && !this.closing) this.runningTimer = setTimeout(() => this.reportRunning(), Math.max(0, next - now));
  }

  /**
   * Sends pending updates: at once if no report is in flight, otherwise together with everything else
   * that piles up meanwhile (so batches grow exactly when the server is busy).
   */
  flush(): Promise<void> {
    this.reporting ??= this.sendReports().finally(() => (this.reporting = undefined));
    return this.reporting;
  }

  private async sendReports(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = await this.publish(this.takeBatch());
      if (batch.length === 0) continue;
      try {
        hopFinals("pilot.report_sent", batch);
        const res = await this.options.link.report({ updates: batch });
        this.options.ledger.reported(batch);
        this.batchLimit = Math.min(REPORT_BATCH, this.batchLimit * 2);
        if (res.ignored > 0) this.options.log.debug({ ignored: res.ignored }, "the server ignored stale updates");
      } catch (err) {
        if (err instanceof ApiError && REFUSALS.has(err.code)) {
          this.refused(batch, err);
          continue;
        }
        // Declared ended, the pilot drops what it held: the batch is no longer its to report.
        const ended = isPilotEnded(err);
        if (!ended) this.pending.unshift(...batch);
        await this.options.onServerError(err, "report");
        if (ended) return;
      }
    }
  }

  /**
   * Sends the final states of a batch through the broker when there is one, a message per task; returns
   * what must still go over REST (running states, and everything the broker did not confirm).
   */
  private async publish(batch: AttemptUpdate[]): Promise<AttemptUpdate[]> {
    const publisher = this.publisher;
    if (!publisher?.connected || this.closing) return batch;
    const { ledger } = this.options;
    const rest: AttemptUpdate[] = [];
    const byTask = new Map<number, TaskReports>();
    for (const u of batch) {
      const job = u.state === "running" ? undefined : ledger.job(u);
      if (!job || this.restOnly.delete(attemptKey(u))) {
        rest.push(u);
        continue;
      }
      let reports = byTask.get(job.taskId);
      if (!reports) {
        reports = { taskId: job.taskId, workflowId: job.workflowId, channel: job.channel, key: job.resultKey, updates: [], successes: [] };
        byTask.set(job.taskId, reports);
      }
      reports.updates.push(u);
      if (u.state === "finished" && u.result !== undefined) {
        reports.successes.push([job.jobId, job.index, job.attempt, u.startedAt ?? null, u.endedAt ?? null, u.result]);
      }
    }
    const tasks = [...byTask.values()];
    for (const t of tasks) hopFinals("pilot.published", t.updates);
    const sent = await Promise.all(tasks.map((t) => publisher.publish(t)));
    tasks.forEach((t, i) => {
      if (sent[i]) ledger.published(t.updates, Date.now());
      else rest.push(...t.updates);
    });
    return rest;
  }

  /**
   * The server refused a report for what it holds: it is never sent again as it was. A batch goes back to
   * be sent in halves; an update refused alone is replaced by its job's failure saying why (without the
   * result and logs), and that failure, if refused too, is dropped, so that no report is sent forever and
   * the other jobs' reports go through.
   */
  private refused(batch: AttemptUpdate[], err: ApiError): void {
    const { log, ledger } = this.options;
    if (batch.length > 1) {
      log.warn({ updates: batch.length, err: err.message }, "the server refused a report; sending its updates in smaller batches");
      this.batchLimit = Math.ceil(batch.length / 2);
      this.pending.unshift(...batch);
      return;
    }
    const u = batch[0]!;
    if (this.standIns.has(u)) {
      log.error({ jobId: u.jobId, attempt: u.attempt, err: err.message }, "the server refused the failure report of an attempt; dropping it");
      ledger.reported(batch);
      return;
    }
    log.error({ jobId: u.jobId, attempt: u.attempt, err: err.message }, "the server refused the report of an attempt; reporting it as failed");
    const failure = unrecordableReport(u, `the server refused the pilot's ${u.state} report of this attempt: ${err.message.slice(0, 500)}`);
    this.standIns.add(failure);
    this.pending.unshift(failure);
  }

  private takeBatch(): AttemptUpdate[] {
    let chars = 0;
    let n = 0;
    while (n < this.pending.length && n < this.batchLimit) {
      const u = this.pending[n]!;
      chars += (u.result?.length ?? 0) + (u.stdout?.length ?? 0) + (u.stderr?.length ?? 0) + 200;
      if (n > 0 && chars > REPORT_BATCH_CHARS) break;
      n++;
    }
    return this.pending.splice(0, n);
  }

  /**
   * A heartbeat lists what the pilot holds; the server answers with its commands and what it still counts
   * as held, so published results it recorded meanwhile are let go. Those it still has not recorded after
   * two heartbeat intervals (a message the broker lost, a consumer that is stuck) are reported over REST as
   * well: recording is idempotent, so a duplicate costs nothing and a loss is impossible.
   */
  async heartbeat(heartbeatIntervalMs: number): Promise<PilotCommand[]> {
    const { ledger, link } = this.options;
    const res = await link.heartbeat(ledger.heldNow());
    ledger.keepUnrecorded(res.held);
    for (const u of ledger.unrecorded(Date.now() - 2 * heartbeatIntervalMs)) {
      this.pending.push(u);
      this.restOnly.add(attemptKey(u));
    }
    if (this.restOnly.size > 0) void this.flush();
    return res.commands;
  }

  /**
   * Before leaving, waits until the server has recorded the results this pilot published to the broker:
   * leaving earlier would make the server retry those jobs as held by a pilot that exited.
   */
  async awaitRecorded(deadline: number): Promise<void> {
    const { ledger, link } = this.options;
    while (ledger.anyPublished() && Date.now() < deadline) {
      const res = await link.heartbeat(ledger.heldNow()).catch(() => undefined);
      if (res) ledger.keepUnrecorded(res.held);
      await sleep(100);
    }
  }

  /** The server declared the pilot ended: what was to be reported is no longer its to report. */
  clear(): void {
    this.pending = [];
  }

  /** The pilot is leaving: no more running reports, and final states go over REST. */
  close(): void {
    this.closing = true;
    clearTimeout(this.runningTimer);
  }

  async stop(): Promise<void> {
    await this.publisher?.stop();
  }
}
