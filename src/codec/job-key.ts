// A job's key: the identity of one entry of work, stable across runs and shared with Python tooling.

import type * as Crypto from "node:crypto";
import { createRequire } from "node:module";
import { pythonJsonDumps } from "./canonical-json.js";
import { toJsonValue } from "./tagged-json.js";

/**
 * Loaded at the first key: an executor imports the SDK (work()) but computes no key, and node:crypto costs it
 * about 2 MiB and 5 ms of start-up.
 */
let cryptoModule: typeof Crypto | undefined;

/**
 * SHA-1 hex of the entry's tagged JSON as Python's json.dumps(entry, sort_keys=True) prints it. `root` names
 * the entry in the error thrown for a value that cannot be sent.
 */
export function jobKeyOf(entry: unknown, root = "entry"): string {
  cryptoModule ??= createRequire(import.meta.url)("node:crypto") as typeof Crypto;
  return cryptoModule.createHash("sha1").update(pythonJsonDumps(toJsonValue(entry, { root }))).digest("hex");
}
