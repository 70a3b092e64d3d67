import { InvalidArgumentError } from "commander";
import { parseByteSize } from "../codec/limits.js";
import { durationMs } from "../core/duration.js";
import { errorMessage } from "../core/errors.js";

/** "500ms", "10s", "2m", "1h", "30d" or a number of milliseconds. */
export function parseDuration(text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new InvalidArgumentError(`'${text}' is not a duration; write e.g. 500ms, 10s, 2m, 1h or 30d`);
  return ms;
}

export function parseBytes(text: string): number {
  try {
    return parseByteSize(text);
  } catch (err) {
    throw new InvalidArgumentError(errorMessage(err));
  }
}

/** Plain decimal digits only: Number() would also take "", "0x10" and "1e3". */
function wholeNumber(text: string): number {
  return /^\s*\d{1,15}\s*$/.test(text) ? Number(text) : NaN;
}

export function parseCount(text: string): number {
  const n = wholeNumber(text);
  if (!(n >= 1)) throw new InvalidArgumentError(`'${text}' is not a whole number of at least 1`);
  return n;
}

export function parseNonNegative(text: string): number {
  const n = wholeNumber(text);
  if (!(n >= 0)) throw new InvalidArgumentError(`'${text}' is not a whole number of at least 0`);
  return n;
}

export function parsePort(text: string): number {
  const n = wholeNumber(text);
  if (!(n >= 0 && n <= 65535)) throw new InvalidArgumentError(`'${text}' is not a TCP port (0-65535)`);
  return n;
}

/** A duration that must be more than zero (intervals and timeouts). */
export function parsePositiveDuration(text: string): number {
  const ms = parseDuration(text);
  if (ms <= 0) throw new InvalidArgumentError(`'${text}' must be longer than zero`);
  return ms;
}

/** Text a user meant as JSON: an object, an array, a quoted string, or something that starts like a number. */
const LOOKS_LIKE_JSON = /^\s*(?:[{["]|[+-]?\.?\d)/;

/**
 * A command-line argument of a workflow: JSON when it is JSON (42, true, null, "text", {"a": 1}, [1, 2]);
 * any other word is passed as the string itself. Text that looks like JSON but does not parse is refused
 * rather than passed on as a string the workflow did not expect; quoted as a JSON string, it is text.
 */
export function parseWorkflowArg(text: string, position: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!LOOKS_LIKE_JSON.test(text)) return text;
    throw new InvalidArgumentError(
      `argument ${position}, '${text}', looks like JSON but is not valid JSON (${errorMessage(err)}); ` +
        `correct it, or pass it as text in JSON quotes: '${JSON.stringify(text)}'`,
    );
  }
}
