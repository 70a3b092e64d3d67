import type { TaskProgress } from "../sdk/context.js";

/**
 * Progress of a run on stderr: one line rewritten in place on a terminal, a line per finished task
 * otherwise (so logs and CI output stay readable).
 */
export class Progress {
  private readonly tasks = new Map<number, TaskProgress>();
  private readonly started = Date.now();
  private workflow = "";
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
  ) {}

  private get live(): boolean {
    return this.enabled && this.out.isTTY === true;
  }

  workflowStarted(id: number, name: string, url: string): void {
    this.workflow = `workflow ${id} (${name})`;
    this.line(`${this.workflow} started on ${url}`);
  }

  update(p: TaskProgress): void {
    const before = this.tasks.get(p.taskId);
    this.tasks.set(p.taskId, p);
    if (p.done && !before?.done) {
      this.line(`task ${p.taskId} ${p.work}: ${p.finished}/${p.nJobs} jobs finished, ${p.failed} failed`);
      return;
    }
    const now = Date.now();
    if (this.live && now - this.lastDraw > 100) {
      this.lastDraw = now;
      this.draw();
    }
  }

  private summary(): string {
    let jobs = 0;
    let finished = 0;
    let failed = 0;
    let done = 0;
    for (const t of this.tasks.values()) {
      jobs += t.nJobs;
      finished += t.finished;
      failed += t.failed;
      if (t.done) done++;
    }
    const secs = ((Date.now() - this.started) / 1000).toFixed(1);
    return `${this.workflow}: tasks ${done}/${this.tasks.size} done, jobs ${finished}/${jobs} finished, ${failed} failed, ${secs}s`;
  }

  private draw(): void {
    this.out.write(`\r\x1b[2K${this.summary()}`);
    this.drawn = true;
  }

  line(text: string): void {
    if (!this.enabled) return;
    if (this.drawn) this.out.write("\r\x1b[2K");
    this.out.write(`${text}\n`);
    this.drawn = false;
    if (this.live && this.tasks.size > 0) this.draw();
  }

  /** Warnings are printed even with --quiet. */
  warn(text: string): void {
    if (this.drawn) this.out.write("\r\x1b[2K");
    this.out.write(`warning: ${text}\n`);
    this.drawn = false;
  }

  end(): void {
    if (this.drawn) this.out.write("\r\x1b[2K");
    this.drawn = false;
  }
}
