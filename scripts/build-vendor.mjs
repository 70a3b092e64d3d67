// Bundles each package re-exported by src/vendor (compiled to dist/vendor) into that one file, in place:
// Node 20 loads an ES module package file by file, and kysely, fastify and zod were most of what an
// embedded run spent starting its server. The packages stay in node_modules for their types and for
// tests, which run the TypeScript sources.
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "dist", "vendor");
const files = readdirSync(dir).filter((f) => f.endsWith(".js"));
if (files.length === 0) throw new Error(`no compiled vendor modules in ${dir}: run tsc first`);
for (const file of files) {
  const path = join(dir, file);
  await build({
    entryPoints: [path],
    outfile: path,
    allowOverwrite: true,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // CommonJS code inside (fastify's) calls require: an ES module has none of its own.
    banner: { js: "import { createRequire as __pandoVendorRequire } from 'node:module'; const require = __pandoVendorRequire(import.meta.url);" },
    sourcemap: false,
    logLevel: "warning",
  });
  // The compiler's map describes the one-line module this replaced.
  rmSync(`${path}.map`, { force: true });
}
