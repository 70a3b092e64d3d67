import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { CodecError, decode, encode, fromJsonValue, toJsonValue } from "./tagged-json.js";

function roundTrip<T>(value: T): T {
  return decode(encode(value)) as T;
}

/** The CodecError that fn throws. */
function codecError(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CodecError) return err;
    throw err;
  }
  throw new Error("expected a CodecError");
}

describe("plain JSON (fast path)", () => {
  const plain = {
    s: "text é 😀",
    n: [0, 1, -1.5, 1e300, 5e-324],
    b: [true, false],
    nil: null,
    nested: { a: [[], {}, [{ deep: "x" }]], "odd key": 1, $two: 1, other: 2 },
    dollarString: "$undefined",
  };

  it("encodes exactly as JSON.stringify", () => {
    expect(encode(plain)).toBe(JSON.stringify(plain));
    expect(encode([1, "a", null])).toBe('[1,"a",null]');
    expect(encode("x")).toBe('"x"');
  });

  it("returns plain data itself from toJsonValue", () => {
    expect(toJsonValue(plain)).toBe(plain);
  });

  it("round-trips", () => {
    expect(roundTrip(plain)).toEqual(plain);
  });

  it("shares no hidden state between shared, non-cyclic references", () => {
    const shared = { x: 1 };
    expect(encode({ a: shared, b: [shared, shared] })).toBe('{"a":{"x":1},"b":[{"x":1},{"x":1}]}');
  });
});

describe("tag format", () => {
  it.each([
    [undefined, '{"$undefined":1}'],
    [NaN, '{"$number":"NaN"}'],
    [Infinity, '{"$number":"Infinity"}'],
    [-Infinity, '{"$number":"-Infinity"}'],
    [-0, '{"$number":"-0"}'],
    [123n, '{"$bigint":"123"}'],
    [-(2n ** 70n), `{"$bigint":"${-(2n ** 70n)}"}`],
    [new Date("2024-05-06T07:08:09.010Z"), '{"$date":"2024-05-06T07:08:09.010Z"}'],
    [new Date(NaN), '{"$date":null}'],
    [new Map([["a", 1]]), '{"$map":[["a",1]]}'],
    [new Set([1, "x"]), '{"$set":[1,"x"]}'],
    [new Float64Array([1.5]), '{"$bytes":{"type":"Float64Array","base64":"AAAAAAAA+D8="}}'],
    [Buffer.from("hi"), '{"$bytes":{"type":"Uint8Array","base64":"aGk="}}'],
    [new Uint8Array([1, 2, 3]).buffer, '{"$arraybuffer":"AQID"}'],
    [/a+b/gi, '{"$regexp":["a+b","gi"]}'],
    [{ $ref: 1 }, '{"$object":{"$ref":1}}'],
    [{ a: undefined }, '{"a":{"$undefined":1}}'],
    // eslint-disable-next-line no-sparse-arrays
    [[1, , 3], '[1,{"$undefined":1},3]'],
  ])("encodes %o as %s", (value, text) => {
    expect(encode(value)).toBe(text);
  });

  it("leaves an object with a $ key and other keys as is", () => {
    expect(encode({ $a: 1, b: 2 })).toBe('{"$a":1,"b":2}');
    expect(roundTrip({ $a: 1, b: 2 })).toEqual({ $a: 1, b: 2 });
  });

  it("tags keys and values inside a Map", () => {
    const key = { id: 1 };
    expect(encode(new Map<unknown, unknown>([[key, undefined], [2n, NaN]]))).toBe(
      '{"$map":[[{"id":1},{"$undefined":1}],[{"$bigint":"2"},{"$number":"NaN"}]]}',
    );
  });

  it("encodes an Error with name, message and stack", () => {
    const error = new TypeError("bad");
    expect(JSON.parse(encode(error))).toEqual({ $error: { name: "TypeError", message: "bad", stack: error.stack } });
  });
});

