import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { fileLabel, pilotArgs, pilotCommand, pilotEnvironment, type BatchStatus, type PilotBackend, type PilotLaunch } from "./pilot-backend.js";

/**
 * Pilots as child processes of the server (or of a site agent), connected by an IPC channel so that none
 * outlives it. The batch id is the process id.
 */
export class LocalBackend implements PilotBackend {
  private readonly processes = new Map<string, ChildProcess>();

  async submit(l: PilotLaunch): Promise<string> {
    mkdirSync(l.logDir, { recursive: true });
    const log = openSync(join(l.logDir, `local-${fileLabel(l.queue.name)}-${l.workerId}.log`), "a");
    try {
      const [program, ...args] = pilotCommand(l);
      const proc = spawn(program, [...args, ...pilotArgs(l, "local")], {
        stdio: ["ignore", log, log, "ipc"],
        env: pilotEnvironment(process.env, l.token, l.env),
      });
      // A program that cannot be run (ENOENT…) leaves pid undefined and reports through "error".
      proc.once("error", () => undefined);
      const pid = proc.pid;
      if (pid === undefined) throw new Error(`the pilot command '${program}' could not be started (check the queue's pilotCommand)`);
      const id = String(pid);
      this.processes.set(id, proc);
      proc.once("exit", () => setTimeout(() => this.processes.delete(id), 60_000).unref());
      return id;
    } finally {
      closeSync(log);
    }
  }

  /** A local pilot never waits for resources: it runs from the moment it is started until it exits. */
  async status(batchIds: readonly string[]): Promise<Map<string, BatchStatus>> {
    const running: BatchStatus = { state: "running", reason: null };
    return new Map(
      batchIds
        .filter((id) => {
          const p = this.processes.get(id);
          return p !== undefined && p.exitCode === null && p.signalCode === null;
        })
        .map((id) => [id, running]),
    );
  }

  async cancel(batchId: string): Promise<void> {
    this.processes.get(batchId)?.kill("SIGTERM");
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.processes.values()].map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            const timer = setTimeout(() => p.kill("SIGKILL"), 15_000);
            p.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            p.kill("SIGTERM");
          }),
      ),
    );
  }
}
