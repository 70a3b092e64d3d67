import { sql } from "../vendor/kysely.js";
import type { StoreContext } from "./context.js";
import { PILOT_LAST_HEARD } from "./dialect.js";

/** A site as stored: its agent's heartbeat, and the latest heartbeat of its pilots. */
export interface SiteRecord {
  name: string;
  createdAt: number;
  heartbeatAt: number;
  /** The latest heartbeat of a running pilot on one of its queues; null: none. */
  pilotHeartbeatAt: number | null;
  /** Running pilots on its queues. */
  pilots: number;
}

/** Sites whose agents registered: when each agent and its pilots were last heard from. */
export class SiteStore {
  constructor(private readonly ctx: StoreContext) {}

  /** The site's agent was heard from now (registered, or polled for demand); the site is made if new. */
  async heartbeat(name: string): Promise<void> {
    const now = Date.now();
    const r = await this.ctx.db.updateTable("sites").set({ heartbeat_at: now }).where("name", "=", name).executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) return;
    await this.ctx.db
      .insertInto("sites")
      .values({ name, created_at: now, heartbeat_at: now })
      .onConflict((oc) => oc.column("name").doUpdateSet({ heartbeat_at: now }))
      .execute();
  }

  async list(): Promise<SiteRecord[]> {
    const sites = await this.ctx.db.selectFrom("sites").selectAll().orderBy("name").execute();
    if (sites.length === 0) return [];
    const pilots = await this.ctx.db
      .selectFrom("pilots")
      .innerJoin("queues", "queues.name", "pilots.queue")
      .select((eb) => ["queues.site", eb.fn.max(sql.raw<number>(PILOT_LAST_HEARD)).as("last"), eb.fn.countAll<number>().as("n")])
      .where("pilots.status", "=", "running")
      .where("queues.site", "is not", null)
      .groupBy("queues.site")
      .execute();
    const bySite = new Map(pilots.map((p) => [p.site!, { last: Number(p.last), n: Number(p.n) }]));
    return sites.map((s) => ({
      name: s.name,
      createdAt: Number(s.created_at),
      heartbeatAt: Number(s.heartbeat_at),
      pilotHeartbeatAt: bySite.get(s.name)?.last ?? null,
      pilots: bySite.get(s.name)?.n ?? 0,
    }));
  }
}
