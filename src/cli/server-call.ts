import { apiCaller, type ApiCaller } from "../api/caller.js";
import { transportFor, type ClientFlags } from "./client-options.js";

/** Runs `call` with the API of the server the flags name, and closes the connection after. */
export async function withServer<T>(flags: ClientFlags, call: (api: ApiCaller) => Promise<T>): Promise<T> {
  const http = transportFor(flags);
  try {
    return await call(apiCaller(http));
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
