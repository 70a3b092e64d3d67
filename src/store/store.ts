import { ArchiveStore } from "./archive-store.js";
import { AuthStore } from "./auth-store.js";
import { BundleStore } from "./bundle-store.js";
import type { StoreContext, StoreLimits } from "./context.js";
import { DispatchStore } from "./dispatch-store.js";
import { HeldStore } from "./held-store.js";
import { JobValuesStore } from "./job-values-store.js";
import { MonitorStore } from "./monitor-store.js";
import { openStoreContext } from "./open.js";
import { PilotStore } from "./pilot-store.js";
import type { PostgresOptions } from "./postgres.js";
import { QueueStore } from "./queue-store.js";
import type { SqliteOptions } from "./sqlite.js";
import { TaskInfoCache } from "./task-info.js";
import { TaskPlacement } from "./task-placement.js";
import { TaskReads } from "./task-reads.js";
import { TaskStore } from "./task-store.js";
import { SiteStore } from "./site-store.js";
import { WorkerStore } from "./worker-store.js";
import { WorkflowStore } from "./workflow-store.js";

/**
 * The server's state: every entity of DESIGN.md, behind one object per area. Each operation runs its own
 * transaction; the database and its dialect stay in here.
 */
export class Store {
  readonly auth: AuthStore;
  readonly bundles: BundleStore;
  readonly workflows: WorkflowStore;
  readonly tasks: TaskStore;
  readonly taskReads: TaskReads;
  readonly placement: TaskPlacement;
  readonly dispatch: DispatchStore;
  readonly held: HeldStore;
  readonly pilots: PilotStore;
  readonly queues: QueueStore;
  readonly workers: WorkerStore;
  readonly sites: SiteStore;
  readonly monitor: MonitorStore;
  readonly jobValues: JobValuesStore;
  readonly archive: ArchiveStore;

  /** A store on a migrated database (see openSqlite and openPostgres). */
  constructor(private readonly ctx: StoreContext) {
    const infos = new TaskInfoCache();
    this.auth = new AuthStore(ctx);
    this.bundles = new BundleStore(ctx);
    this.held = new HeldStore(ctx);
    this.dispatch = new DispatchStore(ctx, infos, this.held);
    this.pilots = new PilotStore(ctx);
    this.tasks = new TaskStore(ctx, infos, this.dispatch, this.held);
    this.taskReads = new TaskReads(ctx, infos);
    this.placement = new TaskPlacement(ctx, infos);
    this.workflows = new WorkflowStore(ctx, this.tasks, this.taskReads);
    this.queues = new QueueStore(ctx);
    this.workers = new WorkerStore(ctx);
    this.sites = new SiteStore(ctx);
    this.monitor = new MonitorStore(ctx);
    this.jobValues = new JobValuesStore(ctx);
    this.archive = new ArchiveStore(ctx);
  }

  static async openSqlite(options: SqliteOptions, limits: StoreLimits): Promise<Store> {
    return new Store(await openStoreContext({ sqlite: options }, limits));
  }

  static async openPostgres(options: PostgresOptions, limits: StoreLimits): Promise<Store> {
    return new Store(await openStoreContext({ postgres: options }, limits));
  }

  async close(): Promise<void> {
    await this.ctx.db.destroy();
  }
}
