// The store's conformance suite on SQLite (the PostgreSQL run is test/store.test.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStoreContext } from "./open.js";
import { describeStoreConformance } from "./store.conformance.js";

describeStoreConformance("SQLite", async (limits) => {
  const dir = mkdtempSync(join(tmpdir(), "pando-store-"));
  return {
    ctx: await openStoreContext({ sqlite: { path: join(dir, "pando.db") } }, limits),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
});
