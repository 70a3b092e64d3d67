// Tagged JSON: the wire format of job arguments and results. Plain JSON stays as it is (readable, and
// cheap: one validation walk plus JSON.stringify); values JSON cannot express become single-key
// objects whose key starts with "$", e.g. {"$date": "2024-01-01T00:00:00.000Z"}.

import { Buffer } from "node:buffer";
import { formatBytes } from "./limits.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type CodecErrorCode = "unserialisable" | "payload_too_large";

export class CodecError extends Error {
  readonly code: CodecErrorCode;
  /** Where in the value the problem is, e.g. "args[0].model.fit"; "" when not about one value. */
  readonly path: string;

  constructor(code: CodecErrorCode, message: string, path = "") {
    super(message);
    this.name = "CodecError";
    this.code = code;
    this.path = path;
  }
}

export interface EncodeOptions {
  /** Name of the value in error paths; default "value". */
  root?: string;
  /** If set, the UTF-8 byte length of the encoded text must be <= this. */
  limitBytes?: number;
  /** Words for the limit message, e.g. "argument set" or "result"; default "value". */
  what?: string;
}

type JsonObject = { [key: string]: JsonValue };

const DOLLAR = 36; // "$"

/** Whether an object's keys would read as a tag: exactly one key, starting with "$". */
function looksLikeTag(keys: string[]): boolean {
  return keys.length === 1 && (keys[0] as string).charCodeAt(0) === DOLLAR;
}

/** Sets a key even when it is "__proto__", where plain assignment would change the prototype instead. */
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function isPlainPrototype(proto: unknown): boolean {
  return proto === Object.prototype || proto === null;
}

// ---------------------------------------------------------------------------------------------
// Fast path

// A cycle makes the fast walk recurse without end; past this depth we hand over to the slow walk,
// which tracks ancestors and reports the cycle. Legitimately deeper data just takes the slow walk.
const FAST_MAX_DEPTH = 200;

/** True when JSON.stringify(value) already is the tagged JSON of value. No allocation beyond key lists. */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !(value === 0 && 1 / value < 0);
    case "object": {
      if (value === null) return true;
      if (depth > FAST_MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        // Holes read as undefined, which is not plain.
        for (let i = 0; i < value.length; i++) {
          if (!isPlainJson(value[i], depth + 1)) return false;
        }
        return true;
      }
      if (!isPlainPrototype(Object.getPrototypeOf(value))) return false;
      const keys = Object.keys(value);
      if (looksLikeTag(keys)) return false;
      const record = value as Record<string, unknown>;
      for (const key of keys) {
        if (!isPlainJson(record[key], depth + 1)) return false;
      }
      return Object.getOwnPropertySymbols(value).length === 0;
    }
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Slow path: tagging, with paths for error messages

const TYPED_ARRAYS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;

type TypedArrayName = keyof typeof TYPED_ARRAYS;
type TypedArrayCtor = (typeof TYPED_ARRAYS)[TypedArrayName];
const TYPED_ARRAY_ENTRIES = Object.entries(TYPED_ARRAYS) as [TypedArrayName, TypedArrayCtor][];

function typedArrayName(value: ArrayBufferView): TypedArrayName | undefined {
  // A Node Buffer is a Uint8Array subclass, so it is found as "Uint8Array".
  for (const [name, ctor] of TYPED_ARRAY_ENTRIES) {
    if (value instanceof ctor) return name;
  }
  return undefined;
}

/** One step of a path: an array index, a property key, or text printed as is. Formatted only on error. */
type Segment = number | string | { text: string };

function formatSegment(segment: Segment): string {
  if (typeof segment === "number") return `[${segment}]`;
  if (typeof segment === "string") {
    return /^[A-Za-z_$][\w$]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
  }
  return segment.text;
}

/** How a primitive Map key reads inside `.get(...)`. */
function describeMapKey(key: unknown): string {
  if (typeof key === "string") return JSON.stringify(key);
  if (typeof key === "bigint") return `${key}n`;
  if (Object.is(key, -0)) return "-0";
  return String(key);
}

function className(value: object): string {
  const ctor = (Object.getPrototypeOf(value) as { constructor?: unknown } | null)?.constructor;
  const name = typeof ctor === "function" ? ctor.name : "";
  return name ? `an instance of class ${name}` : "an instance of an anonymous class";
}

const JOB_BOUNDARY = "cannot be sent to or from a job";

class Tagger {
  private readonly segments: Segment[];
  /** Objects on the current path, so a value met again below itself is a cycle. */
  private readonly ancestors: object[] = [];
  /** Ancestor → number of path segments leading to it, to print its path in cycle messages. */
  private readonly depthOf = new Map<object, number>();

  constructor(root: string) {
    this.segments = [{ text: root }];
  }

  tag(value: unknown): JsonValue {
    switch (typeof value) {
      case "string":
      case "boolean":
        return value;
      case "number":
        return tagNumber(value);
      case "undefined":
        return { $undefined: 1 };
      case "bigint":
        return { $bigint: value.toString() };
      case "function":
        throw this.refuse("is a function; functions cannot be sent to or from a job. Send plain data instead, and register code with work()");
      case "symbol":
        throw this.refuse(`is a symbol (${String(value)}); symbols ${JOB_BOUNDARY}. Use a string instead`);
      case "object":
        return value === null ? null : this.tagObject(value);
    }
    throw this.refuse(`has an unsupported type (${typeof value}); send plain data instead`);
  }

  private child(value: unknown, segment: Segment): JsonValue {
    this.segments.push(segment);
    const out = this.tag(value);
    this.segments.pop();
    return out;
  }

