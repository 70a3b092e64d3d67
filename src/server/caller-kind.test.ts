import { describe, expect, it } from "vitest";
import { ACCESS, type Access } from "../api/routes.js";
import type { Principal } from "../store/auth-store.js";
import { wrongKind } from "./caller-kind.js";

const callers: Record<string, Principal> = {
  user: { userId: 1, userName: "u", admin: false, kind: "user", workflowId: null, site: null, expiresAt: null },
  admin: { userId: 2, userName: "a", admin: true, kind: "user", workflowId: null, site: null, expiresAt: null },
  scoped: { userId: 1, userName: "u", admin: false, kind: "workflow", workflowId: 7, site: null, expiresAt: null },
  pilot: { userId: 3, userName: "p", admin: false, kind: "pilot", workflowId: null, site: null, expiresAt: null },
  site: { userId: 4, userName: "s", admin: false, kind: "site", workflowId: null, site: "cern", expiresAt: null },
};

/** Which callers each access class lets through to its body and its service (ownership is the service's). */
const LET_THROUGH: Record<Access, string[]> = {
  public: ["user", "admin", "scoped", "pilot", "site"],
  token: ["user", "admin", "scoped", "pilot"],
  user: ["user", "admin"],
  ownerUser: ["user", "admin"],
  owner: ["user", "admin", "scoped"],
  userOrPilot: ["user", "admin", "pilot"],
  pilot: ["admin", "pilot"],
  admin: ["admin"],
  site: ["admin", "site"],
};

describe("the kind of token an endpoint takes", () => {
  for (const access of Object.keys(ACCESS) as Access[]) {
    it(`${access}: lets through ${LET_THROUGH[access].join(", ")}, and says why to the others`, () => {
      for (const [name, p] of Object.entries(callers)) {
        const why = wrongKind(access, p, "POST /x");
        if (LET_THROUGH[access].includes(name)) expect(why, name).toBeUndefined();
        else expect(why, name).toMatch(/POST \/x/);
      }
    });
  }
});
