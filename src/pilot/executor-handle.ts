import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { errorMessage } from "../core/errors.js";
import type { AttemptRef, DispatchedJob } from "../core/dispatch-records.js";
import { tracingHops } from "../core/hop-trace.js";
import { PANDO_ROOT } from "../bundle/cache.js";
import { contextKey, executorCommand, type ExecutionContext } from "./execution-context.js";
import type { Executor, ExecutorEvents, StartExecutor } from "./executor-interface.js";
import type { FromExecutor, ToExecutor } from "./executor-protocol.js";
import { executorEnv } from "./executor-env.js";
import { killGroup, killTree } from "./process-tree.js";
import { sandboxArgs } from "./sandbox-args.js";
import { sandboxPaths } from "./sandbox-paths.js";
import type { PilotSandbox } from "./sandbox-probe.js";
import { type StartupTiming } from "../core/startup-timing.js";
import { epochNow } from "../core/epoch-clock.js";

const EXECUTOR_SCRIPT = fileURLToPath(new URL("./executor.js", import.meta.url));
const STDERR_TAIL = 2000;
/**
 * How long an ended executor's stderr is read on: its group is killed by then, so the pipe closes at once
 * unless a process escaped the group and holds it.
 */
const STDERR_DRAIN_MS = 1000;

/** Resolves once the stream has ended (or was never there), or after `ms`. */
function drained(stream: Readable | null, ms: number): Promise<void> {
  if (!stream || stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      stream!.off("end", done).off("close", done);
      resolve();
    }
    stream.once("end", done).once("close", done);
  });
}

export interface ExecutorSettings {
  maxPayloadBytes: number;
  maxLogChars: number;
  /** Prefix for what the executor prints outside any job. */
  label: string;
  /** The server a driver job's work calls go to. */
  serverUrl: string;
  /** Where the executor's working directories go (a directory of its own is made there, removed when it ends). */
  workRoot: string;
  /** Where the pilot keeps bundles (hidden from the executor but for its own bundle). */
  cacheDir: string;
  /** A data directory hidden from the jobs before its server has written credentials there (ExecutorLocation). */
  dataDir?: string;
  /** Values the executor's environment must never hold (the pilot's token). */
  secrets: readonly string[];
  /** The sandbox executors run in; undefined: none (the pilot warned of it when it started). */
  sandbox: PilotSandbox | undefined;
  /** Told how the executor's start-up went once it is ready (`pando run --timings`). */
  onTiming?: (timing: StartupTiming) => void;
}

/** Executors this pilot process started: the last part of their ids. */
let started = 0;

/** The pilot's side of one executor process bound to one bundle. */
export class ExecutorHandle implements Executor {
  ready = false;
  private readonly proc: ChildProcess;
  private stderrTail = "";
  private exited = false;
  private loadFailed = false;
  /** Killed by the pilot: an end before it was ready is not a failure to load. */
  private killedByPilot = false;
  /** The executor's own directory for the working directories of the commands it runs. */
  private readonly workDir: string | undefined;
  /** When it was spawned, and who hears of its start-up. */
  private readonly spawnedAt: number;
  private readonly onTiming: ExecutorSettings["onTiming"];

