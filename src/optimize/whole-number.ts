// The check every count option shares (batch sizes, candidates, warm-up steps…), with one wording.

/** `value` if it is a whole number of at least `min`; otherwise a RangeError naming `owner`'s option. */
export function wholeNumber(owner: string, name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${owner}: ${name} must be a whole number of at least ${min} (got ${String(value)})`);
  return value;
}
