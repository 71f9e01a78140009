// Line Gauss–Seidel sweeps of the crossbar solver (AssemblyScript → WebAssembly SIMD, float64 × 2).
// Compiled at build time by `npm run build:kernels` to build/kernels/crossbar.wasm.
//
// Conventions: pointers are byte offsets into this module's memory, 16-byte aligned. Node potentials
// and source terms are stored [node][input] with the p inputs of a node contiguous (p even: the host
// pads the chunk with an undriven input); node = line·lineStride + pos·posStride. The physics (which
// lines, which factors, when the sweep has converged) is decided by lib/crossbar/solver.ts.

/** First free byte after the module's static data: the host allocates from here. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * Solve every line exactly for p inputs, given the other family's potentials y:
 * x_line = T_line⁻¹ (f + G ∘ y) with T_line's Thomas factors (inverse pivots `invPiv` and multipliers
 * `mul`, [line][len] float64; off-diagonal `off`, the same for every entry). `scratch` holds len·p
 * float64. Returns max |G (x_new − x_old)| (the KCL residual the change leaves on the other family)
 * when `wantResidual` is 1, else 0.
 */
export function sweepLines(
  x: usize, f: usize, G: usize, y: usize, invPiv: usize, mul: usize, off: f64,
  lines: i32, len: i32, lineStride: i32, posStride: i32, p: i32, scratch: usize, wantResidual: i32,
): f64 {
  const rowBytes = <usize>p << 3;
  const vecBytes = rowBytes & ~(<usize>15); // whole f64x2 vectors; an odd p leaves one scalar
  const offV = f64x2.splat(off);
  let res = f64x2.splat(0);
  let resTail: f64 = 0;
  for (let line = 0; line < lines; line++) {
    const lineNode = line * lineStride;
    const factor = (<usize>(line * len)) << 3;
    // forward elimination: s_pos = f + g·y − mul_pos · s_{pos−1}
    for (let pos = 0; pos < len; pos++) {
      const node = <usize>(lineNode + pos * posStride);
      const gs = load<f64>(G + (node << 3));
      const g = f64x2.splat(gs);
      const a = node * rowBytes;
      const s = scratch + <usize>pos * rowBytes;
      const mus: f64 = pos === 0 ? 0 : load<f64>(mul + factor + (<usize>pos << 3));
      const mu = f64x2.splat(mus);
      const prev = pos === 0 ? s : s - rowBytes; // pos 0: multiplier 0, any finite row will do
      for (let k: usize = 0; k < vecBytes; k += 16) {
        const rhs = f64x2.add(v128.load(f + a + k), f64x2.mul(g, v128.load(y + a + k)));
        v128.store(s + k, pos === 0 ? rhs : f64x2.sub(rhs, f64x2.mul(mu, v128.load(prev + k))));
      }
      if (vecBytes < rowBytes) {
        const rhs = load<f64>(f + a + vecBytes) + gs * load<f64>(y + a + vecBytes);
        store<f64>(s + vecBytes, pos === 0 ? rhs : rhs - mus * load<f64>(prev + vecBytes));
      }
    }
    // back substitution: x_pos = (s_pos − off · x_{pos+1}) / d_pos, written over the scratch row and into x
    for (let pos = len - 1; pos >= 0; pos--) {
      const node = <usize>(lineNode + pos * posStride);
      const gs = load<f64>(G + (node << 3));
      const g = f64x2.splat(gs);
      const ds = load<f64>(invPiv + factor + (<usize>pos << 3));
      const d = f64x2.splat(ds);
      const a = node * rowBytes;
      const s = scratch + <usize>pos * rowBytes;
      const last = pos === len - 1;
      for (let k: usize = 0; k < vecBytes; k += 16) {
        let v = v128.load(s + k);
        if (!last) v = f64x2.sub(v, f64x2.mul(offV, v128.load(s + rowBytes + k)));
        v = f64x2.mul(v, d);
        v128.store(s + k, v);
        if (wantResidual) res = f64x2.max(res, f64x2.abs(f64x2.mul(g, f64x2.sub(v, v128.load(x + a + k)))));
        v128.store(x + a + k, v);
      }
      if (vecBytes < rowBytes) {
        let v = load<f64>(s + vecBytes);
        if (!last) v -= off * load<f64>(s + rowBytes + vecBytes);
        v *= ds;
        store<f64>(s + vecBytes, v);
        if (wantResidual) {
          const r = Math.abs(gs * (v - load<f64>(x + a + vecBytes)));
          resTail = r > resTail || r != r ? r : resTail; // keeps a NaN
        }
        store<f64>(x + a + vecBytes, v);
      }
    }
  }
  const both = f64x2.max(res, v128.shuffle<f64>(res, res, 1, 0));
  const r = f64x2.extract_lane(both, 0);
  return r != r || resTail != resTail ? NaN : Math.max(r, resTail);
}
