// The rules of command works, without I/O: what a command work's function may return, what the command's
// result is, and how its exit becomes the job's error.
import { type ErrorInfo, errorMessage } from "./errors.js";

/** The exit code by which a command declares its failure not retryable (the Python helper's fail(retryable=False)). */
export const NON_RETRYABLE_EXIT_CODE = 87;

/** Characters of the end of a failed command's stderr quoted in the job's error, by default. */
export const DEFAULT_STDERR_TAIL_CHARS = 2000;

/** Variables Pando sets for every command: a command work's `env` may not set them. */
export const COMMAND_VARIABLES = [
  "PANDO_ARGS",
  "PANDO_RESULT",
  "PANDO_WORK_DIR",
  "PANDO_PROJECT_DIR",
  "PANDO_JOB_ID",
  "PANDO_TASK_ID",
  "PANDO_WORKFLOW_ID",
  "PANDO_ATTEMPT",
  "PANDO_JOB_INDEX",
  "PANDO_JOB_KEY",
  "PANDO_PYTHON_HELPER",
  "PANDO_NON_RETRYABLE_EXIT",
] as const;

/** A command ready to start: a program and its arguments (a string command is `/bin/sh -c` it). */
export interface CheckedCommand {
  file: string;
  args: string[];
  /** Variables added to the job's environment. */
  env: Record<string, string>;
  /** How the command reads in messages: its text, shortened. */
  display: string;
}

const DISPLAY_CHARS = 200;
const SPEC_FIELDS = new Set(["command", "env"]);

function display(text: string): string {
  return text.length <= DISPLAY_CHARS ? text : `${text.slice(0, DISPLAY_CHARS - 1)}…`;
}

function quoted(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value) ?? String(value)}`;
}

/**
 * Checks what a command work's function returned: a string (run by `/bin/sh -c`), an array of strings (the
 * program and its arguments, run directly), or `{ command, env }`. Throws a TypeError saying what is wrong.
 */
export function checkCommand(value: unknown, work: string): CheckedCommand {
  const fail = (problem: string): never => {
    throw new TypeError(
      `command work '${work}' ${problem}; its function must return a command line: a string (run by /bin/sh -c), ` +
        `an array of strings (the program and its arguments), or { command, env }`,
    );
  };
  const spec = typeof value === "string" || Array.isArray(value) ? { command: value } : value;
  if (typeof spec !== "object" || spec === null) return fail(`returned ${describe(value)}`);
  const unknown = Object.keys(spec).filter((k) => !SPEC_FIELDS.has(k));
  if (unknown.length > 0) fail(`returned unknown field(s) ${unknown.map((k) => `'${k}'`).join(", ")} (known: command, env)`);
  const { command, env } = spec as { command?: unknown; env?: unknown };
  let file: string;
  let args: string[];
  let text: string;
  if (typeof command === "string") {
    if (command.trim() === "") fail("returned an empty command");
    if (command.includes("\0")) fail("returned a command with a NUL character");
    [file, args, text] = ["/bin/sh", ["-c", command], command];
  } else if (Array.isArray(command)) {
    if (command.length === 0) fail("returned an empty command array");
    command.forEach((a: unknown, i) => {
      if (typeof a !== "string") fail(`returned a command whose element ${i} is ${describe(a)}, not a string`);
      if ((a as string).includes("\0")) fail(`returned a command whose element ${i} has a NUL character`);
    });
    const parts = command as string[];
    if (parts[0] === "") fail("returned a command whose program (element 0) is empty");
    [file, args, text] = [parts[0]!, parts.slice(1), parts.map(quoted).join(" ")];
  } else {
    return fail(command === undefined ? "returned no command" : `returned a command that is ${describe(command)}`);
  }
  const checkedEnv: Record<string, string> = {};
  if (env !== undefined) {
    if (typeof env !== "object" || env === null || Array.isArray(env)) fail(`returned an env that is ${describe(env)}, not an object`);
    for (const [name, v] of Object.entries(env as Record<string, unknown>)) {
      if (!/^[^=\0]+$/.test(name)) fail(`returned an env variable named ${JSON.stringify(name)}, which no environment can hold`);
      if ((COMMAND_VARIABLES as readonly string[]).includes(name)) fail(`sets ${name} in env, which Pando sets for every command`);
      if (typeof v !== "string") fail(`returned env.${name} that is ${describe(v)}; environment variables are strings (String(x))`);
      if ((v as string).includes("\0")) fail(`returned env.${name} with a NUL character`);
      checkedEnv[name] = v as string;
    }
  }
  return { file, args, env: checkedEnv, display: display(text) };
}

/** Checks the exit codes a command work declares not retryable: whole numbers 1 to 255. */
export function checkExitCodes(codes: unknown, work: string): number[] {
  if (codes === undefined) return [];
  if (!Array.isArray(codes) || codes.some((c) => !Number.isInteger(c) || (c as number) < 1 || (c as number) > 255)) {
    throw new TypeError(`command work '${work}': nonRetryableExitCodes must be a list of exit codes, whole numbers from 1 to 255 (got ${JSON.stringify(codes)})`);
  }
  return codes as number[];
}

/**
 * The last non-empty line of a stream, fed in chunks: the candidate result of a command. Lines longer than
 * `limit` characters are remembered only as too long.
 */
export class LastLine {
  private current = "";
  private currentTooLong = false;
  private last: string | undefined;
  private lastTooLong = false;

  constructor(private readonly limit: number) {}

  push(chunk: string): void {
    const lines = chunk.split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (i > 0) this.endLine();
      this.append(lines[i]!);
    }
  }

  private append(text: string): void {
    if (this.currentTooLong) return;
    if (this.current.length + text.length > this.limit) {
      this.currentTooLong = true;
      this.current = "";
      return;
    }
    this.current += text;
  }

  private endLine(): void {
    if (this.currentTooLong || this.current.trim() !== "") {
      this.last = this.currentTooLong ? undefined : this.current.trim();
      this.lastTooLong = this.currentTooLong;
    }
    this.current = "";
    this.currentTooLong = false;
  }

  /** The last non-empty line, once the stream ended; `tooLong` when it was over the limit. */
  end(): { line: string | undefined; tooLong: boolean } {
    this.endLine();
    return { line: this.last, tooLong: this.lastTooLong };
  }
}

export type CommandResult = { ok: true; value: unknown } | { ok: false; error: ErrorInfo };

function snippet(text: string): string {
  const one = text.trim();
  return JSON.stringify(one.length <= 200 ? one : `${one.slice(0, 199)}…`);
}

/**
 * The result of a command that exited with code 0: the JSON of its result file if it wrote one, otherwise
 * its last non-empty line of output parsed as JSON, otherwise (no output at all) null. Anything that is not
 * JSON is the job's error (`unreadable_result`): a result quietly turned into a string would mislead.
 */
export function readCommandResult(resultFile: string | undefined, last: { line: string | undefined; tooLong: boolean }, limitChars: number): CommandResult {
  if (resultFile !== undefined) {
    if (resultFile.trim() === "") {
      return { ok: false, error: { code: "unreadable_result", message: "the command wrote an empty result file ($PANDO_RESULT); write the result there as JSON" } };
    }
    try {
      return { ok: true, value: JSON.parse(resultFile) as unknown };
    } catch (err) {
      return {
        ok: false,
        error: {
          code: "unreadable_result",
          message: `the command's result file ($PANDO_RESULT) is not JSON (${errorMessage(err)}); it begins ${snippet(resultFile.slice(0, 400))}`,
        },
      };
    }
  }
  if (last.tooLong) {
    return {
      ok: false,
      error: {
        code: "payload_too_large",
        message: `the last line of the command's output is longer than the ${limitChars}-character limit of a result; write a large result to $PANDO_RESULT (it is checked against the payload limit), or pass it by reference (a file path)`,
      },
    };
  }
  if (last.line === undefined) return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(last.line) as unknown };
  } catch {
    return {
      ok: false,
      error: {
        code: "unreadable_result",
        message:
          `the last line of the command's output, ${snippet(last.line)}, is not JSON: print the result as JSON on the last line ` +
          "(in Python json.dumps(value), or pando_job.result(value)), or write it as JSON to the file named by $PANDO_RESULT",
      },
    };
  }
}

