// What every part of the store shares. Only src/store sees it: the rest of the server calls store
// operations, each of which runs its own transaction.
import type { Kysely, Transaction } from "kysely";
import type { DialectName } from "./dialect.js";
import type { Database } from "./schema.js";

export interface StoreLimits {
  /** Retries of a job after system failures (lost pilot…), on top of the user's maxAttempts. */
  maxSystemRetries: number;
}

/** The database, its dialect and the limits the store applies. */
export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  readonly limits: StoreLimits;
}

/** The database, or a transaction of it: what the parts of one store operation run their statements on. */
export type Tx = Kysely<Database> | Transaction<Database>;
