import { Kysely, PostgresDialect } from "../vendor/kysely.js";
import pg from "pg";
import { errorMessage } from "../core/errors.js";
import { textSafePool } from "./postgres-text.js";
import type { Database } from "./schema.js";

const INT8 = 20;
const NUMERIC = 1700;
const CONNECT_TIMEOUT_MS = 5000;

// Ids, times and counts are bigint columns: JavaScript numbers hold them exactly (below 2^53), and the
// rest of the store expects numbers, as SQLite gives them.
pg.types.setTypeParser(INT8, (v) => Number(v));
pg.types.setTypeParser(NUMERIC, (v) => Number(v));

export interface PostgresOptions {
  url: string;
  /** Connections in the pool. */
  poolSize?: number;
}

/** The database URL without its password, for messages and logs. */
export function describePostgres(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return "(a malformed URL)";
  }
}

/**
 * Opens PostgreSQL through a connection pool, after checking that it answers: a bad URL or an unreachable
 * server is a clear start-up error within seconds, never a hang.
 */
export async function openPostgres(options: PostgresOptions): Promise<Kysely<Database>> {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new Error(`the database URL is malformed; expected postgres://user[:password]@host[:port]/database`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new Error(`the database URL must start with postgres://, not ${url.protocol}//`);
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 20,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`cannot connect to PostgreSQL at ${describePostgres(options.url)}: ${errorMessage(err)}`, { cause: err });
  }
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: textSafePool(pool) }) });
}
