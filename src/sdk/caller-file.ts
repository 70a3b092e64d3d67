import { existsSync } from "node:fs";
import { isAbsolute, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { PANDO_ROOT } from "../bundle/pando-root.js";

/** Pando's own code, whether it runs from dist/ (an installed package) or from src/ (a checkout under tsx or vitest). */
export const PANDO_CODE: readonly string[] = [join(PANDO_ROOT, "dist") + sep, join(PANDO_ROOT, "src") + sep];

/** Frames read at most: the user's module is a few frames above the SDK's, whatever called it. */
const MAX_FRAMES = 64;

/**
 * The files of the calling frames as V8 runs them. Read from call sites rather than from the text of a stack
 * trace: with source maps on (tsx, `node --enable-source-maps`, source-map-support) the text names the files
 * the maps point at — Pando's own src/*.ts for its dist/*.js — instead of the files that run.
 */
function runningFiles(): string[] {
  const { prepareStackTrace, stackTraceLimit } = Error;
  try {
    Error.stackTraceLimit = MAX_FRAMES;
    Error.prepareStackTrace = (_error, sites) => sites.map((site) => site.getFileName() ?? "");
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, runningFiles);
    return Array.isArray(holder.stack) ? (holder.stack as string[]) : [];
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/**
 * The first file on the call stack that is not one of `skip` (files, or directories ending in a separator):
 * the module whose code called in. Node's internals, eval'd code and anything else that is not a file on
 * disk are passed over.
 */
export function firstFileOutside(skip: readonly string[]): string | undefined {
  for (const name of runningFiles()) {
    const file = name.startsWith("file://") ? fileURLToPath(name) : name;
    if (!isAbsolute(file) || skip.some((s) => (s.endsWith(sep) ? file.startsWith(s) : file === s))) continue;
    if (existsSync(file)) return file;
  }
  return undefined;
}
