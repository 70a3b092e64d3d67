import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { describe, expect, it } from "vitest";
import { migrate, SchemaTooNewError } from "./migrate.js";
import type { Database } from "./schema.js";

/** An in-memory SQLite database that lists the statements it runs. */
function database(): { db: Kysely<Database>; statements: string[] } {
  const statements: string[] = [];
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: new BetterSqlite3(":memory:") }),
    log: (event) => void statements.push(event.query.sql),
  });
  return { db, statements };
}

describe("migrate", () => {
  it("migrates a new database, then finds it current with one query", async () => {
    const { db, statements } = database();
    await migrate(db, "sqlite");
    expect(statements.length).toBeGreaterThan(10);
    statements.length = 0;
    await migrate(db, "sqlite");
    expect(statements).toEqual(["SELECT name FROM kysely_migration"]);
    await db.destroy();
  });

  it("still refuses a database with migrations this Pando does not know", async () => {
    const { db } = database();
    await migrate(db, "sqlite");
    await db.insertInto("kysely_migration" as never).values({ name: "9999-future", timestamp: new Date().toISOString() } as never).execute();
    await expect(migrate(db, "sqlite")).rejects.toThrow(SchemaTooNewError);
    await db.destroy();
  });
});
