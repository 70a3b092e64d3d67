import { describe, expect, it } from "vitest";
import { forgetToken, storedToken, storeToken, tokenInFragment } from "./session.js";

describe("tokenInFragment", () => {
  it("reads the token `pando monitor` puts in the fragment", () => {
    expect(tokenInFragment("#token=pando_abc-DEF_123")).toBe("pando_abc-DEF_123");
    expect(tokenInFragment("#token=pando%5Fx")).toBe("pando_x");
  });

  it("ignores page fragments, empty tokens and malformed escapes", () => {
    expect(tokenInFragment("#/workflows/1")).toBeUndefined();
    expect(tokenInFragment("#token=")).toBeUndefined();
    expect(tokenInFragment("#token=%E0%A4%A")).toBeUndefined();
    expect(tokenInFragment("")).toBeUndefined();
  });
});

describe("the stored token", () => {
  it("is kept, read back and forgotten", () => {
    const items = new Map<string, string>();
    const storage = {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
      removeItem: (k: string) => void items.delete(k),
    } as Storage;
    expect(storedToken(storage)).toBeNull();
    storeToken(storage, "pando_t");
    expect(storedToken(storage)).toBe("pando_t");
    forgetToken(storage);
    expect(storedToken(storage)).toBeNull();
  });
});
