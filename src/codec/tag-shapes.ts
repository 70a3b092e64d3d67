// The shapes tagged JSON is made of, shared by the tagging (tagger.ts) and the untagging (untag.ts) walks.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type JsonObject = { [key: string]: JsonValue };

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

const DOLLAR = 36; // "$"

/** Whether an object's keys would read as a tag: exactly one key, starting with "$". */
export function looksLikeTag(keys: string[]): boolean {
  return keys.length === 1 && (keys[0] as string).charCodeAt(0) === DOLLAR;
}

/** Sets a key even when it is "__proto__", where plain assignment would change the prototype instead. */
export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

export function isPlainPrototype(proto: unknown): boolean {
  return proto === Object.prototype || proto === null;
}

export const TYPED_ARRAYS = {
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

export type TypedArrayName = keyof typeof TYPED_ARRAYS;
type TypedArrayCtor = (typeof TYPED_ARRAYS)[TypedArrayName];
const TYPED_ARRAY_ENTRIES = Object.entries(TYPED_ARRAYS) as [TypedArrayName, TypedArrayCtor][];

export function typedArrayName(value: ArrayBufferView): TypedArrayName | undefined {
  // A Node Buffer is a Uint8Array subclass, so it is found as "Uint8Array".
  for (const [name, ctor] of TYPED_ARRAY_ENTRIES) {
    if (value instanceof ctor) return name;
  }
  return undefined;
}
