// Hostile requests made from the API's OpenAPI document, by a seeded generator (the same seed makes the same
// requests): wrong types, missing and extra fields, NUL characters, huge numbers, deep nesting, large
// arrays, long strings, bad path parameters and query strings, wrong content types, empty, truncated and
// duplicate-keyed bodies.

type Json = Record<string, any>;

/** A small seeded generator (mulberry32): fuzz runs replay from their seed. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** One operation of the document. */
export interface Operation {
  operationId: string;
  method: string;
  /** The path as the document writes it, `{id}` and all. */
  template: string;
  parameters: Array<{ name: string; in: "path" | "query"; schema: Json }>;
  /** The JSON body's schema, or "bytes" for a raw body. */
  body?: Json | "bytes";
}

export function operationsOf(doc: Json): Operation[] {
  const out: Operation[] = [];
  for (const [template, ops] of Object.entries(doc.paths as Json)) {
    for (const [method, op] of Object.entries(ops as Json)) {
      const content = op.requestBody?.content;
      out.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        template,
        parameters: op.parameters ?? [],
        body: content?.["application/octet-stream"] ? "bytes" : content?.["application/json"]?.schema,
      });
    }
  }
  return out;
}

/** Valid values a request may carry, so that hostile ones reach past the first check. */
export interface Known {
  /** Path ids by the resource the path names ("workflows", "tasks", "jobs", "pilots", "tokens"). */
  ids: Record<string, number[]>;
  /** Values of body fields and query parameters by name (jobId, bundleHash, queue…). */
  fields: Record<string, unknown[]>;
  hashes: string[];
  queues: string[];
}

const LONG = "x".repeat(70_000);

/** Strings that have broken parsers, stores and logs. */
const HOSTILE_STRINGS = [
  "",
  "\u0000",
  "a\u0000b",
  "\u0000".repeat(100),
  "\ud800",
  "\uffff\ufffe",
  "../../../../etc/passwd",
  "' OR 1=1; --",
  "%00",
  "${jndi:ldap://x}",
  "\r\n\r\nHTTP/1.1 200 OK",
  "NaN",
  "Infinity",
  "-1",
  "1e308",
  "3000000000",
  "9007199254740993",
  " 1",
  "0x10",
  LONG,
];

const HOSTILE_NUMBERS = [1e308, -1e308, 2 ** 53 + 1, 2 ** 63, 3e9, 2 ** 31, -1, -0, 0.5, 5e-324, Number.MAX_SAFE_INTEGER, -(2 ** 53)];

/** Path parameters that are not what the path wants. */
const HOSTILE_IDS = [
  "0",
  "-1",
  "99999999999999999999",
  "9007199254740993",
  "3000000000",
  "2147483648",
  "1e308",
  "1.5",
  "NaN",
  "abc",
  "%00",
  "1%00",
  "..",
  "%2e%2e",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "%20",
  "x".repeat(5_000),
  "%F0%9F%92%A9",
  "%ff",
];

/** A value of any type, hostile where it can be. */
function hostileValue(r: Random): unknown {
  switch (r.int(8)) {
    case 0:
    case 1:
      return r.pick(HOSTILE_STRINGS);
    case 2:
    case 3:
      return r.pick(HOSTILE_NUMBERS);
    case 4:
      return r.pick([null, true, false]);
    case 5:
      return r.pick<unknown>([[], {}, [null], [r.pick(HOSTILE_STRINGS)], { "": 1, __proto__x: 1, constructor: { prototype: 1 } }]);
    case 6:
      return r.pick<unknown>([{ $gt: "" }, ["a", 1, null], { a: { b: { c: [] } } }]);
    default:
      return `fz-${r.int(1e6)}\u0000`;
  }
}

/** Long-polls hold a valid wait open by design: a wait is hostile here only by being out of range or of the wrong type. */
const HOSTILE_WAITS = [0, -1, 120_001, 3e9, 1e308, "5", null, 0.5, "NaN"];

