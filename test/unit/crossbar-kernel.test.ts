// The crossbar solver's WebAssembly kernels against plain TypeScript on random data: line sweeps along
// and across memory (plain and over-relaxed, end sources and companion sources, odd and even input
// counts, lines of one position), the KCL residual, and NaN.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rng, Rng } from "../../lib/runtime/random";
import { LineSweepKernel } from "../../lib/kernels/crossbar";
import { factorTridiag, solveTridiag } from "../../lib/crossbar/linalg";

const fill = (K: LineSweepKernel, ptr: number, a: ArrayLike<number>) => K.f64(ptr, a.length).set(a);
const random = (r: Rng, len: number, lo: number, hi: number) => Float64Array.from({ length: len }, () => r.uniform(lo, hi));

/**
 * Dense sources [node][input] of lines `line` = nodes pos·lines + line (len positions): the end
 * sources at the first and last position (a one-position line takes first) plus jSign·J.
 */
function denseSources(first: Float64Array, last: Float64Array, J: Float64Array | null, jSign: number, lines: number, len: number, p: number): Float64Array {
  const f = new Float64Array(lines * len * p);
  if (J) for (let q = 0; q < f.length; q++) f[q] = jSign * J[q];
  for (let line = 0; line < lines; line++) for (let k = 0; k < p; k++) {
    f[line * p + k] += first[line * p + k];
    if (len > 1) f[((len - 1) * lines + line) * p + k] += last[line * p + k];
  }
  return f;
}

/** Bit lines of an m×n array (line j = nodes i·n + j), p inputs per node: their Thomas factors and one exact (or relaxed) sweep in TypeScript. */
function bitLines(r: Rng, m: number, n: number, gb: number) {
  const G = random(r, m * n, 1e-4, 1e-2);
  const T = Array.from({ length: n }, (_, j) => {
    const d = Float64Array.from({ length: m }, (_, i) => G[i * n + j] + (i > 0 ? gb : 0) + (i < m - 1 ? gb : 0) + (i === m - 1 ? 0.5 : 0));
    return factorTridiag(d, new Float64Array(Math.max(0, m - 1)).fill(-gb), `bit line ${j}`);
  });
  const sweep = (x: Float64Array, f: Float64Array, y: Float64Array, p: number, omega: number) => {
    const old = x.slice(), rhs = new Float64Array(x.length);
    for (let q = 0; q < x.length; q++) rhs[q] = f[q] + G[Math.floor(q / p)] * y[q];
    for (let j = 0; j < n; j++) solveTridiag(T[j], rhs, j * p, n * p, p);
    let res = 0;
    for (let q = 0; q < x.length; q++) {
      x[q] = omega === 1 ? rhs[q] : old[q] + omega * (rhs[q] - old[q]);
      res = Math.max(res, Math.abs(G[Math.floor(q / p)] * (x[q] - old[q])));
    }
    return res;
  };
  return { G, T, sweep };
}