  constructor(
    /** Jobs of the same execution context (bundle, initEnv, container) share executors. */
    public key: string,
    readonly bundleHash: string,
    bundlePath: string,
    settings: ExecutorSettings,
    context: ExecutionContext,
    private readonly events: ExecutorEvents,
    /** The unpacked project archive its jobs run in (their working directory, projectDir()), if the workflow ships one. */
    projectDir?: string,
  ) {
    const forward = (chunk: Buffer | string) => process.stderr.write(`[${settings.label}] ${chunk.toString()}`);
    try {
      mkdirSync(settings.workRoot, { recursive: true });
      this.workDir = mkdtempSync(join(settings.workRoot, "pando-executor-"));
    } catch (err) {
      forward(`cannot make a working directory in ${settings.workRoot} (${errorMessage(err)}); its commands use the system's temporary directory\n`);
    }
    // A container runtime does not run inside bwrap: container contexts run outside it (the pilot warned).
    const sandbox = context.container ? undefined : settings.sandbox;
    // User code runs here: it gets none of the pilot's environment but what it needs (a driver job brings its own token).
    const env = executorEnv(process.env, {
      sandboxed: sandbox !== undefined,
      workDir: this.workDir,
      secrets: settings.secrets,
      own: {
        PANDO_MAX_PAYLOAD_BYTES: String(settings.maxPayloadBytes),
        PANDO_MAX_LOG_CHARS: String(settings.maxLogChars),
        PANDO_SERVER_URL: settings.serverUrl,
        // Which executor runs a job, the same for every job it runs: its pid is no sign of it in a sandbox's PID namespace.
        PANDO_EXECUTOR_ID: `${process.pid}.${++started}`,
        // Commands make their working directories here; an executor whose pilot is gone removes it itself.
        ...(this.workDir ? { PANDO_WORK_ROOT: this.workDir, PANDO_EXECUTOR_DIR: this.workDir } : {}),
        ...(projectDir ? { PANDO_PROJECT_DIR: projectDir } : {}),
        ...(tracingHops() ? { PANDO_EXECUTOR_TRACE_HOPS: "1" } : {}),
      },
    });
    const plain = !context.initEnv && !context.container;
    let { file, args } = executorCommand(
      context,
      ["--enable-source-maps", EXECUTOR_SCRIPT, bundlePath],
      [join(PANDO_ROOT, "package.json"), bundlePath],
      this.workDir,
      projectDir,
    );
    if (sandbox) {
      const { cacheDir, workRoot, dataDir } = settings;
      const paths = sandboxPaths({ bundlePath, cacheDir, workRoot, workDir: this.workDir, projectDir, dataDir }, process.env, projectDir);
      args = [...sandboxArgs(sandbox.settings, paths), "--", file, ...args];
      file = sandbox.bwrap;
    }
    // What fork() does, with the executor's command in its context (plain: node itself), in the sandbox.
    // Detached: the executor (bwrap, in a sandbox) leads a process group of its own, and killTree finds
    // everything it started from the host's /proc, in the sandbox's PID namespace or not.
    this.spawnedAt = epochNow();
    this.onTiming = settings.onTiming;
    this.proc = spawn(file, args, { stdio: ["ignore", "pipe", "pipe", "ipc"], env, detached: true, cwd: projectDir });
    this.proc.stdout?.on("data", forward);
    this.proc.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL);
      forward(chunk);
    });
    this.proc.on("message", (msg: FromExecutor) => this.receive(msg));
    this.proc.on("exit", (code, signal) => {
      this.exited = true;
      // Whatever it started and left behind (a command's children) ends with it, with their files.
      if (this.proc.pid !== undefined) killGroup(this.proc.pid);
      if (this.workDir) rmSync(this.workDir, { recursive: true, force: true });
      // Its last words may still be in the pipe when 'exit' comes: read them before saying why it ended.
      void drained(this.proc.stderr, STDERR_DRAIN_MS).then(() => this.ended(code, signal, plain));
    });
    this.proc.on("error", () => {
      // 'exit' follows (or the process never started); nothing else to do here.
    });
  }

  private ended(code: number | null, signal: NodeJS.Signals | null, plain: boolean): void {
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = this.stderrTail.trim();
    if (!this.ready && !this.loadFailed && !this.killedByPilot) {
      // It never got as far as loading the bundle: its environment (initEnv, container) or Node failed.
      this.events.onLoadFailed(this, {
        code: plain ? "bundle_load_failed" : "context_failed",
        message: `${plain ? "the executor" : "the job's execution context (initEnv or container)"} failed to start: it ${how}${tail ? `; its last output:\n${tail}` : ""}`,
      });
    }
    this.events.onExit(this, tail ? `the executor process ${how}; its last output:\n${tail}` : `the executor process ${how}`);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  private receive(msg: FromExecutor): void {
    if (msg.t === "ready") {
      this.ready = true;
      if (this.onTiming && msg.startup) this.onTiming({ kind: "executor", startup: { spawned: this.spawnedAt, ...msg.startup, ready: epochNow() } });
      this.events.onReady(this);
    } else if (msg.t === "load-failed") {
      this.loadFailed = true;
      this.events.onLoadFailed(this, msg.error);
    } else if (msg.t === "results") {
      for (const done of msg.done) this.events.onDone(this, done);
    } else {
      this.events.onDone(this, msg);
    }
  }

  run(jobs: DispatchedJob[]): void {
    this.post({ t: "run", jobs });
  }

  cancelQueued(job: AttemptRef): void {
    this.post({ t: "cancel", jobId: job.jobId, attempt: job.attempt });
  }

  private post(msg: ToExecutor): void {
    if (this.exited || !this.proc.connected) return;
    this.proc.send(msg);
  }

  kill(): void {
    this.killedByPilot = true;
    // The executor, the command it may be running, and that command's children.
    if (!this.exited && this.proc.pid !== undefined) killTree(this.proc.pid);
  }
}

/**
 * The pool's executors as processes: started with the settings of the moment (the server replica, the
 * pilot's id), in the host's container runtime if the context names an image, importing the bundle's file.
 */
export function processExecutors(
  settings: () => ExecutorSettings,
  runtime: ExecutionContext["runtime"],
  /** Where the pilot placed a bundle's file and a project archive's directory. */
  code: { fileOf(bundleHash: string): string; projectDirOf(projectHash: string): string },
  /** Where the pilot warns, once, that container jobs run outside its sandbox. */
  log: Logger,
): StartExecutor {
  let containerWarned = false;
  return (context, events) => {
    const now = settings();
    const { sandbox } = now;
    if (sandbox && context.container && !containerWarned) {
      containerWarned = true;
      log.warn({ container: context.container }, "container jobs run outside the bubblewrap sandbox (in their container, with the same clean environment)");
    }
    const where = { initEnv: context.initEnv, container: context.container, runtime };
    // A driver job's work calls go to the server: its sandbox keeps the network whatever --sandbox-network says.
    const own = sandbox && context.kind === "driver" ? { ...sandbox, settings: { ...sandbox.settings, network: true } } : sandbox;
    const projectDir = context.projectHash === undefined ? undefined : code.projectDirOf(context.projectHash);
    return new ExecutorHandle(contextKey(context), context.bundleHash, code.fileOf(context.bundleHash), { ...now, sandbox: own }, where, events, projectDir);
  };
}
