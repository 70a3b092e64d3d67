import { forbidden, notFound } from "../api/errors.js";
import { PILOT_KEY_HEADER, pilotKeyHash, pilotRefusal } from "../core/pilot-identity.js";
import type { Principal } from "../store/auth-store.js";
import type { ServerContext } from "./context.js";

/** Pilots whose key hashes are kept; past it the oldest is dropped (and read again when it comes back). */
const MAX_CACHED_KEYS = 100_000;

/**
 * Proves that a request acts as the pilot it names (core/pilot-identity.ts): the hash of each pilot's key,
 * read from the store the first time a replica sees the pilot and kept until the pilot ends. A pilot's key
 * never changes (a pilot that registers again is a new pilot with a new key), so a replica that did not see
 * the registration, or a pilot that moved to it, is proven the same way.
 */
export class PilotKeys {
  private readonly hashes = new Map<number, Buffer | undefined>();

  constructor(private readonly ctx: Pick<ServerContext, "store">) {}

  /** Throws 403 unless `p` may act as pilot `pilotId`, 404 when there is no such pilot. */
  async requireSelf(p: Principal, pilotId: number): Promise<void> {
    // Only a pilot token's key is compared: other tokens are admitted or refused by their role alone.
    const hash = p.kind !== "pilot" ? undefined : this.hashes.has(pilotId) ? this.hashes.get(pilotId) : await this.load(pilotId);
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
    this.hashes.delete(pilotId);
  }

  private async load(pilotId: number): Promise<Buffer | undefined> {
    const pilot = await this.ctx.store.dispatch.pilot(pilotId);
    if (!pilot) throw notFound("pilot", pilotId);
    const hash = pilot.report_key ? pilotKeyHash(pilot.report_key) : undefined;
    if (pilot.status !== "running") return hash;
    if (this.hashes.size >= MAX_CACHED_KEYS) this.hashes.delete(this.hashes.keys().next().value!);
    this.hashes.set(pilotId, hash);
    return hash;
  }
}
