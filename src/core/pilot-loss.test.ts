import { describe, expect, it } from "vitest";
import { lostBefore } from "./pilot-loss.js";

describe("when a pilot counts as lost", () => {
  it("is silent for longer than its timeout, on a server up all that time", () => {
    expect(lostBefore(100_000, 30_000, 0)).toBe(70_000);
    expect(lostBefore(100_000, 30_000, 70_000)).toBe(70_000);
  });

  it("never, while a restarted server has not been up for a whole timeout", () => {
    expect(lostBefore(100_000, 30_000, 70_001)).toBe(0);
    expect(lostBefore(100_000, 30_000, 100_000)).toBe(0);
  });
});
