import { describe, expect, it } from "vitest";
import { z } from "zod";
import { boundedList, LISTED_PROBLEMS } from "./bounded-list.js";
import { parse } from "./endpoint-input.js";
import { openApiDocument } from "./openapi.js";

const job = z.object({ key: z.string().min(1), n: z.number().int().default(1) });
const body = z.object({ jobs: boundedList(job, { min: 1, minMessage: "at least one job", max: 1000, maxMessage: "at most 1000 jobs: split them" }) });

describe("a bounded list", () => {
  it("gives the items as the item schema makes them", () => {
    expect(parse(body, { jobs: [{ key: "a" }, { key: "b", n: 3 }] }, "body")).toEqual({ jobs: [{ key: "a", n: 1 }, { key: "b", n: 3 }] });
  });

  it("says where each bad item is, and how many more when it looked at every item", () => {
    expect(() => parse(body, { jobs: [{ key: "a" }, { key: "" }, { key: "c", n: 0.5 }] }, "body")).toThrow(
      /^body\.jobs\[1\]\.key: .+; body\.jobs\[2\]\.n: .+$/,
    );
  });

  it("stops at the first few bad items and says more may be wrong", () => {
    const items = new Array(999).fill(7);
    expect(() => parse(body, { jobs: items }, "body")).toThrow(
      new RegExp(`^(body\\.jobs\\[\\d\\]: [^;]+; ){${LISTED_PROBLEMS}}and more problems after these \\(the check stops at the first ${LISTED_PROBLEMS}\\)$`),
    );
  });

  it("checks its length before any item, with its own messages", () => {
    expect(() => parse(body, { jobs: new Array(1001).fill(7) }, "body")).toThrow(/^body\.jobs: at most 1000 jobs: split them$/);
    expect(() => parse(body, { jobs: [] }, "body")).toThrow(/^body\.jobs: at least one job$/);
    expect(() => parse(body, { jobs: "x" }, "body")).toThrow(/^body\.jobs: /);
  });

  it("refuses 100,000 bad items in little memory (z.array kept an issue for each: over 50 MB)", () => {
    const many = z.object({ jobs: boundedList(job, { max: 100_000 }) });
    const before = process.memoryUsage().heapUsed;
    const result = many.safeParse({ jobs: new Array(100_000).fill({}) });
    const grown = process.memoryUsage().heapUsed - before;
    expect(result.success).toBe(false);
    expect(result.error?.issues.length).toBe(LISTED_PROBLEMS + 1);
    expect(grown).toBeLessThan(5e6);
  });

  it("is described in the OpenAPI document as the array it is, with its items and bounds", () => {
    type Schema = { properties: Record<string, unknown> };
    const doc = openApiDocument("0") as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>> };
    const submit = doc.paths["/api/v1/workflows/{id}/tasks"]!.post!.requestBody!.content["application/json"]!.schema;
    expect(submit.properties["jobs"]).toMatchObject({ type: "array", minItems: 1, maxItems: 100_000, items: { type: "object", required: ["key", "args"] } });
  });
});
