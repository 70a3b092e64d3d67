import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { prewarmSettings } from "./prewarmed-executor.js";

describe("prewarmSettings", () => {
  it("runs work jobs only, holds no secret, and hides the server's data directory before it holds credentials", () => {
    const pilot = { name: "local-1", slots: 2, workRoot: "/w", cacheDir: "data/cache", sandbox: undefined };
    const settings = prewarmSettings(pilot, { maxPayloadBytes: 10, maxLogChars: 20 }, "data");
    expect(settings).toEqual({
      maxPayloadBytes: 10,
      maxLogChars: 20,
      label: "local-1 executor",
      serverUrl: "",
      secrets: [],
      workRoot: "/w",
      cacheDir: resolve("data/cache"),
      dataDir: resolve("data"),
      sandbox: undefined,
      onTiming: undefined,
    });
  });
});
