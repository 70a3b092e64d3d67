import type { Kysely } from "kysely";
import type { DialectName } from "../dialect.js";

/**
 * A task may carry the objective its work declared: the result field that is the objective and whether lower
 * or higher is better, so that the monitor plots it in that direction. Tasks from before declare none.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable("tasks").addColumn("objective_name", "text").execute();
  await db.schema.alterTable("tasks").addColumn("objective_direction", "text").execute();
}
