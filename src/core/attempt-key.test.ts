import { describe, expect, it } from "vitest";
import { attemptKey } from "./attempt-key.js";

describe("attemptKey", () => {
  it("is the same for the same attempt of the same job", () => {
    expect(attemptKey({ jobId: 7, attempt: 2 })).toBe(attemptKey({ jobId: 7, attempt: 2 }));
    expect(attemptKey({ jobId: 7, attempt: 2 })).toBe("7:2");
  });

  it("tells apart attempts whose digits run together", () => {
    expect(attemptKey({ jobId: 1, attempt: 12 })).not.toBe(attemptKey({ jobId: 11, attempt: 2 }));
    expect(attemptKey({ jobId: 1, attempt: 2 })).not.toBe(attemptKey({ jobId: 12, attempt: 1 }));
  });
});