function stringFor(name: string, schema: Json, r: Random, known: Known): unknown {
  if (schema.enum) return r.pick(schema.enum as unknown[]);
  const values = known.fields[name];
  if (values && r.chance(0.7)) return r.pick(values);
  if (r.chance(0.5)) return r.pick(HOSTILE_STRINGS);
  return `fz.${r.int(1e6)}`;
}

function integerFor(schema: Json, r: Random): number {
  const min = typeof schema.minimum === "number" ? schema.minimum : typeof schema.exclusiveMinimum === "number" ? schema.exclusiveMinimum + 1 : -1e6;
  const max = typeof schema.maximum === "number" ? schema.maximum : 1e6;
  switch (r.int(4)) {
    case 0:
      return min;
    case 1:
      return Math.min(max, min + r.int(10));
    case 2:
      return r.pick([min - 1, max + 1, max]);
    default:
      return r.pick(HOSTILE_NUMBERS);
  }
}

/** How big a large array is: up to this many items. */
export interface Sizes {
  bigItems: number;
}

/** A value for `schema`: mostly what it asks for, with a hostile value, a missing or an extra field here and there. */
export function valueFor(schema: Json, r: Random, known: Known, sizes: Sizes, name = "", depth = 0): unknown {
  if (name === "waitMs") return r.pick(HOSTILE_WAITS);
  if (depth > 6 || r.chance(0.12)) return hostileValue(r);
  return schemaValue(schema, r, known, sizes, name, depth);
}

/** A value `schema` accepts, as far as the generator can tell (patterns aside): it gets past validation to the store. */
export function validValueFor(schema: Json, r: Random, known: Known, sizes: Sizes, name = "", depth = 0): unknown {
  if (name === "waitMs") return 0;
  if (name !== "" && known.fields[name]) return r.pick(known.fields[name]!);
  switch (schema.type) {
    case "object": {
      const required = new Set<string>(schema.required ?? []);
      const fields = Object.entries((schema.properties ?? {}) as Json).filter(([key]) => required.has(key) || r.chance(0.5));
      return Object.fromEntries(fields.map(([key, sub]) => [key, validValueFor(sub, r, known, sizes, key, depth + 1)]));
    }
    case "array":
      if (schema.prefixItems) return (schema.prefixItems as Json[]).map((s) => validValueFor(s, r, known, sizes, name, depth + 1));
      return [validValueFor(schema.items ?? {}, r, known, sizes, name, depth + 1)];
    case "string":
      return schema.enum ? r.pick(schema.enum as unknown[]) : `fz.${r.int(1e6)}`;
    case "integer":
    case "number": {
      const low = Math.max(typeof schema.minimum === "number" ? schema.minimum : 1, typeof schema.exclusiveMinimum === "number" ? schema.exclusiveMinimum + 1 : 0);
      return Math.min(typeof schema.maximum === "number" ? schema.maximum : Infinity, low + r.int(3));
    }
    case "boolean":
      return true;
    default:
      return schema.anyOf ? validValueFor(schema.anyOf[0] as Json, r, known, sizes, name, depth) : null;
  }
}

/** Every string in `value` with a NUL character in it. */
export function withNul(value: unknown): unknown {
  if (typeof value === "string") return `${value}\u0000`;
  if (Array.isArray(value)) return value.map(withNul);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withNul(v)]));
  return value;
}

