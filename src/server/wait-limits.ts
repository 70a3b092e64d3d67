import { ApiError } from "../api/errors.js";
import type { Principal } from "../store/auth-store.js";

/** How many requests that wait (long-polls, streams) may be open at once, and for whom. */
export interface WaitLimitsConfig {
  /** Per token. */
  maxWaitsPerToken: number;
  /** Per user, all their tokens together (pilots' long-polls aside). */
  maxWaitsPerUser: number;
  /** Every user's together: below the server's file descriptors, so that pilots always get theirs. */
  maxUserWaits: number;
  /** Pilots' acquire long-polls together: a budget of their own, which users' waits never take. */
  maxPilotWaits: number;
}

/** Who holds a wait: pilots' acquires count in their own pool, the rest per token, per user and in total. */
export type WaitPool = "pilots" | "users";

/** A held wait; `release` once, when its request ends. */
export interface WaitLease {
  release(): void;
}

/** How long a refused caller is told to wait before trying again. */
export const WAIT_RETRY_AFTER_S = 5;

/**
 * Counts the requests that wait, and refuses one more (429) beyond a limit, naming it and the setting that
 * raises it: without limits, one token's thousands of held streams take every file descriptor the server
 * has, and then every connection, pilots' included, is refused.
 */
export class WaitLimits {
  private readonly byToken = new Map<string, number>();
  private readonly byUser = new Map<number, number>();
  private users = 0;
  private pilots = 0;

  constructor(private readonly limits: WaitLimitsConfig) {}

  /** Held now: for the metrics and tests. */
  get held(): { users: number; pilots: number } {
    return { users: this.users, pilots: this.pilots };
  }

  /** Takes a place for one waiting request, or throws the 429 that says which limit is reached. */
  enter(pool: WaitPool, token: string, p: Principal): WaitLease {
    if (pool === "pilots") {
      if (this.pilots >= this.limits.maxPilotWaits) {
        throw tooMany(`pilots hold ${this.pilots} acquire long-polls, the most this server takes`, "maxPilotWaits", "--max-pilot-waits");
      }
      this.pilots++;
      return once(() => this.pilots--);
    }
    const ofToken = this.byToken.get(token) ?? 0;
    const ofUser = this.byUser.get(p.userId) ?? 0;
    if (ofToken >= this.limits.maxWaitsPerToken) {
      throw tooMany(`this token holds ${ofToken} long-polls and streams, the most one token may`, "maxWaitsPerToken", "--max-waits-per-token");
    }
    if (ofUser >= this.limits.maxWaitsPerUser) {
      throw tooMany(`${p.userName}'s tokens hold ${ofUser} long-polls and streams, the most one user may`, "maxWaitsPerUser", "--max-waits-per-user");
    }
    if (this.users >= this.limits.maxUserWaits) {
      throw tooMany(`users hold ${this.users} long-polls and streams, the most this server takes`, "maxUserWaits", "--max-user-waits");
    }
    this.byToken.set(token, ofToken + 1);
    this.byUser.set(p.userId, ofUser + 1);
    this.users++;
    return once(() => {
      this.users--;
      decrement(this.byToken, token);
      decrement(this.byUser, p.userId);
    });
  }
}

function decrement<K>(counts: Map<K, number>, key: K): void {
  const n = (counts.get(key) ?? 1) - 1;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}

function once(release: () => void): WaitLease {
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      release();
    },
  };
}

function tooMany(what: string, option: string, flag: string): ApiError {
  return new ApiError(
    429,
    "too_many_waits",
    `${what} (the server's ${option} setting, ${flag}); end one of them or try again in ${WAIT_RETRY_AFTER_S} s`,
  );
}
