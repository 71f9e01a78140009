/** Small dense/banded linear algebra on typed arrays, for the crossbar solvers. */

/** LDLᵀ-free Thomas factorisation of an SPD tridiagonal matrix (diag d, off-diagonal e, both length n/n−1). */
export interface Tridiag {
  readonly n: number;
  /** Pivots after forward elimination. */
  readonly piv: Float64Array;
  /** Off-diagonal (symmetric). */
  readonly off: Float64Array;
}

export function factorTridiag(diag: Float64Array, off: Float64Array, what: string): Tridiag {
  const n = diag.length;
  const piv = new Float64Array(n);
  piv[0] = diag[0];
  if (!(piv[0] > 0)) throw new Error(`${what}: matrix is not positive definite (a line with no path to a source or ground?)`);
  for (let i = 1; i < n; i++) {
    piv[i] = diag[i] - (off[i - 1] * off[i - 1]) / piv[i - 1];
    if (!(piv[i] > 0)) throw new Error(`${what}: matrix is not positive definite (a line with no path to a source or ground?)`);
  }
  return { n, piv, off };
}

/** Solve T x = rhs in place (rhs → x), for `p` right-hand sides stored [n][p] from `offset` with stride `stride` between rows. */
export function solveTridiag(t: Tridiag, x: Float64Array, offset: number, stride: number, p: number): void {
  const { n, piv, off } = t;
  for (let i = 1; i < n; i++) {
    const f = off[i - 1] / piv[i - 1];
    const a = offset + i * stride, b = a - stride;
    for (let k = 0; k < p; k++) x[a + k] -= f * x[b + k];
  }
  const last = offset + (n - 1) * stride;
  for (let k = 0; k < p; k++) x[last + k] /= piv[n - 1];
  for (let i = n - 2; i >= 0; i--) {
    const a = offset + i * stride, b = a + stride;
    const o = off[i], d = piv[i];
    for (let k = 0; k < p; k++) x[a + k] = (x[a + k] - o * x[b + k]) / d;
  }
}

/**
 * Banded Cholesky (A = L Lᵀ) of an SPD matrix of order N with half-bandwidth b, lower band stored
 * row-major: entry (r, c), r − b ≤ c ≤ r, at band[r·(b+1) + c − r + b]. Factorises in place.
 */
export function bandCholesky(band: Float64Array, N: number, b: number, what: string): void {
  const w = b + 1;
  for (let r = 0; r < N; r++) {
    const rowR = r * w - r + b; // index of (r, c) = rowR + c
    const c0 = Math.max(0, r - b);
    for (let c = c0; c <= r; c++) {
      const rowC = c * w - c + b;
      const k0 = Math.max(c0, c - b);
      let s = band[rowR + c];
      for (let k = k0; k < c; k++) s -= band[rowR + k] * band[rowC + k];
      if (c === r) {
        if (!(s > 0)) throw new Error(`${what}: matrix is not positive definite at row ${r} (part of the circuit has no path to a source or ground)`);
        band[rowR + c] = Math.sqrt(s);
      } else {
        band[rowR + c] = s / band[rowC + c];
      }
    }
  }
}

/** Solve L Lᵀ x = rhs for p right-hand sides stored [N][p] (in place). */
export function bandSolve(band: Float64Array, N: number, b: number, x: Float64Array, p: number): void {
  const w = b + 1;
  for (let r = 0; r < N; r++) {
    const rowR = r * w - r + b;
    const xr = r * p;
    for (let k = Math.max(0, r - b); k < r; k++) {
      const l = band[rowR + k];
      if (l === 0) continue;
      const xk = k * p;
      for (let q = 0; q < p; q++) x[xr + q] -= l * x[xk + q];
    }
    const d = band[rowR + r];
    for (let q = 0; q < p; q++) x[xr + q] /= d;
  }
  for (let r = N - 1; r >= 0; r--) {
    const rowR = r * w - r + b;
    const xr = r * p;
    const d = band[rowR + r];
    for (let q = 0; q < p; q++) x[xr + q] /= d;
    for (let k = Math.max(0, r - b); k < r; k++) {
      const l = band[rowR + k];
      if (l === 0) continue;
      const xk = k * p;
      for (let q = 0; q < p; q++) x[xk + q] -= l * x[xr + q];
    }
  }
}
