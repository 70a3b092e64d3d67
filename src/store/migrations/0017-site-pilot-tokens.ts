import type { Kysely } from "kysely";
import type { DialectName } from "../dialect.js";

/**
 * A site's pilot tokens can be retired: a token says when a site agent last said it holds it, and a worker
 * says which pilot token its agent started it with. A token neither held lately nor used by a live worker is
 * revoked (SiteService), so that agents that restart do not leave valid tokens behind them.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === "postgres" ? "bigint" : "integer";
  await db.schema.alterTable("tokens").addColumn("held_at", big).execute();
  await db.schema.alterTable("workers").addColumn("pilot_token_id", "integer").execute();
}
