// How numbers, times and payloads read on the monitor's pages.

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * A moment in local time, always with its date: a search that runs overnight shows times of two days, and a
 * time alone would not say which.
 */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A span of time in the largest two units that matter: 350 ms, 4.2 s, 3 m 05 s, 2 h 10 m, 3 d 4 h. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const abs = Math.max(0, ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  if (abs < 10_000) return `${(Math.floor(abs / 100) / 10).toFixed(1)} s`;
  const s = Math.floor(abs / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${pad(s % 60)} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${pad(Math.floor(s / 60) % 60)} m`;
  return `${Math.floor(s / 86_400)} d ${Math.floor(s / 3600) % 24} h`;
}

/** How long something ran: until it ended, or until now while it runs. */
export function elapsed(start: number | null, end: number | null, now: number = Date.now()): number | null {
  if (start === null) return null;
  return (end ?? now) - start;
}

/** A count with thousands separators: 100000 reads 100,000. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** Percentage of a task's or workflow's jobs that reached a final state, floored to a tenth (as the server does). */
export function progressOf(counts: { nJobs: number; nFinished: number; nFailed: number; nCancelled: number }): number {
  if (counts.nJobs === 0) return 0;
  return Math.floor((1000 * (counts.nFinished + counts.nFailed + counts.nCancelled)) / counts.nJobs) / 10;
}

/** A measured value to six significant digits, without trailing zeros: 0.25, 1234.57, 3e-7. */
export function formatNumber(v: number): string {
  return String(Number(v.toPrecision(6)));
}

export function formatPercent(p: number): string {
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

/**
 * Arguments and results travel as tagged-JSON text (JSON whose special values are {"$date": …}-style objects):
 * shown indented, or as they are when they are not JSON.
 */
export function prettyJson(text: string | null | undefined): string {
  if (text === null || text === undefined) return "";
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A long key or hash cut to its first characters, for a table cell (the full one goes in a tooltip). */
export function shorten(text: string, max = 12): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
