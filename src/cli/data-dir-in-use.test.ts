import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dataDirInUseMessage, isDatabaseLocked } from "./data-dir-in-use.js";

describe("a data directory another process holds", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "pando-in-use-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is recognised by SQLite's busy code", () => {
    expect(isDatabaseLocked(Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" }))).toBe(true);
    expect(isDatabaseLocked(new Error("database is locked"))).toBe(false);
    expect(isDatabaseLocked(undefined)).toBe(false);
  });

  it("names the running server that holds it, and both ways out", () => {
    writeFileSync(join(dir, "server.json"), JSON.stringify({ url: "http://127.0.0.1:8720", pid: process.pid }));
    expect(dataDirInUseMessage(dir)).toBe(
      `the data directory ${dir} is in use by a Pando server (http://127.0.0.1:8720, pid ${process.pid}): ` +
        "run on that server with --server http://127.0.0.1:8720, or give this run a data directory of its own with --data-dir <dir>",
    );
  });

  it("names no server when none says it runs there (or the one that did is gone)", () => {
    const expected = `the data directory ${dir} is in use by another Pando process (its database is locked): give this run a data directory of its own with --data-dir <dir>`;
    expect(dataDirInUseMessage(dir)).toBe(expected);
    // Pids are at most 2^22 on Linux: this one belongs to no process.
    writeFileSync(join(dir, "server.json"), JSON.stringify({ url: "http://127.0.0.1:8720", pid: 2 ** 22 + 1 }));
    expect(dataDirInUseMessage(dir)).toBe(expected);
  });
});
