// The embedded database belongs to one process at a time. Its own file cannot say so: it runs in WAL mode
// with normal locking, so that a thread of the server can checkpoint it (sqlite-checkpointer.ts). A small
// database beside it does: opened in SQLite's exclusive locking mode and written once, it keeps a write lock
// on its file for as long as the connection is open, and the operating system drops that lock when the
// process ends, however it ends. Node has no flock(), hence SQLite's own lock.
import BetterSqlite3 from "better-sqlite3";

/**
 * Takes the lock of the database at dbPath, waiting up to busyTimeoutMs for another holder to let go;
 * throws SQLite's SQLITE_BUSY error when another connection (of this or another process) keeps it.
 * Close the returned connection to let go.
 */
export function holdDatabaseLock(dbPath: string, busyTimeoutMs: number): BetterSqlite3.Database {
  const lock = new BetterSqlite3(`${dbPath}.lock`);
  try {
    lock.pragma(`busy_timeout = ${busyTimeoutMs}`);
    lock.pragma("locking_mode = EXCLUSIVE");
    lock.exec("BEGIN EXCLUSIVE; COMMIT");
    return lock;
  } catch (err) {
    lock.close();
    throw err;
  }
}
