// What `pando run` builds from a project (its bundle, its project archive) kept across runs and data
// directories, so that a run of unchanged code does not build it again. An entry is used only while every
// file and directory it was built from is as it was (same size and modification time): a changed, added or
// removed file changes one of them, and the entry is built again.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { sha256Hex } from "../codec/sha256.js";

/** A file or directory as it was when an entry was built. */
export interface Stamp {
  path: string;
  size: number;
  mtimeMs: number;
}

/** The cache's directory: PANDO_BUILD_CACHE, else $XDG_CACHE_HOME/pando, else ~/.cache/pando. */
export function buildCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PANDO_BUILD_CACHE) return env.PANDO_BUILD_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "pando");
}

/** The stamp of a path now; undefined if it is gone. */
export function stampOf(path: string): Stamp | undefined {
  try {
    const st = statSync(path);
    return { path, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

/** Whether every path is as stamped. */
export function unchanged(stamps: readonly Stamp[]): boolean {
  return stamps.every((s) => {
    const now = stampOf(s.path);
    return now !== undefined && now.size === s.size && now.mtimeMs === s.mtimeMs;
  });
}

/** The cache key of what an entry is built from and how. */
export function cacheKey(parts: unknown): string {
  return sha256Hex(new TextEncoder().encode(JSON.stringify(parts)));
}

/**
 * Entries of one kind (a subdirectory of the cache): bytes with a JSON record beside them. Written file by
 * file through a rename, so that a reader never sees half an entry; a cache that cannot be written is
 * simply not used.
 */
export class BuildCache<Meta> {
  private readonly dir: string;

  constructor(root: string, kind: string) {
    this.dir = join(root, kind);
  }

  /** The entry's bytes and record, if both are there and the bytes hash to what the record says. */
  get(key: string): { content: Uint8Array; meta: Meta & { hash: string } } | undefined {
    try {
      const meta = JSON.parse(readFileSync(join(this.dir, `${key}.json`), "utf8")) as Meta & { hash: string };
      const content = readFileSync(join(this.dir, `${key}.bin`));
      return sha256Hex(content) === meta.hash ? { content, meta } : undefined;
    } catch {
      return undefined;
    }
  }

  put(key: string, content: Uint8Array, meta: Meta): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const write = (name: string, data: Uint8Array | string) => {
        const tmp = join(this.dir, `${name}.${process.pid}.tmp`);
        writeFileSync(tmp, data);
        renameSync(tmp, join(this.dir, name));
      };
      write(`${key}.bin`, content);
      write(`${key}.json`, JSON.stringify({ ...meta, hash: sha256Hex(content) }));
    } catch {
      // A read-only or full disk: the next run builds again.
    }
  }
}
