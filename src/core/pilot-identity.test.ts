import { describe, expect, it } from "vitest";
import { pilotKeyHash, pilotRefusal } from "./pilot-identity.js";

const stored = pilotKeyHash("the-pilots-key");

describe("pilotRefusal: which pilot a caller may act as", () => {
  it("admits a pilot token that carries the pilot's own key", () => {
    expect(pilotRefusal({ kind: "pilot", admin: false, pilotKey: "the-pilots-key" }, stored)).toBeUndefined();
  });

  it("refuses a pilot token with another pilot's key, or with none", () => {
    expect(pilotRefusal({ kind: "pilot", admin: false, pilotKey: "another-pilots-key" }, stored)).toBe("wrong_key");
    expect(pilotRefusal({ kind: "pilot", admin: false, pilotKey: "the-pilots-key " }, stored)).toBe("wrong_key");
    expect(pilotRefusal({ kind: "pilot", admin: false }, stored)).toBe("no_key");
    expect(pilotRefusal({ kind: "pilot", admin: false, pilotKey: "" }, stored)).toBe("no_key");
  });

  it("refuses every key for a pilot that has none stored", () => {
    expect(pilotRefusal({ kind: "pilot", admin: false, pilotKey: "anything" }, undefined)).toBe("wrong_key");
  });

  it("admits an administrator's own token as any pilot, with or without a key", () => {
    expect(pilotRefusal({ kind: "user", admin: true }, stored)).toBeUndefined();
    expect(pilotRefusal({ kind: "user", admin: true, pilotKey: "wrong" }, undefined)).toBeUndefined();
  });

  it("refuses users' tokens and workflow-scoped tokens, an administrator's included", () => {
    expect(pilotRefusal({ kind: "user", admin: false, pilotKey: "the-pilots-key" }, stored)).toBe("not_a_pilot");
    expect(pilotRefusal({ kind: "workflow", admin: true, pilotKey: "the-pilots-key" }, stored)).toBe("not_a_pilot");
    expect(pilotRefusal({ kind: "workflow", admin: false }, stored)).toBe("not_a_pilot");
  });
});
