// Unpacking a project archive on a pilot: the archive is its user's (hostile, maybe), so it is checked whole
// (tar.ts refuses links, devices and paths that leave it) within limits before anything is written, written
// into a fresh directory that then takes its final name at once, and left read-only.
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { sha256Hex } from "../codec/sha256.js";
import { readTar, TarError } from "./tar.js";

/** What a pilot accepts of a project archive, unpacked. */
export interface UnpackLimits {
  maxBytes: number;
  maxFiles: number;
}

export const UNPACK_DEFAULTS: UnpackLimits = { maxBytes: 1024 * 1024 * 1024, maxFiles: 100_000 };

/** A project archive the pilot refuses, saying why. */
export class ProjectUnpackError extends Error {}

/** Makes a tree writable again (to remove it), or read-only: directories 0555, files 0444 (0555 if executable). */
export function setTreeWritable(dir: string, writable: boolean): void {
  const walk = (d: string) => {
    if (writable) chmodSync(d, 0o755);
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) chmodSync(p, writable ? 0o644 | (statSync(p).mode & 0o111) : statSync(p).mode & 0o111 ? 0o555 : 0o444);
    }
    if (!writable) chmodSync(d, 0o555);
  };
  walk(dir);
}

/** Removes a tree this module left read-only. */
export function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  try {
    setTreeWritable(dir, true);
  } catch {
    // Removed below as far as permissions allow.
  }
  rmSync(dir, { recursive: true, force: true });
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
 * Unpacks the archive named `hash` into `into` (which must not exist yet), read-only. Throws a
 * ProjectUnpackError saying why an archive is refused: wrong hash, not a gzipped tar, over the limits, an
 * entry that is not a file or directory or whose path would leave the directory.
 */
export function unpackProject(archive: Uint8Array, hash: string, into: string, limits: UnpackLimits): void {
  const actual = sha256Hex(archive);
  if (actual !== hash) throw new ProjectUnpackError(`its content hashes to ${actual}, not ${hash}`);
  let entries;
  try {
    entries = readTar(gunzip(archive, limits), { maxBytes: limits.maxBytes, maxEntries: limits.maxFiles });
  } catch (err) {
    if (err instanceof TarError) throw new ProjectUnpackError(err.message);
    throw err;
  }
  const tmp = `${into}.${process.pid}.tmp`;
  removeTree(tmp);
  mkdirSync(tmp, { recursive: true });
  try {
    for (const d of entries.dirs) mkdirSync(join(tmp, d), { recursive: true });
    for (const f of entries.files) {
      const path = join(tmp, f.path);
      mkdirSync(dirname(path), { recursive: true });
      // wx: an entry given twice is refused rather than overwritten.
      writeFileSync(path, f.content, { flag: "wx", mode: f.executable ? 0o755 : 0o644 });
    }
    setTreeWritable(tmp, false);
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
