import { forbidden, notFound } from "../api/errors.js";
import { PILOT_KEY_HEADER, pilotKeyHash, pilotRefusal } from "../core/pilot-identity.js";
import type { Principal } from "../store/auth-store.js";
import type { ServerContext } from "./context.js";

/** Pilots whose keys are kept; past it the oldest is dropped (and read again when it comes back). */
const MAX_CACHED_KEYS = 100_000;

interface KnownKey {
  /** The key, as the broker path checks a report's signature with it; undefined: the pilot has none. */
  key: string | undefined;
  /** Its hash, as a request's key is compared with it. */
  hash: Buffer | undefined;
}

/**
 * The pilots' keys, read from the store the first time a replica sees a pilot and kept until the pilot ends:
 * they prove that a request acts as the pilot it names (core/pilot-identity.ts) and sign the pilot's reports
 * through the broker. A pilot's key never changes (a pilot that registers again is a new pilot with a new
 * key), so a replica that did not see the registration, or a pilot that moved to it, is proven the same way.
 */
export class PilotKeys {
  private readonly known = new Map<number, KnownKey>();

  constructor(private readonly ctx: Pick<ServerContext, "store">) {}

  /** The key pilot `pilotId` signs its broker reports with; undefined for an unknown pilot or one without a key. */
  async keyOf(pilotId: number): Promise<string | undefined> {
    return (this.known.get(pilotId) ?? (await this.load(pilotId)))?.key;
  }

  /** Throws 403 unless `p` may act as pilot `pilotId`, 404 when there is no such pilot. */
  async requireSelf(p: Principal, pilotId: number): Promise<void> {
    // Only a pilot token's key is compared: other tokens are admitted or refused by their role alone.
    let hash: Buffer | undefined;
    if (p.kind === "pilot") {
      const known = this.known.get(pilotId) ?? (await this.load(pilotId));
      if (!known) throw notFound("pilot", pilotId);
      hash = known.hash;
    }
    const refusal = pilotRefusal(p, hash);
    if (refusal === undefined) return;
    if (refusal === "not_a_pilot") throw forbidden("only pilot tokens (or administrators) may act as pilots");
    const sent = refusal === "no_key" ? "it sent no key" : "the key it sent is not that pilot's";
    throw forbidden(
      `this pilot token is not pilot ${pilotId}'s: ${sent}. Send the key its registration returned (reportKey) in the ${PILOT_KEY_HEADER} header`,
    );
  }

  /** The pilot ended: its key proves nothing from now on, and takes no room. */
  forget(pilotId: number): void {
    this.known.delete(pilotId);
  }

  /** The pilot's key from the store (undefined: no such pilot), kept while the pilot runs. */
  private async load(pilotId: number): Promise<KnownKey | undefined> {
    const pilot = await this.ctx.store.pilots.get(pilotId);
    if (!pilot) return undefined;
    const key = pilot.report_key ?? undefined;
    const known = { key, hash: key ? pilotKeyHash(key) : undefined };
    if (pilot.status !== "running") return known;
    if (this.known.size >= MAX_CACHED_KEYS) this.known.delete(this.known.keys().next().value!);
    this.known.set(pilotId, known);
    return known;
  }
}
