import { describe, expect, it } from "vitest";
import { lostBefore } from "../core/pilot-loss.js";
import { HeardSince } from "./heard-since.js";

describe("HeardSince", () => {
  it("counts from the moment the server listens, so a slow start-up takes nothing from a pilot's timeout", () => {
    const heard = new HeardSince();
    // Services built at 0, listening only at 3,000 (a broker slow to connect); the timeout is 4,000.
    expect(lostBefore(4_000, 4_000, heard.at(4_000))).toBe(0);
    heard.listening(3_000);
    expect(lostBefore(4_500, 4_000, heard.at(4_500))).toBe(0);
    expect(lostBefore(7_000, 4_000, heard.at(7_000))).toBe(3_000);
  });

  it("keeps the first time it listened", () => {
    const heard = new HeardSince();
    heard.listening(10);
    heard.listening(20);
    expect(heard.at(100)).toBe(10);
  });
});
