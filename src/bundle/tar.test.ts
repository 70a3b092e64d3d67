import { describe, expect, it } from "vitest";
import { readTar, writeTar, type TarFile } from "./tar.js";
import { rawTarEntry } from "./hostile-tar.fixture.js";

const LIMITS = { maxBytes: 1 << 20, maxEntries: 100 };
const file = (path: string, text: string, executable = false): TarFile => ({ path, executable, content: Buffer.from(text) });

describe("writeTar and readTar", () => {
  it("read back what was written: paths, contents, the executable bit", () => {
    const files = [file("a.txt", "alpha"), file("dir/run.sh", "#!/bin/sh\necho hi\n", true), file("empty", "")];
    const back = readTar(writeTar(files), LIMITS);
    expect(back.files.map((f) => [f.path, Buffer.from(f.content).toString(), f.executable])).toEqual([
      ["a.txt", "alpha", false],
      ["dir/run.sh", "#!/bin/sh\necho hi\n", true],
      ["empty", "", false],
    ]);
  });

  it("keep long paths: in the ustar prefix, or beyond it in a pax header", () => {
    const prefixed = `${"d".repeat(120)}/${"f".repeat(90)}`;
    const long = `${"x".repeat(200)}/${"y".repeat(150)}.txt`;
    const back = readTar(writeTar([file(prefixed, "1"), file(long, "2")]), LIMITS);
    expect(back.files.map((f) => f.path)).toEqual([prefixed, long]);
  });

  it("give the same bytes for the same files (no times, owners or modes of the host)", () => {
    const files = [file("a", "1"), file("b/c", "2")];
    expect(writeTar(files).equals(writeTar(files))).toBe(true);
  });

  it("read a tar of GNU tar's making of directories and files", () => {
    const tar = Buffer.concat([rawTarEntry("./dir/", "5"), rawTarEntry("./dir/x", "0", "hello"), Buffer.alloc(1024)]);
    expect(readTar(tar, LIMITS)).toMatchObject({ dirs: ["dir"], files: [{ path: "dir/x" }] });
  });
});

describe("readTar refuses", () => {
  const end = Buffer.alloc(1024);
  it.each([
    ["../escape", "0", "'..' component"],
    ["a/../../escape", "0", "'..' component"],
    ["/etc/passwd", "0", "absolute path"],
    ["link", "2", "symbolic link"],
    ["hard", "1", "hard link"],
    ["tty", "3", "character device"],
    ["disk", "4", "block device"],
    ["fifo", "6", "FIFO"],
  ])("entry %s (type %s): %s", (name, type, why) => {
    const tar = Buffer.concat([rawTarEntry(name, type, type === "0" ? "x" : "", type === "2" ? "/etc/passwd" : ""), end]);
    expect(() => readTar(tar, LIMITS)).toThrow(why);
  });

  it("more bytes than its limit", () => {
    const tar = writeTar([file("a", "x".repeat(600)), file("b", "y".repeat(600))]);
    expect(() => readTar(tar, { maxBytes: 1000, maxEntries: 10 })).toThrow("more than 1000 bytes");
  });

  it("more entries than its limit", () => {
    const tar = writeTar([file("a", ""), file("b", ""), file("c", "")]);
    expect(() => readTar(tar, { maxBytes: 1000, maxEntries: 2 })).toThrow("more than 2 entries");
  });

  it("a damaged header or a truncated archive", () => {
    const tar = writeTar([file("a", "hello")]);
    const damaged = Buffer.from(tar);
    damaged[0] = "b".charCodeAt(0);
    expect(() => readTar(damaged, LIMITS)).toThrow("wrong checksum");
    expect(() => readTar(tar.subarray(0, 512), LIMITS)).toThrow("truncated");
  });
});
