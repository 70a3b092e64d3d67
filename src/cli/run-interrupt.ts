// Ctrl-C and SIGTERM during `pando run`.
import { errorMessage } from "../core/errors.js";
import { resumeCommand } from "./run-target.js";
import type { RunSession } from "./run-session.js";

export interface Interrupts {
  /** Once a signal came: the suspension under way, after which the process exits (it never resolves). */
  pending(): Promise<never> | undefined;
  /** Stops listening for the signals. */
  dispose(): void;
}

/**
 * A driver stopped by a signal suspends its workflows before it goes (their unfinished jobs are stopped), so
 * that `--resume` can take them up again; one killed outright is suspended by the server when its heartbeats
 * stop. A second signal exits at once.
 */
export function handleInterrupts(run: RunSession): Interrupts {
  const { target, flags, progress, client } = run;
  let interrupted: Promise<never> | undefined;
  const interrupt = (signal: NodeJS.Signals) => {
    if (interrupted) {
      progress.line(`${signal} again: exiting now`);
      process.exit(130);
    }
    const suspending = run.runs.active().map(async (id) => {
      try {
        await client.suspendWorkflow(id, { reason: `the driver was stopped by ${signal}` });
        progress.line(`${signal}: workflow ${id} suspended; resume it with ${resumeCommand(target.target, target.rawArgs, flags, id)}`);
      } catch (err) {
        progress.line(`${signal}: workflow ${id} could not be suspended: ${errorMessage(err)}`);
      }
    });
    interrupted = Promise.all(suspending)
      .then(() => run.embedded?.stop())
      .finally(() => process.exit(130)) as Promise<never>;
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  return {
    pending: () => interrupted,
    dispose: () => {
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
    },
  };
}
