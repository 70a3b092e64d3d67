// The embedded database's write-ahead log is copied back into the database file by a thread of the
// server (src/store/sqlite-checkpointer.ts), not by the commit that fills it: seen from outside, the
// database file takes in what was committed while the server runs, long before the log holds the
// thousand pages after which SQLite's connection would checkpoint by itself. Runs the built store, as the
// thread's script exists only in dist.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type * as Kysely from "kysely";
import type * as SqliteStore from "../src/store/sqlite.js";
import { until } from "./helpers/until.js";

const DIST = resolve(import.meta.dirname, "..", "dist");
const { openSqlite } = (await import(pathToFileURL(join(DIST, "store", "sqlite.js")).href)) as typeof SqliteStore;
const { sql } = (await import(pathToFileURL(join(DIST, "vendor", "kysely.js")).href)) as typeof Kysely;

const PAGE = 4096;
/** Well under SQLite's own threshold of 1000 pages. */
const ROWS = 200;

describe("the embedded database's checkpoints", () => {
  const dir = mkdtempSync(join(tmpdir(), "pando-checkpoints-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("copy committed pages into the database file while the server runs, and leave no log once it closes", async () => {
    const path = join(dir, "pando.db");
    const db = openSqlite({ path });
    await sql`CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB)`.execute(db);
    const before = statSync(path).size;
    for (let i = 0; i < ROWS; i++) await sql`INSERT INTO filler (data) VALUES (${Buffer.alloc(PAGE, i)})`.execute(db);
    // Every row is a page or more in the log; the database file had none of them.
    expect(before).toBeLessThan((ROWS / 2) * PAGE);
    await until("the database file to take in the log's pages", () => (statSync(path).size >= ROWS * PAGE ? true : undefined), 10_000, () => `the database file has ${statSync(path).size} bytes`);
    await db.destroy();
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("lets go of the database when it closes before its checkpoint thread has started", async () => {
    const path = join(dir, "brief.db");
    for (let i = 0; i < 2; i++) {
      const db = openSqlite({ path });
      await sql`SELECT 1`.execute(db);
      await db.destroy();
    }
  });
});