describe("round trips", () => {
  it("special numbers", () => {
    const out = roundTrip([NaN, Infinity, -Infinity, -0, 0]);
    expect(Object.is(out[0], NaN)).toBe(true);
    expect(out[1]).toBe(Infinity);
    expect(out[2]).toBe(-Infinity);
    expect(Object.is(out[3], -0)).toBe(true);
    expect(Object.is(out[4], 0)).toBe(true);
  });

  it("undefined at the root, in objects (as a present key) and in arrays", () => {
    expect(roundTrip(undefined)).toBeUndefined();
    const out = roundTrip({ a: undefined, b: 1 });
    expect(Object.keys(out)).toEqual(["a", "b"]);
    expect(out.a).toBeUndefined();
    expect(roundTrip([undefined, 1])).toEqual([undefined, 1]);
  });

  it("sparse arrays, with holes read back as undefined", () => {
    // eslint-disable-next-line no-sparse-arrays
    const out = roundTrip([1, , , 4]);
    expect(out).toHaveLength(4);
    expect(1 in out).toBe(true);
    expect(out[1]).toBeUndefined();
    expect(out[3]).toBe(4);
  });

  it("bigints, dates, regexps", () => {
    const value = { big: 2n ** 100n, when: new Date("1999-12-31T23:59:59.999Z"), far: new Date(8.64e15), re: /^x\/y$/msu };
    const out = roundTrip(value);
    expect(out).toEqual(value);
    expect(out.re.flags).toBe("msu");
    expect(out.re.source).toBe(value.re.source);
    const invalid = roundTrip(new Date(NaN));
    expect(invalid).toBeInstanceOf(Date);
    expect(invalid.getTime()).toBeNaN();
  });

  it("maps with object keys, and sets", () => {
    const value = new Map<unknown, unknown>([
      [{ k: 1 }, new Set([1, { s: 2 }])],
      ["plain", [undefined]],
      [3n, new Map([[NaN, "nan"]])],
    ]);
    const out = roundTrip(value);
    expect(out).toBeInstanceOf(Map);
    expect([...out.keys()]).toEqual([{ k: 1 }, "plain", 3n]);
    expect(out.get("plain")).toEqual([undefined]);
    expect(out.get(3n)).toEqual(new Map([[NaN, "nan"]]));
    expect([...out.values()][0]).toEqual(new Set([1, { s: 2 }]));
  });

  it("every typed array kind", () => {
    const arrays = [
      new Int8Array([-1, 2]),
      new Uint8Array([255, 0]),
      new Uint8ClampedArray([0, 255]),
      new Int16Array([-300, 300]),
      new Uint16Array([65535]),
      new Int32Array([-(2 ** 31)]),
      new Uint32Array([2 ** 32 - 1]),
      new Float32Array([1.5, -0]),
      new Float64Array([Math.PI, NaN]),
      new BigInt64Array([-(2n ** 63n)]),
      new BigUint64Array([2n ** 64n - 1n]),
    ];
    for (const array of arrays) {
      const out = roundTrip(array);
      expect(out.constructor).toBe(array.constructor);
      expect(out).toEqual(array);
    }
  });

  it("a typed array that views part of a larger buffer sends only its own bytes", () => {
    const backing = new ArrayBuffer(64);
    new Uint8Array(backing).fill(7);
    const view = new Float64Array(backing, 16, 2);
    view.set([1.25, -2.5]);
    const text = encode(view);
    expect(JSON.parse(text)).toEqual({ $bytes: { type: "Float64Array", base64: Buffer.from(backing, 16, 16).toString("base64") } });
    const out = roundTrip(view);
    expect(out).toBeInstanceOf(Float64Array);
    expect([...out]).toEqual([1.25, -2.5]);
    expect(out.buffer.byteLength).toBe(16);
  });

  it("a Node Buffer comes back as a Uint8Array with the same bytes", () => {
    const out = roundTrip(Buffer.from("héllo"));
    expect(out.constructor).toBe(Uint8Array);
    expect(Buffer.from(out).toString()).toBe("héllo");
  });

  it("ArrayBuffer", () => {
    const buffer = new Uint8Array([9, 8, 7, 6, 5]).buffer;
    const out = roundTrip(buffer);
    expect(out).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(out)]).toEqual([9, 8, 7, 6, 5]);
  });

  it("Errors, with name, message, stack and cause", () => {
    const error = new RangeError("out of range", { cause: { detail: 1n } });
    const out = roundTrip(error);
    expect(out).toBeInstanceOf(RangeError);
    expect(out.name).toBe("RangeError");
    expect(out.message).toBe("out of range");
    expect(out.stack).toBe(error.stack);
    expect(out.cause).toEqual({ detail: 1n });
  });

  it("Errors with a custom name, and unsendable causes dropped", () => {
    class ModelError extends Error {
      override name = "ModelError";
    }
    const error = new ModelError("diverged", { cause: () => 1 });
    const out = roundTrip(error);
    expect(out).toBeInstanceOf(Error);
    expect(out.name).toBe("ModelError");
    expect(out.message).toBe("diverged");
    expect(Object.hasOwn(out, "cause")).toBe(false);
  });

  it("an Error whose cause is itself drops the cause rather than failing", () => {
    const error = new Error("loop");
    error.cause = error;
    const out = roundTrip({ error, after: { x: 1 } });
    expect(out.error.message).toBe("loop");
    expect(out.after).toEqual({ x: 1 });
  });

  it("an Error without a stack gets none from the decoder", () => {
    const error = new Error("no stack");
    delete error.stack;
    expect(roundTrip(error).stack).toBeUndefined();
  });

  it("user objects whose only key starts with $", () => {
    const value = { $undefined: 1, nested: [{ $date: "not a date" }, { $object: { $x: 2 } }] };
    expect(roundTrip(value)).toEqual(value);
    expect(roundTrip({ $ref: undefined })).toEqual({ $ref: undefined });
  });

  it("nested combinations", () => {
    const value = {
      runs: [
        { id: 1n, at: new Date(0), scores: new Float32Array([0.5]), meta: new Map([["k", new Set([undefined, [-0]])]]) },
        { id: 2n, at: new Date(NaN), scores: null, meta: new Map() },
      ],
      $keep: "alongside another key",
      "weird key": { $solo: [NaN] },
      __proto__key: 1,
    };
    const out = roundTrip(value);
    expect(out).toEqual(value);
    const [, inner] = [...(out.runs[0]!.meta.get("k") as Set<unknown[]>)];
    expect(Object.is(inner?.[0], -0)).toBe(true);
  });

  it("an own __proto__ key stays a key", () => {
    const value = JSON.parse('{"__proto__": {"$undefined": 1}, "x": 1}') as Record<string, unknown>;
    const out = roundTrip(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(Object.keys(out)).toEqual(["__proto__", "x"]);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toEqual({ $undefined: 1 });
  });

  it("null-prototype objects are plain data", () => {
    const value = Object.assign(Object.create(null) as object, { a: 1 });
    expect(encode(value)).toBe('{"a":1}');
  });
});

