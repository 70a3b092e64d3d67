// Parsers of option values shared by the monitoring commands, for commander: each throws an
// InvalidArgumentError that says what was wrong and what is allowed.
import { InvalidArgumentError } from "commander";
import { parseCount } from "./parse.js";

/** A comma-separated list of `what`s, each one of `allowed`: `--status failed,cancelled`. */
export function parseChoices<T extends string>(what: string, allowed: readonly T[]): (text: string) => T[] {
  return (text) => {
    const items = text.split(",").map((s) => s.trim());
    for (const item of items) {
      if (!(allowed as readonly string[]).includes(item)) {
        throw new InvalidArgumentError(`'${item}' is not a ${what}; use one or more of ${allowed.join(", ")}, separated by commas`);
      }
    }
    return items as T[];
  };
}

/** A page size from 1 up to the server's largest page. */
export function parsePageSize(max: number): (text: string) => number {
  return (text) => {
    const n = parseCount(text);
    if (n > max) throw new InvalidArgumentError(`'${text}' is over the largest page, ${max}`);
    return n;
  };
}
