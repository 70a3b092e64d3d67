// Text for people, shared by the client commands: tables, label/value blocks, times, durations and counts.

/** Cells must stay on one line, or the columns under them lose their alignment. */
const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, " ");

/** Rows under a header, each column padded to its widest cell, columns two spaces apart. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = [header, ...rows].map((r) => r.map(oneLine));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

/** Label and value lines with the values lined up: `status    finished`. Multi-line values are indented under theirs. */
export function fields(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...pairs.map(([label]) => label.length)) + 2;
  return pairs.map(([label, value]) => label.padEnd(width) + value.split("\n").join(`\n${" ".repeat(width)}`)).join("\n");
}

const two = (n: number) => String(n).padStart(2, "0");

/** A time as local `YYYY-MM-DD HH:MM:SS`; "-" when there is none. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "-";
  const d = new Date(ms);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A length of time in at most two units: 850ms, 12.3s, 4m05s, 2h03m, 3d04h. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d${two(Math.floor(s / 3600) % 24)}h`;
}

/** How long something ran: from start to end, or to `now` while it runs; "-" before it started. */
export function formatSpan(start: number | null, end: number | null, now = Date.now()): string {
  return start === null ? "-" : formatDuration((end ?? now) - start);
}

/** Counts by name in the given order, zeros left out: "done:2 failed:1"; "-" when there are none. */
export function formatCounts(counts: Readonly<Partial<Record<string, number>>>, order: readonly string[]): string {
  const parts = order.filter((k) => (counts[k] ?? 0) > 0).map((k) => `${k}:${counts[k]}`);
  return parts.length > 0 ? parts.join(" ") : "-";
}

/** "3 jobs", "1 job". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** Text cut to `max` characters, the cut marked with "…". */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** An attempt's or job's error as `code: message`; "-" when there is none. */
export function formatError(error: { code?: string; name?: string; message: string } | null | undefined): string {
  if (!error) return "-";
  return `${error.code ?? error.name ?? "error"}: ${error.message}`;
}
