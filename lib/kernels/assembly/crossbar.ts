// Line Gauss–Seidel sweeps of the crossbar solver and its KCL check (AssemblyScript → WebAssembly
// SIMD, float64 × 2). Compiled at build time by `npm run build:kernels` to build/kernels/crossbar.wasm.
//
// Conventions: pointers are byte offsets into this module's memory, 16-byte aligned. Node potentials
// are stored [node][input] with the p inputs of a node contiguous (an odd p leaves one scalar per
// node after the vectors). A line's source terms are sparse: the current its end conductances inject
// (e·V) at its first and last positions, `first` and `last` [line][input] (a line of one position
// takes both from `first`), and optional companion sources `J` [node][input] (0: none) entering the
// line with sign `jSign` (word lines −1, bit lines +1: J flows from word to bit node). The physics
// (which lines, which factors, when the sweep has converged) is decided by lib/crossbar/solver.ts.

/** First free byte after the module's static data: the host allocates from here. */
export function heapBase(): usize {
  return __heap_base;
}

/** Where a node's end source lies: `first` or `last` row of its line, or 0 for an inner position. */
// @ts-ignore: decorator
@inline function endSource(first: usize, last: usize, line: i32, pos: i32, len: i32, rowBytes: usize): usize {
  return pos === 0 ? first + <usize>line * rowBytes : pos === len - 1 ? last + <usize>line * rowBytes : 0;
}

/**
 * Solve every line exactly for p inputs, given the other family's potentials y:
 * x_line = T_line⁻¹ (s + G ∘ y), s the line's sources (see the conventions above), with T_line's
 * Thomas factors (inverse pivots `invPiv` and multipliers `mul`, float64 indexed by node; off-diagonal
 * `off`, the same for every entry). Position `pos` of line `line` is node line·lineStride +
 * pos·posStride: word lines (lineStride n, posStride 1) run along memory, bit lines (1, n) across it.
 * Lines advance together in blocks of `block`, one position at a time (for bit lines each step then
 * reads block·p contiguous float64); `scratch` holds len·block·p float64. With `omega` ≠ 1 x moves
 * omega times the step to that solution (successive over-relaxation of whole lines); omega = 1
 * writes the solution itself. Returns max |G (x_new − x_old)| (for omega = 1, the KCL residual the
 * change leaves on the other family) when `wantResidual` is 1, else 0.
 */
