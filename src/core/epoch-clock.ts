/**
 * The clock every process of a host shares: milliseconds since the epoch with the sub-millisecond precision
 * of the process clock, comparable across processes to a few µs (Date.now() moves in 1 ms steps). Hop traces
 * and start-up timings are both read on it.
 */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
