import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { parseChoices, parsePageSize } from "./option-values.js";

describe("parseChoices", () => {
  const states = parseChoices("job state", ["finished", "failed", "cancelled"] as const);

  it("splits a comma-separated list of allowed values", () => {
    expect(states("failed")).toEqual(["failed"]);
    expect(states("failed, cancelled")).toEqual(["failed", "cancelled"]);
  });

  it("names the value that is not allowed and what is", () => {
    expect(() => states("failed,sleeping")).toThrow(InvalidArgumentError);
    expect(() => states("failed,sleeping")).toThrow(
      "'sleeping' is not a job state; use one or more of finished, failed, cancelled, separated by commas",
    );
    expect(() => states("")).toThrow("'' is not a job state");
  });
});

describe("parsePageSize", () => {
  const size = parsePageSize(1000);

  it("takes whole numbers from 1 up to the largest page", () => {
    expect(size("1")).toBe(1);
    expect(size("1000")).toBe(1000);
  });

  it("refuses zero, words and pages over the largest", () => {
    expect(() => size("0")).toThrow("'0' is not a whole number of at least 1");
    expect(() => size("ten")).toThrow(InvalidArgumentError);
    expect(() => size("1001")).toThrow("'1001' is over the largest page, 1000");
  });
});
