import type { JobValues } from "../../../src/api/monitoring.js";
import type { Cell } from "../../../src/core/job-columns.js";
import { formatCount, formatNumber, formatTime } from "../format.js";
import { cellOf, sortRows, tableColumns, toCsv, type Column } from "../job-table.js";
import { href, type JobsView } from "../route.js";
import { StatusBadge } from "./StatusBadge.js";

/** Rows drawn at most: the CSV holds every row read, the page only the first ones in the chosen order. */
const SHOWN_ROWS = 200;

function CellView({ row, column }: { row: JobValues; column: Column }) {
  const cell: Cell | undefined = cellOf(row, column);
  if (column.key === "job:index") return <a href={href.job(row.id)}>{row.index}</a>;
  if (column.key === "job:state") return <StatusBadge entity="job" status={row.state} />;
  if (column.key === "job:ended") return <>{formatTime(row.endedAt)}</>;
  if (typeof cell === "number") return <span title={String(cell)}>{formatNumber(cell)}</span>;
  return <>{cell === undefined || cell === null ? "" : String(cell)}</>;
}

/** Saves text as a file, through a link to it clicked once. */
function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/**
 * A task's jobs with their arguments and results as columns: chosen columns, sorted by any of them (a click
 * on a header; again for the other way), and a CSV of every job read in that order and those columns.
 */
export function JobValuesTable({
  taskId,
  rows,
  more,
  objectiveName,
  view,
  setView,
}: {
  taskId: number;
  rows: readonly JobValues[];
  /** True when the task has more jobs than were read. */
  more: boolean;
  objectiveName: string | undefined;
  view: JobsView;
  setView(view: JobsView): void;
}) {
  const columns = tableColumns(rows, objectiveName);
  const shown = view.columns === null ? columns : columns.filter((c) => view.columns!.includes(c.key));
  const sortColumn = view.sort ? columns.find((c) => c.key === view.sort!.column) : undefined;
  const sorted = sortColumn ? sortRows(rows, sortColumn, view.sort!.descending) : [...rows];
  const toggleColumn = (key: string, on: boolean) => {
    const current = view.columns ?? columns.map((c) => c.key);
    setView({ ...view, columns: on ? columns.map((c) => c.key).filter((k) => k === key || current.includes(k)) : current.filter((k) => k !== key) });
  };
  const sortBy = (key: string) => setView({ ...view, sort: { column: key, descending: view.sort?.column === key ? !view.sort.descending : false } });
  return (
    <>
      <div class="table-tools">
        <details data-testid="column-picker">
          <summary>
            Columns ({shown.length} of {columns.length})
          </summary>
          <div class="column-choices">
            {columns.map((c) => (
              <label key={c.key}>
                <input type="checkbox" checked={shown.includes(c)} onChange={(e) => toggleColumn(c.key, e.currentTarget.checked)} data-col={c.key} /> {c.label}
                {c.kind === "result" && <span class="quiet"> (result)</span>}
              </label>
            ))}
          </div>
        </details>
        <button type="button" data-testid="export-csv" onClick={() => download(`task-${taskId}-jobs.csv`, toCsv(shown, sorted))}>
          Export CSV
        </button>
        <span class="quiet" data-testid="values-count">
          {more
            ? `the first ${formatCount(rows.length)} jobs were read; sorting and the CSV cover those`
            : `${formatCount(rows.length)} job${rows.length === 1 ? "" : "s"}; the CSV holds all of them in this order and these columns`}
          {sorted.length > SHOWN_ROWS && `; the first ${formatCount(SHOWN_ROWS)} are shown`}
        </span>
      </div>
      <div class="table-wrap">
        <table class="grid" data-testid="job-values">
          <thead>
            <tr>
              {shown.map((c) => {
                const sortedHere = view.sort?.column === c.key;
                return (
                  <th key={c.key} class={c.kind} aria-sort={sortedHere ? (view.sort!.descending ? "descending" : "ascending") : "none"}>
                    <button type="button" class="sort" data-testid="sort-column" data-col={c.key} onClick={() => sortBy(c.key)}>
                      {c.label}
                      {sortedHere ? (view.sort!.descending ? " ▼" : " ▲") : ""}
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {sorted.slice(0, SHOWN_ROWS).map((r) => (
              <tr key={r.id} data-testid="value-row" data-id={r.id}>
                {shown.map((c) => (
                  <td key={c.key} class={typeof cellOf(r, c) === "number" ? "num" : ""} data-col={c.key}>
                    <CellView row={r} column={c} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
