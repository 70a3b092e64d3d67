import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../codec/sha256.js";
import { rawTarEntry, rawTarGz } from "./hostile-tar.fixture.js";
import { removeTree, unpackProject, UNPACK_DEFAULTS } from "./project-unpack.js";
import { writeTar } from "./tar.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "pando-unpack-"));
});
afterEach(() => removeTree(root));

const unpack = (archive: Uint8Array, limits = UNPACK_DEFAULTS) => unpackProject(archive, sha256Hex(archive), join(root, "p"), limits);

describe("unpackProject", () => {
  it("writes the files read-only, executables executable", async () => {
    const archive = gzipSync(writeTar([{ path: "data/a.csv", executable: false, content: Buffer.from("1,2") }, { path: "run.sh", executable: true, content: Buffer.from("echo") }]));
    await unpack(archive);
    expect(readFileSync(join(root, "p", "data", "a.csv"), "utf8")).toBe("1,2");
    expect(statSync(join(root, "p", "data", "a.csv")).mode & 0o777).toBe(0o444);
    expect(statSync(join(root, "p", "run.sh")).mode & 0o777).toBe(0o555);
    expect(statSync(join(root, "p", "data")).mode & 0o777).toBe(0o555);
  });

  it("with a file store, links each file to the store's copy, which a later archive with the same file shares", async () => {
    const store = join(root, "store");
    const first = gzipSync(writeTar([{ path: "a.py", executable: false, content: Buffer.from("print(1)") }, { path: "b.sh", executable: true, content: Buffer.from("echo") }]));
    await unpackProject(first, sha256Hex(first), join(root, "p1"), UNPACK_DEFAULTS, [store]);
    const edited = gzipSync(writeTar([{ path: "a.py", executable: false, content: Buffer.from("print(2)") }, { path: "b.sh", executable: true, content: Buffer.from("echo") }]));
    await unpackProject(edited, sha256Hex(edited), join(root, "p2"), UNPACK_DEFAULTS, [store]);
    expect(statSync(join(root, "p2", "b.sh")).ino).toBe(statSync(join(root, "p1", "b.sh")).ino);
    expect(statSync(join(root, "p2", "b.sh")).nlink).toBe(3);
    expect(statSync(join(root, "p2", "b.sh")).mode & 0o777).toBe(0o555);
    expect(readFileSync(join(root, "p2", "a.py"), "utf8")).toBe("print(2)");
    expect(readFileSync(join(root, "p1", "a.py"), "utf8")).toBe("print(1)");
    expect(statSync(join(root, "p1", "a.py")).mode & 0o777).toBe(0o444);
    expect(readdirSync(store)).toHaveLength(3);
    // A store's file removed meanwhile (swept) is stored again.
    rmSync(join(store, sha256Hex(Buffer.from("echo")) + "x"));
    await unpackProject(first, sha256Hex(first), join(root, "p3"), UNPACK_DEFAULTS, [store]);
    expect(statSync(join(root, "p3", "b.sh")).nlink).toBe(2);
    await expect(unpackProject(rawTarGz([rawTarEntry("a", "0", "1"), rawTarEntry("a", "0", "1")]), sha256Hex(rawTarGz([rawTarEntry("a", "0", "1"), rawTarEntry("a", "0", "1")])), join(root, "p4"), UNPACK_DEFAULTS, [store])).rejects.toThrow("clash");
  });

  it("with two stores, links from the second when the first has no copy, and stores a new file in the first only", async () => {
    const shared = join(root, "shared");
    const own = join(root, "own");
    const first = gzipSync(writeTar([{ path: "a.py", executable: false, content: Buffer.from("print(1)") }]));
    await unpackProject(first, sha256Hex(first), join(root, "p1"), UNPACK_DEFAULTS, [own]);
    const second = gzipSync(writeTar([{ path: "a.py", executable: false, content: Buffer.from("print(1)") }, { path: "b.py", executable: false, content: Buffer.from("2") }]));
    await unpackProject(second, sha256Hex(second), join(root, "p2"), UNPACK_DEFAULTS, [shared, own]);
    expect(statSync(join(root, "p2", "a.py")).ino).toBe(statSync(join(root, "p1", "a.py")).ino);
    expect(readdirSync(shared)).toEqual([sha256Hex(Buffer.from("2"))]);
    expect(readdirSync(own)).toEqual([sha256Hex(Buffer.from("print(1)"))]);
    // One link in the project, one in a store: once the project is gone, the store's sweep sees it unused.
    expect(statSync(join(root, "p2", "b.py")).nlink).toBe(2);
  });

  it("writes the files when a store cannot be made", async () => {
    const archive = gzipSync(writeTar([{ path: "a.py", executable: false, content: Buffer.from("print(1)") }]));
    writeFileSync(join(root, "file"), "");
    await unpackProject(archive, sha256Hex(archive), join(root, "p"), UNPACK_DEFAULTS, [join(root, "file", "store")]);
    expect(readFileSync(join(root, "p", "a.py"), "utf8")).toBe("print(1)");
    expect(statSync(join(root, "p", "a.py")).nlink).toBe(1);
  });

  it("refuses content that does not hash to its name", async () => {
    await expect(unpackProject(gzipSync(writeTar([])), "0".repeat(64), join(root, "p"), UNPACK_DEFAULTS)).rejects.toThrow("hashes to");
  });

  it.each([
    ["a path with ..", [rawTarEntry("../evil", "0", "x")], "'..' component"],
    ["an absolute path", [rawTarEntry("/tmp/evil", "0", "x")], "absolute path"],
    ["a symbolic link out", [rawTarEntry("link", "2", "", "/etc")], "symbolic link"],
    ["a device", [rawTarEntry("null", "3")], "character device"],
    ["an entry given twice", [rawTarEntry("a", "0", "1"), rawTarEntry("a", "0", "2")], "clash"],
  ])("refuses %s and writes nothing", async (_what, entries, why) => {
    await expect(unpack(rawTarGz(entries))).rejects.toThrow(why);
    expect(existsSync(join(root, "p"))).toBe(false);
    expect(existsSync(join(root, "evil"))).toBe(false);
  });

  it("refuses what is not a gzip file, and archives over its limits", async () => {
    await expect(unpack(Buffer.from("plain text"))).rejects.toThrow("not a gzip file");
    const big = gzipSync(writeTar([{ path: "zeros", executable: false, content: Buffer.alloc(1 << 20) }]));
    await expect(unpack(big, { maxBytes: 1024, maxFiles: 10 })).rejects.toThrow("more than the 1024 bytes");
    const many = gzipSync(writeTar(["a", "b", "c"].map((p) => ({ path: p, executable: false, content: Buffer.alloc(0) }))));
    await expect(unpack(many, { maxBytes: 1024, maxFiles: 2 })).rejects.toThrow("more than 2 entries");
  });
});