  private tagObject(value: object): JsonValue {
    const seenAt = this.depthOf.get(value);
    if (seenAt !== undefined) {
      const ancestor = this.pathOf(this.segments.slice(0, seenAt));
      throw this.refuse(
        `refers back to ${ancestor} (a cycle); cyclic data ${JOB_BOUNDARY}. Break the cycle, e.g. refer to the ancestor by an id instead of by reference`,
      );
    }
    this.ancestors.push(value);
    this.depthOf.set(value, this.segments.length);
    const out = this.tagObjectBody(value);
    this.ancestors.pop();
    this.depthOf.delete(value);
    return out;
  }

  private tagObjectBody(value: object): JsonValue {
    if (Array.isArray(value)) {
      const out: JsonValue[] = new Array<JsonValue>(value.length);
      // Holes read as undefined and so become {"$undefined":1}.
      for (let i = 0; i < value.length; i++) out[i] = this.child(value[i], i);
      return out;
    }
    if (isPlainPrototype(Object.getPrototypeOf(value))) return this.tagPlainObject(value as Record<string, unknown>);
    if (value instanceof Date) {
      return { $date: Number.isNaN(value.getTime()) ? null : value.toISOString() };
    }
    if (value instanceof Map) return this.tagMap(value);
    if (value instanceof Set) {
      const items: JsonValue[] = [];
      let i = 0;
      for (const item of value) items.push(this.child(item, { text: `[set item ${i++}]` }));
      return { $set: items };
    }
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const type = typedArrayName(value);
      if (type !== undefined) {
        // Only the view's own bytes: a view may be a small window into a large buffer.
        const base64 = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
        return { $bytes: { type, base64 } };
      }
    }
    if (value instanceof ArrayBuffer) return { $arraybuffer: Buffer.from(value).toString("base64") };
    if (value instanceof RegExp) return { $regexp: [value.source, value.flags] };
    if (value instanceof Error) return this.tagError(value);
    throw this.refuseInstance(value);
  }

  private tagPlainObject(value: Record<string, unknown>): JsonValue {
    for (const symbol of Object.getOwnPropertySymbols(value)) {
      // Non-enumerable symbols are library bookkeeping that JSON never sees either; let them go.
      if (!Object.prototype.propertyIsEnumerable.call(value, symbol)) continue;
      this.segments.push({ text: `[${String(symbol)}]` });
      throw this.refuse(`is a symbol-keyed property; symbol keys ${JOB_BOUNDARY}. Use a string key instead`);
    }
    const keys = Object.keys(value);
    const out: JsonObject = {};
    for (const key of keys) setKey(out, key, this.child(value[key], key));
    // Escape user data that would otherwise read as a tag.
    return looksLikeTag(keys) ? { $object: out } : out;
  }

  private tagMap(map: Map<unknown, unknown>): JsonValue {
    const entries: JsonValue[] = [];
    let i = 0;
    for (const [key, val] of map) {
      const primitive = key === null || (typeof key !== "object" && typeof key !== "function" && typeof key !== "symbol");
      if (primitive) {
        entries.push([this.tag(key), this.child(val, { text: `.get(${describeMapKey(key)})` })]);
      } else {
        const tagged = this.child(key, { text: `[map entry ${i}].key` });
        entries.push([tagged, this.child(val, { text: `[map entry ${i}].value` })]);
      }
      i++;
    }
    return { $map: entries };
  }

  private tagError(error: Error): JsonValue {
    const out: JsonObject = { name: String(error.name), message: String(error.message) };
    if (typeof error.stack === "string") out.stack = error.stack;
    if (Object.hasOwn(error, "cause")) {
      // The cause is a courtesy: an unsendable one is dropped rather than failing the whole error.
      const segmentCount = this.segments.length;
      const ancestorCount = this.ancestors.length;
      try {
        out.cause = this.child(error.cause, { text: ".cause" });
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        this.segments.length = segmentCount;
        while (this.ancestors.length > ancestorCount) this.depthOf.delete(this.ancestors.pop() as object);
      }
    }
    return { $error: out };
  }

  private refuseInstance(value: object): CodecError {
    if (value instanceof Promise) {
      return this.refuse(`is a Promise; promises ${JOB_BOUNDARY}. Await it and send the resolved value instead`);
    }
    if (value instanceof WeakMap || value instanceof WeakSet) {
      const kind = value instanceof WeakMap ? "WeakMap" : "WeakSet";
      return this.refuse(`is a ${kind}; its contents cannot be listed, so it ${JOB_BOUNDARY}. Use a ${kind.slice(4)} or plain data instead`);
    }
    if (value instanceof DataView) {
      return this.refuse(
        `is a DataView; a DataView ${JOB_BOUNDARY}. Send its bytes as a typed array instead, e.g. new Uint8Array(view.buffer, view.byteOffset, view.byteLength)`,
      );
    }
    return this.refuse(
      `is ${className(value)}; class instances ${JOB_BOUNDARY}. Convert it to plain data (objects, arrays, strings, numbers) and rebuild the instance on the other side`,
    );
  }

  private pathOf(segments: Segment[]): string {
    return segments.map(formatSegment).join("");
  }

  private refuse(problem: string): CodecError {
    const path = this.pathOf(this.segments);
    return new CodecError("unserialisable", `${path} ${problem}`, path);
  }
}

function tagNumber(value: number): JsonValue {
  if (Number.isFinite(value)) return value === 0 && 1 / value < 0 ? { $number: "-0" } : value;
  return { $number: String(value) }; // "NaN", "Infinity", "-Infinity"
}

// ---------------------------------------------------------------------------------------------
// Untagging

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
function untag(json: JsonValue): unknown {
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

// ---------------------------------------------------------------------------------------------
// Public API

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
