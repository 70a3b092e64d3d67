import type { Kysely } from "kysely";

/** Execution contexts: a shell prefix run around the executor (`initEnv`) and a container image. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("tasks").addColumn("init_env", "text").execute();
  await db.schema.alterTable("tasks").addColumn("container", "text").execute();
}
