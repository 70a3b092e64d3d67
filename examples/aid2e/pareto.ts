// Pareto dominance, non-dominated filtering and the hypervolume indicator, for objectives that are all minimised.

/** a dominates b: no worse in every objective and better in at least one. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return false;
    if (a[i]! < b[i]!) better = true;
  }
  return better;
}

/** Indices of the points no other point dominates, in input order. */
export function nonDominatedIndices(points: readonly (readonly number[])[]): number[] {
  return points.flatMap((p, i) => (points.some((q, j) => j !== i && dominates(q, p)) ? [] : [i]));
}

/**
 * The items no other item dominates, in input order. Items with equal objectives do not dominate each other;
 * only the first of them is kept, so a design found twice appears once.
 */
export function paretoFront<T>(items: readonly T[], objectives: (item: T) => readonly number[]): T[] {
  const points = items.map(objectives);
  const kept = nonDominatedIndices(points).filter(
    (i, _, all) => !all.some((j) => j < i && points[j]!.every((value, k) => value === points[i]![k])),
  );
  return kept.map((i) => items[i]!);
}

/**
 * The hypervolume of a set of 2- or 3-objective points: the measure of the region they dominate inside the box
 * bounded by the reference point. Points not strictly better than the reference in every objective add nothing.
 * Exact; O(n² log n) in three objectives, which suits fronts of up to a few hundred points.
 */
export function hypervolume(points: readonly (readonly number[])[], reference: readonly number[]): number {
  if (reference.length !== 2 && reference.length !== 3) {
    throw new RangeError(`hypervolume handles 2 or 3 objectives, not ${reference.length}`);
  }
  for (const p of points) {
    if (p.length !== reference.length) {
      throw new RangeError(`a point has ${p.length} objectives but the reference point has ${reference.length}`);
    }
  }
  const inside = points.filter((p) => p.every((value, i) => value < reference[i]!));
  if (reference.length === 2) return area(inside, reference[0]!, reference[1]!);
  // Sweep along the third objective: between consecutive values of it, the dominated region's cross-section is
  // the area dominated by the points already passed.
  const sorted = [...inside].sort((a, b) => a[2]! - b[2]!);
  let volume = 0;
  for (let i = 0; i < sorted.length; i++) {
    const next = i + 1 < sorted.length ? sorted[i + 1]![2]! : reference[2]!;
    if (next > sorted[i]![2]!) volume += area(sorted.slice(0, i + 1), reference[0]!, reference[1]!) * (next - sorted[i]![2]!);
  }
  return volume;
}

/** Area dominated by points (first two objectives) inside the box up to (referenceX, referenceY). */
function area(points: readonly (readonly number[])[], referenceX: number, referenceY: number): number {
  const sorted = [...points].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let total = 0;
  let lowestY = referenceY;
  // Left to right, each point that reaches below every point before it adds the strip from it to the reference.
  for (const p of sorted) {
    if (p[1]! < lowestY) {
      total += (referenceX - p[0]!) * (lowestY - p[1]!);
      lowestY = p[1]!;
    }
  }
  return total;
}
