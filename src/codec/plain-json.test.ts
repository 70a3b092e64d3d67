import { describe, expect, it } from "vitest";
import { assertPlainJson } from "./plain-json.js";
import { CodecError } from "./tagged-json.js";

describe("assertPlainJson", () => {
  it("accepts what JSON carries exactly", () => {
    expect(() =>
      assertPlainJson([{ x: 1.5, name: "a", ok: true, none: null, list: [1, [2, { $date: "not a tag here" }]] }, Object.create(null)], "args"),
    ).not.toThrow();
  });

  it.each<[unknown, string, RegExp]>([
    [[{ when: new Date(0) }], "args[0].when", /is a Date, .*send it as an ISO string/],
    [[{ a: undefined }], "args[0].a", /is undefined, .*leave the property out, or send null/],
    [[Number.NaN], "args[0]", /is NaN, .*send null or a finite number/],
    [[{ big: 1n }], "args[0].big", /is a BigInt/],
    [[new Map()], "args[0]", /is a Map, .*send an object or an array/],
    [[{ "odd key": () => 1 }], 'args[0]["odd key"]', /is a function/],
    [[new (class Point {})()], "args[0]", /is a Point/],
    // eslint-disable-next-line no-sparse-arrays
    [[[1, , 3]], "args[0][1]", /is a hole in the array/],
    [[{ [Symbol("s")]: 1 }], "args[0]", /symbol-keyed property/],
  ])("refuses %o at its path", (value, path, message) => {
    let thrown: unknown;
    try {
      assertPlainJson(value, "args");
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CodecError);
    expect((thrown as CodecError).path).toBe(path);
    expect((thrown as CodecError).code).toBe("unserialisable");
    expect((thrown as CodecError).message).toMatch(new RegExp(`^${path.replace(/[[\]().]/g, "\\$&")} `));
    expect((thrown as CodecError).message).toMatch(message);
  });

  it("refuses a cycle, and accepts a value referenced twice", () => {
    const shared = { a: 1 };
    expect(() => assertPlainJson([shared, shared], "args")).not.toThrow();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => assertPlainJson([cyclic], "args")).toThrow(/^args\[0\]\.self refers back to itself/);
  });
});
