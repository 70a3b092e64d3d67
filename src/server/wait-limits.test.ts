import { describe, expect, it } from "vitest";
import type { Principal } from "../store/auth-store.js";
import { WaitLimits } from "./wait-limits.js";

const user = (userId: number): Principal => ({ userId, userName: `u${userId}`, admin: false, kind: "user", workflowId: null, site: null, expiresAt: null });

describe("WaitLimits", () => {
  const limits = () => new WaitLimits({ maxWaitsPerToken: 2, maxWaitsPerUser: 3, maxUserWaits: 4, maxPilotWaits: 1 });

  it("refuses beyond a token's, a user's and all users' places, naming the limit", () => {
    const w = limits();
    w.enter("users", "a", user(1));
    w.enter("users", "a", user(1));
    expect(() => w.enter("users", "a", user(1))).toThrow(/maxWaitsPerToken/);
    w.enter("users", "b", user(1));
    expect(() => w.enter("users", "c", user(1))).toThrow(/maxWaitsPerUser/);
    w.enter("users", "d", user(2));
    expect(() => w.enter("users", "e", user(3))).toThrow(/maxUserWaits/);
    expect(w.held).toEqual({ users: 4, pilots: 0 });
  });

  it("keeps pilots' acquires apart from users' waits", () => {
    const w = limits();
    for (const t of ["a", "b"]) w.enter("users", t, user(1));
    w.enter("users", "c", user(2));
    w.enter("users", "d", user(2));
    const pilot = w.enter("pilots", "p", { ...user(9), kind: "pilot" });
    expect(() => w.enter("pilots", "p", { ...user(9), kind: "pilot" })).toThrow(/maxPilotWaits/);
    pilot.release();
    w.enter("pilots", "p", { ...user(9), kind: "pilot" });
  });

  it("gives a place back once, however often its lease is released", () => {
    const w = limits();
    const lease = w.enter("users", "a", user(1));
    w.enter("users", "a", user(1));
    lease.release();
    lease.release();
    w.enter("users", "a", user(1));
    expect(() => w.enter("users", "a", user(1))).toThrow(/429|maxWaitsPerToken/);
    expect(w.held.users).toBe(2);
  });
});
