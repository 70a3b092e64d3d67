// Untagging: tagged JSON back to the values it stands for.

import { Buffer } from "node:buffer";
import { looksLikeTag, setKey, TYPED_ARRAYS, type JsonValue, type TypedArrayName } from "./tag-shapes.js";

const NOT_A_TAG: unique symbol = Symbol("not a tag");

const ERROR_CTORS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

function malformed(tag: string, body: unknown): Error {
  return new Error(`cannot decode tagged JSON: malformed ${tag} tag ${JSON.stringify(body)?.slice(0, 200)}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function base64Bytes(tag: string, body: unknown): Buffer {
  if (typeof body !== "string") throw malformed(tag, body);
  return Buffer.from(body, "base64");
}

/** Copies into a fresh ArrayBuffer: decoded Buffers may share Node's pool, and typed arrays need alignment. */
function freshArrayBuffer(bytes: Buffer): ArrayBuffer {
  const buffer = new ArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

function untagTag(tag: string, body: JsonValue): unknown {
  switch (tag) {
    case "$undefined":
      return undefined;
    case "$number":
      switch (body) {
        case "NaN":
          return NaN;
        case "Infinity":
          return Infinity;
        case "-Infinity":
          return -Infinity;
        case "-0":
          return -0;
      }
      throw malformed(tag, body);
    case "$bigint":
      if (typeof body !== "string" || !/^-?\d+$/.test(body)) throw malformed(tag, body);
      return BigInt(body);
    case "$date":
      if (body === null) return new Date(NaN);
      if (typeof body !== "string") throw malformed(tag, body);
      return new Date(body);
    case "$map": {
      if (!Array.isArray(body)) throw malformed(tag, body);
      const map = new Map<unknown, unknown>();
      for (const entry of body) {
        if (!Array.isArray(entry) || entry.length !== 2) throw malformed(tag, body);
        map.set(untag(entry[0] as JsonValue), untag(entry[1] as JsonValue));
      }
      return map;
    }
    case "$set":
      if (!Array.isArray(body)) throw malformed(tag, body);
      return new Set(body.map(untag));
    case "$bytes": {
      if (!isRecord(body) || typeof body.type !== "string" || !Object.hasOwn(TYPED_ARRAYS, body.type)) throw malformed(tag, body);
      const ctor = TYPED_ARRAYS[body.type as TypedArrayName];
      const bytes = base64Bytes(tag, body.base64);
      if (bytes.length % ctor.BYTES_PER_ELEMENT !== 0) throw malformed(tag, body);
      return new ctor(freshArrayBuffer(bytes));
    }
    case "$arraybuffer":
      return freshArrayBuffer(base64Bytes(tag, body));
    case "$regexp":
      if (!Array.isArray(body) || typeof body[0] !== "string" || typeof body[1] !== "string") throw malformed(tag, body);
      return new RegExp(body[0], body[1]);
    case "$error":
      return untagError(tag, body);
    case "$object": {
      // The escaped object's own keys are taken literally; only its values are untagged.
      if (!isRecord(body)) throw malformed(tag, body);
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(body)) setKey(out, key, untag(body[key] as JsonValue));
      return out;
    }
    default:
      // Not one of ours (e.g. written by hand elsewhere): keep it as the plain object it is.
      return NOT_A_TAG;
  }
}

function untagError(tag: string, body: JsonValue): Error {
  if (!isRecord(body) || typeof body.name !== "string" || typeof body.message !== "string") throw malformed(tag, body);
  const ctor = ERROR_CTORS[body.name] ?? Error;
  const error = Object.hasOwn(body, "cause")
    ? new ctor(body.message, { cause: untag(body.cause as JsonValue) })
    : new ctor(body.message);
  if (error.name !== body.name) {
    Object.defineProperty(error, "name", { value: body.name, writable: true, enumerable: false, configurable: true });
  }
  if (typeof body.stack === "string") {
    Object.defineProperty(error, "stack", { value: body.stack, writable: true, enumerable: false, configurable: true });
  } else {
    // A stack captured here, in the decoder, would mislead.
    delete error.stack;
  }
  return error;
}

/** Untags copy-on-write: subtrees without tags are returned as they are, never copied. */
export function untag(json: JsonValue): unknown {
  if (typeof json !== "object" || json === null) return json;
  if (Array.isArray(json)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < json.length; i++) {
      const item = json[i] as JsonValue;
      const decoded = untag(item);
      if (out === undefined && decoded !== item) out = json.slice(0, i);
      out?.push(decoded);
    }
    return out ?? json;
  }
  const keys = Object.keys(json);
  if (looksLikeTag(keys)) {
    const tag = keys[0] as string;
    const decoded = untagTag(tag, json[tag] as JsonValue);
    if (decoded !== NOT_A_TAG) return decoded;
  }
  let out: Record<string, unknown> | undefined;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k] as string;
    const value = json[key] as JsonValue;
    const decoded = untag(value);
    if (out === undefined && decoded !== value) {
      out = {};
      for (let j = 0; j < k; j++) setKey(out, keys[j] as string, json[keys[j] as string]);
    }
    if (out !== undefined) setKey(out, key, decoded);
  }
  return out ?? json;
}
