import { describe, expect, it } from "vitest";
import type { Principal } from "../store/auth-store.js";
import { BundleService } from "./bundle-service.js";
import type { ServerContext } from "./context.js";

const HASH = "a".repeat(64);
const ADMIN: Principal = { userId: 1, userName: "admin", admin: true, kind: "user", workflowId: null, site: null, expiresAt: null };

/** A store that has one bundle (naming no environment) and counts how often it is asked. */
function service() {
  const asked = { has: 0 };
  const store = {
    bundles: {
      has: async (hash: string) => {
        asked.has++;
        return hash === HASH;
      },
      get: async (hash: string) => (hash === HASH ? new Uint8Array([1, 2, 3]) : undefined),
    },
  };
  const ctx = { store, metrics: { count: () => undefined } } as unknown as Pick<ServerContext, "store" | "metrics">;
  return { asked, bundles: new BundleService(ctx, { codeToWarm: () => [] }, { requireSelf: async () => undefined }) };
}

describe("BundleService", () => {
  it("asks the store once whether a bundle an administrator names is stored: stored bundles are never removed", async () => {
    const { asked, bundles } = service();
    for (let i = 0; i < 3; i++) await bundles.requireBundle(ADMIN, HASH);
    expect(asked.has).toBe(1);
  });

  it("asks again about a bundle that was not stored, which may be uploaded meanwhile", async () => {
    const { asked, bundles } = service();
    const other = "b".repeat(64);
    await expect(bundles.requireBundle(ADMIN, other)).rejects.toThrow(/not in the code cache/);
    await expect(bundles.requireBundle(ADMIN, other)).rejects.toThrow(/not in the code cache/);
    expect(asked.has).toBe(2);
  });
});
