import { describe, expect, it } from "vitest";
import { jobKeyOf } from "./job-key.js";
import { CodecError } from "./tagged-json.js";

// Expected keys: hashlib.sha1(json.dumps(entry, sort_keys=True).encode()).hexdigest() in python3.
describe("jobKeyOf", () => {
  it("is the SHA-1 of Python's sorted json.dumps", () => {
    expect(jobKeyOf({ name: 1, name1: 2 })).toBe("8040a35e4881c6081109c00481e465045893e3da");
    expect(jobKeyOf({ name1: 2, name: 1 })).toBe("8040a35e4881c6081109c00481e465045893e3da");
  });

  it("keys an array entry", () => {
    expect(jobKeyOf([1, "a", { x: 0.5 }])).toBe("386e2efb1e2bcd570b7a927df73e520776faad20");
  });

  it("keys a nested entry with non-ASCII text", () => {
    const entry = { seed: 42, tags: ["é", "😀"], model: { name: "mlp", layers: [64, 32] }, lr: 0.001 };
    expect(jobKeyOf(entry)).toBe("f185284826709d3362d7b1672157f3c304ce671f");
  });

  it("keys tagged values by their tagged form", () => {
    const entry = { when: new Date("2024-01-01T00:00:00.000Z"), n: 1n };
    expect(jobKeyOf(entry)).toBe("a4374ab66714bb2b1d79e9de73838f3025a8e139");
  });

  it("refuses unsendable entries with an entry path", () => {
    expect(() => jobKeyOf({ f: () => 1 })).toThrow(CodecError);
    expect(() => jobKeyOf({ f: () => 1 })).toThrow(/^entry\.f is a function/);
  });
});