export function sweepLines(
  x: usize, first: usize, last: usize, J: usize, jSign: f64, G: usize, y: usize, invPiv: usize, mul: usize, off: f64,
  lines: i32, len: i32, lineStride: i32, posStride: i32, p: i32, scratch: usize, wantResidual: i32, block: i32, omega: f64,
): f64 {
  const rowBytes = <usize>p << 3;
  const vecBytes = rowBytes & ~(<usize>15); // whole f64x2 vectors; an odd p leaves one scalar
  const offV = f64x2.splat(off);
  const relax = omega != 1;
  const w = f64x2.splat(omega);
  const js = f64x2.splat(jSign);
  let res = f64x2.splat(0);
  let nan = f64x2.splat(0); // lanes set where a residual was NaN (pmax, one instruction, drops NaN)
  let resTail: f64 = 0;
  for (let l0 = 0; l0 < lines; l0 += block) {
    const l1 = min(lines, l0 + block);
    const sPos = <usize>(l1 - l0) * rowBytes; // one position of the block, in scratch
    // forward elimination: s_pos = (source + jSign·J) + g·y − mul_pos · s_{pos−1}
    for (let pos = 0; pos < len; pos++) {
      for (let line = l0; line < l1; line++) {
        const node = <usize>(line * lineStride + pos * posStride);
        const gs = load<f64>(G + (node << 3));
        const g = f64x2.splat(gs);
        const a = node * rowBytes;
        const mus: f64 = pos === 0 ? 0 : load<f64>(mul + (node << 3));
        const mu = f64x2.splat(mus);
        const s = scratch + <usize>pos * sPos + <usize>(line - l0) * rowBytes;
        const prev = pos === 0 ? s : s - sPos; // pos 0: multiplier 0, any finite row will do
        const src = endSource(first, last, line, pos, len, rowBytes);
        for (let k: usize = 0; k < vecBytes; k += 16) {
          let t = src ? v128.load(src + k) : f64x2.splat(0);
          if (J) t = f64x2.add(t, f64x2.mul(js, v128.load(J + a + k)));
          const rhs = f64x2.add(t, f64x2.mul(g, v128.load(y + a + k)));
          v128.store(s + k, pos === 0 ? rhs : f64x2.sub(rhs, f64x2.mul(mu, v128.load(prev + k))));
        }
        if (vecBytes < rowBytes) {
          let t: f64 = src ? load<f64>(src + vecBytes) : 0;
          if (J) t += jSign * load<f64>(J + a + vecBytes);
          const rhs = t + gs * load<f64>(y + a + vecBytes);
          store<f64>(s + vecBytes, pos === 0 ? rhs : rhs - mus * load<f64>(prev + vecBytes));
        }
      }
    }
    // back substitution: v_pos = (s_pos − off · v_{pos+1}) / d_pos, the exact solution written over
    // the scratch row; x moves to it (or by omega times the step)
    for (let pos = len - 1; pos >= 0; pos--) {
      const atEnd = pos === len - 1;
      for (let line = l0; line < l1; line++) {
        const node = <usize>(line * lineStride + pos * posStride);
        const gs = load<f64>(G + (node << 3));
        const g = f64x2.splat(gs);
        const ds = load<f64>(invPiv + (node << 3));
        const d = f64x2.splat(ds);
        const a = node * rowBytes;
        const s = scratch + <usize>pos * sPos + <usize>(line - l0) * rowBytes;
        for (let k: usize = 0; k < vecBytes; k += 16) {
          let v = v128.load(s + k);
          if (!atEnd) v = f64x2.sub(v, f64x2.mul(offV, v128.load(s + sPos + k)));
          v = f64x2.mul(v, d);
          v128.store(s + k, v);
          const old = v128.load(x + a + k);
          if (relax) v = f64x2.add(old, f64x2.mul(w, f64x2.sub(v, old)));
          if (wantResidual) {
            const r = f64x2.abs(f64x2.mul(g, f64x2.sub(v, old)));
            res = f64x2.pmax(res, r);
            nan = v128.or(nan, f64x2.ne(r, r));
          }
          v128.store(x + a + k, v);
        }
        if (vecBytes < rowBytes) {
          let v = load<f64>(s + vecBytes);
          if (!atEnd) v -= off * load<f64>(s + sPos + vecBytes);
          v *= ds;
          store<f64>(s + vecBytes, v);
          const old = load<f64>(x + a + vecBytes);
          if (relax) v = old + omega * (v - old);
          if (wantResidual) {
            const r = Math.abs(gs * (v - old));
            resTail = r > resTail || r != r ? r : resTail; // keeps a NaN
          }
          store<f64>(x + a + vecBytes, v);
        }
      }
    }
  }
  const both = f64x2.pmax(res, v128.shuffle<f64>(res, res, 1, 0));
  const r = f64x2.extract_lane(both, 0);
  return v128.any_true(nan) || resTail != resTail ? NaN : Math.max(r, resTail);
}

/**
 * Kirchhoff's current law at every node of an m×n crossbar with resistive lines, for p inputs
 * ([node][input] layout, node = row·n + col): the current each node's branches leave unbalanced,
 *   word node: s_W − J + G·(B − W) − e·W + gw·(W_left − W) + gw·(W_right − W),
 *   bit node:  s_B + J + G·(W − B) − e·B + gb·(B_up − B) + gb·(B_down − B),
 * where s is a line's end source e·V (`wFirst`/`wLast` per word line, left and right; `bFirst`/`bLast`
 * per bit line, top and bottom), J the optional companion sources (0: none) and e the end conductance
 * at a line's ends (`wEnd` [row][left, right], `bEnd` [col][top, bottom]; 0 when open). Writes the largest
 * |residual| over both families to out[0] and the largest device current |G·(W − B)| to out[1]
 * (NaN when any is NaN).
 */
