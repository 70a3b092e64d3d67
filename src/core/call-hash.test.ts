import { describe, expect, it } from "vitest";
import { callHash } from "./call-hash.js";

describe("callHash", () => {
  const jobs = [
    { key: "a", args: "[1]" },
    { key: "b", args: "[2]" },
  ];

  it("is the same for the same call", () => {
    expect(callHash("square", jobs)).toBe(callHash("square", jobs.map((j) => ({ ...j }))));
    expect(callHash("square", jobs)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("differs with the work, an argument, a key or the order of jobs", () => {
    const base = callHash("square", jobs);
    expect(callHash("cube", jobs)).not.toBe(base);
    expect(callHash("square", [jobs[0]!, { key: "b", args: "[3]" }])).not.toBe(base);
    expect(callHash("square", [jobs[0]!, { key: "c", args: "[2]" }])).not.toBe(base);
    expect(callHash("square", [jobs[1]!, jobs[0]!])).not.toBe(base);
  });

  it("cannot be fooled by moving text between a key and its arguments", () => {
    expect(callHash("w", [{ key: "a\n1", args: "x" }])).not.toBe(callHash("w", [{ key: "a", args: "1\nx" }]));
  });
});
