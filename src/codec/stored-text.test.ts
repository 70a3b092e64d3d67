import { describe, expect, it } from "vitest";
import { decodeStoredText, encodeStoredText, jsonMayNeedEncoding } from "./stored-text.js";

describe("text as the PostgreSQL store keeps it", () => {
  it("keeps text without NUL or a leading marker as it is", () => {
    for (const text of ["", "plain", '["a\\u0000b"]', "x\uE000y", "\uE001"]) expect(encodeStoredText(text)).toBe(text);
  });

  it("holds no NUL once encoded, and decodes to exactly what was encoded", () => {
    const texts = ["\0", "a\0b", "\0\0", "\uE000", "\uE000\0", "\uE0000", "\uE000E", "a\uE000\0b\uE000", "\0\uE000E0", "é\0😀"];
    for (const text of texts) {
      const stored = encodeStoredText(text);
      expect(stored).not.toContain("\0");
      expect(decodeStoredText(stored)).toBe(text);
    }
  });

  it("tells which JSON texts may hold something to encode", () => {
    expect(jsonMayNeedEncoding(JSON.stringify({ a: "a\0b" }))).toBe(true);
    expect(jsonMayNeedEncoding(JSON.stringify({ a: "\uE000" }))).toBe(true);
    expect(jsonMayNeedEncoding(JSON.stringify({ a: "plain" }))).toBe(false);
  });
});
