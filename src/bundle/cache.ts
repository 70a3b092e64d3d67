import { existsSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "../codec/sha256.js";
import { PANDO_ROOT } from "./pando-root.js";

export { PANDO_ROOT };

/**
 * A directory of bundles by hash, ready to import. Next to them, node_modules/pando points at the Pando that
 * runs this process, so a bundle's `import "pando"` resolves to the same SDK (and registry) as its host.
 */
export class BundleCache {
  constructor(private readonly dir: string) {}

  pathOf(hash: string): string {
    return join(this.dir, `${hash}.mjs`);
  }

  has(hash: string): boolean {
    return existsSync(this.pathOf(hash));
  }

  /** Writes a bundle after checking its hash; returns the file to import. */
  put(hash: string, code: Uint8Array): string {
    const actual = sha256Hex(code);
    if (actual !== hash) throw new Error(`bundle content hashes to ${actual}, not ${hash}`);
    this.prepare();
    const path = this.pathOf(hash);
    if (!existsSync(path)) {
      // Write then rename, so a concurrent reader never sees half a bundle.
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, path);
    }
    return path;
  }

  private prepare(): void {
    const modules = join(this.dir, "node_modules");
    const link = join(modules, "pando");
    if (existsSync(link)) return;
    mkdirSync(modules, { recursive: true });
    try {
      symlinkSync(PANDO_ROOT, link, "dir");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}