/** The end of a command's stderr, from the start of a line where possible. */
export function tailOf(text: string, chars: number): string {
  const trimmed = text.trimEnd();
  if (trimmed.length <= chars) return trimmed.trimStart();
  const tail = trimmed.slice(-chars);
  const newline = tail.indexOf("\n");
  return `…${newline >= 0 && newline < tail.length - 1 ? tail.slice(newline) : tail}`;
}

export interface CommandExit {
  /** The command as it reads in messages. */
  display: string;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string;
  nonRetryableExitCodes: readonly number[];
}

/** The job's error for a command that exited with a non-zero code or was killed by a signal. */
export function commandFailure(exit: CommandExit): ErrorInfo {
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
  let nonRetryable: string | undefined;
  if (exit.exitCode === NON_RETRYABLE_EXIT_CODE) {
    nonRetryable = `the command declared its failure not retryable (exit code ${NON_RETRYABLE_EXIT_CODE}, $PANDO_NON_RETRYABLE_EXIT)`;
  } else if (exit.exitCode !== null && exit.nonRetryableExitCodes.includes(exit.exitCode)) {
    nonRetryable = `exit code ${exit.exitCode} is in the work's nonRetryableExitCodes`;
  }
  const note = nonRetryable ? ` (not retried: ${nonRetryable})` : "";
  const output = exit.stderrTail ? `; the end of its stderr:\n${exit.stderrTail}` : "; it wrote nothing on stderr";
  const info: ErrorInfo = { code: "command_failed", message: `the command \`${exit.display}\` ${how}${note}${output}` };
  if (exit.exitCode !== null) info.exitCode = exit.exitCode;
  if (exit.signal !== null) info.signal = exit.signal;
  if (nonRetryable) info.nonRetryable = nonRetryable;
  return info;
}
