import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { holdDatabaseLock } from "./sqlite-lock.js";

describe("the embedded database's lock", () => {
  const dir = mkdtempSync(join(tmpdir(), "pando-sqlite-lock-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is held by one connection at a time, and free again once that one closes", () => {
    const path = join(dir, "pando.db");
    const first = holdDatabaseLock(path, 0);
    expect(() => holdDatabaseLock(path, 0)).toThrow(expect.objectContaining({ code: "SQLITE_BUSY" }));
    first.close();
    holdDatabaseLock(path, 0).close();
  });

  it("locks each database on its own", () => {
    const a = holdDatabaseLock(join(dir, "a.db"), 0);
    const b = holdDatabaseLock(join(dir, "b.db"), 0);
    a.close();
    b.close();
  });
});