test("line sweeps across memory (bit lines, in blocks) and along it give the TypeScript solve: plain and over-relaxed, end and companion sources, odd and even input counts, one-position lines", () => {
  const r = rng(5);
  for (const [m, n, p, block, omega, companion] of [[7, 5, 3, 2, 1, 0], [6, 9, 4, 4, 1.3, 1], [5, 4, 1, 8, 1, 1], [9, 6, 5, 1, 1.1, 0], [1, 4, 3, 2, 1, 1]]) {
    const N = m * n, gb = 2;
    const { G, T, sweep } = bitLines(r, m, n, gb);
    const x0 = random(r, N * p, -1, 1), y = random(r, N * p, -1, 1);
    const first = random(r, n * p, -1e-2, 1e-2), last = random(r, n * p, -1e-2, 1e-2), J = companion ? random(r, N * p, -1e-3, 1e-3) : null;
    const want = x0.slice();
    const wantRes = sweep(want, denseSources(first, last, J, 1, n, m, p), y, p, omega);
    const K = new LineSweepKernel();
    const at = {
      x: K.alloc(N * p), x2: K.alloc(N * p), first: K.alloc(n * p), last: K.alloc(n * p), J: J ? K.alloc(N * p) : 0, G: K.alloc(N), y: K.alloc(N * p),
      piv: K.alloc(N), mul: K.alloc(N), lines: K.alloc(N), linesMul: K.alloc(N), s: K.alloc(N * p),
    };
    for (const [ptr, a] of [[at.x, x0], [at.x2, x0], [at.first, first], [at.last, last], [at.G, G], [at.y, y]] as const) fill(K, ptr, a);
    if (J) fill(K, at.J, J);
    // factors by node for the sweep across memory, by line for the sweep along lines (posStride n)
    const piv = K.f64(at.piv, N), mul = K.f64(at.mul, N), pivL = K.f64(at.lines, N), mulL = K.f64(at.linesMul, N);
    for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) ((piv[i * n + j] = pivL[j * m + i] = T[j].invPiv[i]), (mul[i * n + j] = mulL[j * m + i] = T[j].mul[i]));
    const across = K.k.sweepAcross(at.x, at.first, at.last, at.J, 1, at.G, at.y, at.piv, at.mul, -gb, n, m, p, at.s, 1, block, omega);
    const along = K.k.sweepLines(at.x2, at.first, at.last, at.J, 1, at.G, at.y, at.lines, at.linesMul, -gb, n, m, 1, n, p, at.s, 1, omega);
    const what = `${m}×${n}, p ${p}, ω ${omega}${J ? ", companion sources" : ""}`;
    for (const [name, got, res] of [["across", K.f64(at.x, N * p), across], ["along", K.f64(at.x2, N * p), along]] as const) {
      got.forEach((v, q) => assert.ok(Math.abs(v - want[q]) <= 1e-12 * Math.max(1, Math.abs(want[q])), `${name} ${what}: entry ${q} ${v} vs ${want[q]}`));
      assert.ok(Math.abs(res - wantRes) <= 1e-12 * wantRes, `${name} ${what}: residual ${res} vs ${wantRes}`);
    }
    // no residual asked: 0; the companion sources' sign is the caller's
    fill(K, at.x, x0);
    assert.equal(K.k.sweepAcross(at.x, at.first, at.last, at.J, 1, at.G, at.y, at.piv, at.mul, -gb, n, m, p, at.s, 0, block, omega), 0);
    if (J) {
      const minus = x0.slice();
      sweep(minus, denseSources(first, last, J, -1, n, m, p), y, p, omega);
      fill(K, at.x, x0);
      K.k.sweepAcross(at.x, at.first, at.last, at.J, -1, at.G, at.y, at.piv, at.mul, -gb, n, m, p, at.s, 0, block, omega);
      K.f64(at.x, N * p).forEach((v, q) => assert.ok(Math.abs(v - minus[q]) <= 1e-12 * Math.max(1, Math.abs(minus[q])), `${what}, jSign −1: entry ${q}`));
    }
  }
});

test("a NaN anywhere in a line makes the sweep's residual NaN (also in the scalar tail of an odd input count)", () => {
  const r = rng(6);
  const m = 4, n = 3, N = m * n, gb = 1;
  for (const p of [2, 3]) for (const lane of [0, p - 1]) {
    const { G, T } = bitLines(r, m, n, gb);
    const K = new LineSweepKernel();
    const at = { x: K.alloc(N * p), first: K.alloc(n * p), last: K.alloc(n * p), G: K.alloc(N), y: K.alloc(N * p), piv: K.alloc(N), mul: K.alloc(N), s: K.alloc(N * p) };
    const y = random(r, N * p, -1, 1);
    y[5 * p + lane] = NaN;
    for (const [ptr, a] of [[at.x, new Float64Array(N * p)], [at.first, new Float64Array(n * p)], [at.last, new Float64Array(n * p)], [at.G, G], [at.y, y]] as const) fill(K, ptr, a);
    const piv = K.f64(at.piv, N), mul = K.f64(at.mul, N);
    for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) ((piv[i * n + j] = T[j].invPiv[i]), (mul[i * n + j] = T[j].mul[i]));
    assert.ok(Number.isNaN(K.k.sweepAcross(at.x, at.first, at.last, 0, 1, at.G, at.y, at.piv, at.mul, -gb, n, m, p, at.s, 1, 2, 1)), `p ${p}, lane ${lane}`);
  }
});

