import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from "../vendor/kysely.js";
import type { Database } from "./schema.js";

export interface SqliteOptions {
  /** File path, or ":memory:". */
  path: string;
  /**
   * "normal" (default): with WAL a committed transaction survives a crash of the process (SIGKILL) but the
   * last ones may be lost on power failure; "full" also survives power failure at the cost of an fsync per commit.
   */
  synchronous?: "normal" | "full";
}

/**
 * Kysely's SQLite driver prepares every statement anew, and compiling SQL costs more than running it on the
 * hot path; this keeps the most recently used prepared statements by their SQL text.
 */
class StatementCache implements SqliteDatabase {
  private readonly statements = new Map<string, SqliteStatement>();

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly max = 500,
  ) {}

  prepare(sql: string): SqliteStatement {
    let stmt = this.statements.get(sql);
    if (stmt) {
      this.statements.delete(sql);
    } else {
      stmt = this.db.prepare(sql) as unknown as SqliteStatement;
      if (this.statements.size >= this.max) this.statements.delete(this.statements.keys().next().value!);
    }
    this.statements.set(sql, stmt);
    return stmt;
  }

  close(): void {
    this.db.close();
  }
}

/** Opens the embedded database: SQLite in WAL mode, one connection, serialised by Kysely. */
export function openSqlite(options: SqliteOptions): Kysely<Database> {
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
  const db = new BetterSqlite3(options.path);
  db.pragma("locking_mode = EXCLUSIVE");
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  db.pragma("cache_size = -65536");
  db.pragma("temp_store = MEMORY");
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: new StatementCache(db) }) });
}
