import { ApiError, forbidden, notFound } from "../api/errors.js";
import { pathOf, ROUTES } from "../api/routes.js";
import { sha256Hex } from "../codec/sha256.js";
import type { Principal } from "../store/auth-store.js";
import type { ServerContext } from "./context.js";

/** The code cache: bundles by their sha256, uploaded by users, fetched by pilots. */
export class BundleService {
  /** Bundles never change once stored, so a known hash is remembered. */
  private readonly known = new Set<string>();

  constructor(private readonly ctx: Pick<ServerContext, "store">) {}

  async putBundle(p: Principal, hash: string, content: Uint8Array): Promise<{ hash: string; size: number }> {
    if (p.kind !== "user") throw forbidden("only user tokens may upload bundles");
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new ApiError(400, "invalid_request", `'${hash}' is not a sha256 hex digest`);
    const actual = sha256Hex(content);
    if (actual !== hash) {
      throw new ApiError(400, "hash_mismatch", `the body's sha256 is ${actual}, not the ${hash} named in the URL`);
    }
    await this.ctx.store.bundles.put(hash, content);
    return { hash, size: content.byteLength };
  }

  async getBundle(_p: Principal, hash: string): Promise<Uint8Array> {
    const content = await this.ctx.store.bundles.get(hash);
    if (!content) throw notFound("bundle", hash);
    return content;
  }

  hasBundle(_p: Principal, hash: string): Promise<boolean> {
    return this.isKnown(hash);
  }

  /** Refuses work that names a bundle the cache does not have. */
  async requireBundle(hash: string): Promise<void> {
    if (await this.isKnown(hash)) return;
    throw new ApiError(
      400,
      "unknown_bundle",
      `bundle ${hash} is not in the code cache; upload it first (PUT ${pathOf(ROUTES.putBundle, { hash })})`,
    );
  }

  private async isKnown(hash: string): Promise<boolean> {
    if (this.known.has(hash)) return true;
    const has = await this.ctx.store.bundles.has(hash);
    if (has) this.known.add(hash);
    return has;
  }
}
