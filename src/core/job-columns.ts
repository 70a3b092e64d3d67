// A job's arguments and result as table cells: what the monitor's jobs table and parameter view show of
// each job, so that a user sees which arguments gave which score without opening every job.

/** One table cell: a scalar, or text standing for a value a cell cannot hold. */
export type Cell = string | number | boolean | null;

/** Nested objects are flattened this deep (`point.model.depth`); deeper ones are shown as JSON text. */
const MAX_DEPTH = 3;
/** Columns per job at most: an argument with thousands of fields stays one job's row, not a page. */
export const MAX_COLUMNS = 40;
/**
 * Arguments or a result longer than this (as stored, tagged JSON) are not read to make cells: a page of job
 * values stays small however large the payloads (up to the payload limit each) are.
 */
export const MAX_VALUE_SOURCE_CHARS = 65_536;
/** The cell that stands for arguments over MAX_VALUE_SOURCE_CHARS. */
export const TOO_LARGE: Record<string, Cell> = { arguments: `over ${MAX_VALUE_SOURCE_CHARS / 1024} KiB: open the job to see them` };
/** Text in a cell is cut to this many characters (a long string or an array shown as JSON). */
export const MAX_CELL_CHARS = 120;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A value tagged JSON could not carry plainly (`{"$date": …}`, `{"$bigint": …}`): one key that starts with `$`. */
function isTagged(v: Record<string, unknown>): boolean {
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0]!.startsWith("$");
}

function cut(text: string): string {
  return text.length <= MAX_CELL_CHARS ? text : `${text.slice(0, MAX_CELL_CHARS - 1)}…`;
}

function cellOf(v: unknown): Cell {
  if (v === null || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "string") return cut(v);
  if (isRecord(v) && isTagged(v)) return cut(String(Object.values(v)[0]));
  return cut(JSON.stringify(v) ?? "");
}

function flatten(out: Record<string, Cell>, prefix: string, value: unknown, depth: number): void {
  if (Object.keys(out).length >= MAX_COLUMNS) return;
  if (isRecord(value) && !isTagged(value) && depth < MAX_DEPTH && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) flatten(out, prefix === "" ? k : `${prefix}.${k}`, v, depth + 1);
    return;
  }
  out[prefix] = cellOf(value);
}

/**
 * The columns of a job's arguments (the tagged JSON list its call was given, parsed): positional arguments
 * as `arg0`, `arg1`…, an object argument's fields as `arg0.lr`; a call of one object argument (the common
 * `train(point)`) names its fields alone (`lr`), as the user wrote them.
 */
export function argumentColumns(args: unknown): Record<string, Cell> {
  const out: Record<string, Cell> = {};
  if (!Array.isArray(args)) {
    flatten(out, "arg0", args, 0);
    return out;
  }
  if (args.length === 1 && isRecord(args[0]) && !isTagged(args[0]) && Object.keys(args[0]).length > 0) {
    flatten(out, "", args[0], 0);
    return out;
  }
  args.forEach((a, i) => flatten(out, `arg${i}`, a, 0));
  return out;
}

/** The key of a plain number result among a job's result columns. */
export const PLAIN_RESULT = "value";

/** The numeric columns of a job's result: a plain number as `value`, an object's numeric fields (nested ones dotted). */
export function resultColumns(result: unknown): Record<string, number> {
  if (typeof result === "number") return Number.isFinite(result) ? { [PLAIN_RESULT]: result } : {};
  if (!isRecord(result)) return {};
  const flat: Record<string, Cell> = {};
  flatten(flat, "", result, 0);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(flat)) if (typeof v === "number") out[k] = v;
  return out;
}