describe("fromJsonValue", () => {
  it("does not modify its input and leaves untagged parts alone", () => {
    const plainPart = { x: [1, 2] };
    const json = { when: { $date: "2024-01-01T00:00:00.000Z" }, plainPart };
    const before = JSON.stringify(json);
    const out = fromJsonValue(json) as { when: Date; plainPart: unknown };
    expect(JSON.stringify(json)).toBe(before);
    expect(out.when).toBeInstanceOf(Date);
    expect(out.plainPart).toBe(plainPart);
  });

  it("is the inverse of toJsonValue", () => {
    const value = [new Set([1]), undefined, { $a: new Map([[1, 2]]) }];
    expect(fromJsonValue(toJsonValue(value))).toEqual(value);
  });

  it("keeps unknown single-$-key objects as plain objects", () => {
    expect(decode('{"$ref":"#/a"}')).toEqual({ $ref: "#/a" });
  });

  it("rejects malformed tags", () => {
    expect(() => decode('{"$bigint":"12x"}')).toThrow(/malformed \$bigint tag/);
    expect(() => decode('{"$number":"1"}')).toThrow(/malformed \$number tag/);
    expect(() => decode('{"$bytes":{"type":"Float64Array","base64":"AAA="}}')).toThrow(/malformed \$bytes tag/);
  });
});

describe("decode", () => {
  it("returns JSON.parse output for text without tags", () => {
    expect(decode('{"a":[1,"b",null]}')).toEqual({ a: [1, "b", null] });
  });
});

