import { sql } from "../vendor/kysely.js";
import type { StoreContext } from "./context.js";
import { HELD_BY_PILOT } from "./dialect.js";

const HELD = sql.raw(HELD_BY_PILOT);

/** A bundle a pilot has a use for, and the user whose work names it. */
export interface PilotBundle {
  hash: string;
  userId: number;
}

/**
 * The code cache: bundles addressed by the sha256 of their content. The bytes are shared; who may use them is
 * recorded per user who uploaded them.
 */
export class BundleStore {
  constructor(private readonly ctx: StoreContext) {}

  /** The bytes are stored (by anyone). */
  async has(hash: string): Promise<boolean> {
    const row = await this.ctx.db.selectFrom("bundles").select("hash").where("hash", "=", hash).executeTakeFirst();
    return row !== undefined;
  }

  /** The user uploaded this bundle. */
  async owns(hash: string, userId: number): Promise<boolean> {
    const row = await this.ctx.db
      .selectFrom("bundle_owners")
      .select("hash")
      .where("hash", "=", hash)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Stores a bundle for `userId`: bytes already stored are kept (the caller checked they hash to the name),
   * and the user becomes one of its owners.
   */
  async put(hash: string, content: Uint8Array, userId: number): Promise<void> {
    const now = Date.now();
    await this.ctx.db
      .insertInto("bundles")
      .values({ hash, size: content.byteLength, content, created_at: now })
      .onConflict((oc) => oc.column("hash").doNothing())
      .execute();
    await this.ctx.db
      .insertInto("bundle_owners")
      .values({ hash, user_id: userId, created_at: now })
      .onConflict((oc) => oc.columns(["hash", "user_id"]).doNothing())
      .execute();
  }

  async get(hash: string): Promise<Uint8Array | undefined> {
    const row = await this.ctx.db.selectFrom("bundles").select("content").where("hash", "=", hash).executeTakeFirst();
    return row?.content;
  }

  /**
   * The bundles and project archives a live pilot has a use for, with the user whose work names each: those
   * of the jobs it holds, and those of the unfinished tasks and workflows of its queue, which its executors
   * are told to warm. Empty for a pilot that ended or does not exist.
   */
  async ofPilot(pilotId: number): Promise<PilotBundle[]> {
    const { rows } = await sql<{ hash: string; project: string | null; userId: number }>`
      SELECT DISTINCT t.bundle_hash AS "hash", t.project_hash AS "project", w.user_id AS "userId"
        FROM jobs j JOIN tasks t ON t.id = j.task_id JOIN workflows w ON w.id = t.workflow_id
       WHERE j.pilot_id = ${pilotId} AND ${HELD}
      UNION
      SELECT t.bundle_hash, t.project_hash, w.user_id
        FROM pilots p JOIN tasks t ON t.queue = p.queue JOIN workflows w ON w.id = t.workflow_id
       WHERE p.id = ${pilotId} AND p.ended_at IS NULL AND t.ended_at IS NULL
      UNION
      SELECT w.bundle_hash, w.project_hash, w.user_id
        FROM pilots p JOIN workflows w ON w.queue = p.queue
       WHERE p.id = ${pilotId} AND p.ended_at IS NULL AND w.ended_at IS NULL AND w.bundle_hash IS NOT NULL`.execute(this.ctx.db);
    return rows.flatMap((r) => [{ hash: r.hash, userId: r.userId }, ...(r.project === null ? [] : [{ hash: r.project, userId: r.userId }])]);
  }
}
