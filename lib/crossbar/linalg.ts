/** Small dense/banded linear algebra on typed arrays, for the crossbar solvers. */

/** Thomas factorisation of an SPD tridiagonal matrix: multipliers and inverse pivots, so solves need no division. */
export interface Tridiag {
  readonly n: number;
  /** Inverse pivots 1/d_i after forward elimination. */
  readonly invPiv: Float64Array;
  /** Forward multipliers l_i = e_{i−1}/d_{i−1} (index 0 unused). */
  readonly mul: Float64Array;
  /** Off-diagonal (symmetric). */
  readonly off: Float64Array;
}

export function factorTridiag(diag: Float64Array, off: Float64Array, what: string): Tridiag {
  const n = diag.length;
  const invPiv = new Float64Array(n),
    mul = new Float64Array(n);
  let piv = diag[0];
  if (!(piv > 0))
    throw new Error(`${what}: matrix is not positive definite (a line with no path to a source or ground?)`);
  invPiv[0] = 1 / piv;
  for (let i = 1; i < n; i++) {
    mul[i] = off[i - 1] / piv;
    piv = diag[i] - mul[i] * off[i - 1];
    if (!(piv > 0))
      throw new Error(`${what}: matrix is not positive definite (a line with no path to a source or ground?)`);
    invPiv[i] = 1 / piv;
  }
  return { n, invPiv, mul, off };
}

/** Solve T x = rhs in place (rhs → x), for `p` right-hand sides stored [n][p] from `offset` with stride `stride` between rows. */
export function solveTridiag(t: Tridiag, x: Float64Array, offset: number, stride: number, p: number): void {
  const { n, invPiv, mul, off } = t;
  if (p === 1) {
    let prev = x[offset];
    for (let i = 1, a = offset + stride; i < n; i++, a += stride) prev = x[a] -= mul[i] * prev;
    let a = offset + (n - 1) * stride;
    let next = (x[a] *= invPiv[n - 1]);
    for (let i = n - 2; i >= 0; i--) {
      a -= stride;
      next = x[a] = (x[a] - off[i] * next) * invPiv[i];
    }
    return;
  }
  for (let i = 1; i < n; i++) {
    const f = mul[i];
    const a = offset + i * stride,
      b = a - stride;
    for (let k = 0; k < p; k++) x[a + k] -= f * x[b + k];
  }
  const last = offset + (n - 1) * stride;
  const dl = invPiv[n - 1];
  for (let k = 0; k < p; k++) x[last + k] *= dl;
  for (let i = n - 2; i >= 0; i--) {
    const a = offset + i * stride,
      b = a + stride;
    const o = off[i],
      d = invPiv[i];
    for (let k = 0; k < p; k++) x[a + k] = (x[a + k] - o * x[b + k]) * d;
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
      // dot product with four accumulators (the machine's add latency, not its width, is the limit)
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      let k = k0;
      for (; k + 3 < c; k += 4) {
        s0 += band[rowR + k] * band[rowC + k];
        s1 += band[rowR + k + 1] * band[rowC + k + 1];
        s2 += band[rowR + k + 2] * band[rowC + k + 2];
        s3 += band[rowR + k + 3] * band[rowC + k + 3];
      }
      for (; k < c; k++) s0 += band[rowR + k] * band[rowC + k];
      const s = band[rowR + c] - (s0 + s1 + (s2 + s3));
      if (c === r) {
        if (!(s > 0))
          throw new Error(
            `${what}: matrix is not positive definite at row ${r} (part of the circuit has no path to a source or ground)`,
          );
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
  if (p === 1) {
    bandSolve1(band, N, b, x);
    return;
  }
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

/** One right-hand side: dot-product forward substitution, axpy back substitution. */
function bandSolve1(band: Float64Array, N: number, b: number, x: Float64Array): void {
  const w = b + 1;
  for (let r = 0; r < N; r++) {
    const rowR = r * w - r + b;
    let s0 = 0,
      s1 = 0;
    let k = Math.max(0, r - b);
    for (; k + 1 < r; k += 2) {
      s0 += band[rowR + k] * x[k];
      s1 += band[rowR + k + 1] * x[k + 1];
    }
    for (; k < r; k++) s0 += band[rowR + k] * x[k];
    x[r] = (x[r] - s0 - s1) / band[rowR + r];
  }
  for (let r = N - 1; r >= 0; r--) {
    const rowR = r * w - r + b;
    const xr = (x[r] /= band[rowR + r]);
    for (let k = Math.max(0, r - b); k < r; k++) x[k] -= band[rowR + k] * xr;
  }
}
