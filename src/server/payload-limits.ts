import { ApiError } from "../api/errors.js";
import { formatBytes } from "../codec/limits.js";
import type { AttemptUpdate } from "../core/dispatch-records.js";
import type { ServerConfig } from "./config.js";

type Limits = Pick<ServerConfig, "maxPayloadBytes" | "maxLogChars">;

function byteLength(text: string, limit: number): number {
  // Only measure exactly when the text could be over the limit (3 bytes per UTF-16 unit at most).
  return text.length * 3 <= limit ? text.length : Buffer.byteLength(text);
}

/** Refuses a value over the payload limit (413), saying what it was. */
export function checkPayload(limits: Limits, text: string, what: string): void {
  const limit = limits.maxPayloadBytes;
  const size = byteLength(text, limit);
  if (size > limit) {
    throw new ApiError(
      413,
      "payload_too_large",
      `${what} is ${formatBytes(size)}, over the ${formatBytes(limit)} payload limit (maxPayloadBytes); ` +
        "pass large data by reference (a file path or URL) instead",
    );
  }
}

/** Keeps a pilot's report within the limits even if the pilot does not enforce them itself. */
export function boundUpdate(limits: Limits, u: AttemptUpdate): AttemptUpdate {
  const limit = limits.maxLogChars;
  if (u.stdout !== undefined && u.stdout.length > limit) u.stdout = u.stdout.slice(0, limit);
  if (u.stderr !== undefined && u.stderr.length > limit) u.stderr = u.stderr.slice(0, limit);
  if (u.result === undefined) return u;
  const size = byteLength(u.result, limits.maxPayloadBytes);
  if (size <= limits.maxPayloadBytes) return u;
  const { result: _dropped, ...rest } = u;
  return {
    ...rest,
    state: "failed",
    error: {
      code: "payload_too_large",
      message: `the result is ${formatBytes(size)}, over the ${formatBytes(limits.maxPayloadBytes)} payload limit`,
    },
  };
}
