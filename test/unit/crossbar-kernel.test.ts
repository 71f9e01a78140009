// The crossbar solver's WebAssembly kernels against plain TypeScript on random data: line sweeps of
// word and bit lines (plain and over-relaxed, in blocks, end and companion sources, odd and even input
// counts, lines of one position), the KCL residual, and NaN.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rng, Rng } from "../../lib/runtime/random";
import { LineSweepKernel } from "../../lib/kernels/crossbar";
import { factorTridiag, solveTridiag } from "../../lib/crossbar/linalg";

const fill = (K: LineSweepKernel, ptr: number, a: ArrayLike<number>) => K.f64(ptr, a.length).set(a);
const random = (r: Rng, len: number, lo: number, hi: number) =>
  Float64Array.from({ length: len }, () => r.uniform(lo, hi));

/** The lines of one family of an m×n array: word lines run along memory, bit lines across it. */
const family = (word: boolean, m: number, n: number) =>
  word ? { lines: m, len: n, lineStride: n, posStride: 1 } : { lines: n, len: m, lineStride: 1, posStride: n };

/**
 * Dense sources [node][input] of lines (position pos of line `line` = node line·lineStride +
 * pos·posStride): the end sources at the first and last position (a one-position line takes first)
 * plus jSign·J.
 */
function denseSources(
  first: Float64Array,
  last: Float64Array,
  J: Float64Array | null,
  jSign: number,
  f: ReturnType<typeof family>,
  p: number,
): Float64Array {
  const out = new Float64Array(f.lines * f.len * p);
  if (J) for (let q = 0; q < out.length; q++) out[q] = jSign * J[q];
  for (let line = 0; line < f.lines; line++)
    for (let k = 0; k < p; k++) {
      out[line * f.lineStride * p + k] += first[line * p + k];
      if (f.len > 1) out[(line * f.lineStride + (f.len - 1) * f.posStride) * p + k] += last[line * p + k];
    }
  return out;
}

/** A family's Thomas factors (conductances G, segment conductance gs, end conductance 0.5 at the last position) and one exact (or relaxed) sweep in TypeScript. */
function lineSolves(G: Float64Array, f: ReturnType<typeof family>, gs: number) {
  const node = (line: number, pos: number) => line * f.lineStride + pos * f.posStride;
  const T = Array.from({ length: f.lines }, (_, line) => {
    const d = Float64Array.from(
      { length: f.len },
      (_, pos) => G[node(line, pos)] + (pos > 0 ? gs : 0) + (pos < f.len - 1 ? gs : 0) + (pos === f.len - 1 ? 0.5 : 0),
    );
    return factorTridiag(d, new Float64Array(Math.max(0, f.len - 1)).fill(-gs), `line ${line}`);
  });
  const sweep = (x: Float64Array, src: Float64Array, y: Float64Array, p: number, omega: number) => {
    const old = x.slice(),
      rhs = new Float64Array(x.length);
    for (let q = 0; q < x.length; q++) rhs[q] = src[q] + G[Math.floor(q / p)] * y[q];
    for (let line = 0; line < f.lines; line++) solveTridiag(T[line], rhs, node(line, 0) * p, f.posStride * p, p);
    let res = 0;
    for (let q = 0; q < x.length; q++) {
      x[q] = omega === 1 ? rhs[q] : old[q] + omega * (rhs[q] - old[q]);
      res = Math.max(res, Math.abs(G[Math.floor(q / p)] * (x[q] - old[q])));
    }
    return res;
  };
  // the factors indexed by node, as the kernel reads them
  const byNode = (K: LineSweepKernel, piv: number, mul: number) => {
    const P = K.f64(piv, G.length),
      M = K.f64(mul, G.length);
    for (let line = 0; line < f.lines; line++)
      for (let pos = 0; pos < f.len; pos++) {
        P[node(line, pos)] = T[line].invPiv[pos];
        M[node(line, pos)] = T[line].mul[pos];
      }
  };
  return { sweep, byNode };
}

