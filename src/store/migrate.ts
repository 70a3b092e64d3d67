import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from "../vendor/kysely.js";
import { errorMessage } from "../core/errors.js";
import type { DialectName } from "./dialect.js";
import * as initial from "./migrations/0001-initial.js";
import * as resultChannels from "./migrations/0002-result-channels.js";
import * as durableDrivers from "./migrations/0003-durable-drivers.js";
import * as queueBrokerage from "./migrations/0004-queue-brokerage.js";
import * as workers from "./migrations/0005-workers.js";
import * as executionContexts from "./migrations/0006-execution-contexts.js";
import * as monitoring from "./migrations/0007-monitoring.js";
import * as workerBatchStatus from "./migrations/0008-worker-batch-status.js";
import * as suspendedWorkflows from "./migrations/0009-suspended-workflows.js";
import * as bundleOwners from "./migrations/0010-bundle-owners.js";
import * as pilotReportKeys from "./migrations/0011-pilot-report-keys.js";
import * as sites from "./migrations/0012-sites.js";
import * as projectArchives from "./migrations/0013-project-archives.js";
import * as finalJobsIndex from "./migrations/0014-final-jobs-index.js";
import * as pilotHeartbeats from "./migrations/0015-pilot-heartbeats.js";
import * as taskObjectives from "./migrations/0016-task-objectives.js";
import * as sitePilotTokens from "./migrations/0017-site-pilot-tokens.js";
import * as pilotEndsIndex from "./migrations/0018-pilot-ends-index.js";
import type { Database } from "./schema.js";

const MIGRATIONS: Record<string, (db: Kysely<unknown>, dialect: DialectName) => Promise<void>> = {
  "0001-initial": initial.up,
  "0002-result-channels": resultChannels.up,
  "0003-durable-drivers": durableDrivers.up,
  "0004-queue-brokerage": queueBrokerage.up,
  "0005-workers": workers.up,
  "0006-execution-contexts": executionContexts.up,
  "0007-monitoring": monitoring.up,
  "0008-worker-batch-status": workerBatchStatus.up,
  "0009-suspended-workflows": suspendedWorkflows.up,
  "0010-bundle-owners": bundleOwners.up,
  "0011-pilot-report-keys": pilotReportKeys.up,
  "0012-sites": sites.up,
  "0013-project-archives": projectArchives.up,
  "0014-final-jobs-index": finalJobsIndex.up,
  "0015-pilot-heartbeats": pilotHeartbeats.up,
  "0016-task-objectives": taskObjectives.up,
  "0017-site-pilot-tokens": sitePilotTokens.up,
  "0018-pilot-ends-index": pilotEndsIndex.up,
};

class CodeMigrations implements MigrationProvider {
  constructor(private readonly dialect: DialectName) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, up] of Object.entries(MIGRATIONS)) out[name] = { up: (db) => up(db, this.dialect) };
    return out;
  }
}

export class SchemaTooNewError extends Error {
  constructor(readonly unknownMigrations: string[]) {
    super(
      `the database has schema migrations this version of Pando does not know (${unknownMigrations.join(", ")}): ` +
        "it was written by a newer Pando. Upgrade Pando, or point it at another database.",
    );
    this.name = "SchemaTooNewError";
  }
}

/** The migrations the database has; none when it has no migration table yet (a new database). */
async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  try {
    const rows = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(db);
    return rows.rows.map((r) => r.name);
  } catch (err) {
    // Any other failure (the database unreachable, say) comes back from the migrator with its own words.
    if (/kysely_migration/.test(errorMessage(err))) return [];
    throw err;
  }
}

/**
 * Brings the schema up to date; refuses a database written by a newer Pando. A database that has every
 * migration already costs one query: the migrator (its lock, its tables) runs only when there is work.
 */
export async function migrate(db: Kysely<Database>, dialect: DialectName): Promise<void> {
  const applied = await appliedMigrations(db);
  const unknown = applied.filter((name) => !Object.hasOwn(MIGRATIONS, name));
  if (unknown.length > 0) throw new SchemaTooNewError(unknown);
  if (Object.keys(MIGRATIONS).every((name) => applied.includes(name))) return;
  const migrator = new Migrator({ db, provider: new CodeMigrations(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error");
    const detail = errorMessage(error);
    throw new Error(`database migration ${failed?.migrationName ?? ""} failed: ${detail}`);
  }
}