test("the KCL residual kernel: every node's unbalanced current and the largest device current, as written out in TypeScript; NaN is reported", () => {
  const r = rng(7);
  for (const [m, n, p, companion] of [[4, 5, 3, 1], [6, 3, 2, 0], [3, 3, 1, 1], [1, 4, 2, 0], [3, 1, 3, 1]]) {
    const N = m * n, gw = r.uniform(0.5, 3), gb = r.uniform(0.5, 3);
    const G = random(r, N, 1e-4, 1e-2), W = random(r, N * p, 0, 1), B = random(r, N * p, -0.2, 0.2);
    const wFirst = random(r, m * p, 0, 1e-2), wLast = random(r, m * p, -1e-2, 1e-2), bFirst = random(r, n * p, -1e-2, 1e-2), bLast = random(r, n * p, -1e-2, 1e-2);
    const J = companion ? random(r, N * p, -1e-3, 1e-3) : null;
    const wEnd = Float64Array.from({ length: 2 * m }, (_, q) => (q % 3 === 1 ? 0 : r.uniform(0.1, 2))), bEnd = random(r, 2 * n, 0, 2);
    // word lines: line i = nodes i·n + j, i.e. "pos·lines + line" with lines = 1 per row: build row by row
    const fW = new Float64Array(N * p), fB = denseSources(bFirst, bLast, J, 1, n, m, p);
    for (let i = 0; i < m; i++) fW.set(denseSources(wFirst.subarray(i * p, (i + 1) * p), wLast.subarray(i * p, (i + 1) * p), J ? J.subarray(i * n * p, (i + 1) * n * p) : null, -1, 1, n, p), i * n * p);
    let want = 0, dev = 0;
    const at = (i: number, j: number, k: number) => (i * n + j) * p + k;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let k = 0; k < p; k++) {
      const q = at(i, j, k), c = G[i * n + j] * (W[q] - B[q]);
      let rw = fW[q] - c;
      if (j > 0) rw += gw * (W[at(i, j - 1, k)] - W[q]); else rw -= wEnd[2 * i] * W[q];
      if (j < n - 1) rw += gw * (W[at(i, j + 1, k)] - W[q]); else rw -= wEnd[2 * i + 1] * W[q];
      let rb = fB[q] + c;
      if (i > 0) rb += gb * (B[at(i - 1, j, k)] - B[q]); else rb -= bEnd[2 * j] * B[q];
      if (i < m - 1) rb += gb * (B[at(i + 1, j, k)] - B[q]); else rb -= bEnd[2 * j + 1] * B[q];
      want = Math.max(want, Math.abs(rw), Math.abs(rb));
      dev = Math.max(dev, Math.abs(c));
    }
    const K = new LineSweepKernel();
    const ptr = {
      W: K.alloc(N * p), B: K.alloc(N * p), wFirst: K.alloc(m * p), wLast: K.alloc(m * p), bFirst: K.alloc(n * p), bLast: K.alloc(n * p), J: J ? K.alloc(N * p) : 0,
      G: K.alloc(N), wEnd: K.alloc(2 * m), bEnd: K.alloc(2 * n), out: K.alloc(2),
    };
    for (const [q, a] of [[ptr.W, W], [ptr.B, B], [ptr.wFirst, wFirst], [ptr.wLast, wLast], [ptr.bFirst, bFirst], [ptr.bLast, bLast], [ptr.G, G], [ptr.wEnd, wEnd], [ptr.bEnd, bEnd]] as const) fill(K, q, a);
    if (J) fill(K, ptr.J, J);
    const run = () => K.k.kclResidual(ptr.W, ptr.B, ptr.wFirst, ptr.wLast, ptr.bFirst, ptr.bLast, ptr.J, ptr.G, ptr.wEnd, ptr.bEnd, gw, gb, m, n, p, ptr.out);
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
