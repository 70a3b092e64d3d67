// Plain JSON: what a program in any language reads back exactly as it was sent (a command work's arguments).
import { CodecError } from "./tagged-json.js";

const MAX_DEPTH = 1000;

function kindOf(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : String(value);
    case "undefined":
      return "undefined";
    case "bigint":
      return "a BigInt";
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
    default: {
      if (value === null || Array.isArray(value)) return undefined;
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) return undefined;
      const name = (value as { constructor?: { name?: string } }).constructor?.name;
      return name ? `a ${name}` : "an instance of a class";
    }
  }
}

function hint(kind: string): string {
  if (kind === "a Date") return "send it as an ISO string (date.toISOString())";
  if (kind === "a BigInt") return "send it as a string or a number";
  if (kind === "undefined") return "leave the property out, or send null";
  if (kind === "NaN" || kind.endsWith("Infinity")) return "send null or a finite number";
  if (kind === "a Map" || kind === "a Set") return "send an object or an array";
  return "send plain data: numbers, strings, booleans, null, arrays and plain objects";
}

function walk(value: unknown, path: string, depth: number, seen: Set<object>): void {
  const kind = kindOf(value);
  if (kind !== undefined) {
    throw new CodecError("unserialisable", `${path} is ${kind}, which a command cannot read back from JSON: ${hint(kind)}`, path);
  }
  if (typeof value !== "object" || value === null) return;
  if (depth > MAX_DEPTH) throw new CodecError("unserialisable", `${path} is nested more than ${MAX_DEPTH} levels deep`, path);
  if (seen.has(value)) throw new CodecError("unserialisable", `${path} refers back to itself (a cycle), which JSON cannot hold`, path);
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new CodecError("unserialisable", `${path}[${i}] is a hole in the array: ${hint("undefined")}`, `${path}[${i}]`);
      walk(value[i], `${path}[${i}]`, depth + 1, seen);
    }
  } else {
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new CodecError("unserialisable", `${path} has a symbol-keyed property, which JSON cannot hold`, path);
    }
    for (const [key, v] of Object.entries(value)) {
      walk(v, /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`, depth + 1, seen);
    }
  }
  seen.delete(value);
}

/**
 * Throws a CodecError naming the path of the first value that JSON cannot carry exactly (undefined, NaN,
 * Date, Map, BigInt, class instances, cycles…): a command in another language would read something else.
 */
export function assertPlainJson(value: unknown, root: string): void {
  walk(value, root, 0, new Set());
}
