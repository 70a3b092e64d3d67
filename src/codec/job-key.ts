// A job's key: the identity of one entry of work, stable across runs and shared with Python tooling.

import { createHash } from "node:crypto";
import { pythonJsonDumps } from "./canonical-json.js";
import { toJsonValue } from "./tagged-json.js";

/**
 * SHA-1 hex of the entry's tagged JSON as Python's json.dumps(entry, sort_keys=True) prints it. `root` names
 * the entry in the error thrown for a value that cannot be sent.
 */
export function jobKeyOf(entry: unknown, root = "entry"): string {
  return createHash("sha1").update(pythonJsonDumps(toJsonValue(entry, { root }))).digest("hex");
}