test("line sweeps of word lines (along memory) and bit lines (across it, in blocks) give the TypeScript solve: plain and over-relaxed, end and companion sources, odd and even input counts, one-position lines", () => {
  const r = rng(5);
  const cases = [
    [7, 5, 3, 2, 1, 0],
    [6, 9, 4, 4, 1.3, 1],
    [5, 4, 1, 8, 1, 1],
    [9, 6, 5, 1, 1.1, 0],
    [1, 4, 3, 2, 1, 1],
    [4, 1, 2, 3, 1.2, 1],
  ];
  for (const [m, n, p, block, omega, companion] of cases)
    for (const word of [true, false]) {
      const N = m * n,
        gs = 2,
        f = family(word, m, n);
      const G = random(r, N, 1e-4, 1e-2);
      const { sweep, byNode } = lineSolves(G, f, gs);
      const x0 = random(r, N * p, -1, 1),
        y = random(r, N * p, -1, 1);
      const first = random(r, f.lines * p, -1e-2, 1e-2),
        last = random(r, f.lines * p, -1e-2, 1e-2),
        J = companion ? random(r, N * p, -1e-3, 1e-3) : null;
      const jSign = word ? -1 : 1;
      const want = x0.slice();
      const wantRes = sweep(want, denseSources(first, last, J, jSign, f, p), y, p, omega);
      const K = new LineSweepKernel();
      const at = {
        x: K.alloc(N * p),
        first: K.alloc(f.lines * p),
        last: K.alloc(f.lines * p),
        J: J ? K.alloc(N * p) : 0,
        G: K.alloc(N),
        y: K.alloc(N * p),
        piv: K.alloc(N),
        mul: K.alloc(N),
        s: K.alloc(f.len * block * p),
      };
      for (const [ptr, a] of [
        [at.x, x0],
        [at.first, first],
        [at.last, last],
        [at.G, G],
        [at.y, y],
      ] as const)
        fill(K, ptr, a);
      if (J) fill(K, at.J, J);
      byNode(K, at.piv, at.mul);
      const run = (wantResidual: number) =>
        K.k.sweepLines(
          at.x,
          at.first,
          at.last,
          at.J,
          jSign,
          at.G,
          at.y,
          at.piv,
          at.mul,
          -gs,
          f.lines,
          f.len,
          f.lineStride,
          f.posStride,
          p,
          at.s,
          wantResidual,
          block,
          omega,
        );
      const res = run(1);
      const what = `${word ? "word" : "bit"} lines of ${m}×${n}, p ${p}, block ${block}, ω ${omega}${J ? ", companion sources" : ""}`;
      K.f64(at.x, N * p).forEach((v, q) =>
        assert.ok(
          Math.abs(v - want[q]) <= 1e-12 * Math.max(1, Math.abs(want[q])),
          `${what}: entry ${q} ${v} vs ${want[q]}`,
        ),
      );
      assert.ok(Math.abs(res - wantRes) <= 1e-12 * wantRes, `${what}: residual ${res} vs ${wantRes}`);
      // no residual asked: 0
      fill(K, at.x, x0);
      assert.equal(run(0), 0, what);
    }
});

test("a NaN anywhere in a line makes the sweep's residual NaN (also in the scalar tail of an odd input count)", () => {
  const r = rng(6);
  const m = 4,
    n = 3,
    N = m * n,
    gs = 1,
    f = family(false, m, n);
  for (const p of [2, 3])
    for (const lane of [0, p - 1]) {
      const G = random(r, N, 1e-4, 1e-2);
      const K = new LineSweepKernel();
      const at = {
        x: K.alloc(N * p),
        first: K.alloc(n * p),
        last: K.alloc(n * p),
        G: K.alloc(N),
        y: K.alloc(N * p),
        piv: K.alloc(N),
        mul: K.alloc(N),
        s: K.alloc(N * p),
      };
      const y = random(r, N * p, -1, 1);
      y[5 * p + lane] = NaN;
      for (const [ptr, a] of [
        [at.x, new Float64Array(N * p)],
        [at.first, new Float64Array(n * p)],
        [at.last, new Float64Array(n * p)],
        [at.G, G],
        [at.y, y],
      ] as const)
        fill(K, ptr, a);
      lineSolves(G, f, gs).byNode(K, at.piv, at.mul);
      assert.ok(
        Number.isNaN(
          K.k.sweepLines(at.x, at.first, at.last, 0, 1, at.G, at.y, at.piv, at.mul, -gs, n, m, 1, n, p, at.s, 1, 2, 1),
        ),
        `p ${p}, lane ${lane}`,
      );
    }
});

