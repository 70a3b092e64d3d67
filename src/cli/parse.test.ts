import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import {
  parseBytes,
  parseCount,
  parseDuration,
  parseNonNegative,
  parsePort,
  parsePositiveDuration,
  parseWorkflowArg,
} from "./parse.js";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["10s", 10_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["30d", 2_592_000_000],
    ["250", 250],
    ["1.5s", 1500],
    [" 3 S ", 3000],
  ])("parses %j as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "abc", "10w", "-1s", "1e3", "s", "10 s s"])("rejects %j", (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
    expect(() => parseDuration(text)).toThrow(`'${text}' is not a duration; write e.g. 500ms, 10s, 2m, 1h or 30d`);
  });
});

describe("parseBytes", () => {
  it.each([
    ["16MiB", 16 * 1024 * 1024],
    ["512 KiB", 512 * 1024],
    ["2MB", 2_000_000],
    ["1048576", 1048576],
  ])("parses %j", (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  it.each(["", "lots", "0", "16XB"])("rejects %j as an invalid argument", (text) => {
    expect(() => parseBytes(text)).toThrow(InvalidArgumentError);
    expect(() => parseBytes(text)).toThrow(`invalid byte size ${JSON.stringify(text)}`);
  });
});

describe("parseCount", () => {
  it.each([
    ["1", 1],
    ["8", 8],
    ["1000", 1000],
  ])("parses %j", (text, n) => {
    expect(parseCount(text)).toBe(n);
  });

  it.each(["0", "-2", "1.5", "two", ""])("rejects %j", (text) => {
    expect(() => parseCount(text)).toThrow(InvalidArgumentError);
    expect(() => parseCount(text)).toThrow(`'${text}' is not a whole number of at least 1`);
  });
});

describe("parsePort", () => {
  it.each([
    ["0", 0],
    ["80", 80],
    ["8720", 8720],
    ["65535", 65535],
  ])("parses %j", (text, port) => {
    expect(parsePort(text)).toBe(port);
  });

  it.each(["65536", "-1", "80.5", "http"])("rejects %j", (text) => {
    expect(() => parsePort(text)).toThrow(InvalidArgumentError);
    expect(() => parsePort(text)).toThrow(`'${text}' is not a TCP port (0-65535)`);
  });
});

describe("parseWorkflowArg", () => {
  it.each([
    ["42", 42],
    ["-1.5e3", -1500],
    ["true", true],
    ["null", null],
    ['"quoted"', "quoted"],
    ['"2024-01-31"', "2024-01-31"],
    ['{"a":[1,2]}', { a: [1, 2] }],
    ["[1, \"x\"]", [1, "x"]],
  ])("parses JSON %j", (text, value) => {
    expect(parseWorkflowArg(text, 1)).toEqual(value);
  });

  it.each(["hello", "data/file.csv", "True", "NaN", "-v", "", "a {b}"])("keeps the word %j as a string", (text) => {
    expect(parseWorkflowArg(text, 1)).toBe(text);
  });

  it.each(["{not json", "[1, 2", '"unclosed', "{'a': 1}", "1O", "01", "+5", ".5", "1.2.3", "2024-01-31", " {}x"])(
    "refuses %j, which looks like JSON but is not, saying how to pass it as text",
    (text) => {
      expect(() => parseWorkflowArg(text, 3)).toThrow(`argument 3, '${text}', looks like JSON but is not valid JSON (`);
      expect(() => parseWorkflowArg(text, 3)).toThrow(`); correct it, or pass it as text in JSON quotes: '${JSON.stringify(text)}'`);
    },
  );
});

describe("whole numbers are plain decimal digits", () => {
  it.each(["", " ", "0x50", "1e3", "-1", "1.5"])("rejects %j as a port", (text) => {
    expect(() => parsePort(text)).toThrow(`'${text}' is not a TCP port (0-65535)`);
  });
  it.each(["0x10", "1e2", ""])("rejects %j as a count", (text) => {
    expect(() => parseCount(text)).toThrow(`'${text}' is not a whole number of at least 1`);
  });
  it("accepts zero where zero is meaningful", () => {
    expect(parseNonNegative("0")).toBe(0);
    expect(() => parseNonNegative("x")).toThrow("'x' is not a whole number of at least 0");
  });
  it("refuses a zero interval", () => {
    expect(parsePositiveDuration("250ms")).toBe(250);
    expect(() => parsePositiveDuration("0")).toThrow("'0' must be longer than zero");
  });
});
