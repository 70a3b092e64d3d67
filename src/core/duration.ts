/** "500ms", "10s", "2m", "1h", "30d" or a number of milliseconds; undefined if it is none of these. */
export function durationMs(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? "ms").toLowerCase();
  const factor = unit === "d" ? 86_400_000 : unit === "h" ? 3_600_000 : unit === "m" ? 60_000 : unit === "s" ? 1000 : 1;
  return Math.round(Number(m[1]) * factor);
}

/** Milliseconds as a queues file would write them: "2h", "90m", "45s", "1500ms" (the largest unit that is exact). */
export function durationText(ms: number): string {
  for (const [unit, factor] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (ms >= factor && ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}
