import type { Kysely } from "kysely";
import type { DialectName } from "../dialect.js";

/**
 * A workflow may ship its project directory as an archive in the code cache (by its sha256); its tasks
 * name it, and their jobs run in it unpacked. Workflows and tasks from before ship none.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable("workflows").addColumn("project_hash", "text").execute();
  await db.schema.alterTable("tasks").addColumn("project_hash", "text").execute();
}
