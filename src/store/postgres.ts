import type { PostgresPool } from "kysely";
import { ApiError } from "../api/errors.js";
import { Kysely, PostgresDialect } from "../vendor/kysely.js";
import pg from "pg";
import { errorMessage } from "../core/errors.js";
import { textSafePool } from "./postgres-text.js";
import type { Database } from "./schema.js";

const INT8 = 20;
const NUMERIC = 1700;
/** What pg's pool says when no connection came free within its connection timeout. */
const POOL_TIMEOUT = "timeout exceeded when trying to connect";

// Ids, times and counts are bigint columns: JavaScript numbers hold them exactly (below 2^53), and the
// rest of the store expects numbers, as SQLite gives them.
pg.types.setTypeParser(INT8, (v) => Number(v));
pg.types.setTypeParser(NUMERIC, (v) => Number(v));

export interface PostgresOptions {
  url: string;
  /** Connections in the pool (20). */
  poolSize?: number;
  /** Longest a statement waits for a free connection (10 s); past it, 503 database_busy. */
  poolWaitMs?: number;
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
  const poolSize = options.poolSize ?? 20;
  const poolWaitMs = options.poolWaitMs ?? 10_000;
  const pool = new pg.Pool({ connectionString: options.url, max: poolSize, connectionTimeoutMillis: poolWaitMs });
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`cannot connect to PostgreSQL at ${describePostgres(options.url)}: ${errorMessage(err)}`, { cause: err });
  }
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: textSafePool(busyAware(pool, poolSize, poolWaitMs)) }) });
}

/**
 * The pool, whose callers wait in line for a connection up to its wait: one that waited longer is refused
 * with 503 and Retry-After (the server is busy; asking again later works), never a 500.
 */
function busyAware(pool: pg.Pool, poolSize: number, poolWaitMs: number): PostgresPool {
  return {
    connect: async () => {
      try {
        return await pool.connect();
      } catch (err) {
        if (!(err instanceof Error) || err.message !== POOL_TIMEOUT) throw err;
        throw new ApiError(
          503,
          "database_busy",
          `the server is busy: none of its ${poolSize} database connections came free within ${poolWaitMs} ms (--db-pool-size, --db-pool-wait); try again in a moment`,
        );
      }
    },
    end: () => pool.end(),
  };
}
