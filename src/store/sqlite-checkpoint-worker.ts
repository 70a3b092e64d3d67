// The checkpointer's thread (see sqlite-checkpointer.ts): a connection of its own to the server's SQLite
// file, which copies the write-ahead log back into the database every interval until the store closes.
// It blocks on the shared state between rounds: it has nothing else to do, and a stop wakes it at once.
import { workerData } from "node:worker_threads";
import BetterSqlite3 from "better-sqlite3";
import { CLOSED, RUN, RUNNING, type CheckpointerData } from "./sqlite-checkpointer.js";

const { path, synchronous, intervalMs, state } = workerData as CheckpointerData;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED";
}

let db: BetterSqlite3.Database | undefined;
try {
  db = new BetterSqlite3(path, { fileMustExist: true });
  // Never wait for a lock: a round that finds the log busy (the server's connection checkpointing) tries again next time.
  db.pragma("busy_timeout = 0");
  db.pragma(`synchronous = ${synchronous}`);
  while (Atomics.load(state, RUN) === RUNNING) {
    Atomics.wait(state, RUN, RUNNING, intervalMs);
    if (Atomics.load(state, RUN) !== RUNNING) break;
    try {
      // PASSIVE: copies what it can without waiting for, or blocking, the server's reads and writes.
      db.pragma("wal_checkpoint(PASSIVE)");
    } catch (err) {
      if (!isBusy(err)) throw err;
    }
  }
} finally {
  db?.close();
  Atomics.store(state, CLOSED, 1);
  Atomics.notify(state, CLOSED);
}
