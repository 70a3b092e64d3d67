// Runs one job of a command work: its command in a fresh working directory, with the job's arguments in a
// file and its result read back as JSON. The same in an executor (a pilot's job) and in an in-process run.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { fileURLToPath } from "node:url";
import { DEFAULT_MAX_PAYLOAD_BYTES, formatBytes } from "../codec/limits.js";
import { assertPlainJson } from "../codec/plain-json.js";
import { type CheckedCommand, checkCommand, commandFailure, LastLine, NON_RETRYABLE_EXIT_CODE, readCommandResult, tailOf } from "../core/command.js";
import { type ErrorInfo, errorMessage } from "../core/errors.js";
import { sleep } from "../core/sleep.js";
import { currentJob, type JobInfo } from "./context.js";
import { CommandError } from "./errors.js";
import { projectDir } from "./project-dir.js";

/** The folder of the Python helper (pando_job.py), shipped with the package beside dist/. */
export const PYTHON_HELPER_DIR = fileURLToPath(new URL("../../python", import.meta.url));
const PYTHON_HELPER = join(PYTHON_HELPER_DIR, "pando_job.py");

/** Where the output pipes of a command that has exited may stay open (a background process holding them). */
const OUTPUT_GRACE_MS = 1000;

export interface CommandSettings {
  work: string;
  nonRetryableExitCodes: readonly number[];
  stderrTailChars: number;
}

function fail(info: ErrorInfo): never {
  throw new CommandError(info);
}

/** The directory per-attempt working directories are made in: PANDO_WORK_ROOT, or the system's temporary directory. */
function workRoot(): string {
  const root = process.env.PANDO_WORK_ROOT || tmpdir();
  mkdirSync(root, { recursive: true });
  return root;
}

function payloadLimit(): number {
  const fromPilot = Number(process.env.PANDO_MAX_PAYLOAD_BYTES);
  return Number.isFinite(fromPilot) && fromPilot > 0 ? fromPilot : DEFAULT_MAX_PAYLOAD_BYTES;
}

/** Runs the command a command work's function returned for `args`; resolves to its result or throws a CommandError. */
export async function runCommandWork(spec: unknown, args: readonly unknown[], settings: CommandSettings): Promise<unknown> {
  const command = checkedCommand(spec, args, settings.work);
  const job = currentJob() ?? { jobId: 0, taskId: 0, workflowId: 0, attempt: 1, index: 0, key: "" };
  const dir = mkdtempSync(join(workRoot(), `pando-job-${job.jobId}.${job.attempt}-`));
  try {
    const files = { args: join(dir, ".pando-args.json"), result: join(dir, ".pando-result.json") };
    writeFileSync(files.args, JSON.stringify(args));
    const limit = payloadLimit();
    const last = new LastLine(limit);
    const { exit, stderr } = await runInDirectory(command, dir, commandEnvironment(command, dir, files, job), last, settings.stderrTailChars);
    if (exit.code !== 0) {
      fail(
        commandFailure({
          display: command.display,
          exitCode: exit.code,
          signal: exit.signal,
          stderrTail: tailOf(stderr, settings.stderrTailChars),
          nonRetryableExitCodes: settings.nonRetryableExitCodes,
        }),
      );
    }
    const result = readCommandResult(readResultFile(files.result, limit), last.end(), limit);
    if (!result.ok) fail(result.error);
    return result.value;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The command the work's function returned, checked, for arguments that are plain JSON. */
function checkedCommand(spec: unknown, args: readonly unknown[], work: string): CheckedCommand {
  let command;
  try {
    command = checkCommand(spec, work);
  } catch (err) {
    return fail({ code: "bad_command", message: errorMessage(err) });
  }
  try {
    assertPlainJson(args, "args");
  } catch (err) {
    return fail({ code: "bad_arguments", message: `command work '${work}': ${errorMessage(err)}` });
  }
  return command;
}

/** The command's environment: its own variables over the process's, and the job's PANDO_* variables. */
function commandEnvironment(command: CheckedCommand, dir: string, files: { args: string; result: string }, job: JobInfo): NodeJS.ProcessEnv {
  const pythonPath = command.env.PYTHONPATH ?? process.env.PYTHONPATH;
  return {
    ...process.env,
    ...command.env,
    PYTHONPATH: pythonPath ? `${PYTHON_HELPER_DIR}${delimiter}${pythonPath}` : PYTHON_HELPER_DIR,
    PANDO_ARGS: files.args,
    PANDO_RESULT: files.result,
    PANDO_WORK_DIR: dir,
    PANDO_PROJECT_DIR: projectDir(),
    PANDO_JOB_ID: String(job.jobId),
    PANDO_TASK_ID: String(job.taskId),
    PANDO_WORKFLOW_ID: String(job.workflowId),
    PANDO_ATTEMPT: String(job.attempt),
    PANDO_JOB_INDEX: String(job.index),
    PANDO_JOB_KEY: job.key,
    PANDO_PYTHON_HELPER: PYTHON_HELPER,
    PANDO_NON_RETRYABLE_EXIT: String(NON_RETRYABLE_EXIT_CODE),
  };
}

interface CommandRun {
  exit: { code: number | null; signal: NodeJS.Signals | null };
  /** The end of what it wrote to stderr, at most twice the tail kept. */
  stderr: string;
}

/**
 * Runs the command in `dir` until it exits and its output is read: what it prints is the job's output (in
 * an executor it lands in the job's log), its last stdout line goes to `last`.
 */
async function runInDirectory(command: CheckedCommand, dir: string, env: NodeJS.ProcessEnv, last: LastLine, stderrTailChars: number): Promise<CommandRun> {
  let stderr = "";
  const exit = await new Promise<CommandRun["exit"]>((resolve, reject) => {
    const child = spawn(command.file, command.args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    const out = new StringDecoder("utf8");
    const err = new StringDecoder("utf8");
    child.stdout.on("data", (chunk: Buffer) => {
      const text = out.write(chunk);
      last.push(text);
      process.stdout.write(text);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      const text = err.write(chunk);
      stderr = (stderr + text).slice(-2 * stderrTailChars);
      process.stderr.write(text);
    });
    const closed = new Promise<void>((done) => child.once("close", () => done()));
    child.once("error", (e) => reject(e));
    child.once("exit", (code, signal) => {
      void Promise.race([closed, sleep(OUTPUT_GRACE_MS, { unref: true })]).then(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        const rest = out.end();
        last.push(rest);
        process.stdout.write(rest);
        process.stderr.write(err.end());
        resolve({ code, signal });
      });
    });
  }).catch((e: NodeJS.ErrnoException) => {
    const why = e.code === "ENOENT" ? ` (no program ${command.file} on the PATH of the job's host)` : "";
    return fail({ code: "command_failed", message: `the command \`${command.display}\` could not start: ${e.message}${why}` });
  });
  return { exit, stderr };
}

/** What the command wrote to its result file ($PANDO_RESULT), if it wrote one within the payload limit. */
function readResultFile(resultFile: string, limit: number): string | undefined {
  if (!existsSync(resultFile)) return undefined;
  const size = statSync(resultFile).size;
  if (size > limit) {
    fail({
      code: "payload_too_large",
      message: `the command's result file ($PANDO_RESULT) is ${formatBytes(size)}, over the ${formatBytes(limit)} limit of a result; pass large data by reference (a file path)`,
    });
  }
  return readFileSync(resultFile, "utf8");
}
