import { afterEach, describe, expect, it, vi } from "vitest";
import type { WorkflowView } from "../api/workflows.js";
import { Progress } from "./progress.js";

/** A stand-in for stderr that keeps what is written. */
function stream(isTTY: boolean) {
  const writes: string[] = [];
  const out = { isTTY, columns: 120, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { out, writes, text: () => writes.join("") };
}

const square = { taskId: 2, work: "square", nJobs: 4, finished: 0, failed: 0, done: false };

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe("Progress off a terminal", () => {
  it("prints exactly the plain lines: started, each ended task, warnings", () => {
    const { out, text } = stream(false);
    const progress = new Progress(out);
    progress.workflowStarted(1, "hello", "http://127.0.0.1:8720");
    progress.update({ ...square, finished: 2 });
    progress.update({ ...square, finished: 4, done: true });
    progress.update({ ...square, finished: 4, done: true });
    progress.warn("queue gpu is offline");
    progress.line("workflow 1 finished");
    progress.end();
    expect(text()).toBe(
      [
        "workflow 1 (hello) started on http://127.0.0.1:8720",
        "task 2 square: 4/4 jobs finished, 0 failed",
        "warning: queue gpu is offline",
        "workflow 1 finished",
        "",
      ].join("\n"),
    );
    expect(progress.live).toBe(false);
  });

  it("prints only warnings with --quiet", () => {
    const { out, text } = stream(false);
    const progress = new Progress(out, false);
    progress.workflowStarted(1, "hello", "http://x");
    progress.update({ ...square, finished: 4, done: true });
    progress.warn("careful");
    progress.end();
    expect(text()).toBe("warning: careful\n");
  });

  it("says when a task's jobs cannot start once the server has shown the same reason twice, and when they can again", () => {
    const { out, text } = stream(false);
    const progress = new Progress(out, false);
    const view = (status: string, pendingReason: string | null) =>
      ({ tasks: [{ id: 5, kind: "work", work: "evaluate", status, nJobs: 4, nFinished: 0, nFailed: 0, nCancelled: 0, nRunning: 0, pendingReason }] }) as unknown as WorkflowView;
    const held = "the 1 pilot of queue 'cluster' is pending in Slurm — BeginTime: its start time has not come (--begin)";
    // A reason seen once may be a pilot taking a moment to start; brokerage's reason is the driver's to say.
    progress.observe(view("running", held));
    progress.observe(view("pending", "no queue can take this task"));
    progress.observe(view("pending", "no queue can take this task"));
    expect(text()).toBe("");
    progress.observe(view("running", held));
    progress.observe(view("running", held));
    progress.observe(view("running", held));
    expect(text()).toBe(`warning: task 5 (evaluate) waits: ${held}\n`);
    const loud = stream(false);
    const shown = new Progress(loud.out);
    shown.observe(view("running", held));
    shown.observe(view("running", held));
    shown.observe(view("running", null));
    shown.observe(view("running", null));
    expect(loud.text()).toBe(`warning: task 5 (evaluate) waits: ${held}\ntask 5 (evaluate) no longer waits\n`);
  });

  it("stays plain on a terminal that cannot move its cursor", () => {
    vi.stubEnv("TERM", "dumb");
    expect(new Progress(stream(true).out).live).toBe(false);
  });
});

describe("Progress on a terminal", () => {
  it("redraws a live display under the log lines and takes it away at the end", () => {
    vi.stubEnv("TERM", "xterm");
    vi.useFakeTimers();
    let now = 0;
    const { out, writes, text } = stream(true);
    const progress = new Progress(out, true, () => now);
    expect(progress.live).toBe(true);
    progress.workflowStarted(7, "hpo", "http://x");
    progress.update({ ...square, finished: 1 });
    progress.observe({
      tasks: [{ id: 2, kind: "work", work: "square", status: "running", nJobs: 4, nFinished: 1, nFailed: 0, nCancelled: 0, nRunning: 3 }],
    } as unknown as WorkflowView);
    now = 1000;
    vi.advanceTimersByTime(250);
    const block = writes.at(-1)!;
    // The previous block (two lines: no task yet) is cleared, and the new one drawn in its place.
    expect(block.startsWith("\x1b[2A\r\x1b[J")).toBe(true);
    expect(block).toContain("workflow 7 (hpo) · 1.0s elapsed · ETA 3.0s");
    expect(block).toContain("jobs 1/4 finished, 3 running, 0 failed");

    progress.update({ ...square, finished: 4, done: true });
    expect(writes.at(-2)).toBe("\x1b[3A\r\x1b[Jtask 2 square: 4/4 jobs finished, 0 failed\n");
    expect(writes.at(-1)).toContain("tasks 1/1 done · jobs 4/4 finished, 0 running, 0 failed");
    progress.end();
    expect(writes.at(-1)).toBe("\x1b[2A\r\x1b[J");
    const drawn = writes.length;
    vi.advanceTimersByTime(1000);
    expect(writes).toHaveLength(drawn);
    expect(text()).toContain("workflow 7 (hpo) started on http://x\n");
  });

  it("steps aside for the program's own output on the terminal, and waits for the end of a line it began", () => {
    vi.stubEnv("TERM", "xterm");
    vi.useFakeTimers();
    const { out, writes } = stream(true);
    const progress = new Progress(out, true, () => 0);
    progress.workflowStarted(7, "hpo", "http://x");
    expect(writes.at(-1)).toContain("waiting for the first task");

    out.write("iteration 1: ");
    // The display (two lines) left the screen before the program's output.
    expect(writes.slice(-2)).toEqual(["\x1b[2A\r\x1b[J", "iteration 1: "]);
    vi.advanceTimersByTime(500);
    expect(writes.at(-1)).toBe("iteration 1: ");
    out.write("auc 0.91\n");
    vi.advanceTimersByTime(250);
    expect(writes.slice(-2)).toEqual(["auc 0.91\n", expect.stringMatching(/^workflow 7 \(hpo\) · /)]);

    progress.end();
    const count = writes.length;
    out.write("result\n");
    // Once the display has ended, output is the program's alone again.
    expect(writes.slice(count)).toEqual(["result\n"]);
  });
});
