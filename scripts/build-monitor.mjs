// Builds the web monitor (monitor/) into dist/monitor: index.html and content-hashed script and style files,
// everything bundled (the page loads nothing from elsewhere). Run by `npm run build` after tsc.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const source = join(root, "monitor");
const out = join(root, "dist", "monitor");
const assets = join(out, "assets");

rmSync(out, { recursive: true, force: true });
const result = await build({
  entryPoints: { main: join(source, "src", "main.tsx"), style: join(source, "style.css") },
  absWorkingDir: root,
  outdir: assets,
  entryNames: "[name]-[hash]",
  bundle: true,
  format: "esm",
  target: ["chrome110", "firefox115", "safari16"],
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: true,
  sourcemap: "linked",
  metafile: true,
  logLevel: "warning",
});

// Entry point (relative to the repository) -> the hashed file written for it, relative to index.html.
const written = new Map(
  Object.entries(result.metafile.outputs)
    .filter(([, output]) => output.entryPoint)
    .map(([file, output]) => [output.entryPoint, `assets/${basename(file)}`]),
);
const template = readFileSync(join(source, "index.html"), "utf8");
const placeholders = { "{{script}}": written.get("monitor/src/main.tsx"), "{{style}}": written.get("monitor/style.css") };
let html = template;
for (const [placeholder, file] of Object.entries(placeholders)) {
  if (!file) throw new Error(`esbuild wrote no file for ${placeholder} of monitor/index.html`);
  if (!html.includes(placeholder)) throw new Error(`monitor/index.html lacks ${placeholder}`);
  html = html.replace(placeholder, file);
}
writeFileSync(join(out, "index.html"), html);