/** What `schema` asks for, its parts made by valueFor (hostile here and there). */
function schemaValue(schema: Json, r: Random, known: Known, sizes: Sizes, name: string, depth: number): unknown {
  if (name !== "" && known.fields[name] && r.chance(0.5)) return r.pick(known.fields[name]!);
  if (schema.anyOf) return valueFor(r.pick(schema.anyOf as Json[]), r, known, sizes, name, depth);
  switch (schema.type) {
    case "object": {
      const out: Json = {};
      const required = new Set<string>(schema.required ?? []);
      for (const [key, sub] of Object.entries((schema.properties ?? {}) as Json)) {
        if (required.has(key) ? r.chance(0.92) : r.chance(0.5)) out[key] = valueFor(sub, r, known, sizes, key, depth + 1);
      }
      // An own property even for "__proto__", so that it is sent.
      const extra = r.pick(["extra", "__proto__", "constructor", "id", "admin", "user"]);
      if (r.chance(0.15)) Object.defineProperty(out, extra, { value: hostileValue(r), enumerable: true, writable: true, configurable: true });
      return out;
    }
    case "array": {
      if (schema.prefixItems) return (schema.prefixItems as Json[]).map((s) => valueFor(s, r, known, sizes, name, depth + 1));
      if (r.chance(0.03)) return bigArray(r, sizes);
      const n = r.pick([0, 1, 1, 2, 3, 101, 1001]);
      return Array.from({ length: n }, () => valueFor(schema.items ?? {}, r, known, sizes, name, depth + 1));
    }
    case "string":
      return stringFor(name, schema, r, known);
    case "integer":
      return integerFor(schema, r);
    case "number":
      return r.chance(0.5) ? integerFor(schema, r) : r.pick(HOSTILE_NUMBERS);
    case "boolean":
      return r.chance(0.5);
    case "null":
      return null;
    default:
      return hostileValue(r);
  }
}

/** Up to `sizes.bigItems` items that are each wrong: the validator must not spend on each. */
function bigArray(r: Random, sizes: Sizes): unknown[] {
  const n = r.pick([10_000, 100_000, sizes.bigItems]);
  const item = r.pick<unknown>([0, {}, "", null, [1]]);
  return new Array(n).fill(item);
}

/** `value` with one of its top-level array fields (jobs, updates, held…) replaced by a large array. */
function withBigArray(schema: Json, value: unknown, r: Random, sizes: Sizes): unknown {
  const arrays = Object.entries((schema.properties ?? {}) as Json).filter(([, sub]) => sub.type === "array").map(([key]) => key);
  if (arrays.length === 0 || typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return { ...value, [r.pick(arrays)]: bigArray(r, sizes) };
}

/** A request as sent: method, path with its query, headers and raw body. */
export interface FuzzRequest {
  operationId: string;
  method: string;
  path: string;
  contentType?: string;
  body?: Buffer;
}

/** What is shown of a request when it fails an assertion: enough to send it again. */
export function describeRequest(req: FuzzRequest, limit = 400): string {
  const body = req.body ? req.body.subarray(0, limit).toString("utf8") + (req.body.length > limit ? `… (${req.body.length} bytes)` : "") : "";
  return `${req.method} ${req.path.slice(0, limit)}${req.contentType ? ` [${req.contentType}]` : ""}${body ? ` ${JSON.stringify(body)}` : ""}`;
}

function pathParam(name: string, template: string, r: Random, known: Known): string {
  if (r.chance(0.45)) {
    if (name === "hash") return r.pick(known.hashes);
    if (name === "name") return r.pick(known.queues);
    const resource = /\/api\/v1\/(\w+)\//.exec(template)?.[1] ?? "";
    const ids = name === "seq" ? [0, 1, 7] : known.ids[resource];
    if (ids?.length) return String(r.pick(ids));
  }
  // Already URL-encoded where it needs to be: the path is sent as written.
  return r.pick(HOSTILE_IDS);
}

function queryString(op: Operation, r: Random, known: Known): string {
  const pairs: Array<[string, string]> = [];
  for (const p of op.parameters.filter((p) => p.in === "query")) {
    if (!r.chance(0.6)) continue;
    const value = p.name === "waitMs" ? r.pick(HOSTILE_WAITS) : valueFor(p.schema, r, known, { bigItems: 0 }, p.name);
    const text = typeof value === "string" ? value : JSON.stringify(value);
    pairs.push([p.name, text ?? ""]);
    // The key twice, with another value.
    if (r.chance(0.15)) pairs.push([p.name, r.pick(HOSTILE_STRINGS).slice(0, 100)]);
  }
  if (r.chance(0.15)) pairs.push([r.pick(["x", "__proto__", "a[b]", "%00"]), r.pick(HOSTILE_STRINGS).slice(0, 200)]);
  if (pairs.length === 0) return "";
  return `?${pairs.map(([k, v]) => `${encodeQuery(k)}=${encodeQuery(v)}`).join("&")}`;
}

/** Percent-encoded; a lone surrogate, which has no UTF-8, as the bytes of one (not valid UTF-8). */
function encodeQuery(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return "%ED%A0%80";
  }
}

