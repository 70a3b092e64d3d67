import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { open, seal } from "./sealed.js";

const key = () => randomBytes(32).toString("hex");
const scope = { taskId: 12, channel: "0123456789abcdef.3" };
/** Random text with multi-byte characters, NULs and JSON punctuation. */
function text(n: number): string {
  const alphabet = ['"', "{", "}", "\0", "é", "😀", "a", "1", " ", "\\", "\n"];
  return Array.from({ length: n }, () => alphabet[randomBytes(1)[0]! % alphabet.length]).join("");
}

describe("sealed result messages", () => {
  it("opens what it sealed, whatever the text, under the same key and scope", () => {
    for (let i = 0; i < 200; i++) {
      const k = key();
      const plain = text(i * 7);
      expect(open(k, scope, seal(k, scope, plain))).toBe(plain);
    }
  });

  it("shows nothing of the plaintext, and never the same bytes twice", () => {
    const k = key();
    const plain = JSON.stringify({ result: "the secret value 424242" });
    const a = seal(k, scope, plain);
    const b = seal(k, scope, plain);
    expect(a).not.toBe(b);
    expect(Buffer.from(a, "base64").toString("latin1")).not.toContain("424242");
    expect(a).not.toContain("secret");
  });

  it("refuses another key, another task or channel, and any altered byte", () => {
    const k = key();
    const sealed = seal(k, scope, "payload");
    expect(open(key(), scope, sealed)).toBeUndefined();
    expect(open(k, { ...scope, taskId: 13 }, sealed)).toBeUndefined();
    expect(open(k, { ...scope, channel: "0123456789abcdef.4" }, sealed)).toBeUndefined();
    const bytes = Buffer.from(sealed, "base64");
    for (let i = 0; i < bytes.length; i++) {
      const altered = Buffer.from(bytes);
      altered[i] = altered[i]! ^ (1 + (randomBytes(1)[0]! % 255));
      expect(open(k, scope, altered.toString("base64"))).toBeUndefined();
    }
  });

  it("refuses what is not a sealed message at all", () => {
    const k = key();
    for (const junk of ["", "{}", "not base64 at all!", JSON.stringify({ v: 1, kind: "results", task: 12, outcomes: [] })]) {
      expect(open(k, scope, junk)).toBeUndefined();
    }
    expect(() => seal("short", scope, "x")).toThrow(/64 hex digits/);
  });
});
