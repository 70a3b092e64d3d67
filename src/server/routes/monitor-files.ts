import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { ApiError } from "../../api/errors.js";

export const MONITOR_PAGE = "/";
export const MONITOR_ASSETS = "/assets/:file";

/** Where `npm run build` writes the web monitor (scripts/build-monitor.mjs): dist/monitor, two levels up from dist/server/routes. */
const MONITOR_DIR = fileURLToPath(new URL("../../monitor/", import.meta.url));
/** The bundler's content-hashed names (main-JP2PASXV.js, style-LSK2ZOZT.css and their source maps). */
const MONITOR_ASSET_NAME = /^[\w-]+\.(js|css)(\.map)?$/;
const MONITOR_CONTENT_TYPES = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  map: "application/json; charset=utf-8",
} as const;
/** The page loads its own files and talks to its own server, nothing else. */
const MONITOR_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** A file of the built monitor, or undefined when it is not there (not built, or an old hashed name). */
async function monitorFile(name: string): Promise<Buffer | undefined> {
  try {
    return await readFile(`${MONITOR_DIR}${name}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** The built web monitor: its page at / and its hashed files under /assets/, or a note to build it. */
export function monitorFileRoutes(app: FastifyInstance): void {
  app.get(MONITOR_PAGE, async (_req, reply) => {
    const page = await monitorFile("index.html");
    if (!page) {
      return reply
        .code(404)
        .type("text/plain; charset=utf-8")
        .send("The Pando web monitor is not built (dist/monitor is missing): run `npm run build` in the Pando repository, then reload this page.\n");
    }
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("content-security-policy", MONITOR_CSP)
      .header("referrer-policy", "no-referrer")
      .header("x-content-type-options", "nosniff")
      .send(page);
  });
  app.get(MONITOR_ASSETS, async (req, reply) => {
    const name = (req.params as { file: string }).file;
    const match = MONITOR_ASSET_NAME.exec(name);
    const content = match ? await monitorFile(`assets/${name}`) : undefined;
    if (!match || !content) throw new ApiError(404, "not_found", `the web monitor has no file ${name}; reload the page`);
    return reply
      .type(MONITOR_CONTENT_TYPES[match[2] ? "map" : (match[1] as "js" | "css")])
      .header("cache-control", "public, max-age=31536000, immutable")
      .header("x-content-type-options", "nosniff")
      .send(content);
  });
}
