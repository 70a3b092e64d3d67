// Tagging: a value to its tagged JSON. Plain JSON is recognised by a fast walk and returned as it is; anything
// else takes the slow walk, which tags what JSON cannot express and names the path of what cannot be sent.

import { Buffer } from "node:buffer";
import { CodecError, isPlainPrototype, looksLikeTag, setKey, typedArrayName, type JsonObject, type JsonValue } from "./tag-shapes.js";

// ---------------------------------------------------------------------------------------------
// Fast path: plain JSON

// A cycle makes the fast walk recurse without end; past this depth we hand over to the slow walk,
// which tracks ancestors and reports the cycle. Legitimately deeper data just takes the slow walk.
const FAST_MAX_DEPTH = 200;

/** True when JSON.stringify(value) already is the tagged JSON of value. No allocation beyond key lists. */
export function isPlainJson(value: unknown, depth: number): boolean {
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

export class Tagger {
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
