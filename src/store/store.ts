import type { Kysely, Transaction } from "kysely";
import { ArchiveStore } from "./archive-store.js";
import { AuthStore } from "./auth-store.js";
import { BundleStore } from "./bundle-store.js";
import type { DialectName } from "./dialect.js";
import { DispatchStore } from "./dispatch-store.js";
import { migrate } from "./migrate.js";
import { MonitorStore } from "./monitor-store.js";
import type { Database } from "./schema.js";
import { openPostgres, type PostgresOptions } from "./postgres.js";
import { QueueStore } from "./queue-store.js";
import { openSqlite, type SqliteOptions } from "./sqlite.js";
import { TaskStore } from "./task-store.js";
import { WorkerStore } from "./worker-store.js";
import { WorkflowStore } from "./workflow-store.js";

/** What every part of the store shares: the database and its dialect. */
export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  readonly limits: StoreLimits;
}

export interface StoreLimits {
  /** Retries of a job after system failures (lost pilot…), on top of the user's maxAttempts. */
  maxSystemRetries: number;
}

export type Tx = Kysely<Database> | Transaction<Database>;

/** The server's state: every entity of DESIGN.md, behind one object per area. */
export class Store {
  readonly auth: AuthStore;
  readonly bundles: BundleStore;
  readonly workflows: WorkflowStore;
  readonly tasks: TaskStore;
  readonly dispatch: DispatchStore;
  readonly queues: QueueStore;
  readonly workers: WorkerStore;
  readonly monitor: MonitorStore;
  readonly archive: ArchiveStore;

  private constructor(readonly ctx: StoreContext) {
    this.auth = new AuthStore(ctx);
    this.bundles = new BundleStore(ctx);
    this.tasks = new TaskStore(ctx);
    this.workflows = new WorkflowStore(ctx, this.tasks);
    this.dispatch = new DispatchStore(ctx, this.tasks);
    this.queues = new QueueStore(ctx);
    this.workers = new WorkerStore(ctx);
    this.monitor = new MonitorStore(ctx);
    this.archive = new ArchiveStore(ctx);
  }

  static async openSqlite(options: SqliteOptions, limits: StoreLimits): Promise<Store> {
    const db = openSqlite(options);
    try {
      await migrate(db, "sqlite");
    } catch (err) {
      await db.destroy();
      throw err;
    }
    return new Store({ db, dialect: "sqlite", limits });
  }

  static async openPostgres(options: PostgresOptions, limits: StoreLimits): Promise<Store> {
    const db = await openPostgres(options);
    try {
      await migrate(db, "postgres");
    } catch (err) {
      await db.destroy();
      throw err;
    }
    return new Store({ db, dialect: "postgres", limits });
  }

  async close(): Promise<void> {
    await this.ctx.db.destroy();
  }
}
