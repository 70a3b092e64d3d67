// `pando run --timings` (or PANDO_TIMINGS=1): when each step of the run's start-up and end was over, in
// this process, in each local pilot and in each of their executors, printed on stderr once the run ends.
import { type ExecutorStartup, type StartupTiming } from "../core/startup-timing.js";
import { epochNow } from "../core/epoch-clock.js";

export interface Step {
  step: string;
  /** Milliseconds since the epoch. */
  at: number;
}

/** The steps of an executor's start-up, in order, with what happened during each. */
const EXECUTOR_STEPS: Array<[keyof ExecutorStartup, string]> = [
  ["spawned", "spawned by its pilot"],
  ["processStarted", "node started (sandbox set up, node booted)"],
  ["loaded", "executor modules loaded"],
  ["bundleImported", "bundle imported"],
  ["ready", "ready (its pilot heard)"],
];

/** Steps of one process under a heading, each at its time since `origin` and with the time since the step before. */
function section(heading: string, steps: readonly Step[], origin: number): string[] {
  const lines = [`  ${heading}`];
  let previous: number | undefined;
  for (const { step, at } of steps) {
    const since = Math.round(at - origin);
    const took = previous === undefined ? "" : `+${Math.round(at - previous)}`;
    lines.push(`    ${String(since).padStart(6)} ${took.padStart(6)}  ${step}`);
    previous = at;
  }
  return lines;
}

/** The report: this process's steps, then each pilot's and each executor's, on the same clock. */
export function formatTimings(origin: number, own: readonly Step[], pilots: ReadonlyMap<string, readonly Step[]>, executors: ReadonlyArray<{ pilot: string; startup: ExecutorStartup }>): string {
  const lines = ["timings: ms since `pando run` started, +ms since the step before", ...section("this process", own, origin)];
  for (const [name, steps] of pilots) lines.push(...section(`pilot ${name}`, [...steps].sort((a, b) => a.at - b.at), origin));
  executors.forEach(({ pilot, startup }, i) => {
    lines.push(...section(`executor ${i + 1} (pilot ${pilot})`, EXECUTOR_STEPS.map(([key, step]) => ({ step, at: startup[key] })), origin));
  });
  return `${lines.join("\n")}\n`;
}

/** The steps of a run as they end; nothing is kept unless the run asked for timings. */
export class RunTimings {
  private readonly own: Step[] = [];
  private readonly pilots = new Map<string, Step[]>();
  private readonly executors: Array<{ pilot: string; startup: ExecutorStartup }> = [];

  constructor(readonly enabled: boolean) {
    if (enabled) this.own.push({ step: "node started", at: performance.timeOrigin });
  }

  /** A step of this process ended now. */
  mark(step: string): void {
    if (this.enabled) this.own.push({ step, at: epochNow() });
  }

  /** What a local pilot told of its start-up. */
  fromPilot(pilot: string, timing: StartupTiming): void {
    if (!this.enabled) return;
    if (timing.kind === "executor") return void this.executors.push({ pilot, startup: timing.startup });
    const steps = this.pilots.get(pilot) ?? [];
    steps.push({ step: timing.step, at: timing.at });
    this.pilots.set(pilot, steps);
  }

  report(): string {
    return formatTimings(performance.timeOrigin, this.own, this.pilots, this.executors);
  }
}
