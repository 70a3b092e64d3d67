import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { rowLimit } from "./dialect.js";

const db = new Kysely<Record<string, never>>({ dialect: new SqliteDialect({ database: new BetterSqlite3(":memory:") }) });

describe("rowLimit", () => {
  it("writes a small count into SQLite's statement and binds a large one, and every count on PostgreSQL", () => {
    const compiled = (dialect: "sqlite" | "postgres", n: number) => sql`LIMIT ${rowLimit(dialect, n)}`.compile(db);
    expect(compiled("sqlite", 1)).toMatchObject({ sql: "LIMIT 1", parameters: [] });
    expect(compiled("sqlite", 64)).toMatchObject({ sql: "LIMIT 64", parameters: [] });
    expect(compiled("sqlite", 65)).toMatchObject({ sql: "LIMIT ?", parameters: [65] });
    expect(compiled("sqlite", 1.5)).toMatchObject({ sql: "LIMIT ?", parameters: [1.5] });
    expect(compiled("postgres", 1)).toMatchObject({ sql: "LIMIT ?", parameters: [1] });
  });
});
