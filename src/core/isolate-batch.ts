// A batch of independent updates applied so that one that cannot be applied never holds back the others.

/**
 * Applies `batch` whole; if that fails, applies each half the same way, down to single updates. An update
 * that fails alone goes to `fallback` (for instance recorded as its job's failure, without the payload that
 * could not be stored). If the fallback fails too, the store itself is failing rather than one update, and
 * its error is thrown: nothing is declared failed for it. The results of every part applied are returned.
 */
export async function applyIsolating<U, R>(
  batch: readonly U[],
  apply: (part: readonly U[]) => Promise<R>,
  fallback: (update: U, err: unknown) => Promise<R>,
): Promise<R[]> {
  try {
    return [await apply(batch)];
  } catch (err) {
    if (batch.length === 0) throw err;
    if (batch.length === 1) return [await fallback(batch[0]!, err)];
    const half = Math.ceil(batch.length / 2);
    const first = await applyIsolating(batch.slice(0, half), apply, fallback);
    const second = await applyIsolating(batch.slice(half), apply, fallback);
    return first.concat(second);
  }
}
