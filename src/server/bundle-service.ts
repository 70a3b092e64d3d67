import { ApiError, forbidden } from "../api/errors.js";
import { pathOf, ROUTES } from "../api/routes.js";
import { ENVIRONMENT_HEADER } from "../codec/environment-header.js";
import { sha256Hex } from "../codec/sha256.js";
import type { Principal } from "../store/auth-store.js";
import type { ServerContext } from "./context.js";
import type { PilotHandoff } from "./pilot-handoff.js";
import type { PilotKeys } from "./pilot-keys.js";

const HASH = /^[0-9a-f]{64}$/;
const MAX_REMEMBERED = 100_000;

/** The environment a bundle's first line names, if any (bundle/bundler.ts writes it). */
function environmentOf(content: Uint8Array): string | undefined {
  const head = Buffer.from(content.buffer, content.byteOffset, Math.min(content.byteLength, ENVIRONMENT_HEADER.length + 64)).toString("latin1");
  if (!head.startsWith(ENVIRONMENT_HEADER)) return undefined;
  const hash = head.slice(ENVIRONMENT_HEADER.length);
  return HASH.test(hash) ? hash : undefined;
}

/**
 * The code cache: bundles by their sha256. The bytes are shared, but a user may name, read or ask for only
 * the bundles they uploaded. A pilot may read only the bundles of the jobs it holds, of the unfinished work of
 * its queue (which it may be handed at any moment, and is told to warm), the one it was told to warm, and the
 * environments those name when their user uploaded them too.
 */
export class BundleService {
  /** Bundles never change once stored, so what a user owns is remembered ("hash user"). */
  private readonly owned = new Set<string>();
  /** Stored bundles are never removed, so one found stored is remembered (an administrator names any of them). */
  private readonly stored = new Set<string>();
  /** Bundles never change, so the environment each names is remembered (null: none). */
  private readonly environments = new Map<string, string | null>();

  constructor(
    private readonly ctx: Pick<ServerContext, "store" | "metrics">,
    private readonly handoff: Pick<PilotHandoff, "codeToWarm">,
    private readonly keys: Pick<PilotKeys, "requireSelf">,
  ) {}

  async putBundle(p: Principal, hash: string, content: Uint8Array): Promise<{ hash: string; size: number }> {
    if (p.kind !== "user") throw forbidden("only user tokens may upload bundles");
    requireHash(hash);
    const actual = sha256Hex(content);
    if (actual !== hash) {
      throw new ApiError(400, "hash_mismatch", `the body's sha256 is ${actual}, not the ${hash} named in the URL`);
    }
    await this.ctx.store.bundles.put(hash, content, p.userId);
    return { hash, size: content.byteLength };
  }

  async getBundle(p: Principal, hash: string, pilotId: number | undefined): Promise<Uint8Array> {
    requireHash(hash);
    const allowed = p.kind === "pilot" ? await this.pilotMayRead(p, pilotId, hash) : p.admin || (await this.owns(p, hash));
    const content = allowed ? await this.ctx.store.bundles.get(hash) : undefined;
    if (!content) throw absent(p, hash, pilotId);
    // Pilots fetch each bundle and project archive once per cache: this counts how often they do.
    if (p.kind === "pilot") this.ctx.metrics.codeCacheReadByPilot();
    return content;
  }

  /** Whether the caller has the bundle: another user's answers as absent, so the caller uploads it. */
  async hasBundle(p: Principal, hash: string): Promise<boolean> {
    requireHash(hash);
    return p.kind !== "pilot" && (await this.mayName(p, hash));
  }

  /**
   * Refuses work that names a bundle its user did not upload, or one naming an environment they did not upload.
   */
  async requireBundle(p: Principal, hash: string): Promise<void> {
    if (await this.mayName(p, hash)) {
      const env = await this.environmentNamedBy(hash);
      if (env === undefined || (await this.mayName(p, env))) return;
      throw new ApiError(
        400,
        "unknown_bundle",
        `bundle ${hash} needs the environment ${env}, which is not in the code cache; upload it first ` +
          `(PUT ${pathOf(ROUTES.putBundle, { hash: env })}): work may name only what its user (${p.userName}) uploaded`,
      );
    }
    throw new ApiError(
      400,
      "unknown_bundle",
      `bundle ${hash} is not in the code cache; upload it first (PUT ${pathOf(ROUTES.putBundle, { hash })}): ` +
        `work may name only a bundle its user (${p.userName}) uploaded`,
    );
  }

  /** A user may name the bundles they uploaded; administrators, who may read every bundle, any stored one. */
  private mayName(p: Principal, hash: string): Promise<boolean> {
    return p.admin ? this.isStored(hash) : this.owns(p, hash);
  }

  private async isStored(hash: string): Promise<boolean> {
    if (this.stored.has(hash)) return true;
    const stored = await this.ctx.store.bundles.has(hash);
    if (stored) {
      if (this.stored.size >= MAX_REMEMBERED) this.stored.clear();
      this.stored.add(hash);
    }
    return stored;
  }

  private async owns(p: Principal, hash: string): Promise<boolean> {
    const key = `${hash} ${p.userId}`;
    if (this.owned.has(key)) return true;
    const owns = await this.ctx.store.bundles.owns(hash, p.userId);
    if (owns) {
      if (this.owned.size >= MAX_REMEMBERED) this.owned.clear();
      this.owned.add(key);
    }
    return owns;
  }

  private async pilotMayRead(p: Principal, pilotId: number | undefined, hash: string): Promise<boolean> {
    if (pilotId === undefined) {
      throw forbidden(`a pilot token reads bundles for one pilot: name it (GET ${pathOf(ROUTES.getBundle, { hash })}?pilot=<id>)`);
    }
    await this.keys.requireSelf(p, pilotId);
    if (this.handoff.codeToWarm(pilotId).includes(hash)) return true;
    const needed = await this.ctx.store.bundles.ofPilot(pilotId);
    if (needed.some((b) => b.hash === hash)) return true;
    for (const b of needed) {
      if ((await this.environmentNamedBy(b.hash)) === hash && (await this.ctx.store.bundles.owns(hash, b.userId))) return true;
    }
    return false;
  }

  private async environmentNamedBy(bundle: string): Promise<string | undefined> {
    let env = this.environments.get(bundle);
    if (env === undefined) {
      const content = await this.ctx.store.bundles.get(bundle);
      if (!content) return undefined;
      env = environmentOf(content) ?? null;
      if (this.environments.size >= MAX_REMEMBERED) this.environments.clear();
      this.environments.set(bundle, env);
    }
    return env ?? undefined;
  }
}

function requireHash(hash: string): void {
  if (!HASH.test(hash)) throw new ApiError(400, "invalid_request", `'${hash}' is not a sha256 hex digest`);
}

/** Absent, or not the caller's: the same answer, so that a hash says nothing of other users' bundles. */
function absent(p: Principal, hash: string, pilotId: number | undefined): ApiError {
  const whose = p.kind === "pilot" ? `among the bundles of the jobs pilot ${pilotId} holds or warms` : `among the bundles ${p.userName} uploaded`;
  return new ApiError(404, "not_found", `bundle ${hash} does not exist ${whose}`);
}
