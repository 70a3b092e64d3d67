import type { StoreContext } from "./context.js";

/** The code cache: bundles addressed by the sha256 of their content. */
export class BundleStore {
  constructor(private readonly ctx: StoreContext) {}

  async has(hash: string): Promise<boolean> {
    const row = await this.ctx.db.selectFrom("bundles").select("hash").where("hash", "=", hash).executeTakeFirst();
    return row !== undefined;
  }

  /** Stores a bundle; storing the same hash again is a no-op. */
  async put(hash: string, content: Uint8Array): Promise<void> {
    await this.ctx.db
      .insertInto("bundles")
      .values({ hash, size: content.byteLength, content, created_at: Date.now() })
      .onConflict((oc) => oc.column("hash").doNothing())
      .execute();
  }

  async get(hash: string): Promise<Uint8Array | undefined> {
    const row = await this.ctx.db.selectFrom("bundles").select("content").where("hash", "=", hash).executeTakeFirst();
    return row?.content;
  }
}
