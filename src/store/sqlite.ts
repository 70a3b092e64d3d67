import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from "../vendor/kysely.js";
import type { Database } from "./schema.js";
import { startCheckpointer, type Checkpointer } from "./sqlite-checkpointer.js";
import { holdDatabaseLock } from "./sqlite-lock.js";

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
    /** What the connection is opened with, to let go of when it closes. */
    private readonly companions: { checkpointer?: Checkpointer; lock?: BetterSqlite3.Database },
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
    // The thread's connection closes first, so that the server's, the last one, removes the log; the lock goes last.
    this.companions.checkpointer?.stop();
    this.db.close();
    this.companions.lock?.close();
  }
}

/** How long opening the database waits for another connection to let go of it before it fails with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens the embedded database: SQLite in WAL mode, one connection, serialised by Kysely. The connection
 * opens with the first statement. A file database is this process's alone while it is open
 * (sqlite-lock.ts) and is checkpointed by a thread of its own (sqlite-checkpointer.ts).
 */
export function openSqlite(options: SqliteOptions): Kysely<Database> {
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: async () => connect(options) }) });
}

function connect(options: SqliteOptions): StatementCache {
  const inMemory = options.path === ":memory:";
  if (!inMemory) mkdirSync(dirname(options.path), { recursive: true });
  const lock = inMemory ? undefined : holdDatabaseLock(options.path, BUSY_TIMEOUT_MS);
  const synchronous = options.synchronous === "full" ? "FULL" : "NORMAL";
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(options.path);
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma("foreign_keys = ON");
    db.pragma("cache_size = -65536");
    db.pragma("temp_store = MEMORY");
  } catch (err) {
    lock?.close();
    throw err;
  }
  const checkpointer = inMemory ? undefined : startCheckpointer(db, options.path, synchronous);
  return new StatementCache(db, { checkpointer, lock });
}
