// The PostgreSQL pool as the store uses it: every text parameter goes in as the store keeps text, and every
// text column comes out as it was given (codec/stored-text.ts), so that text with NUL characters, which
// PostgreSQL's text cannot hold, is stored and read back exactly, as on SQLite.
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely";
import { decodeStoredText, encodeStoredText } from "../codec/stored-text.js";
import { statementFor } from "./postgres-prepared.js";

const MARK = 0xe000;

function encodeParameter(value: unknown): unknown {
  return typeof value === "string" ? encodeStoredText(value) : value;
}

function decodeRows(rows: unknown[]): void {
  for (const row of rows) {
    if (typeof row !== "object" || row === null) continue;
    const record = row as Record<string, unknown>;
    for (const key in record) {
      const value = record[key];
      if (typeof value === "string" && value.charCodeAt(0) === MARK) record[key] = decodeStoredText(value);
    }
  }
}

function textSafeClient(client: PostgresPoolClient): PostgresPoolClient {
  return {
    query: ((sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>) => {
      if (typeof sqlOrCursor !== "string") return client.query(sqlOrCursor as never);
      const statement = statementFor(client, sqlOrCursor, (parameters ?? []).map(encodeParameter));
      return (client.query(statement as never) as unknown as Promise<PostgresQueryResult<unknown>>).then((result) => {
        decodeRows(result.rows);
        return result;
      });
    }) as PostgresPoolClient["query"],
    release: (destroy?: boolean) => client.release(destroy),
  };
}

export function textSafePool(pool: PostgresPool): PostgresPool {
  return {
    connect: async () => textSafeClient(await pool.connect()),
    end: () => pool.end(),
  };
}
