import type { HttpTransport } from "../sdk/http.js";
import { transportFor, type ClientFlags } from "./client-options.js";

/** Runs `call` with a connection to the server the flags name, and closes the connection after. */
export async function withServer<T>(flags: ClientFlags, call: (http: HttpTransport) => Promise<T>): Promise<T> {
  const http = transportFor(flags);
  try {
    return await call(http);
  } finally {
    await http.close();
  }
}

/** `--json` output: the API's objects as they came, one document on one line. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Text for people on stdout, with the final newline. */
export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** A remark beside the output (an empty listing, where the next page starts) on stderr, so stdout stays the data. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Refuses a workflow id beside a task or job of another workflow: the command line is mistaken. */
export function checkSameWorkflow(what: string, actual: number, named: number | undefined): void {
  if (named !== undefined && actual !== named) throw new Error(`${what} belongs to workflow ${actual}, not to workflow ${named}`);
}

/**
 * What was asked cannot be done as things stand (an attempt that does not exist, a workflow that has
 * already ended): the command exits with 1, as for the server's own refusals, not 2 as for a mistaken
 * command line.
 */
export class RefusedError extends Error {
  override name = "RefusedError";
}
