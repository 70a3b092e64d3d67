import { describe, expect, it } from "vitest";
import { sha256Hex } from "./sha256.js";

describe("sha256Hex", () => {
  it("gives the standard digest of text and of bytes", () => {
    const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    expect(sha256Hex("abc")).toBe(abc);
    expect(sha256Hex(new TextEncoder().encode("abc"))).toBe(abc);
    expect(sha256Hex(Buffer.from("abc"))).toBe(abc);
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("hashes a sequence of parts as their concatenation", () => {
    expect(sha256Hex(["a", new TextEncoder().encode("b"), "c"])).toBe(sha256Hex("abc"));
    function* parts() {
      yield "ab";
      yield "c";
    }
    expect(sha256Hex(parts())).toBe(sha256Hex("abc"));
    expect(sha256Hex([])).toBe(sha256Hex(""));
  });
});
