// Command works: works whose function returns a command line (any executable: a Python script, a C++
// program), run in the job's context with the job's arguments in a JSON file (Parsl's bash_app, PanDA's
// transformation).
import { assertPlainJson } from "../codec/plain-json.js";
import { CodecError } from "../codec/tagged-json.js";
import { checkExitCodes, DEFAULT_STDERR_TAIL_CHARS } from "../core/command.js";
import type { JobSpec } from "./entries.js";
import type { WorkOptions } from "./options.js";
import type { AnyFn } from "./registry.js";
import { defineWork, type MapFlag, type Work } from "./work.js";

declare const RESULT: unique symbol;

/** A command line with its environment: what a command work's function returns, in full. */
export interface CommandSpec<R = unknown> {
  /** A string is run by `/bin/sh -c`; an array is the program and its arguments, run directly (no shell). */
  command: string | readonly string[];
  /** Variables added to the job's environment (the PANDO_* variables of every command are Pando's). */
  env?: Readonly<Record<string, string>>;
  /** The result's type, for TypeScript only. */
  readonly [RESULT]?: R;
}

/**
 * What a command work's function returns: a CommandSpec, or its command alone (a string, an array). `R` is
 * the type of the command's result (the JSON it writes to $PANDO_RESULT or prints on its last line):
 * declare it on the function, `(x: number): Command<{ loss: number }> => ["python3", "f.py"]`, and calls of
 * the work resolve to it.
 */
export type Command<R = unknown> = CommandSpec<R> | string | readonly string[];

/** Options of `command(options, fn)`: those of a work, and how the command's failures are read. */
export interface CommandOptions extends WorkOptions {
  /**
   * Exit codes that mean a failure retrying cannot mend (bad input, a point outside the domain): the job
   * fails after that attempt, whatever maxAttempts says. Exit code 87 ($PANDO_NON_RETRYABLE_EXIT) always does.
   */
  nonRetryableExitCodes?: readonly number[];
  /** Characters of the end of a failed command's stderr quoted in the job's error (default 2000; all of it is in the job's log). */
  stderrTailChars?: number;
}

type CommandFn<A extends unknown[], R> = (...args: A) => Command<R> | Promise<Command<R>>;

/** Refuses arguments a command could not read back exactly from its JSON file, before anything is submitted. */
function checkJobs(name: string) {
  return (jobs: readonly JobSpec[]): void => {
    jobs.forEach((job, i) => {
      try {
        assertPlainJson(job.args, jobs.length === 1 ? "args" : `entries[${i}]`);
      } catch (err) {
        const e = err as CodecError;
        throw new CodecError(e.code, `command work '${name}' passes its arguments to the command as JSON: ${e.message}`, e.path);
      }
    });
  };
}

/**
 * Registers a command work: `fn` returns the command line for a job's arguments, and the job runs that
 * command in a fresh working directory of the job's host (after the work's initEnv, in its container). The
 * command finds its arguments in the JSON file $PANDO_ARGS and gives its result as JSON in the file
 * $PANDO_RESULT or on its last line of output; a non-zero exit is the job's error. It is a work like any
 * other: call it, map() it, with() it, inside a workflow or not. See docs/commands.md.
 */
export function command<A extends unknown[], R = unknown>(fn: CommandFn<A, R>): Work<(...args: A) => Promise<R>, false>;
export function command<const O extends CommandOptions, A extends unknown[], R = unknown>(
  options: O,
  fn: CommandFn<A, R>,
): Work<(...args: A) => Promise<R>, MapFlag<O>>;
export function command(a: CommandOptions | AnyFn, b?: AnyFn): Work<(...args: never[]) => unknown, boolean> {
  const options: CommandOptions = typeof a === "function" ? {} : a;
  const fn = (typeof a === "function" ? a : b) as ((...args: unknown[]) => unknown) | undefined;
  if (typeof fn !== "function") throw new TypeError("command() needs a function that returns the command line: command(options, fn) or command(fn)");
  const name = options.name ?? fn.name;
  if (!name) throw new TypeError('command() needs a name for an anonymous function: command({ name: "objective" }, fn)');
  const settings = {
    work: name,
    nonRetryableExitCodes: checkExitCodes(options.nonRetryableExitCodes, name),
    stderrTailChars: options.stderrTailChars ?? DEFAULT_STDERR_TAIL_CHARS,
  };
  if (!Number.isInteger(settings.stderrTailChars) || settings.stderrTailChars < 0) {
    throw new TypeError(`command work '${name}': stderrTailChars must be a whole number of characters (got ${JSON.stringify(options.stderrTailChars)})`);
  }
  // Loaded by the first command run: an executor of works that run no command never loads it.
  const run = async (...args: unknown[]) => (await import("./command-run.js")).runCommandWork(await fn(...args), args, settings);
  return defineWork(name, run, options, { checkJobs: checkJobs(name), source: fn });
}
