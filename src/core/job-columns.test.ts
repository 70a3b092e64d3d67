import { describe, expect, it } from "vitest";
import { argumentColumns, MAX_CELL_CHARS, MAX_COLUMNS, resultColumns } from "./job-columns.js";

describe("a job's arguments and result as table cells", () => {
  it("names a lone object argument's fields as they are, nested ones dotted", () => {
    expect(argumentColumns([{ nEstimators: 50, model: { depth: 3, kind: "gbt" } }])).toEqual({
      nEstimators: 50,
      "model.depth": 3,
      "model.kind": "gbt",
    });
  });

  it("names positional arguments arg0, arg1…, and an object among them by its position", () => {
    expect(argumentColumns([0.1, "adam", { seed: 7 }, null])).toEqual({ arg0: 0.1, arg1: "adam", "arg2.seed": 7, arg3: null });
  });

  it("shows arrays and values tagged JSON carries specially as text", () => {
    expect(argumentColumns([[1, 2], { $date: "2026-01-01T00:00:00.000Z" }])).toEqual({
      arg0: "[1,2]",
      arg1: "2026-01-01T00:00:00.000Z",
    });
  });

  it("keeps a row bounded: long text is cut and columns stop at the limit", () => {
    const long = "x".repeat(MAX_CELL_CHARS * 3);
    expect(String(argumentColumns([long]).arg0).length).toBe(MAX_CELL_CHARS);
    const wide = Object.fromEntries(Array.from({ length: MAX_COLUMNS * 2 }, (_, i) => [`f${i}`, i]));
    expect(Object.keys(argumentColumns([wide]))).toHaveLength(MAX_COLUMNS);
  });

  it("takes a number result as `value` and an object result's numeric fields only", () => {
    expect(resultColumns(0.93)).toEqual({ value: 0.93 });
    expect(resultColumns({ auc: 0.9, model: "m", metrics: { loss: 0.2 } })).toEqual({ auc: 0.9, "metrics.loss": 0.2 });
    expect(resultColumns("done")).toEqual({});
    expect(resultColumns(Number.NaN)).toEqual({});
  });
});
