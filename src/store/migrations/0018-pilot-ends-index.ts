import { sql, type Kysely } from "../../vendor/kysely.js";
import type { DialectName } from "../dialect.js";

/**
 * The pilots that ended lately, by any replica, are read every sweep (PilotStore.endedSince): the index holds
 * the ended pilots' end times only, so the read does not pass over the running ones or all of history.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createIndex("pilots_ended_at")
    .on("pilots")
    .column("ended_at")
    .where(sql.ref("ended_at"), "is not", null)
    .execute();
}
