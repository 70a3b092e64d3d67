import type { WorkflowView } from "../api/workflows.js";
import { FINAL_TASK_STATUSES } from "../core/states.js";
import type { TaskProgress } from "../sdk/context.js";
import { CompletionRate, renderLive, type LiveTask } from "./live-progress.js";

/** How often the live display is redrawn: often enough for the clock and ETA to move smoothly. */
const REDRAW_MS = 250;

/**
 * Progress of a run on stderr: a line per started workflow and per finished task, and on a terminal a live
 * display under them, redrawn in place (tasks, jobs finished, running and failed, elapsed time, ETA).
 * Anywhere else (logs, CI, pipes, TERM=dumb) only the lines, so the output stays readable.
 *
 * While the display is up, what the program itself prints on the same terminal (a driver's console.log)
 * would be overwritten by the next redraw: the display takes itself off the screen before such output,
 * and comes back under it at the next redraw.
 */
export class Progress {
  /** What the driver received, task by task: it decides when a task's line is printed. */
  private readonly reported = new Map<number, TaskProgress>();
  /** What the server showed last: the jobs pilots hold, and tasks with no result yet. */
  private readonly seen = new Map<number, LiveTask>();
  /** Why tasks wait, as the server showed it the last time, and as announced in the log. */
  private readonly waits = new Map<number, { seen: string | null; announced: string | null }>();
  private readonly started: number;
  private readonly rate: CompletionRate;
  /** Whether the live display is drawn. */
  readonly live: boolean;
  private workflow = "";
  private drawnLines = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Writes to `out` that pass by the interception of other output. */
  private readonly write: (text: string) => void;
  /** Others' output ended in the middle of a line: a display drawn now would continue that line. */
  private midLine = false;
  private readonly restoreOutput: Array<() => void> = [];

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.rate = new CompletionRate(this.started);
    this.live = enabled && out.isTTY === true && process.env.TERM !== "dumb";
    const write = out.write.bind(out);
    this.write = (text) => void write(text);
  }

  /** Lets others' output on the terminal (stdout when it is the terminal too, and `out`) pass before the display. */
  private stepAsideForOthers(): void {
    const streams = new Set([this.out, ...(process.stdout.isTTY ? [process.stdout] : [])]);
    for (const stream of streams) {
      const original = stream.write;
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        if (this.drawnLines > 0) this.write(this.clear());
        const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
        if (text.length > 0) this.midLine = !text.endsWith("\n");
        return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as typeof stream.write;
      this.restoreOutput.push(() => (stream.write = original));
    }
  }

  workflowStarted(id: number, name: string, url: string): void {
    this.workflow = `workflow ${id} (${name})`;
    this.line(`${this.workflow} started on ${url}`);
    if (this.live && !this.timer) {
      this.stepAsideForOthers();
      this.timer = setInterval(() => this.draw(), REDRAW_MS);
      this.timer.unref();
      this.draw();
    }
  }

  update(p: TaskProgress): void {
    const before = this.reported.get(p.taskId);
    this.reported.set(p.taskId, p);
    if (p.done && !before?.done) {
      this.line(`task ${p.taskId} ${p.work}: ${p.finished}/${p.nJobs} jobs finished, ${p.failed} failed`);
    }
  }

  /** Takes the server's view of a workflow for the live display: which of its jobs pilots hold now. */
  observe(view: WorkflowView): void {
    for (const t of view.tasks) {
      if (t.kind !== "work") continue;
      this.seen.set(t.id, {
        taskId: t.id,
        work: t.work,
        nJobs: t.nJobs,
        finished: t.nFinished,
        failed: t.nFailed + t.nCancelled,
        running: t.nRunning ?? 0,
        done: FINAL_TASK_STATUSES.has(t.status),
        waiting: t.pendingReason ?? null,
      });
      this.noticeWait(t);
    }
  }

  /**
   * Says in the log when a running task's jobs cannot start (all its queue's pilots pending in the batch
   * system, say) — once the server has shown the same reason twice in a row, so that a pilot taking a
   * moment to start is not reported — and when they can again. A pending task's brokerage reason is said
   * by the driver when it submits the task.
   */
  private noticeWait(t: WorkflowView["tasks"][number]): void {
    const reason = t.status === "running" ? (t.pendingReason ?? null) : null;
    const wait = this.waits.get(t.id) ?? { seen: null, announced: null };
    if (reason !== null && reason === wait.seen && reason !== wait.announced) {
      this.warn(`task ${t.id} (${t.work}) waits: ${reason}`);
      wait.announced = reason;
    } else if (reason === null && wait.announced !== null) {
      this.line(`task ${t.id} (${t.work}) no longer waits`);
      wait.announced = null;
    }
    wait.seen = reason;
    this.waits.set(t.id, wait);
  }

  /** The driver's counts where it has them (they are what the run has received), the server's otherwise. */
  private liveTasks(): LiveTask[] {
    const ids = [...new Set([...this.reported.keys(), ...this.seen.keys()])].sort((a, b) => a - b);
    return ids.map((id) => {
      const server = this.seen.get(id);
      const driver = this.reported.get(id);
      if (!driver) return server!;
      return { ...driver, running: driver.done ? 0 : (server?.running ?? 0), waiting: driver.done ? null : server?.waiting };
    });
  }

  private clear(): string {
    const text = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\r\x1b[J` : "";
    this.drawnLines = 0;
    return text;
  }

  private draw(): void {
    if (this.midLine) return;
    const now = this.now();
    const tasks = this.liveTasks();
    let total = 0;
    let ended = 0;
    for (const t of tasks) {
      total += t.nJobs;
      ended += t.finished + t.failed;
    }
    this.rate.record(now, ended);
    const lines = renderLive(
      { title: this.workflow, tasks, elapsedMs: now - this.started, remainingMs: this.rate.remainingMs(total, now) },
      this.out.columns ?? 80,
    );
    this.write(`${this.clear()}${lines.join("\n")}\n`);
    this.drawnLines = lines.length;
  }

  /** A line in the log above the live display. */
  line(text: string): void {
    if (!this.enabled) return;
    this.write(`${this.clear()}${text}\n`);
    this.midLine = false;
    if (this.timer) this.draw();
  }

  /** Warnings are printed even with --quiet. */
  warn(text: string): void {
    this.write(`${this.clear()}warning: ${text}\n`);
    this.midLine = false;
    if (this.timer) this.draw();
  }

  /** Stops the live display and takes it off the screen; the lines stay. */
  end(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const restore of this.restoreOutput.splice(0)) restore();
    if (this.drawnLines > 0) this.write(this.clear());
  }
}
