// The task page's table of job values: which columns a task's jobs have (their arguments and result), how
// rows sort by any of them, and the CSV of what the table shows.
import type { JobValues } from "../../src/api/monitoring.js";
import { PLAIN_RESULT, type Cell } from "../../src/core/job-columns.js";

export interface Column {
  /** Unique among the columns: `job:index`, `arg:lr`, `result:auc`. */
  key: string;
  /** The header: the argument's or result's field, `result.auc` when an argument has that name too. */
  label: string;
  kind: "job" | "arg" | "result";
}

/** The job's own columns, always offered first. */
export const JOB_COLUMNS: readonly Column[] = [
  { key: "job:index", label: "index", kind: "job" },
  { key: "job:state", label: "state", kind: "job" },
  { key: "job:ended", label: "ended", kind: "job" },
];

/**
 * The columns of some jobs: theirs, then every argument field and every result number any of them has, in
 * the order first met. A plain number result is labelled with the declared objective's name when there is one.
 */
export function tableColumns(rows: readonly JobValues[], objectiveName?: string): Column[] {
  const args = new Set<string>();
  const results = new Set<string>();
  for (const r of rows) {
    for (const k of Object.keys(r.args)) args.add(k);
    for (const k of Object.keys(r.result)) results.add(k);
  }
  const resultLabel = (k: string) => {
    const label = k === PLAIN_RESULT && objectiveName !== undefined ? objectiveName : k;
    return args.has(label) ? `result.${label}` : label;
  };
  return [
    ...JOB_COLUMNS,
    ...[...args].map((k): Column => ({ key: `arg:${k}`, label: k, kind: "arg" })),
    ...[...results].map((k): Column => ({ key: `result:${k}`, label: resultLabel(k), kind: "result" })),
  ];
}

/** A row's cell in a column; undefined when the job has no such value. */
export function cellOf(row: JobValues, column: Column): Cell | undefined {
  const field = column.key.slice(column.key.indexOf(":") + 1);
  if (column.kind === "arg") return row.args[field];
  if (column.kind === "result") return row.result[field];
  if (field === "index") return row.index;
  if (field === "state") return row.state;
  return row.endedAt;
}

/** Orders cells: numbers by value before text, text by its characters, missing values always last. */
function compareCells(a: Cell | undefined, b: Cell | undefined): number {
  const missing = (c: Cell | undefined) => c === undefined || c === null;
  if (missing(a) || missing(b)) return missing(a) ? (missing(b) ? 0 : 1) : -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return String(a).localeCompare(String(b));
}

/**
 * The rows ordered by one column, ascending or descending; jobs without a value in it stay last either way,
 * and ties keep the job order.
 */
export function sortRows(rows: readonly JobValues[], column: Column, descending: boolean): JobValues[] {
  const missing = (c: Cell | undefined) => c === undefined || c === null;
  return rows
    .map((row, i) => ({ row, i, cell: cellOf(row, column) }))
    .sort((a, b) => {
      if (missing(a.cell) || missing(b.cell)) return compareCells(a.cell, b.cell) || a.i - b.i;
      return (descending ? -compareCells(a.cell, b.cell) : compareCells(a.cell, b.cell)) || a.i - b.i;
    })
    .map((x) => x.row);
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. Text that a spreadsheet
 * would run as a formula (it starts with =, +, -, @ or a tab or carriage return) gets a leading apostrophe,
 * since job arguments are whatever a driver sent.
 */
export function csvField(cell: Cell | undefined): string {
  if (cell === undefined || cell === null) return "";
  if (typeof cell !== "string") return String(cell);
  const text = /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV of some rows in some columns, with a header line; times as ISO 8601. */
export function toCsv(columns: readonly Column[], rows: readonly JobValues[]): string {
  const line = (cells: Array<Cell | undefined>) => cells.map(csvField).join(",");
  const value = (row: JobValues, c: Column) => {
    const cell = cellOf(row, c);
    return c.key === "job:ended" && typeof cell === "number" ? new Date(cell).toISOString() : cell;
  };
  return [line(columns.map((c) => c.label)), ...rows.map((r) => line(columns.map((c) => value(r, c))))].join("\r\n") + "\r\n";
}
