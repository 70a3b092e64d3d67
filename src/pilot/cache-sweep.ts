// Removing what nobody used for a while from a pilot's cache directory (shared by the pilots of a host):
// bundles `<hash>.mjs`, installed environments `envs/<hash>/`, unpacked project archives `projects/<hash>/`
// and the files of those no longer linked from any (`projects/.files/`).
// Every pilot refreshes the mtime of the entries it uses (cache-keeper.ts), so an entry older than the
// keeping time is one no pilot of the host used for that long.
import { existsSync, lstatSync, readdirSync, renameSync, rmSync, statSync, utimesSync, type Dirent } from "node:fs";
import { join } from "node:path";
import { removeTree } from "../bundle/project-unpack.js";
import { errorMessage } from "../core/errors.js";
import { processAlive } from "./process-tree.js";

/** The files of the unpacked archives, once each by content, which the archives' trees link to (project-unpack.ts). */
export const FILE_STORE = ".files";
/** A `.claim` of an unpack (projects.ts) this old belongs to a pilot that died long ago. */
const CLAIM_REMOVED_MS = 24 * 60 * 60_000;
const HASH = /^[0-9a-f]{64}$/;
const BUNDLE = /^[0-9a-f]{64}\.mjs$/;
/** An entry a sweep set aside before removing it, and the process that did. */
const ASIDE = /\.sweep-(\d+)$/;

export interface SweepOptions {
  /** Entries not used for this long are removed. */
  keepMs: number;
  now: number;
  /** Entries (absolute paths) kept whatever their age: this pilot just refreshed them. */
  keep: ReadonlySet<string>;
  /** Called between setting an entry aside and looking at it again (a test refreshes it there, as another pilot may). */
  setAside?: (aside: string) => void;
}

export interface SweepResult {
  /** The entries removed. */
  removed: string[];
  /** Their size on disk (files' sizes). */
  bytes: number;
  /** What could not be looked at or removed (another pilot's race, permissions): the sweep went on. */
  errors: string[];
}

/** Sets an entry's mtime (a file, or a directory) to now; false if it is not there. */
export function refreshEntry(path: string, now = new Date()): boolean {
  try {
    utimesSync(path, now, now);
    return true;
  } catch {
    return false;
  }
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function sizeOf(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  return entries(path).reduce((sum, e) => sum + sizeOf(join(path, e.name)), 0);
}

function remove(path: string): void {
  if (lstatSync(path).isDirectory()) removeTree(path);
  else rmSync(path, { force: true });
}

/**
 * Removes the entries of a cache directory that were not refreshed for `keepMs` and are not in `keep`.
 * Another pilot of the host may refresh an entry between this decision and its removal, so an entry is
 * renamed aside first, looked at again, and renamed back if it was refreshed meanwhile. Files being written
 * (`*.tmp`), unpacks in progress (`*.claim`, unless a day old) and `node_modules` are never touched.
 */
export function sweepCache(dir: string, options: SweepOptions): SweepResult {
  const result: SweepResult = { removed: [], bytes: 0, errors: [] };
  const oldest = options.now - options.keepMs;
  const attempt = (path: string, action: () => void) => {
    try {
      action();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") result.errors.push(`${path}: ${errorMessage(err)}`);
    }
  };
  /** Removes an entry set aside unless it was refreshed meanwhile: then it goes back where it was. */
  const settle = (aside: string, path: string) => {
    if (statSync(aside).mtimeMs >= oldest) {
      try {
        renameSync(aside, path);
      } catch {
        // Placed anew meanwhile (the same content, by its hash): this copy is not needed.
        remove(aside);
      }
      return;
    }
    const bytes = sizeOf(aside);
    remove(aside);
    result.removed.push(path);
    result.bytes += bytes;
  };
  const sweepEntry = (path: string) =>
    attempt(path, () => {
      if (options.keep.has(path) || lstatSync(path).mtimeMs >= oldest) return;
      const aside = `${path}.sweep-${process.pid}`;
      renameSync(path, aside);
      try {
        options.setAside?.(aside);
        settle(aside, path);
      } catch (err) {
        if (existsSync(aside) && !existsSync(path)) renameSync(aside, path);
        throw err;
      }
    });
  // Set aside by a sweep that did not finish (its pilot died, or removing failed): removed or put back.
  const sweepAside = (path: string) => {
    const match = ASIDE.exec(path);
    const pid = Number(match?.[1]);
    if (match && (pid === process.pid || !processAlive(pid))) attempt(path, () => settle(path, path.slice(0, match.index)));
  };

  for (const e of entries(dir)) {
    const path = join(dir, e.name);
    if (e.isFile() && BUNDLE.test(e.name)) sweepEntry(path);
    else sweepAside(path);
  }
  // The unpacked archives' file store: a file no archive links to any more (one link, the store's own) goes;
  // an archive being unpacked that finds it gone writes it anew.
  const store = join(dir, "projects", FILE_STORE);
  for (const e of entries(store)) {
    const path = join(store, e.name);
    attempt(path, () => {
      const st = lstatSync(path);
      if (!st.isFile() || st.nlink > 1 || st.mtimeMs >= oldest) return;
      rmSync(path, { force: true });
      result.removed.push(path);
      result.bytes += st.size;
    });
  }
  for (const sub of ["envs", "projects"]) {
    for (const e of entries(join(dir, sub))) {
      const path = join(dir, sub, e.name);
      if (e.isDirectory() && HASH.test(e.name)) sweepEntry(path);
      else if (ASIDE.test(e.name)) sweepAside(path);
      else if (e.name.endsWith(".claim")) attempt(path, () => lstatSync(path).mtimeMs < options.now - CLAIM_REMOVED_MS && remove(path));
    }
  }
  return result;
}
