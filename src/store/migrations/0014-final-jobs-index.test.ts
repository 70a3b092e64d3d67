import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { up } from "./0014-final-jobs-index.js";

describe("the final jobs index migration", () => {
  it("indexes only final jobs by their place in the result stream, and the results query still uses it", async () => {
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new BetterSqlite3(":memory:") }) });
    await sql`CREATE TABLE jobs (id integer primary key, task_id integer, done_seq integer)`.execute(db);
    await sql`CREATE INDEX jobs_task_done ON jobs (task_id, done_seq)`.execute(db);
    await up(db, "sqlite");
    const index = await sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE name = 'jobs_task_done'`.execute(db);
    expect(index.rows[0]?.sql).toMatch(/where "done_seq" is not null/i);
    const plan = await sql<{ detail: string }>`
      EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE task_id = 1 AND done_seq > 0 ORDER BY done_seq LIMIT 10`.execute(db);
    expect(plan.rows.map((r) => r.detail).join("\n")).toMatch(/jobs_task_done/);
    await db.destroy();
  });
});
