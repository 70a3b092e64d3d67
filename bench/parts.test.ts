import { describe, expect, it } from "vitest";
import { PARTS, selectParts } from "./parts.js";

describe("selectParts", () => {
  it("runs every part when PANDO_BENCH_ONLY is unset or empty", () => {
    expect(selectParts(undefined)).toEqual([...PARTS]);
    expect(selectParts(" ")).toEqual([...PARTS]);
  });

  it("keeps the parts' own order whatever order they are named in", () => {
    expect(selectParts("replicas, postgres")).toEqual(["postgres", "replicas"]);
  });

  it("refuses an unknown part, naming the known ones", () => {
    expect(() => selectParts("postgres,pgbench")).toThrow(/no part called pgbench; the parts are: run, postgres/);
  });
});
