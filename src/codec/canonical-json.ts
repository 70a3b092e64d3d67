// Byte-for-byte what Python's json.dumps(value, sort_keys=True) prints, so keys hashed here match
// keys hashed by Python tools over the same data.

import type { JsonValue } from "./tagged-json.js";

export function pythonJsonDumps(value: JsonValue): string {
  switch (typeof value) {
    case "string":
      return pythonString(value);
    case "number":
      return pythonNumber(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      if (value === null) return "null";
      if (Array.isArray(value)) return value.length === 0 ? "[]" : `[${value.map(pythonJsonDumps).join(", ")}]`;
      return pythonObject(value);
  }
  throw new Error(`pythonJsonDumps: ${typeof value} is not a JSON value; tag it with toJsonValue() first`);
}

function pythonObject(value: { [key: string]: JsonValue }): string {
  const keys = Object.keys(value);
  if (keys.length === 0) return "{}";
  // Python orders str by code point; JS sort by UTF-16 code unit, which differs only around surrogates.
  keys.sort(keys.some(hasSurrogate) ? compareCodePoints : undefined);
  const parts = keys.map((key) => `${pythonString(key)}: ${pythonJsonDumps(value[key] as JsonValue)}`);
  return `{${parts.join(", ")}}`;
}

function hasSurrogate(text: string): boolean {
  return /[\ud800-\udfff]/.test(text);
}

function compareCodePoints(a: string, b: string): number {
  // Equal code points take equal code units, so one index serves both strings.
  let i = 0;
  while (i < a.length && i < b.length) {
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(i) as number;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

/** ensure_ascii quoting: printable ASCII as is, everything else escaped per UTF-16 code unit (as Python does). */
function pythonString(text: string): string {
  if (/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(text)) return `"${text}"`;
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const char = text[i] as string;
    if (unit >= 0x20 && unit <= 0x7e && char !== '"' && char !== "\\") out += char;
    else out += SHORT_ESCAPES[char] ?? `\\u${unit.toString(16).padStart(4, "0")}`;
  }
  return out + '"';
}

/**
 * JS cannot tell 1 from 1.0, so every integer-valued number prints as a Python int (all digits,
 * exact via BigInt: 1e21 → "1000000000000000000000"), and other numbers as Python's float repr.
 */
function pythonNumber(value: number): string {
  if (!Number.isFinite(value)) {
    throw new Error(`pythonJsonDumps: ${value} is not a finite number; tag it with toJsonValue() first`);
  }
  if (Number.isInteger(value)) return BigInt(value).toString();
  return pythonFloatRepr(value);
}

/** Python's repr(float): the same shortest round-trip digits as JS, laid out by Python's rules. */
function pythonFloatRepr(value: number): string {
  // toExponential() without an argument gives the shortest digits that round-trip, e.g. "-1.5e-7".
  const [mantissa = "", exponentText = "0"] = value.toExponential().split("e");
  const sign = mantissa.startsWith("-") ? "-" : "";
  const digits = mantissa.replace("-", "").replace(".", "");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? "-" : "+";
    return `${sign}${head}e${expSign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const intDigits = exponent + 1;
  if (digits.length <= intDigits) return `${sign}${digits.padEnd(intDigits, "0")}.0`;
  return `${sign}${digits.slice(0, intDigits)}.${digits.slice(intDigits)}`;
}
