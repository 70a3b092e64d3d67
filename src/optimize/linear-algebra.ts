// Dense Cholesky factorisation and triangular solves: the Gaussian process's few tens of observations make
// O(n³) fine.

/**
 * Lower-triangular L with L Lᵀ = A for a symmetric positive-definite A. Kernel matrices are often only
 * numerically semi-definite (near-duplicate points), so a failed pivot retries with growing jitter on the
 * diagonal, up to 1e-3 of its mean; `jitter` 0 asks for no retry.
 */
export function cholesky(a: readonly (readonly number[])[], jitter = 1e-10): number[][] {
  const n = a.length;
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += a[i]![i]! / Math.max(1, n);
  const scale = meanDiag > 0 ? meanDiag : 1;
  for (let extra = 0; extra <= 1e-3 * scale; extra = extra === 0 ? jitter * scale : extra * 10) {
    const l = tryCholesky(a, extra);
    if (l !== undefined) return l;
    if (!(jitter > 0)) break;
  }
  throw new RangeError("cholesky: the matrix is not positive definite");
}

function tryCholesky(a: readonly (readonly number[])[], extra: number): number[][] | undefined {
  const n = a.length;
  const l: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    const lj = l[j]!;
    let d = a[j]![j]! + extra;
    for (let k = 0; k < j; k++) d -= lj[k]! * lj[k]!;
    if (!(d > 0)) return undefined;
    const ljj = Math.sqrt(d);
    lj[j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const li = l[i]!;
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= li[k]! * lj[k]!;
      li[j] = s / ljj;
    }
  }
  return l;
}

/** Solves L x = b by forward substitution. */
export function solveLower(l: readonly (readonly number[])[], b: readonly number[]): number[] {
  const x = new Array<number>(b.length);
  for (let i = 0; i < b.length; i++) {
    const li = l[i]!;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= li[k]! * x[k]!;
    x[i] = s / li[i]!;
  }
  return x;
}

/** Solves Lᵀ x = b by back substitution. */
export function solveUpper(l: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k]![i]! * x[k]!;
    x[i] = s / l[i]![i]!;
  }
  return x;
}
