import { describe, expect, it } from "vitest";
import { reportMessageSchema } from "./messages.js";

const message = (successes: unknown[]) => ({ v: 1, kind: "report", task: 1, pilot: 1, successes, others: [] });

describe("a report message from the broker", () => {
  it("takes only ids, attempt numbers and times the store can hold", () => {
    expect(reportMessageSchema.safeParse(message([[1, 1, 0, 5, "1", null, null]])).success).toBe(true);
    for (const bad of [
      [1.5, 1, null, null, "1", null, null],
      [1, 3e9, null, null, "1", null, null],
      [1, 1, -1, null, "1", null, null],
      [2 ** 60, 1, null, null, "1", null, null],
    ]) {
      expect(reportMessageSchema.safeParse(message([bad])).success).toBe(false);
    }
  });

  it("is refused at once, with one problem, when a list is over its maximum", () => {
    const result = reportMessageSchema.safeParse(message(new Array<unknown>(2_000_000).fill(0)));
    expect(result.success).toBe(false);
    expect(result.error!.issues).toHaveLength(1);
  });
});
