// The store's conformance suite (src/store/store.conformance.ts) on the database of the project that runs
// it: PostgreSQL in the PostgreSQL matrix, where claims, reports, kills and closes really run side by side;
// SQLite otherwise (as the unit project runs it too).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStoreContext } from "../src/store/open.js";
import { describeStoreConformance } from "../src/store/store.conformance.js";
import { freshDatabase } from "./helpers/cluster.js";

const database = freshDatabase();

describeStoreConformance(database ? "PostgreSQL" : "SQLite", async (limits) => {
  if (database) {
    return { ctx: await openStoreContext({ postgres: { url: database.url } }, limits), remove: () => database.drop() };
  }
  const dir = mkdtempSync(join(tmpdir(), "pando-store-"));
  return {
    ctx: await openStoreContext({ sqlite: { path: join(dir, "pando.db") } }, limits),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
});