test("the KCL residual kernel: every node's unbalanced current and the largest device current, as written out in TypeScript; NaN is reported", () => {
  const r = rng(7);
  for (const [m, n, p, companion] of [
    [4, 5, 3, 1],
    [6, 3, 2, 0],
    [3, 3, 1, 1],
    [1, 4, 2, 0],
    [3, 1, 3, 1],
  ]) {
    const N = m * n,
      gw = r.uniform(0.5, 3),
      gb = r.uniform(0.5, 3);
    const G = random(r, N, 1e-4, 1e-2),
      W = random(r, N * p, 0, 1),
      B = random(r, N * p, -0.2, 0.2);
    const wFirst = random(r, m * p, 0, 1e-2),
      wLast = random(r, m * p, -1e-2, 1e-2),
      bFirst = random(r, n * p, -1e-2, 1e-2),
      bLast = random(r, n * p, -1e-2, 1e-2);
    const J = companion ? random(r, N * p, -1e-3, 1e-3) : null;
    const wEnd = Float64Array.from({ length: 2 * m }, (_, q) => (q % 3 === 1 ? 0 : r.uniform(0.1, 2))),
      bEnd = random(r, 2 * n, 0, 2);
    // word lines: line i = nodes i·n + j, i.e. "pos·lines + line" with lines = 1 per row: build row by row
    const fW = denseSources(wFirst, wLast, J, -1, family(true, m, n), p),
      fB = denseSources(bFirst, bLast, J, 1, family(false, m, n), p);
    let want = 0,
      dev = 0;
    const at = (i: number, j: number, k: number) => (i * n + j) * p + k;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++)
        for (let k = 0; k < p; k++) {
          const q = at(i, j, k),
            c = G[i * n + j] * (W[q] - B[q]);
          let rw = fW[q] - c;
          if (j > 0) rw += gw * (W[at(i, j - 1, k)] - W[q]);
          else rw -= wEnd[2 * i] * W[q];
          if (j < n - 1) rw += gw * (W[at(i, j + 1, k)] - W[q]);
          else rw -= wEnd[2 * i + 1] * W[q];
          let rb = fB[q] + c;
          if (i > 0) rb += gb * (B[at(i - 1, j, k)] - B[q]);
          else rb -= bEnd[2 * j] * B[q];
          if (i < m - 1) rb += gb * (B[at(i + 1, j, k)] - B[q]);
          else rb -= bEnd[2 * j + 1] * B[q];
          want = Math.max(want, Math.abs(rw), Math.abs(rb));
          dev = Math.max(dev, Math.abs(c));
        }
    const K = new LineSweepKernel();
    const ptr = {
      W: K.alloc(N * p),
      B: K.alloc(N * p),
      wFirst: K.alloc(m * p),
      wLast: K.alloc(m * p),
      bFirst: K.alloc(n * p),
      bLast: K.alloc(n * p),
      J: J ? K.alloc(N * p) : 0,
      G: K.alloc(N),
      wEnd: K.alloc(2 * m),
      bEnd: K.alloc(2 * n),
      out: K.alloc(2),
    };
    for (const [q, a] of [
      [ptr.W, W],
      [ptr.B, B],
      [ptr.wFirst, wFirst],
      [ptr.wLast, wLast],
      [ptr.bFirst, bFirst],
      [ptr.bLast, bLast],
      [ptr.G, G],
      [ptr.wEnd, wEnd],
      [ptr.bEnd, bEnd],
    ] as const)
      fill(K, q, a);
    if (J) fill(K, ptr.J, J);
    const run = () =>
      K.k.kclResidual(
        ptr.W,
        ptr.B,
        ptr.wFirst,
        ptr.wLast,
        ptr.bFirst,
        ptr.bLast,
        ptr.J,
        ptr.G,
        ptr.wEnd,
        ptr.bEnd,
        gw,
        gb,
        m,
        n,
        p,
        ptr.out,
      );
    run();
    const [res, cur] = K.f64(ptr.out, 2);
    const what = `${m}×${n}, p ${p}${J ? ", companion sources" : ""}`;
    assert.ok(Math.abs(res - want) <= 1e-13 * want, `${what}: residual ${res} vs ${want}`);
    assert.equal(cur, dev, `${what}: device current`);
    // a NaN potential, in a vector lane or the scalar tail
    K.f64(ptr.B, N * p)[N * p - 1] = NaN;
    run();
    assert.ok(K.f64(ptr.out, 2).every(Number.isNaN), `${what}: NaN reported`);
  }
});
