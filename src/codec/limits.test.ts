import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_PAYLOAD_BYTES, formatBytes, parseByteSize } from "./limits.js";

describe("parseByteSize", () => {
  it.each([
    ["16MiB", 16 * 1024 * 1024],
    ["512KiB", 512 * 1024],
    ["1GiB", 1024 ** 3],
    ["1TiB", 1024 ** 4],
    ["2MB", 2_000_000],
    ["3kb", 3000],
    ["1048576", 1048576],
    ["100B", 100],
    ["16 mib", 16 * 1024 * 1024],
    [" 1.5GiB ", 1.5 * 1024 ** 3],
  ])("parses %j", (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(["", "abc", "16 XB", "-1", "0", "0MiB", "1.5", "MiB", "16MiBs", "1e6"])("rejects %j, quoting it", (text) => {
    expect(() => parseByteSize(text)).toThrow(`invalid byte size ${JSON.stringify(text)}`);
  });

  it("lists the accepted forms", () => {
    expect(() => parseByteSize("lots")).toThrow(/KiB, MiB, GiB.*KB, MB, GB/);
  });
});

describe("formatBytes", () => {
  it.each([
    [12, "12 B"],
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [512 * 1024, "512.0 KiB"],
    [16 * 1024 * 1024, "16.0 MiB"],
    [20 * 1024 * 1024, "20.0 MiB"],
    [1024 * 1024 - 1, "1.0 MiB"],
    [1.5 * 1024 ** 3, "1.5 GiB"],
  ])("formats %d as %j", (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it("has a 16 MiB default limit", () => {
    expect(DEFAULT_MAX_PAYLOAD_BYTES).toBe(16 * 1024 * 1024);
    expect(formatBytes(DEFAULT_MAX_PAYLOAD_BYTES)).toBe("16.0 MiB");
  });
});
