import { sql, type Kysely } from "../../vendor/kysely.js";
import type { DialectName } from "../dialect.js";

/**
 * Who may use a bundle: the users who uploaded it. The bytes stay shared (content-addressed); each user who
 * uploads them gets a row. Bundles stored before are owned by the users whose workflows or tasks named them;
 * any other (an environment manifest, a bundle never used) is uploaded again by the SDK when its user needs it.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const big = dialect === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("bundle_owners")
    .addColumn("hash", "text", (c) => c.notNull())
    .addColumn("user_id", big, (c) => c.notNull().references("users.id"))
    .addColumn("created_at", big, (c) => c.notNull())
    .addPrimaryKeyConstraint("bundle_owners_pk", ["hash", "user_id"])
    .execute();
  const now = Date.now();
  await sql`
    INSERT INTO bundle_owners (hash, user_id, created_at)
    SELECT DISTINCT named.hash, named.user_id, ${sql.lit(now)} FROM (
      SELECT t.bundle_hash AS hash, w.user_id AS user_id FROM tasks t JOIN workflows w ON w.id = t.workflow_id
      UNION
      SELECT bundle_hash AS hash, user_id FROM workflows WHERE bundle_hash IS NOT NULL
    ) named
    WHERE named.hash IN (SELECT hash FROM bundles)`.execute(db);
}
