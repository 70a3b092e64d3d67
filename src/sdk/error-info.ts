// A thrown value as the error of a failed attempt, the same in an executor and in an in-process run.
import { errorFields, type ErrorInfo, markNonRetryable } from "../core/errors.js";
import { COMMAND_FAILURE, NON_RETRYABLE } from "./errors.js";

/**
 * The ErrorInfo of what a work threw: a command's failure as the command left it (its own code, exit code
 * and signal, no stack), a NonRetryableError marked not retryable, anything else with `code`.
 */
export function errorInfoOf(err: unknown, code: ErrorInfo["code"]): ErrorInfo {
  if (typeof err === "object" && err !== null) {
    const failure = (err as { [COMMAND_FAILURE]?: ErrorInfo })[COMMAND_FAILURE];
    if (failure) return failure;
  }
  const info: ErrorInfo = { code, ...errorFields(err) };
  if (err instanceof Error && (err as { [NON_RETRYABLE]?: boolean })[NON_RETRYABLE] === true) {
    return markNonRetryable(info, `the work threw ${err.name === "NonRetryableError" ? "a NonRetryableError" : `${err.name}, a NonRetryableError`}`);
  }
  return info;
}
