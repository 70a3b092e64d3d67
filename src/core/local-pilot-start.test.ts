import { describe, expect, it } from "vitest";
import { isPrewarmRequest, isServerHandoff } from "./local-pilot-start.js";

describe("a local pilot's messages from its program", () => {
  const handoff = { t: "server", url: "http://127.0.0.1:1", token: "t", queue: "local", env: {} };
  const prewarm = { t: "prewarm", bundleHash: "b", projectHash: "p", maxPayloadBytes: 1, maxLogChars: 2, dataDir: "/d" };

  it("takes a server handoff with or without the run's user, and nothing else for one", () => {
    expect(isServerHandoff(handoff)).toBe(true);
    expect(isServerHandoff({ ...handoff, owner: 7 })).toBe(true);
    expect(isServerHandoff({ ...handoff, owner: "7" })).toBe(false);
    expect(isServerHandoff({ ...handoff, env: null })).toBe(false);
    expect(isServerHandoff(prewarm)).toBe(false);
    expect(isServerHandoff(null)).toBe(false);
  });

  it("takes a prewarm request with or without a project, and nothing else for one", () => {
    expect(isPrewarmRequest(prewarm)).toBe(true);
    expect(isPrewarmRequest({ ...prewarm, projectHash: undefined })).toBe(true);
    expect(isPrewarmRequest({ ...prewarm, dataDir: undefined })).toBe(false);
    expect(isPrewarmRequest({ ...prewarm, maxLogChars: 1.5 })).toBe(false);
    expect(isPrewarmRequest(handoff)).toBe(false);
    expect(isPrewarmRequest(undefined)).toBe(false);
  });
});
