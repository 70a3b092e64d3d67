import { sha256Hex } from "../codec/sha256.js";

/**
 * The memo hash of a work call: its work, and each job's key and arguments (tagged JSON), in order. With
 * the workflow and the call's number it is the call's key: a re-run driver's call must hash the same.
 */
export function callHash(work: string, jobs: ReadonlyArray<{ key: string; args: string }>): string {
  return sha256Hex(callParts(work, jobs));
}

function* callParts(work: string, jobs: ReadonlyArray<{ key: string; args: string }>): Generator<string> {
  yield work;
  // Lengths first, so that no two different calls can write the same byte stream.
  for (const j of jobs) yield `\n${j.key.length}:${j.key}\n${j.args.length}:${j.args}`;
}
