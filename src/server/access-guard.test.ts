import { afterEach, describe, expect, it } from "vitest";
import { ApiError } from "../api/errors.js";
import type { Principal } from "../store/auth-store.js";
import type { Store } from "../store/store.js";
import { AccessGuard } from "./access-guard.js";
import { EventHub, Topics } from "./events.js";
import { Notifier } from "./notifier.js";

const user = (userId: number, more: Partial<Principal> = {}): Principal => ({ userId, userName: `u${userId}`, admin: false, kind: "user", workflowId: null, site: null, expiresAt: null, ...more });

/** The store reads the guard makes: tokens, workflow owners, task → workflow; each read counted. */
function fakeStore() {
  const reads = { tokens: 0, owners: 0 };
  const principals = new Map<string, Principal>([["alice-token", user(1)]]);
  const owners = new Map([[10, 1], [20, 2]]);
  const store = {
    auth: {
      principalForToken: async (token: string) => {
        reads.tokens++;
        return principals.get(token);
      },
    },
    workflows: {
      ownerOf: async (id: number) => {
        reads.owners++;
        return owners.get(id);
      },
    },
    taskReads: { info: async (id: number) => (id === 100 ? { workflowId: 10 } : id === 200 ? { workflowId: 20 } : undefined) },
  };
  return { store: store as unknown as Store, reads, principals };
}

/** Hubs to stop after each test: each guard keeps a wait open for revocations. */
const hubs: EventHub[] = [];
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.stop();
});

function guardOf() {
  const notifier = new Notifier();
  const events = new EventHub(notifier);
  hubs.push(events);
  const fake = fakeStore();
  return { guard: new AccessGuard({ store: fake.store, events }), notifier, events, ...fake };
}

async function refusal(action: Promise<unknown>): Promise<{ status: number; code: string }> {
  const err = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
  return { status: err.status, code: err.code };
}

describe("AccessGuard", () => {
  it("lets a workflow's owner and administrators in, and no one else", async () => {
    const { guard } = guardOf();
    await expect(guard.authorizeWorkflow(user(1), 10)).resolves.toBeUndefined();
    await expect(guard.authorizeWorkflow(user(9, { admin: true }), 10)).resolves.toBeUndefined();
    expect(await refusal(guard.authorizeWorkflow(user(2), 10))).toEqual({ status: 403, code: "forbidden" });
    expect(await refusal(guard.authorizeWorkflow(user(1, { kind: "pilot", admin: true }), 10))).toEqual({ status: 403, code: "forbidden" });
    expect(await refusal(guard.authorizeWorkflow(user(1), 30))).toEqual({ status: 404, code: "not_found" });
  });

  it("keeps a workflow-scoped token to its workflow", async () => {
    const { guard } = guardOf();
    await expect(guard.authorizeWorkflow(user(1, { kind: "workflow", workflowId: 10 }), 10)).resolves.toBeUndefined();
    expect(await refusal(guard.authorizeWorkflow(user(2, { kind: "workflow", workflowId: 20, admin: true }), 10))).toEqual({ status: 403, code: "forbidden" });
  });

  it("checks a task through its workflow and answers that workflow's id", async () => {
    const { guard } = guardOf();
    expect(await guard.authorizeTask(user(1), 100)).toBe(10);
    expect(await refusal(guard.authorizeTask(user(1), 200))).toEqual({ status: 403, code: "forbidden" });
    expect(await refusal(guard.authorizeTask(user(1), 300))).toEqual({ status: 404, code: "not_found" });
  });

  it("reads a workflow's owner once", async () => {
    const { guard, reads } = guardOf();
    await guard.authorizeWorkflow(user(1), 10);
    await guard.authorizeWorkflow(user(1), 10);
    expect(await guard.ownerOf(10)).toBe(1);
    expect(reads.owners).toBe(1);
  });

  it("lets only pilot tokens and administrators act as pilots, and only users' own tokens act as users", () => {
    const { guard } = guardOf();
    expect(() => guard.requirePilotRole(user(1, { kind: "pilot" }))).not.toThrow();
    expect(() => guard.requirePilotRole(user(1, { admin: true }))).not.toThrow();
    expect(() => guard.requirePilotRole(user(1))).toThrow(/only pilot tokens/);
    expect(() => guard.requireUser(user(1), "list tokens")).not.toThrow();
    expect(() => guard.requireUser(user(1, { kind: "pilot" }), "list tokens")).toThrow(/a pilot token cannot list tokens/);
    expect(() => guard.requireUser(user(1, { kind: "workflow", workflowId: 10 }), "list tokens")).toThrow(/scoped to workflow 10/);
  });

  it("lets a site's own token and administrators act for a site, and no other token", () => {
    const { guard } = guardOf();
    const cern = user(4, { kind: "site", site: "cern" });
    expect(() => guard.requireSite(cern, "cern", "register the queues")).not.toThrow();
    expect(() => guard.requireSite(user(1, { admin: true }), "cern", "register the queues")).not.toThrow();
    expect(() => guard.requireSite(cern, "desy", "register the queues")).toThrow(/site 'cern''s: it cannot register the queues of site 'desy'/);
    expect(() => guard.requireSite(user(1), "cern", "register the queues")).toThrow(/only site 'cern''s token/);
    expect(() => guard.requireSite(user(3, { kind: "pilot", site: "cern" }), "cern", "register the queues")).toThrow(/only site 'cern''s token/);
    expect(() => guard.requireUser(cern, "list tokens")).toThrow(/a site token cannot list tokens/);
  });

  it("refuses a cached token once it has expired", async () => {
    const { guard, principals } = guardOf();
    principals.set("soon", user(5, { expiresAt: Date.now() + 60 }));
    expect(await guard.authenticate("soon")).toBeDefined();
    await new Promise((r) => setTimeout(r, 80));
    expect(await guard.authenticate("soon")).toBeUndefined();
  });

  it("caches tokens, and forgets them when tokens are revoked, telling the other replicas", async () => {
    const { guard, reads, principals, events } = guardOf();
    const revoked = events.subscribe([Topics.tokens]);
    expect(await guard.authenticate("alice-token")).toEqual(user(1));
    principals.delete("alice-token");
    expect(await guard.authenticate("alice-token")).toEqual(user(1));
    expect(reads.tokens).toBe(1);
    guard.forgetTokens();
    expect(await revoked.wait(0)).toBe(true);
    expect(await guard.authenticate("alice-token")).toBeUndefined();
    expect(reads.tokens).toBe(2);
    revoked.close();
  });

  it("forgets its cached tokens when another replica revoked tokens", async () => {
    const { guard, reads, principals, notifier } = guardOf();
    await guard.authenticate("alice-token");
    principals.delete("alice-token");
    notifier.wakeLocal(Topics.tokens);
    // The guard's listener runs once the wake-up's microtasks have.
    await new Promise((resolve) => setImmediate(resolve));
    expect(await guard.authenticate("alice-token")).toBeUndefined();
    expect(reads.tokens).toBe(2);
  });
});
