import { describe, expect, it } from "vitest";
import type { JobValuesPage } from "../../../src/api/monitoring.js";
import { readAllPages } from "./use-job-values.js";

const pageOf = (from: number, n: number, total: number): JobValuesPage => ({
  jobs: Array.from({ length: Math.min(n, total - from) }, (_, i) => ({ id: from + i + 1, taskId: 1, index: from + i, state: "finished", endedAt: null, args: {}, result: {} })),
  next: from + n < total ? from + n : null,
});

describe("reading every page of job values", () => {
  it("follows the cursor to the end", async () => {
    const asked: Array<[number | undefined, number]> = [];
    const { rows, more } = await readAllPages(async (cursor, limit) => {
      asked.push([cursor, limit]);
      return pageOf(cursor ?? 0, 3, 7);
    }, 100);
    expect(rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(more).toBe(false);
    expect(asked.map((a) => a[0])).toEqual([undefined, 3, 6]);
  });

  it("stops at the cap and says rows were left", async () => {
    const { rows, more } = await readAllPages(async (cursor, limit) => pageOf(cursor ?? 0, limit, 50), 20);
    expect(rows).toHaveLength(20);
    expect(more).toBe(true);
  });
});
