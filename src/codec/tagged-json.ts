// Tagged JSON: the wire format of job arguments and results. Plain JSON stays as it is (readable, and
// cheap: one validation walk plus JSON.stringify); values JSON cannot express become single-key
// objects whose key starts with "$", e.g. {"$date": "2024-01-01T00:00:00.000Z"}.

import { Buffer } from "node:buffer";
import { formatBytes } from "./limits.js";
import { CodecError, type JsonValue } from "./tag-shapes.js";
import { isPlainJson, Tagger } from "./tagger.js";
import { untag } from "./untag.js";

export { CodecError, type CodecErrorCode, type JsonValue } from "./tag-shapes.js";

export interface EncodeOptions {
  /** Name of the value in error paths; default "value". */
  root?: string;
  /** If set, the UTF-8 byte length of the encoded text must be <= this. */
  limitBytes?: number;
  /** Words for the limit message, e.g. "argument set" or "result"; default "value". */
  what?: string;
}

/**
 * Validates a value and returns its tagged JSON form. Throws CodecError("unserialisable") naming the
 * path of anything that cannot be sent. Plain JSON data is returned as is (not copied).
 */
export function toJsonValue(value: unknown, options?: { root?: string }): JsonValue {
  if (isPlainJson(value, 0)) return value as JsonValue;
  return new Tagger(options?.root ?? "value").tag(value);
}

/** Turns tagged JSON back into the values it stands for. Does not modify its input. */
export function fromJsonValue(json: JsonValue): unknown {
  return untag(json);
}

/** Tagged JSON text of a value, checked against the optional byte limit. */
export function encode(value: unknown, options?: EncodeOptions): string {
  const text = JSON.stringify(toJsonValue(value, options));
  const limit = options?.limitBytes;
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so short text needs no byte count.
  if (limit !== undefined && text.length * 3 > limit) {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > limit) {
      const what = options?.what ?? "value";
      throw new CodecError(
        "payload_too_large",
        `the ${what} is ${formatBytes(bytes)}, over the ${formatBytes(limit)} limit per ${what}; pass large data by reference (a file path or URL), or raise the limit (maxPayloadBytes)`,
      );
    }
  }
  return text;
}

/** Parses tagged JSON text. Only text that contains `"$` can hold tags, so only that is walked. */
export function decode(text: string): unknown {
  const json = JSON.parse(text) as JsonValue;
  return text.includes('"$') ? untag(json) : json;
}
