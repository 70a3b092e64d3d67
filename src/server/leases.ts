import pg from "pg";

/**
 * Background loops (lost pilots and drivers, provisioning, pending tasks) run in every server process; on
 * PostgreSQL with several replicas, each pass takes a session advisory lock first, so only one replica runs
 * a given loop at a time and nothing is done twice. On SQLite there is only ever one server.
 */
export class Leases {
  private readonly pool: pg.Pool | undefined;

  constructor(databaseUrl: string | undefined) {
    this.pool = databaseUrl ? new pg.Pool({ connectionString: databaseUrl, max: 4 }) : undefined;
    this.pool?.on("error", () => undefined);
  }

  /** Runs `pass` unless another replica is running the loop of that name right now. */
  async run(name: string, pass: () => Promise<unknown>): Promise<void> {
    if (!this.pool) {
      await pass();
      return;
    }
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ got: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS got", [`pando:${name}`]);
      if (!rows[0]?.got) return;
      try {
        await pass();
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext($1))", [`pando:${name}`]);
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool?.end();
  }
}
