import type { Kysely } from "kysely";
import type { DialectName } from "../dialect.js";

/**
 * Suspended workflows: a local workflow whose driver stopped before its body ended (Ctrl-C, or no
 * heartbeats) records when and why, until `pando run --resume` takes it up again.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === "postgres" ? "bigint" : "integer";
  await db.schema.alterTable("workflows").addColumn("suspended_at", big).execute();
  await db.schema.alterTable("workflows").addColumn("suspend_reason", "text").execute();
}
