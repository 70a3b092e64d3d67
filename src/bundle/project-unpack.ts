// Unpacking a project archive on a pilot: the archive is its user's (hostile, maybe), so it is checked whole
// (tar.ts refuses links, devices and paths that leave it) within limits before anything is written, written
// into a fresh directory that then takes its final name at once, and left read-only.
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { threadId, Worker } from "node:worker_threads";
import { gunzipSync } from "node:zlib";
import { sha256Hex } from "../codec/sha256.js";
import { readTar, TarError, type TarFile } from "./tar.js";

/** What a pilot accepts of a project archive, unpacked. */
export interface UnpackLimits {
  maxBytes: number;
  maxFiles: number;
}

export const UNPACK_DEFAULTS: UnpackLimits = { maxBytes: 1024 * 1024 * 1024, maxFiles: 100_000 };

/** A project archive the pilot refuses, saying why. */
export class ProjectUnpackError extends Error {}

/** Makes a tree's directories writable again (to remove what is in them), or read-only (0555). */
export function setDirsWritable(dir: string, writable: boolean): void {
  if (writable) chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) setDirsWritable(join(dir, e.name), writable);
  if (!writable) chmodSync(dir, 0o555);
}

/** Removes a tree this module left read-only. */
export function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  try {
    setDirsWritable(dir, true);
  } catch {
    // Removed below as far as permissions allow.
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Every directory the entries need, parents before their children. */
function directoriesOf(entries: { files: TarFile[]; dirs: string[] }): string[] {
  const all = new Set<string>();
  const add = (d: string) => {
    for (let at = d; at !== "." && at !== "" && !all.has(at); at = dirname(at)) all.add(at);
  };
  entries.dirs.forEach(add);
  for (const f of entries.files) add(dirname(f.path));
  return [...all].sort((a, b) => a.split("/").length - b.split("/").length);
}

function gunzip(archive: Uint8Array, limits: UnpackLimits): Buffer {
  // A tar is its files plus at most two 512-byte blocks (header, padding) per entry and the end blocks.
  const maxOutputLength = limits.maxBytes + (2 * limits.maxFiles + 4) * 512;
  try {
    return gunzipSync(archive, { maxOutputLength });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ERR_BUFFER_TOO_LARGE" || err instanceof RangeError) {
      throw new ProjectUnpackError(`it unpacks to more than the ${limits.maxBytes} bytes a pilot accepts (--project-max-bytes)`);
    }
    throw new ProjectUnpackError(`it is not a gzip file (${(err as Error).message})`);
  }
}

/**
 * Places one file of an archive, read-only. With file stores (directories of files named by their content's
 * hash), the file is a hard link to the first store's copy there is; otherwise it is written and then linked
 * into the first store that takes it, whole, for the next archive. Creating a file costs tens of times what
 * linking one does, and a project unpacked again after an edit shares all its other files with the copy
 * before. A file is in one store at most: a store keeps a file while something else links to it, and two
 * stores would keep each other's.
 */
function placeFile(path: string, f: TarFile, stores: readonly string[]): void {
  // wx: an entry given twice is refused rather than overwritten.
  const write = () => writeFileSync(path, f.content, { flag: "wx", mode: f.executable ? 0o555 : 0o444 });
  if (stores.length === 0) return write();
  const name = `${sha256Hex(f.content)}${f.executable ? "x" : ""}`;
  for (const store of stores) {
    try {
      return linkSync(join(store, name), path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST" || code === "ENOTDIR") throw err;
    }
  }
  write();
  for (const store of stores) {
    try {
      return linkSync(path, join(store, name));
    } catch (err) {
      // Another pilot stored it first: stored. Where it cannot be (another filesystem, too many links), the
      // next store may take it, and this one is unpacked all the same.
      if ((err as NodeJS.ErrnoException).code === "EEXIST") return;
    }
  }
}

/** Makes a file store's directory; false if it cannot be (a read-only cache): the files are written, not linked. */
function madeStore(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Unpacks the archive named `hash` into `into` (which must not exist yet), read-only; its files are linked
 * from the `fileStores` given (placeFile). Rejects with a ProjectUnpackError saying why an archive is
 * refused: wrong hash, not a gzipped tar, over the limits, an entry that is not a file or directory or whose
 * path would leave the directory.
 */
export async function unpackProject(
  archive: Uint8Array,
  hash: string,
  into: string,
  limits: UnpackLimits,
  fileStores: readonly string[] = [],
): Promise<void> {
  const actual = sha256Hex(archive);
  if (actual !== hash) throw new ProjectUnpackError(`its content hashes to ${actual}, not ${hash}`);
  let entries;
  try {
    entries = readTar(gunzip(archive, limits), { maxBytes: limits.maxBytes, maxEntries: limits.maxFiles });
  } catch (err) {
    if (err instanceof TarError) throw new ProjectUnpackError(err.message);
    throw err;
  }
  const tmp = `${into}.${process.pid}.${threadId}.tmp`;
  removeTree(tmp);
  mkdirSync(tmp, { recursive: true });
  try {
    const dirs = directoriesOf(entries);
    for (const d of dirs) mkdirSync(join(tmp, d));
    // One file after the other, with the thread's own calls (it is a thread of its own, unpackOffThread):
    // eight at once through Node's thread pool took as long on a virtual machine's ext4 and a third more
    // kernel CPU, which the server starting beside it needs (BENCHMARKS.md, "Cold start").
    const stores = fileStores.filter(madeStore);
    for (const f of entries.files) placeFile(join(tmp, f.path), f, stores);
    setDirsWritable(tmp, false);
  } catch (err) {
    removeTree(tmp);
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EEXIST" || e.code === "ENOTDIR") throw new ProjectUnpackError(`two of its entries clash (${e.message})`);
    throw err;
  }
  mkdirSync(dirname(into), { recursive: true });
  try {
    renameSync(tmp, into);
  } catch (err) {
    // Another pilot sharing the cache placed it first: the same bytes, by their hash.
    removeTree(tmp);
    if (!existsSync(into)) throw err;
  }
}

export interface UnpackRequest {
  archive: Uint8Array;
  hash: string;
  into: string;
  limits: UnpackLimits;
  fileStores?: readonly string[];
}

/** The worker's script beside this file; absent when Pando runs from its sources (tests), then not used. */
const UNPACK_WORKER = fileURLToPath(new URL("./project-unpack-worker.js", import.meta.url));

/**
 * unpackProject in a worker thread of its own, so that its files are made whatever the calling thread is
 * busy with; it rejects as unpackProject does (a ProjectUnpackError for a refused archive).
 */
export async function unpackOffThread(request: UnpackRequest): Promise<void> {
  if (!existsSync(UNPACK_WORKER)) return unpackProject(request.archive, request.hash, request.into, request.limits, request.fileStores);
  const answer = await new Promise<{ ok: boolean; refused?: boolean; message?: string; code?: string }>((resolve, reject) => {
    const worker = new Worker(UNPACK_WORKER, { workerData: request });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the unpacking thread stopped (exit code ${code}) before it finished`)));
  });
  if (answer.ok) return;
  if (answer.refused) throw new ProjectUnpackError(answer.message);
  throw Object.assign(new Error(answer.message), { code: answer.code });
}