export function kclResidual(
  W: usize, B: usize, wFirst: usize, wLast: usize, bFirst: usize, bLast: usize, J: usize, G: usize, wEnd: usize, bEnd: usize, gw: f64, gb: f64,
  m: i32, n: i32, p: i32, out: usize,
): void {
  const rowBytes = <usize>p << 3;
  const zero = f64x2.splat(0);
  const colBytes = <usize>n * rowBytes; // one row of nodes
  let res = f64x2.splat(0), dev = f64x2.splat(0), nan = f64x2.splat(0);
  let resTail: f64 = 0, devTail: f64 = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const node = <usize>(i * n + j);
      const a = node * rowBytes;
      const gs = load<f64>(G + (node << 3));
      // neighbours inside the line (a missing one counts with conductance 0) and the end conductance
      const cl: f64 = j > 0 ? gw : 0, cr: f64 = j < n - 1 ? gw : 0, cu: f64 = i > 0 ? gb : 0, cd: f64 = i < m - 1 ? gb : 0;
      const ew: f64 = (j === 0 ? load<f64>(wEnd + (<usize>(2 * i) << 3)) : 0) + (j === n - 1 ? load<f64>(wEnd + (<usize>(2 * i + 1) << 3)) : 0);
      const eb: f64 = (i === 0 ? load<f64>(bEnd + (<usize>(2 * j) << 3)) : 0) + (i === m - 1 ? load<f64>(bEnd + (<usize>(2 * j + 1) << 3)) : 0);
      const l = j > 0 ? a - rowBytes : a, r = j < n - 1 ? a + rowBytes : a, u = i > 0 ? a - colBytes : a, d = i < m - 1 ? a + colBytes : a;
      const sw = endSource(wFirst, wLast, i, j, n, rowBytes), sb = endSource(bFirst, bLast, j, i, m, rowBytes);
      const g = f64x2.splat(gs), cL = f64x2.splat(cl), cR = f64x2.splat(cr), cU = f64x2.splat(cu), cD = f64x2.splat(cd), eW = f64x2.splat(ew), eB = f64x2.splat(eb);
      let k: usize = 0;
      for (; k + 16 <= rowBytes; k += 16) {
        const w = v128.load(W + a + k), b = v128.load(B + a + k);
        const c = f64x2.mul(g, f64x2.sub(w, b));
        const jk = J ? v128.load(J + a + k) : zero;
        const fw = f64x2.sub(sw ? v128.load(sw + k) : zero, jk), fb = f64x2.add(sb ? v128.load(sb + k) : zero, jk);
        let rw = f64x2.sub(f64x2.sub(fw, c), f64x2.mul(eW, w));
        rw = f64x2.add(rw, f64x2.add(f64x2.mul(cL, f64x2.sub(v128.load(W + l + k), w)), f64x2.mul(cR, f64x2.sub(v128.load(W + r + k), w))));
        let rb = f64x2.sub(f64x2.add(fb, c), f64x2.mul(eB, b));
        rb = f64x2.add(rb, f64x2.add(f64x2.mul(cU, f64x2.sub(v128.load(B + u + k), b)), f64x2.mul(cD, f64x2.sub(v128.load(B + d + k), b))));
        const aw = f64x2.abs(rw), ab = f64x2.abs(rb), ac = f64x2.abs(c);
        res = f64x2.pmax(res, f64x2.pmax(aw, ab));
        dev = f64x2.pmax(dev, ac);
        nan = v128.or(nan, v128.or(v128.or(f64x2.ne(aw, aw), f64x2.ne(ab, ab)), f64x2.ne(ac, ac)));
      }
      if (k < rowBytes) {
        const w = load<f64>(W + a + k), b = load<f64>(B + a + k);
        const c = gs * (w - b);
        const jk: f64 = J ? load<f64>(J + a + k) : 0;
        const fw = (sw ? load<f64>(sw + k) : 0) - jk, fb = (sb ? load<f64>(sb + k) : 0) + jk;
        const rw = fw - c - ew * w + (cl * (load<f64>(W + l + k) - w) + cr * (load<f64>(W + r + k) - w));
        const rb = fb + c - eb * b + (cu * (load<f64>(B + u + k) - b) + cd * (load<f64>(B + d + k) - b));
        const x = Math.max(Math.abs(rw), Math.abs(rb));
        resTail = x > resTail || x != x ? x : resTail;
        const y = Math.abs(c);
        devTail = y > devTail || y != y ? y : devTail;
      }
    }
  }
  const anyNan = v128.any_true(nan);
  const r = f64x2.extract_lane(f64x2.pmax(res, v128.shuffle<f64>(res, res, 1, 0)), 0);
  const dv = f64x2.extract_lane(f64x2.pmax(dev, v128.shuffle<f64>(dev, dev, 1, 0)), 0);
  store<f64>(out, anyNan || resTail != resTail ? NaN : Math.max(r, resTail));
  store<f64>(out + 8, anyNan || devTail != devTail ? NaN : Math.max(dv, devTail));
}
