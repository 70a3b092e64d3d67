import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { up } from "./0010-bundle-owners.js";

describe("the bundle owners migration", () => {
  it("makes the users whose workflows or tasks named a stored bundle its owners, and no one else", async () => {
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new BetterSqlite3(":memory:") }) });
    for (const ddl of [
      "CREATE TABLE users (id integer primary key, name text)",
      "CREATE TABLE workflows (id integer primary key, user_id integer, bundle_hash text)",
      "CREATE TABLE tasks (id integer primary key, workflow_id integer, bundle_hash text)",
      "CREATE TABLE bundles (hash text primary key)",
      "INSERT INTO users VALUES (1, 'alice'), (2, 'bob'), (3, 'carol')",
      "INSERT INTO bundles VALUES ('driver'), ('work'), ('unused')",
      // alice's remote workflow runs 'driver' and a task of 'work'; bob's names a bundle no longer stored.
      "INSERT INTO workflows VALUES (1, 1, 'driver'), (2, 2, NULL), (3, 2, 'gone')",
      "INSERT INTO tasks VALUES (1, 1, 'work'), (2, 1, 'work'), (3, 2, 'work'), (4, 3, 'gone')",
    ]) {
      await sql.raw(ddl).execute(db);
    }
    await up(db, "sqlite");
    const owners = await sql<{ hash: string; user_id: number }>`SELECT hash, user_id FROM bundle_owners ORDER BY hash, user_id`.execute(db);
    expect(owners.rows).toEqual([
      { hash: "driver", user_id: 1 },
      { hash: "work", user_id: 1 },
      { hash: "work", user_id: 2 },
    ]);
    await db.destroy();
  });
});
