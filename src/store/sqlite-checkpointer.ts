// SQLite in WAL mode copies the log back into the database file (a checkpoint) from within the commit that
// fills it past a threshold: every thousand pages or so, one transaction of the server's event loop paid a
// checkpoint's writes and two fsyncs, a few milliseconds during which nothing else ran (the slowest
// percent of single-job calls on the embedded default were those). Here a worker thread of the server runs
// the checkpoints on a connection of its own, and the server's connection checkpoints itself only past a
// much larger log, should the thread fall behind or stop.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

/** How often the thread checkpoints what the log holds (a checkpoint of an empty log costs no I/O). */
const CHECKPOINT_INTERVAL_MS = 100;
/**
 * The log's size, in pages, past which the server's own connection checkpoints after a commit: about
 * 40 MiB of 4 KiB pages. SQLite's default (1000) applies while the thread is not running.
 */
const FALLBACK_CHECKPOINT_PAGES = 10_000;
const SQLITE_DEFAULT_CHECKPOINT_PAGES = 1000;
/** The thread starts after the first interval: a store opened and closed at once never starts one. */
const START_AFTER_MS = CHECKPOINT_INTERVAL_MS;
/** How long close() waits for the thread to close its connection (a checkpoint under way finishes first). */
const STOP_WAIT_MS = 10_000;

/** Slots of the state shared with the thread: RUN is RUNNING until the store closes; CLOSED turns 1 once the thread's connection is closed. */
export const RUN = 0;
export const CLOSED = 1;
export const RUNNING = 1;
const STOPPED = 0;

/** What the thread is given. */
export interface CheckpointerData {
  path: string;
  synchronous: "NORMAL" | "FULL";
  intervalMs: number;
  /** An Int32Array of two slots (RUN, CLOSED) on a SharedArrayBuffer. */
  state: Int32Array;
}

/** The thread's script beside this file; absent when Pando runs from its sources (unit tests): SQLite's own checkpoints apply then. */
const CHECKPOINT_WORKER = fileURLToPath(new URL("./sqlite-checkpoint-worker.js", import.meta.url));

export interface Checkpointer {
  /** Stops the thread and waits until its connection is closed (before the server's own closes: the last connection to close removes the log). */
  stop(): void;
}

/** Checkpoints the WAL of the database that db has open at path, off the calling thread. */
export function startCheckpointer(db: BetterSqlite3.Database, path: string, synchronous: CheckpointerData["synchronous"]): Checkpointer {
  if (!existsSync(CHECKPOINT_WORKER)) return { stop: () => undefined };
  const state = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  Atomics.store(state, RUN, RUNNING);
  let worker: Worker | undefined;
  let exited = false;
  const start = setTimeout(() => {
    const data: CheckpointerData = { path, synchronous, intervalMs: CHECKPOINT_INTERVAL_MS, state };
    worker = new Worker(CHECKPOINT_WORKER, { workerData: data });
    worker.unref();
    worker.on("error", () => undefined);
    worker.on("exit", () => {
      exited = true;
      // A thread that ended while the store is open (an I/O error of its own): the server's connection takes its checkpoints back.
      if (Atomics.load(state, RUN) === RUNNING && db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_CHECKPOINT_PAGES}`);
    });
    db.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
  }, START_AFTER_MS);
  start.unref();
  return {
    stop() {
      clearTimeout(start);
      Atomics.store(state, RUN, STOPPED);
      Atomics.notify(state, RUN);
      if (worker && !exited) Atomics.wait(state, CLOSED, 0, STOP_WAIT_MS);
    },
  };
}