describe("refusals", () => {
  it("a function deep in an object", () => {
    const err = codecError(() => encode([{ model: { fit() {} } }], { root: "args" }));
    expect(err.code).toBe("unserialisable");
    expect(err.path).toBe("args[0].model.fit");
    expect(err.message).toBe(
      "args[0].model.fit is a function; functions cannot be sent to or from a job. Send plain data instead, and register code with work()",
    );
  });

  it("paths quote keys that are not identifiers", () => {
    const err = codecError(() => toJsonValue({ "odd key": [1, { "a-b": () => 0 }] }, { root: "result" }));
    expect(err.path).toBe('result["odd key"][1]["a-b"]');
  });

  it("the default root is 'value'", () => {
    expect(codecError(() => encode(() => 1)).path).toBe("value");
  });

  it("a symbol value", () => {
    const err = codecError(() => encode({ kind: Symbol("k") }, { root: "args" }));
    expect(err.path).toBe("args.kind");
    expect(err.message).toMatch(/^args\.kind is a symbol \(Symbol\(k\)\); symbols cannot be sent .* Use a string instead$/);
  });

  it("a symbol key", () => {
    const err = codecError(() => encode({ a: { [Symbol("tag")]: 1 } }, { root: "args" }));
    expect(err.path).toBe("args.a[Symbol(tag)]");
    expect(err.message).toMatch(/^args\.a\[Symbol\(tag\)\] is a symbol-keyed property/);
  });

  it("a class instance, naming the class", () => {
    class Model {
      weights = [1, 2];
    }
    const err = codecError(() => encode({ model: new Model() }, { root: "args" }));
    expect(err.path).toBe("args.model");
    expect(err.message).toMatch(/^args\.model is an instance of class Model; .*Convert it to plain data/);
  });

  it("an instance of an anonymous class", () => {
    const err = codecError(() => encode(new (class {})()));
    expect(err.message).toMatch(/an instance of an anonymous class/);
  });

  it("a cycle through an object", () => {
    const a: Record<string, unknown> = { n: 1 };
    a.self = a;
    const err = codecError(() => encode([a], { root: "args" }));
    expect(err.path).toBe("args[0].self");
    expect(err.message).toMatch(/^args\[0\]\.self refers back to args\[0\] \(a cycle\); .*Break the cycle/);
  });

  it("a cycle through an array", () => {
    const list: unknown[] = [1];
    list.push({ back: list });
    const err = codecError(() => encode({ list }, { root: "result" }));
    expect(err.path).toBe("result.list[1].back");
    expect(err.message).toMatch(/^result\.list\[1\]\.back refers back to result\.list \(a cycle\)/);
  });

  it("a cycle through a Map, by value and by key", () => {
    const map = new Map<unknown, unknown>();
    map.set("self", { m: map });
    expect(codecError(() => encode(map, { root: "args" })).message).toMatch(
      /^args\.get\("self"\)\.m refers back to args \(a cycle\)/,
    );
    const keyed = new Map<unknown, unknown>([[1, 1]]);
    keyed.set({ inner: keyed }, 2);
    expect(codecError(() => encode(keyed, { root: "args" })).path).toBe("args[map entry 1].key.inner");
  });

  it("paths inside Map values and Sets", () => {
    expect(codecError(() => encode(new Map([[{ k: 1 }, () => 1]]), { root: "r" })).path).toBe("r[map entry 0].value");
    expect(codecError(() => encode(new Map([[7, () => 1]]), { root: "r" })).path).toBe("r.get(7)");
    expect(codecError(() => encode(new Set([1, Symbol.iterator]), { root: "r" })).path).toBe("r[set item 1]");
  });

  it("a Promise", () => {
    const err = codecError(() => encode({ pending: Promise.resolve(1) }, { root: "result" }));
    expect(err.path).toBe("result.pending");
    expect(err.message).toMatch(/^result\.pending is a Promise; .*Await it/);
  });

  it("WeakMap, WeakSet and DataView", () => {
    expect(codecError(() => encode(new WeakMap())).message).toMatch(/^value is a WeakMap; .*Use a Map/);
    expect(codecError(() => encode(new WeakSet())).message).toMatch(/^value is a WeakSet; .*Use a Set/);
    expect(codecError(() => encode(new DataView(new ArrayBuffer(1)))).message).toMatch(/^value is a DataView; .*typed array/);
  });

  it("shared references are not cycles", () => {
    const shared = { n: NaN };
    expect(roundTrip({ a: shared, b: [shared] })).toEqual({ a: { n: NaN }, b: [{ n: NaN }] });
  });

  it("deep but acyclic data beyond the fast-path depth", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 1000; i++) deep = { d: deep };
    expect(encode(deep)).toBe(JSON.stringify(deep));
  });
});

describe("payload limit", () => {
  it("allows text exactly at the limit", () => {
    const text = encode("x".repeat(8)); // 10 bytes with the quotes
    expect(encode("x".repeat(8), { limitBytes: 10 })).toBe(text);
  });

  it("refuses text over the limit with a readable message", () => {
    const err = codecError(() => encode("x".repeat(9), { limitBytes: 10, what: "result" }));
    expect(err.code).toBe("payload_too_large");
    expect(err.path).toBe("");
    expect(err.message).toBe(
      "the result is 11 B, over the 10 B limit per result; pass large data by reference (a file path or URL), or raise the limit (maxPayloadBytes)",
    );
  });

  it("formats large sizes in binary units", () => {
    const big = "a".repeat(20 * 1024 * 1024 - 2);
    const err = codecError(() => encode(big, { limitBytes: 16 * 1024 * 1024, what: "result" }));
    expect(err.message).toBe(
      "the result is 20.0 MiB, over the 16.0 MiB limit per result; pass large data by reference (a file path or URL), or raise the limit (maxPayloadBytes)",
    );
  });

  it("counts multi-byte characters as UTF-8 bytes", () => {
    // "é" is 2 bytes, "😀" 4: the text '"é😀"' is 8 bytes in 5 UTF-16 code units.
    expect(encode("é😀", { limitBytes: 8 })).toBe('"é😀"');
    const err = codecError(() => encode("é😀", { limitBytes: 7, what: "argument set" }));
    expect(err.message).toMatch(/^the argument set is 8 B, over the 7 B limit per argument set;/);
  });

  it("defaults the words to 'value'", () => {
    expect(codecError(() => encode([1, 2, 3], { limitBytes: 2 })).message).toMatch(/^the value is 7 B, over the 2 B limit per value;/);
  });
});