/** JSON text nested `levels` deep. */
export function deepJson(levels: number, r: Random): string {
  return r.chance(0.5) ? `${"[".repeat(levels)}${"]".repeat(levels)}` : `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
}

/** One object's JSON with its first key written again, with another value. */
function duplicateKeys(value: unknown, r: Random): string {
  const text = JSON.stringify(value);
  if (!text.startsWith("{") || text === "{}") return text;
  const key = /^\{("(?:[^"\\]|\\.)*"):/.exec(text)?.[1];
  return key ? `{${key}:${JSON.stringify(hostileValue(r)) ?? "null"},${text.slice(1)}` : text;
}

/** The body of a request to `op`, in one of the ways a client can get it wrong. */
function body(op: Operation, r: Random, known: Known, sizes: Sizes): { contentType?: string; body?: Buffer } {
  const json = (text: string, contentType = "application/json") => ({ contentType, body: Buffer.from(text, "utf8") });
  if (op.body === "bytes") {
    switch (r.int(4)) {
      case 0:
        return { contentType: "application/octet-stream", body: Buffer.alloc(r.pick([0, 1, 1000])) };
      case 1:
        return json(JSON.stringify({ a: 1 }));
      case 2:
        return { contentType: r.pick(["text/plain", "application/x-www-form-urlencoded", "image/png"]), body: Buffer.from("\u0000bytes") };
      default:
        return { contentType: "application/octet-stream", body: Buffer.from("\u0000\u0000") };
    }
  }
  // Even operations without a body get one now and then.
  if (!op.body && !r.chance(0.2)) return {};
  const schema = op.body ?? { type: "object" };
  const value = valueFor(schema, r, known, sizes);
  switch (r.int(20)) {
    case 0:
      return json(deepJson(10_000, r));
    case 1:
      return json("");
    case 2: {
      const text = JSON.stringify(value) ?? "null";
      return json(text.slice(0, r.int(Math.max(1, text.length))));
    }
    case 3:
      return json(duplicateKeys(value, r));
    case 4:
      return json(JSON.stringify(value) ?? "null", r.pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/json; charset=utf-16", "application/json-patch+json", ""]));
    case 5:
      return { contentType: "application/json", body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) };
    case 6:
      return json(r.pick(["1e400", "-1e400", "123456789012345678901234567890", "null", "[]", '"\\u0000"', "{}".repeat(3), "{\"a\":1}garbage"]));
    case 7:
      return { body: Buffer.from(JSON.stringify(value) ?? "null") };
    case 10:
      return json(JSON.stringify(withNul(validValueFor(schema, r, known, sizes))) ?? "null");
    case 11:
      return json(JSON.stringify(validValueFor(schema, r, known, sizes)) ?? "null");
    case 8:
    case 9:
      return json(JSON.stringify(withBigArray(schema, value, r, sizes)) ?? "null");
    default:
      return json(JSON.stringify(value) ?? "null");
  }
}

/** A hostile request to `op`. */
export function requestFor(op: Operation, r: Random, known: Known, sizes: Sizes): FuzzRequest {
  const path = op.template.replace(/\{(\w+)\}/g, (_, name: string) => pathParam(name, op.template, r, known)) + queryString(op, r, known);
  return { operationId: op.operationId, method: op.method, path, ...body(op, r, known, sizes) };
}
