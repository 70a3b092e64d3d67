import { describe, expect, it } from "vitest";
import type { JobValues } from "../../src/api/monitoring.js";
import { cellOf, csvField, sortRows, tableColumns, toCsv } from "./job-table.js";

const job = (index: number, args: JobValues["args"], result: JobValues["result"], endedAt: number | null = null): JobValues => ({
  id: 100 + index,
  taskId: 1,
  index,
  state: endedAt === null ? "running" : "finished",
  endedAt,
  args,
  result,
});

const rows = [
  job(0, { lr: 0.1, opt: "adam" }, { auc: 0.8 }, 0),
  job(1, { lr: 0.01, opt: "sgd", depth: 3 }, { auc: 0.9 }, 1000),
  job(2, { lr: 0.3, opt: "adam" }, {}),
];

describe("the columns of a task's jobs", () => {
  it("offers the job's own, then every argument and every result number met", () => {
    expect(tableColumns(rows).map((c) => c.key)).toEqual(["job:index", "job:state", "job:ended", "arg:lr", "arg:opt", "arg:depth", "result:auc"]);
  });

  it("labels a plain number result with the declared objective, and tells a result from an argument of that name", () => {
    const plain = [job(0, { x: 1 }, { value: 2 })];
    expect(tableColumns(plain, "chi2").at(-1)).toMatchObject({ key: "result:value", label: "chi2" });
    const clash = [job(0, { auc: 1 }, { auc: 0.5 })];
    expect(tableColumns(clash).map((c) => c.label).slice(-2)).toEqual(["auc", "result.auc"]);
  });
});

describe("sorting rows by a column", () => {
  const columns = tableColumns(rows);
  const col = (key: string) => columns.find((c) => c.key === key)!;

  it("orders numbers by value either way, with jobs missing the value last", () => {
    expect(sortRows(rows, col("result:auc"), false).map((r) => r.index)).toEqual([0, 1, 2]);
    expect(sortRows(rows, col("result:auc"), true).map((r) => r.index)).toEqual([1, 0, 2]);
    expect(sortRows(rows, col("arg:lr"), true).map((r) => r.index)).toEqual([2, 0, 1]);
    expect(sortRows(rows, col("arg:depth"), false).map((r) => r.index)).toEqual([1, 0, 2]);
  });

  it("orders text by its characters and keeps the job order among ties", () => {
    expect(sortRows(rows, col("arg:opt"), false).map((r) => r.index)).toEqual([0, 2, 1]);
    expect(sortRows(rows, col("arg:opt"), true).map((r) => r.index)).toEqual([1, 0, 2]);
    expect(cellOf(rows[2]!, col("result:auc"))).toBeUndefined();
  });
});

describe("CSV of the table", () => {
  it("quotes fields with commas, quotes and line breaks, and disarms formulas", () => {
    expect(csvField('say "hi", then\ngo')).toBe('"say ""hi"", then\ngo"');
    expect(csvField("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvField(-0.5)).toBe("-0.5");
    expect(csvField(null)).toBe("");
    expect(csvField(true)).toBe("true");
  });

  it("writes a header and one line per row, times as ISO 8601", () => {
    const columns = tableColumns(rows).filter((c) => c.key !== "job:state");
    expect(toCsv(columns, rows.slice(0, 2))).toBe(
      "index,ended,lr,opt,depth,auc\r\n0,1970-01-01T00:00:00.000Z,0.1,adam,,0.8\r\n1,1970-01-01T00:00:01.000Z,0.01,sgd,3,0.9\r\n",
    );
  });
});
