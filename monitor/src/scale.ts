// Axes of the hand-drawn SVG charts: linear and logarithmic scales and round tick values.

export type Scale = (value: number) => number;

/** Maps [d0, d1] onto [r0, r1]; an empty domain maps everything to r0. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => r0;
  const k = (r1 - r0) / (d1 - d0);
  return (value) => r0 + (value - d0) * k;
}

/** A step of 1, 2 or 5 times a power of ten that cuts `span` into at most about `count` parts. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || count < 1) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  const factor = unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10;
  return factor * power;
}

/** Decimals needed to print multiples of `step` exactly (0.25 needs 2). */
export function decimalsOf(step: number): number {
  for (let d = 0; d < 10; d++) {
    if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-9) return d;
  }
  return 10;
}

/**
 * Round values covering [min, max]: the domain widened to whole steps, and the ticks in it. A flat series
 * (min = max) gets a domain around its one value.
 */
export function niceAxis(min: number, max: number, count = 5): { domain: [number, number]; ticks: number[]; decimals: number } {
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) / 2;
    return niceAxis(min - pad, max + pad, count);
  }
  const step = niceStep(max - min, count);
  const decimals = decimalsOf(step);
  const low = Math.floor(min / step) * step;
  const high = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let i = 0; low + i * step <= high + step / 1e6; i++) ticks.push(Number((low + i * step).toFixed(decimals)));
  return { domain: [ticks[0]!, ticks[ticks.length - 1]!], ticks, decimals };
}

/** Maps [d0, d1] (both above zero) onto [r0, r1] by their logarithms. */
export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const linear = linearScale([Math.log10(domain[0]), Math.log10(domain[1])], range);
  return (value) => linear(Math.log10(value));
}

/**
 * Powers of ten covering [min, max] (both above zero), with 2 and 5 times them when the values span less
 * than two decades, so that a narrow range still gets a few ticks.
 */
export function logAxis(min: number, max: number): { domain: [number, number]; ticks: number[]; decimals: number } {
  // `decimals` prints the smallest tick exactly; larger ones need fewer (the chart labels each on its own).
  const low = Math.floor(Math.log10(min));
  const high = Math.max(low + 1, Math.ceil(Math.log10(max)));
  const multiples = high - low <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = low; e <= high; e++) {
    for (const m of multiples) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (e === high && m > 1) break;
      ticks.push(v);
    }
  }
  return { domain: [ticks[0]!, ticks[ticks.length - 1]!], ticks, decimals: Math.max(0, -low) };
}

const TIME_STEPS_MS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000,
  10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/** Offsets from the start of a span (ms) where a time axis gets a tick: 0, 5 s, 10 s… or 0, 1 m, 2 m… */
export function timeTicks(spanMs: number, count = 6): number[] {
  if (!(spanMs > 0)) return [0];
  const wanted = spanMs / count;
  const step = wanted < 1000 ? niceStep(spanMs, count) : (TIME_STEPS_MS.find((s) => s >= wanted) ?? Math.ceil(wanted / 86_400_000) * 86_400_000);
  const ticks: number[] = [];
  for (let t = 0; t <= spanMs + step / 1e6; t += step) ticks.push(t);
  return ticks;
}

/** A time-axis label: 0, 500ms, 1.5s, 15s, 2m, 1m30s, 1h, 2h30m, 1d. */
export function formatOffset(ms: number): string {
  if (ms === 0) return "0";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(2))}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86_400) {
    const m = Math.floor(s / 60);
    return m % 60 === 0 ? `${m / 60}h` : `${Math.floor(m / 60)}h${m % 60}m`;
  }
  const h = Math.floor(s / 3600);
  return h % 24 === 0 ? `${h / 24}d` : `${Math.floor(h / 24)}d${h % 24}h`;
}
