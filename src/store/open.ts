import type { StoreContext, StoreLimits } from "./context.js";
import { migrate } from "./migrate.js";
import { openPostgres, type PostgresOptions } from "./postgres.js";
import { openSqlite, type SqliteOptions } from "./sqlite.js";

/** Where the store keeps its state: an SQLite file (the embedded default) or a PostgreSQL database. */
export type StoreTarget = { sqlite: SqliteOptions } | { postgres: PostgresOptions };

/** Opens the database and brings its schema up to date; a database that cannot be migrated is closed again. */
export async function openStoreContext(target: StoreTarget, limits: StoreLimits): Promise<StoreContext> {
  const dialect = "sqlite" in target ? "sqlite" : "postgres";
  const db = "sqlite" in target ? openSqlite(target.sqlite) : await openPostgres(target.postgres);
  try {
    await migrate(db, dialect);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { db, dialect, limits };
}
