import { describe, expect, it } from "vitest";
import { z } from "zod";
import { LISTED_PROBLEMS } from "./bounded-list.js";
import { invalid, parse } from "./endpoint-input.js";
import { submitTaskBody } from "./tasks.js";
import { closeWorkflowBody } from "./workflows.js";

describe("validation errors", () => {
  it("list the first problems and count the others", () => {
    const schema = z.object({ items: z.array(z.string()).max(1000) });
    const result = schema.safeParse({ items: Array.from({ length: 12 }, () => 1) });
    expect(result.success).toBe(false);
    const err = invalid("body", result.error!);
    expect(err.status).toBe(400);
    expect(err.message.split("; ")).toHaveLength(LISTED_PROBLEMS + 1);
    expect(err.message).toMatch(/^body\.items\[0\]: .*; and 7 more problems$/);
  });

  it("say nothing of more problems when there are none", () => {
    expect(() => parse(z.object({ a: z.string() }), { a: 1 }, "body")).toThrow(/^body\.a: [^;]*$/);
  });

  it("refuse a list over its maximum before reading any item", () => {
    const jobs = new Array<unknown>(5_000_000).fill(1);
    const result = submitTaskBody.safeParse({ work: "w", bundleHash: "a".repeat(64), jobs });
    expect(result.success).toBe(false);
    expect(result.error!.issues).toHaveLength(1);
    expect(result.error!.issues[0]!.message).toBe("a task has at most 100000 jobs: split the call into several tasks");
  });

  it("refuse a closing driver's list of 1,000,000 tasks at once (it lists its most recent 100,000)", () => {
    const result = closeWorkflowBody.safeParse({ outcome: "returned", completeTasks: new Array<unknown>(1_000_000).fill(0) });
    expect(result.success).toBe(false);
    expect(result.error!.issues).toHaveLength(1);
  });

  it("say what is wrong with a task's declared objective", () => {
    const task = (objective: unknown) => ({ work: "w", bundleHash: "a".repeat(64), jobs: [{ key: "k", args: "[]" }], objective });
    expect(() => parse(submitTaskBody, task({ name: "auc", direction: "up" }), "body")).toThrow('body.objective.direction: must be "minimize" or "maximize"');
    expect(() => parse(submitTaskBody, task({ name: "", direction: "minimize" }), "body")).toThrow("body.objective.name: must not be empty");
    expect(parse(submitTaskBody, task({ name: "chi2", direction: "minimize" }), "body").objective).toEqual({ name: "chi2", direction: "minimize" });
  });
});
