// What the live display of `pando run` says on a terminal, and its ETA from the completion rate. No I/O:
// progress.ts samples, draws and redraws it.
import { formatDuration, truncate } from "./format.js";

/** One task of the run as the display shows it. */
export interface LiveTask {
  taskId: number;
  work: string;
  nJobs: number;
  finished: number;
  /** Failed or cancelled: ended without a value. */
  failed: number;
  /** Held by pilots now. */
  running: number;
  done: boolean;
  /** Why its jobs do not run (the server's `pendingReason`), when something other than their turn holds them. */
  waiting?: string | null;
}

export interface LiveView {
  /** "workflow 12 (optimize)". */
  title: string;
  tasks: readonly LiveTask[];
  elapsedMs: number;
  remainingMs: number | undefined;
}

/** The recent past the rate is measured over: long enough to smooth bursts, short enough to follow a change of pace. */
const RATE_WINDOW_MS = 60_000;

/**
 * Jobs ended over time, for the time the jobs known so far still need. The rate is that of the last minute;
 * when nothing ended in it (long jobs), that of the whole run. Jobs the driver has not submitted yet are
 * unknown, so a driver that submits task after task sees the ETA of what it has submitted.
 */
export class CompletionRate {
  private readonly samples: Array<{ at: number; completed: number }> = [];

  constructor(
    private readonly startedAt: number,
    private readonly windowMs = RATE_WINDOW_MS,
  ) {}

  record(at: number, completed: number): void {
    this.samples.push({ at, completed });
    while (this.samples.length > 1 && this.samples[0]!.at < at - this.windowMs) this.samples.shift();
  }

  /** Milliseconds until `total` jobs have ended; undefined while no job has ended. */
  remainingMs(total: number, now: number): number | undefined {
    const last = this.samples.at(-1);
    if (!last) return undefined;
    const remaining = total - last.completed;
    if (remaining <= 0) return 0;
    const first = this.samples[0]!;
    const recent = last.completed - first.completed;
    const [done, span] = recent > 0 ? [recent, now - first.at] : [last.completed, now - this.startedAt];
    if (done <= 0 || span <= 0) return undefined;
    return (remaining * span) / done;
  }
}

const BAR_CELLS = 20;

function bar(ended: number, total: number): string {
  const filled = total === 0 ? 0 : Math.round((BAR_CELLS * Math.min(ended, total)) / total);
  return `${"█".repeat(filled)}${"░".repeat(BAR_CELLS - filled)}`;
}

/**
 * The lines of the display, each cut to the terminal's width (a wrapped line would throw off the redraw):
 * the run and its timing, the totals, then a line per task still running (ended tasks have their line in
 * the log above), at most `maxTaskLines` of them.
 */
export function renderLive(view: LiveView, width: number, maxTaskLines = 8): string[] {
  let jobs = 0;
  let finished = 0;
  let failed = 0;
  let running = 0;
  let doneTasks = 0;
  for (const t of view.tasks) {
    jobs += t.nJobs;
    finished += t.finished;
    failed += t.failed;
    running += t.done ? 0 : t.running;
    if (t.done) doneTasks++;
  }
  // Nothing left of the jobs known so far is no end in sight: the driver may be about to submit more.
  const eta = view.remainingMs ? formatDuration(view.remainingMs) : "–";
  const lines = [
    `${view.title} · ${formatDuration(view.elapsedMs)} elapsed · ETA ${eta}`,
    view.tasks.length === 0
      ? "waiting for the first task"
      : `tasks ${doneTasks}/${view.tasks.length} done · jobs ${finished}/${jobs} finished, ${running} running, ${failed} failed`,
  ];
  const open = view.tasks.filter((t) => !t.done);
  const shown = open.length > maxTaskLines ? open.slice(0, maxTaskLines - 1) : open;
  for (const t of shown) {
    const counts = `${t.finished}/${t.nJobs} finished, ${t.running} running, ${t.failed} failed`;
    lines.push(`  task ${t.taskId} ${t.work} ${bar(t.finished + t.failed, t.nJobs)} ${counts}${t.waiting ? ` · waits: ${t.waiting}` : ""}`);
  }
  if (shown.length < open.length) lines.push(`  … and ${open.length - shown.length} more running tasks`);
  return lines.map((l) => truncate(l, Math.max(width - 1, 10)));
}
