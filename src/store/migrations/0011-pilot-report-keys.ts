import type { Kysely } from "kysely";
import type { DialectName } from "../dialect.js";

/**
 * Each pilot signs the reports it sends through the broker with a key of its own, made by the server when
 * the pilot registers and kept here so that every replica can check them. Pilots registered before have none:
 * their broker reports are refused until they register again.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable("pilots").addColumn("report_key", "text").execute();
}
