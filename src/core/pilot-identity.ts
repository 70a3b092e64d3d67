// Which pilot a request may act as. Every pilot shares one pilot token, so the token alone says only "some
// pilot": a request that names a pilot (its id in the path, `?pilot=`) must also carry that pilot's key, the
// secret its registration answered with. Administrators may act as any pilot, as they may do anything.
import { createHash, timingSafeEqual } from "node:crypto";

/** The request header that carries a pilot's key. */
export const PILOT_KEY_HEADER = "x-pando-pilot-key";

/** What the rule needs to know of the caller: its token's kind and role, and the key its request carried. */
export interface PilotCaller {
  kind: "user" | "pilot" | "workflow" | "site";
  admin: boolean;
  pilotKey?: string;
}

/** Why a caller may not act as the pilot it names; undefined when it may. */
export type PilotRefusal = "not_a_pilot" | "no_key" | "wrong_key";

/** The sha256 of a pilot's key: what the server keeps in memory, and what it compares. */
export function pilotKeyHash(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}

/**
 * Whether `caller` may act as the pilot whose stored key hashes to `storedKeyHash` (undefined: the pilot has
 * no key, so no pilot token can prove to be it). An administrator's own token acts as any pilot; a pilot
 * token only with that pilot's key, compared in constant time on the hashes (equal lengths, whatever was
 * sent); any other token never.
 */
export function pilotRefusal(caller: PilotCaller, storedKeyHash: Buffer | undefined): PilotRefusal | undefined {
  if (caller.kind === "user" && caller.admin) return undefined;
  if (caller.kind !== "pilot") return "not_a_pilot";
  if (caller.pilotKey === undefined || caller.pilotKey === "") return "no_key";
  if (storedKeyHash === undefined) return "wrong_key";
  return timingSafeEqual(pilotKeyHash(caller.pilotKey), storedKeyHash) ? undefined : "wrong_key";
}
