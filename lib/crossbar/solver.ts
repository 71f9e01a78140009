/**
 * Exact DC solution of a passive crossbar (linear devices): every node voltage and branch current.
 * Engines:
 * - `direct`: eliminate each word line exactly (tridiagonal), leaving an SPD system on the bit-line
 *   nodes with half-bandwidth n (columns), factorised once by banded Cholesky and reused for every
 *   input (`CrossbarSystem`). Work ≈ m·n³/2 to factor, ≈ 2·m·n² per input.
 * - `gauss-seidel`: line Gauss–Seidel, each word line then each bit line solved exactly (Thomas);
 *   converges for any such circuit (SPD); cost per sweep ≈ 10·m·n per input.
 * Zero segment resistance makes a line ideal (fixed at its source voltage), as in badcrossbar.
 */
import { bandCholesky, bandSolve, factorTridiag, solveTridiag, Tridiag } from "./linalg";
import { LineSweepKernel, lineSweepKernel } from "../kernels/crossbar";
import { checkDrive, CrossbarDrive, CrossbarTopology, LineEnd, validateTopology } from "./circuit";

export type Engine = "direct" | "gauss-seidel";

/** Largest relative KCL residual (see kclResidualRelative) that a returned solution may have. */
export const KCL_RELATIVE_LIMIT = 1e-6;

export interface SolveOptions {
  readonly engine?: Engine;
  /** Gauss–Seidel: stop when the KCL residual ≤ tolerance × the largest terminal current. */
  readonly tolerance?: number;
  readonly maxSweeps?: number;
  /**
   * Gauss–Seidel's line sweeps: "wasm" (default; the SIMD kernel of lib/kernels, two inputs per
   * vector) or "js" (the plain TypeScript loops it replaced, kept as its reference).
   */
  readonly sweepKernel?: "wasm" | "js";
  /**
   * Gauss–Seidel: over-relax the sweeps once two plain sweeps show slow convergence (default true;
   * see `overRelaxation`). false keeps plain sweeps throughout.
   */
  readonly overRelax?: boolean;
  /**
   * Extra current (A) from W(i, j) to B(i, j) in parallel with each device, layout [input][row][col]:
   * the companion sources of a Newton linearisation of nonlinear devices (see nonlinear.ts).
   */
  readonly deviceSourceAmp?: Float64Array;
}

export interface CrossbarSolution {
  readonly rows: number;
  readonly cols: number;
  readonly inputs: number;
  /** Node voltages (V), layout [input][row][col]. */
  readonly wordVoltages: Float64Array;
  readonly bitVoltages: Float64Array;
  /** Device currents W → B (A), [input][row][col]. */
  readonly deviceCurrents: Float64Array;
  /** Word-line segment currents (A), rightwards; segment (i, 0) joins the left source to W(i, 0). */
  readonly wordSegmentCurrents: Float64Array;
  /** Bit-line segment currents (A), downwards; segment (m−1, j) joins B(m−1, j) to the bottom terminal. */
  readonly bitSegmentCurrents: Float64Array;
  /** Current entering each word line through its left end (from its source), [input][row]. */
  readonly wordLeftCurrents: Float64Array;
  /** Current leaving each word line through its right end, [input][row]. */
  readonly wordRightCurrents: Float64Array;
  /** Current leaving each bit line through its top end, [input][col]. */
  readonly bitTopCurrents: Float64Array;
  /** Output currents: into the bottom terminal of each bit line, [input][col]. */
  readonly outputCurrents: Float64Array;
  /**
   * Largest KCL residual over all solved nodes (A), and relative to the largest terminal current (where
   * almost no current reaches a terminal, to 1e-6 of the natural current V_max·G_max); never above KCL_RELATIVE_LIMIT.
   */
  readonly kclResidualAmp: number;
  readonly kclResidualRelative: number;
  readonly engine: Engine | "closed-form" | "line";
  readonly sweeps?: number;
  /** Gauss–Seidel: the largest over-relaxation factor ω its sweeps used (1: plain sweeps throughout). */
  readonly overRelaxation?: number;
  /** Always true: a solve that does not converge, or whose KCL residual exceeds KCL_RELATIVE_LIMIT, throws. */
  readonly converged: boolean;
}

/** out[r][k] = f[r][k] + G[r]·x[r][k]: a line's right-hand side given the other family's potentials. */
function coupledRhs(out: Float64Array, f: Float64Array, G: Float64Array, x: Float64Array, N: number, p: number): void {
  for (let r = 0, o = 0; r < N; r++, o += p) {
    const g = G[r];
    for (let k = 0; k < p; k++) out[o + k] = f[o + k] + g * x[o + k];
  }
}

/** When Gauss–Seidel stops (SolveOptions' tolerance and maxSweeps) and whether it may over-relax. */
export interface Stopping {
  readonly tol: number;
  readonly maxSweeps: number;
  readonly overRelax: boolean;
}

export interface GaussSeidelRun {
  readonly sweeps: number;
  readonly omega: number;
}

function notConverged(maxSweeps: number, relative: number, tol: number, omega: number): RangeError {
  const what =
    omega === 1
      ? "the KCL residual is"
      : `its last sweep, over-relaxed (ω = ${omega.toFixed(3)}), moved device currents by`;
  return new RangeError(
    `Gauss–Seidel did not converge in ${maxSweeps} sweeps: ${what} ${relative.toExponential(2)} of the largest terminal current, above the tolerance ${tol} (slow for strongly coupled arrays: devices much more conductive than the wire segments); use engine "direct", or raise maxSweeps`,
  );
}

/**
 * Over-relaxation factor for line Gauss–Seidel from its observed contraction per sweep ρ. The
 * crossbar's system has two blocks (word nodes, bit nodes), so Young's theory for consistently
 * ordered matrices applies: ρ_GS = ρ_Jacobi² and the best factor is 2 / (1 + √(1 − ρ_GS)), which
 * contracts by ω − 1 per sweep. Below a contraction of 0.1 Gauss–Seidel alone is fast: 1.
 */
export function overRelaxation(rho: number): number {
  if (!(rho >= 0.1)) return 1;
  return 2 / (1 + Math.sqrt(1 - Math.min(rho, 0.99)));
}

/**
 * Gauss–Seidel's outer loop: `sweep(omega)` runs one sweep and returns the KCL residual it leaves
 * (A) when omega = 1. Stop at the first plain sweep whose residual is ≤ tol × the largest terminal
 * current (`scale()`, refreshed on the first sweep, every eighth, and before accepting). Once two
 * successive ratios of plain sweeps' residuals agree within 10 % (the first sweep, from zero, is
 * atypical), the ratio sets the over-relaxation factor (`overRelaxation`); relaxed sweeps run until
 * their change is within the tolerance, and a plain sweep then confirms. Returns the sweep count and
 * the factor used; throws after maxSweeps.
 */
export function untilConverged(
  sweep: (omega: number) => number,
  scale: () => number,
  { tol, maxSweeps, overRelax }: Stopping,
): GaussSeidelRun {
  let s = 0,
    res = NaN,
    before = NaN,
    ratio = NaN,
    omega = 1,
    last = 1,
    used = 1;
  for (let k = 1; k <= maxSweeps; k++) {
    last = omega;
    res = sweep(omega);
    const within = () => res <= tol * Math.max(s, 1e-300);
    if (k === 1 || k % 8 === 0 || within()) s = scale();
    if (within()) {
      if (omega === 1) return { sweeps: k, omega: used };
      omega = 1; // a relaxed sweep's change is no KCL residual: the next, plain sweep measures it
    } else if (overRelax && used === 1 && k >= 2) {
      // the contraction per plain sweep, once two successive ratios agree (sweep 1, from zero, is atypical)
      const next = res / before;
      if (k >= 3 && Math.abs(next - ratio) <= 0.1 * next) used = omega = overRelaxation(next);
      ratio = next;
    }
    before = res;
  }
  throw notConverged(maxSweeps, res / Math.max(s, 1e-300), tol, last);
}

/** Chunk potentials [node][input] (p inputs of N nodes) into out's [input][node] layout from entry `at`. */
function transposeInto(out: Float64Array, chunk: Float64Array, at: number, N: number, p: number): void {
  for (let k = 0; k < p; k++) for (let node = 0, q = k; node < N; node++, q += p) out[at + k * N + node] = chunk[q];
}

/** The inverse: p inputs' [input][node] values `src` into the chunk layout [node][input] of `out`; returns out. */
function interleave(out: Float64Array, src: Float64Array, N: number, p: number): Float64Array {
  for (let k = 0; k < p; k++) for (let node = 0, q = k; node < N; node++, q += p) out[q] = src[k * N + node];
  return out;
}

/** Value at (input k, row i, col j) of a [input][row][col] array as a matrix. */
export function gridOf(a: Float64Array, sol: { rows: number; cols: number }, k = 0): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < sol.rows; i++)
    out.push(Array.from(a.subarray((k * sol.rows + i) * sol.cols, (k * sol.rows + i + 1) * sol.cols)));
  return out;
}

type Volts = readonly ArrayLike<number>[];

/** Bit lines the Gauss–Seidel kernel solves side by side (each step then reads BIT_BLOCK·p contiguous values). */
const BIT_BLOCK = 8;

/**
 * The buffers of one solve, in the line-sweep kernel's memory (the process's one instance: solves are
 * synchronous and never nested, and memory already touched is several times faster to fill than
 * fresh memory). Chunk arrays hold `chunk` inputs, layout [node][input]; their contents are
 * undefined until solveChunk writes them. `at` holds the kernel's pointers, the others are views.
 */
interface Workspace {
  readonly K: LineSweepKernel;
  readonly at: {
    W: number;
    B: number;
    fW: number;
    fB: number;
    wFirst: number;
    wLast: number;
    bFirst: number;
    bLast: number;
    J: number;
    G: number;
    wPiv: number;
    wMul: number;
    bPiv: number;
    bMul: number;
    scratch: number;
    wEnd: number;
    bEnd: number;
    out: number;
  };
  readonly W: Float64Array;
  readonly B: Float64Array;
  /** Dense sources [node][input] for the TypeScript line solves (empty when the kernels sweep). */
  readonly fW: Float64Array;
  readonly fB: Float64Array;
  /** Line-end sources e·V [line][input] at each word line's left and right end, each bit line's top and bottom end. */
  readonly wFirst: Float64Array;
  readonly wLast: Float64Array;
  readonly bFirst: Float64Array;
  readonly bLast: Float64Array;
  /** Companion sources (empty when the solve has none). */
  readonly J: Float64Array;
  readonly out: Float64Array;
}

interface EndG {
  /** Conductance to the source (S), Infinity for an ideal connection, 0 when open. */
  g: number;
  open: boolean;
  /** Resistance of the line's own end segment within that path (Ω), for the power split. */
  segmentOhm: number;
  sourceOhm: number;
}

function endConductance(e: LineEnd, segmentOhm: number): EndG {
  if (!e) return { g: 0, open: true, segmentOhm, sourceOhm: 0 };
  const total = segmentOhm + e.sourceOhm;
  return { g: total > 0 ? 1 / total : Infinity, open: false, segmentOhm, sourceOhm: e.sourceOhm };
}

/**
 * Every part of the circuit must reach a driven line end: otherwise its potentials are undefined (a
 * floating network), which the direct engine would meet as a singular matrix and Gauss–Seidel as a
 * silent zero. Lines are internally connected; a device of non-zero conductance joins its word and
 * bit line; a line with a non-open end is anchored.
 */
function checkAnchored(t: CrossbarTopology): void {
  const m = t.rows,
    n = t.cols;
  const parent = Array.from({ length: m + n }, (_, k) => k);
  const find = (k: number): number => (parent[k] === k ? k : (parent[k] = find(parent[k])));
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) if (t.conductancesSiemens[i * n + j] > 0) parent[find(i)] = find(m + j);
  const anchored = new Set<number>();
  for (let i = 0; i < m; i++) if (t.wordLeft[i] || t.wordRight[i]) anchored.add(find(i));
  for (let j = 0; j < n; j++) if (t.bitBottom[j] || t.bitTop[j]) anchored.add(find(m + j));
  const floatingWord: number[] = [],
    floatingBit: number[] = [];
  for (let i = 0; i < m; i++) if (!anchored.has(find(i))) floatingWord.push(i);
  for (let j = 0; j < n; j++) if (!anchored.has(find(m + j))) floatingBit.push(j);
  if (floatingWord.length || floatingBit.length) {
    const list = (xs: number[]) => (xs.length > 8 ? `${xs.slice(0, 8).join(", ")}, … (${xs.length})` : xs.join(", "));
    const parts = [
      floatingWord.length ? `word lines ${list(floatingWord)}` : "",
      floatingBit.length ? `bit lines ${list(floatingBit)}` : "",
    ].filter(Boolean);
    throw new RangeError(
      `floating network: ${parts.join(" and ")} have no path to a driven line end (their ends are open and no device of non-zero conductance joins them to a driven line), so their voltages are undefined; drive or ground an end of each`,
    );
  }
}

/** Largest ratio of two non-zero conductances in one circuit that the float64 solver accepts (relative errors grow as ~1e-16 × the ratio). */
export const CONDUCTANCE_SPAN_LIMIT = 1e12;

/** Refuse circuits whose conductances (devices, 1/segment, 1/(segment + source)) span more than float64 resolves. */
function checkSpan(t: CrossbarTopology): void {
  let lo = Infinity,
    hi = 0,
    loWhat = "",
    hiWhat = "";
  const see = (g: number, what: () => string) => {
    if (!(g > 0) || !Number.isFinite(g)) return;
    if (g < lo) {
      lo = g;
      loWhat = what();
    }
    if (g > hi) {
      hi = g;
      hiWhat = what();
    }
  };
  t.conductancesSiemens.forEach((g, k) => see(g, () => `device [${Math.floor(k / t.cols)}][${k % t.cols}]`));
  if (t.wordSegmentOhm > 0) see(1 / t.wordSegmentOhm, () => "a word-line segment");
  if (t.bitSegmentOhm > 0) see(1 / t.bitSegmentOhm, () => "a bit-line segment");
  const ends: Array<[readonly LineEnd[], number, string]> = [
    [t.wordLeft, t.wordSegmentOhm, "wordLeft"],
    [t.wordRight, t.wordSegmentOhm, "wordRight"],
    [t.bitBottom, t.bitSegmentOhm, "bitBottom"],
    [t.bitTop, t.bitSegmentOhm, "bitTop"],
  ];
  for (const [arr, seg, name] of ends)
    arr.forEach(
      (e, i) => e && e.sourceOhm + seg > 0 && see(1 / (e.sourceOhm + seg), () => `${name}[${i}] (source + segment)`),
    );
  if (hi / lo > CONDUCTANCE_SPAN_LIMIT) {
    throw new RangeError(
      `conductances span ${(hi / lo).toExponential(1)} (from ${lo.toExponential(2)} S at ${loWhat} to ${hi.toExponential(2)} S at ${hiWhat}), beyond the ${CONDUCTANCE_SPAN_LIMIT.toExponential(0)} that float64 resolves: currents would carry errors of ~1e-16 × that ratio; model near-shorts as ideal wires (segment 0 Ω) and near-opens as open devices (conductance 0)`,
    );
  }
}

/** A crossbar prepared for repeated solves: line factorisations and (direct) the Schur factor. */
export class CrossbarSystem {
  readonly m: number;
  readonly n: number;
  private readonly G: Float64Array;
  private readonly gw: number;
  private readonly gb: number;
  private readonly wl: EndG[];
  private readonly wr: EndG[];
  private readonly bb: EndG[];
  private readonly bt: EndG[];
  readonly wordFixed: boolean;
  readonly bitFixed: boolean;
  private wordLines: Tridiag[] | null = null;
  private bitLines: Tridiag[] | null = null;
  private schur: Float64Array | null = null;
  /** Seconds spent preparing (line factors, Schur factor when built). */
  factorSeconds = 0;

  /** The circuit solved, with its own copy of the conductances (changing the caller's array later changes nothing here). */
  readonly topology: CrossbarTopology;

  constructor(topology: CrossbarTopology) {
    validateTopology(topology);
    const t = { ...topology, conductancesSiemens: Float64Array.from(topology.conductancesSiemens) };
    checkAnchored(t);
    checkSpan(t);
    this.topology = t;
    this.m = t.rows;
    this.n = t.cols;
    this.G = t.conductancesSiemens;
    this.gw = t.wordSegmentOhm > 0 ? 1 / t.wordSegmentOhm : Infinity;
    this.gb = t.bitSegmentOhm > 0 ? 1 / t.bitSegmentOhm : Infinity;
    this.wl = t.wordLeft.map((e) => endConductance(e, t.wordSegmentOhm));
    this.wr = t.wordRight.map((e) => endConductance(e, t.wordSegmentOhm));
    this.bb = t.bitBottom.map((e) => endConductance(e, t.bitSegmentOhm));
    this.bt = t.bitTop.map((e) => endConductance(e, t.bitSegmentOhm));
    this.wordFixed = t.wordSegmentOhm === 0;
    this.bitFixed = t.bitSegmentOhm === 0;
  }

  private wordLineFactors(): Tridiag[] {
    if (!this.wordLines) {
      const { m, n, G, gw } = this;
      this.wordLines = [];
      for (let i = 0; i < m; i++) {
        const d = new Float64Array(n),
          o = new Float64Array(Math.max(0, n - 1)).fill(-gw);
        for (let j = 0; j < n; j++) d[j] = G[i * n + j] + (j > 0 ? gw : 0) + (j < n - 1 ? gw : 0);
        d[0] += this.wl[i].g;
        d[n - 1] += this.wr[i].g;
        this.wordLines.push(factorTridiag(d, o, `word line ${i}`));
      }
    }
    return this.wordLines;
  }

  private bitLineFactors(): Tridiag[] {
    if (!this.bitLines) {
      const { m, n, G, gb } = this;
      this.bitLines = [];
      for (let j = 0; j < n; j++) {
        const d = new Float64Array(m),
          o = new Float64Array(Math.max(0, m - 1)).fill(-gb);
        for (let i = 0; i < m; i++) d[i] = G[i * n + j] + (i > 0 ? gb : 0) + (i < m - 1 ? gb : 0);
        d[m - 1] += this.bb[j].g;
        d[0] += this.bt[j].g;
        this.bitLines.push(factorTridiag(d, o, `bit line ${j}`));
      }
    }
    return this.bitLines;
  }

  /** Schur complement on the bit-line nodes after eliminating the word lines; banded Cholesky. */
  private schurFactor(): Float64Array {
    if (!this.schur) {
      const t0 = Date.now();
      const { m, n, G, gb } = this;
      const T = this.wordLineFactors();
      const b = n,
        w = b + 1,
        N = m * n;
      const band = new Float64Array(N * w);
      const col = new Float64Array(n);
      for (let i = 0; i < m; i++) {
        // S_ii block = D_i − D_i T_i⁻¹ D_i (lower triangle), plus bit-line terms below
        for (let k = 0; k < n; k++) {
          const gk = G[i * n + k];
          if (gk === 0) continue;
          col.fill(0);
          col[k] = 1;
          solveTridiag(T[i], col, 0, 1, 1); // column k of T_i⁻¹
          for (let j = k; j < n; j++) {
            const gj = G[i * n + j];
            if (gj === 0) continue;
            const r = i * n + j,
              c = i * n + k;
            band[r * w + c - r + b] -= gj * col[j] * gk;
          }
        }
        for (let j = 0; j < n; j++) {
          const r = i * n + j;
          band[r * w + b] +=
            G[r] +
            (i > 0 ? gb : 0) +
            (i < m - 1 ? gb : 0) +
            (i === m - 1 ? this.bb[j].g : 0) +
            (i === 0 ? this.bt[j].g : 0);
          if (i > 0) band[r * w + (r - n) - r + b] = -gb;
        }
      }
      bandCholesky(band, N, b, "crossbar (bit-line Schur complement)");
      this.schur = band;
      this.factorSeconds += (Date.now() - t0) / 1000;
    }
    return this.schur;
  }

  /** Prepare the factors an engine needs (otherwise done lazily on the first solve). */
  factor(engine: Engine = "direct"): this {
    const t0 = Date.now();
    if (!this.wordFixed) this.wordLineFactors();
    if (!this.bitFixed) this.bitLineFactors();
    this.factorSeconds += (Date.now() - t0) / 1000;
    if (engine === "direct" && !this.wordFixed && !this.bitFixed) this.schurFactor();
    return this;
  }

  /**
   * Solve for every input of the drive. Inputs are processed in chunks of `chunk` (default 64 direct,
   * 16 Gauss–Seidel) so the working set stays in cache; the factors are shared by all of them.
   */
  solve(drive: CrossbarDrive, opts: SolveOptions & { chunk?: number } = {}): CrossbarSolution {
    const engine = opts.engine ?? "direct";
    if (engine !== "direct" && engine !== "gauss-seidel")
      throw new Error(`unknown engine "${engine}": use "direct" or "gauss-seidel"`);
    const p = checkDrive(this.topology, drive);
    const { m, n } = this;
    const N = m * n;
    // copies: the branch currents read drives and companion sources when first asked for, after the caller may have reused its buffers
    const copy = (v: Volts | undefined, len: number) =>
      Array.from({ length: p }, (_, k) => (v ? Float64Array.from(v[k]) : new Float64Array(len)));
    const VL = copy(drive.wordLeftVolt, m),
      VR = copy(drive.wordRightVolt, m),
      VB = copy(drive.bitBottomVolt, n),
      VT = copy(drive.bitTopVolt, n);
    const J = opts.deviceSourceAmp ? Float64Array.from(opts.deviceSourceAmp) : null;
    if (J && J.length !== p * N)
      throw new RangeError(`deviceSourceAmp has ${J.length} entries, expected inputs × rows × cols = ${p * N}`);
    const bad = J ? J.findIndex((x) => !Number.isFinite(x)) : -1;
    if (bad >= 0)
      throw new RangeError(
        `deviceSourceAmp[${bad}] = ${J![bad]} A is not finite (input ${Math.floor(bad / N)}, row ${Math.floor((bad % N) / n)}, column ${bad % n})`,
      );
    const C = Math.max(1, Math.floor(opts.chunk ?? (engine === "direct" ? 64 : 16)));
    const wv = new Float64Array(p * N),
      bv = new Float64Array(p * N);
    let used: CrossbarSolution["engine"] = "closed-form";
    let sweeps: number | undefined, omega: number | undefined;
    // resistive lines in both families: KCL holds at every node, checked in the kernel on each chunk;
    // with ideal lines in a family, its currents follow from the other's and assemble() checks the rest
    const resistive = !this.wordFixed && !this.bitFixed;
    let scale = 0,
      maxRes = 0;
    const ws = this.workspace(Math.min(C, p), engine, opts.sweepKernel, J !== null);
    for (let k0 = 0; k0 < p; k0 += C) {
      const k1 = Math.min(p, k0 + C),
        pc = k1 - k0;
      const Jc = J ? J.subarray(k0 * N, k1 * N) : null;
      const [vl, vr, vb, vt] = [VL, VR, VB, VT].map((v) => v.slice(k0, k1));
      const r = this.solveChunk(vl, vr, vb, vt, engine, opts, Jc, ws, pc);
      if (resistive) {
        const { at } = ws;
        ws.K.k.kclResidual(
          at.W,
          at.B,
          at.wFirst,
          at.wLast,
          at.bFirst,
          at.bLast,
          at.J,
          at.G,
          at.wEnd,
          at.bEnd,
          this.gw,
          this.gb,
          m,
          n,
          pc,
          at.out,
        );
        maxRes = Math.max(maxRes, ws.out[0]);
        scale = Math.max(scale, ws.out[1]);
      } else {
        scale = Math.max(scale, this.terminalScale(r.W, r.B, vl, vr, vb, vt, pc));
      }
      transposeInto(wv, r.W, k0 * N, N, pc);
      transposeInto(bv, r.B, k0 * N, N, pc);
      used = r.used;
      if (r.gs) {
        sweeps = Math.max(sweeps ?? 0, r.gs.sweeps);
        omega = Math.max(omega ?? 1, r.gs.omega);
      }
    }
    // terminal currents of every input (and, with ideal lines, the KCL residual); the full
    // branch-current arrays are computed when first read (for many inputs they are most of the memory a solve would touch)
    const wleft = new Float64Array(p * m),
      wright = new Float64Array(p * m),
      btop = new Float64Array(p * n),
      out = new Float64Array(p * n);
    const node = (a: Float64Array, k: number) => a.subarray(k * N, (k + 1) * N);
    const branches = (
      dev: Float64Array,
      wseg: Float64Array,
      bseg: Float64Array,
      perInput: boolean,
      devReady: boolean,
    ): number => {
      let res = 0;
      for (let k = 0; k < p; k++) {
        const at = (a: Float64Array) => (perInput ? node(a, k) : a);
        res = Math.max(
          res,
          this.assemble(
            k,
            node(wv, k),
            node(bv, k),
            VL[k],
            VR[k],
            VB[k],
            VT[k],
            J ? node(J, k) : null,
            at(dev),
            at(wseg),
            at(bseg),
            wleft,
            wright,
            btop,
            out,
            !perInput,
            devReady,
          ),
        );
      }
      return res;
    };
    if (resistive) {
      for (let k = 0; k < p; k++)
        scale = Math.max(
          scale,
          this.terminalCurrents(k, node(wv, k), node(bv, k), VL[k], VR[k], VB[k], VT[k], wleft, wright, btop, out),
        );
    } else {
      maxRes = branches(new Float64Array(N), new Float64Array(N), new Float64Array(N), false, false);
    }
    // the reference current: the largest terminal current, or, where (almost) none flows (open ends, a uniform
    // drive), 1e-6 of the circuit's natural current V_max·G_max, so that residuals at rounding level are no violation
    const reference = Math.max(scale, KCL_RELATIVE_LIMIT * this.naturalCurrent([VL, VR, VB, VT]));
    const relative = reference > 0 ? maxRes / reference : maxRes > 0 ? Infinity : 0;
    if (!(relative <= KCL_RELATIVE_LIMIT)) {
      throw new RangeError(
        `the ${used} solution violates Kirchhoff's current law by ${relative.toExponential(2)} of the largest terminal current (limit ${KCL_RELATIVE_LIMIT.toExponential(0)}): a Gauss–Seidel tolerance looser than that limit stops too early, or the circuit is beyond what float64 resolves (conductances spanning too many decades: devices, 1/segment and 1/source resistances); rescale it, or treat near-shorts and near-opens as ideal`,
      );
    }
    let full: { dev: Float64Array; wseg: Float64Array; bseg: Float64Array } | null = null;
    let dev: Float64Array | null = null;
    const lazy = () => {
      if (!full) {
        // the device currents, if already read, are reused
        full = { dev: dev ?? new Float64Array(p * N), wseg: new Float64Array(p * N), bseg: new Float64Array(p * N) };
        branches(full.dev, full.wseg, full.bseg, true, dev !== null);
      }
      return full;
    };
    // device currents alone (what power needs) without the segment arrays
    const devices = () => {
      if (full) return full.dev;
      if (!dev) {
        const G = this.G,
          d = (dev = new Float64Array(p * N));
        for (let k = 0, q = 0; k < p; k++) for (let r = 0; r < N; r++, q++) d[q] = G[r] * (wv[q] - bv[q]);
        if (J) for (let q = 0; q < p * N; q++) d[q] += J[q];
      }
      return dev;
    };
    return {
      rows: m,
      cols: n,
      inputs: p,
      wordVoltages: wv,
      bitVoltages: bv,
      get deviceCurrents() {
        return devices();
      },
      get wordSegmentCurrents() {
        return lazy().wseg;
      },
      get bitSegmentCurrents() {
        return lazy().bseg;
      },
      wordLeftCurrents: wleft,
      wordRightCurrents: wright,
      bitTopCurrents: btop,
      outputCurrents: out,
      kclResidualAmp: maxRes,
      kclResidualRelative: relative,
      engine: used,
      sweeps,
      overRelaxation: omega,
      converged: true,
    };
  }

  /**
   * The kernel buffers of a solve of `chunk` inputs at a time: the chunk arrays, and what the
   * kernels read (conductances and line-end conductances for the KCL check; the line factors, bit
   * lines indexed by node, for the Gauss–Seidel sweeps).
   */
  private workspace(
    chunk: number,
    engine: Engine,
    sweepKernel: SolveOptions["sweepKernel"],
    companion: boolean,
  ): Workspace {
    const { m, n, G } = this;
    const N = m * n,
      len = N * chunk;
    const K = lineSweepKernel();
    const dense = this.denseSources(engine, sweepKernel) ? len : 0;
    const at = {
      W: K.alloc(len),
      B: K.alloc(len),
      fW: K.alloc(dense),
      fB: K.alloc(dense),
      wFirst: K.alloc(m * chunk),
      wLast: K.alloc(m * chunk),
      bFirst: K.alloc(n * chunk),
      bLast: K.alloc(n * chunk),
      J: companion ? K.alloc(len) : 0,
      G: K.alloc(N),
      wPiv: K.alloc(N),
      wMul: K.alloc(N),
      bPiv: K.alloc(N),
      bMul: K.alloc(N),
      scratch: K.alloc(Math.max(n, m * BIT_BLOCK) * chunk),
      wEnd: K.alloc(2 * m),
      bEnd: K.alloc(2 * n),
      out: K.alloc(2),
    };
    // views only after the last alloc (growing the memory detaches earlier views)
    const ws: Workspace = {
      K,
      at,
      W: K.f64(at.W, len),
      B: K.f64(at.B, len),
      fW: K.f64(at.fW, dense),
      fB: K.f64(at.fB, dense),
      wFirst: K.f64(at.wFirst, m * chunk),
      wLast: K.f64(at.wLast, m * chunk),
      bFirst: K.f64(at.bFirst, n * chunk),
      bLast: K.f64(at.bLast, n * chunk),
      J: companion ? K.f64(at.J, len) : new Float64Array(0),
      out: K.f64(at.out, 2),
    };
    if (this.wordFixed || this.bitFixed) return ws;
    K.f64(at.G, N).set(G);
    const wEnd = K.f64(at.wEnd, 2 * m),
      bEnd = K.f64(at.bEnd, 2 * n);
    for (let i = 0; i < m; i++) {
      wEnd[2 * i] = this.wl[i].g;
      wEnd[2 * i + 1] = this.wr[i].g;
    }
    for (let j = 0; j < n; j++) {
      bEnd[2 * j] = this.bt[j].g;
      bEnd[2 * j + 1] = this.bb[j].g;
    }
    if (engine === "gauss-seidel" && (sweepKernel ?? "wasm") === "wasm") {
      const TW = this.wordLineFactors(),
        TB = this.bitLineFactors();
      const wPiv = K.f64(at.wPiv, N),
        wMul = K.f64(at.wMul, N),
        bPiv = K.f64(at.bPiv, N),
        bMul = K.f64(at.bMul, N);
      for (let i = 0; i < m; i++) {
        wPiv.set(TW[i].invPiv, i * n);
        wMul.set(TW[i].mul, i * n);
      }
      // the kernel reads factors by node: bit line j's position i is node i·n + j
      for (let j = 0; j < n; j++)
        for (let i = 0; i < m; i++) {
          bPiv[i * n + j] = TB[j].invPiv[i];
          bMul[i * n + j] = TB[j].mul[i];
        }
    }
    return ws;
  }

  /** Whether a solve reads dense source arrays: the TypeScript line solves do, the sweep kernels do not. */
  private denseSources(engine: Engine, sweepKernel: SolveOptions["sweepKernel"]): boolean {
    return engine === "direct" || sweepKernel === "js" || this.wordFixed || this.bitFixed;
  }

  private solveChunk(
    VL: Volts,
    VR: Volts,
    VB: Volts,
    VT: Volts,
    engine: Engine,
    opts: SolveOptions,
    J: Float64Array | null,
    ws: Workspace,
    p: number,
  ): { W: Float64Array; B: Float64Array; used: CrossbarSolution["engine"]; gs?: GaussSeidelRun } {
    const { m, n, G } = this;
    const N = m * n;
    // node potentials and source terms, layout [node][input], in the workspace
    const [W, B] = [ws.W, ws.B].map((a) => a.subarray(0, N * p).fill(0));
    // sources: each line end's e·V at its first and last position ([line][input]; a line of one
    // position takes both in first) and the companion sources J ([node][input]), as the kernels read them
    const [wFirst, wLast] = [ws.wFirst, ws.wLast].map((a) => a.subarray(0, m * p).fill(0));
    const [bFirst, bLast] = [ws.bFirst, ws.bLast].map((a) => a.subarray(0, n * p).fill(0));
    const source = (e: EndG, v: number) => (Number.isFinite(e.g) ? e.g * v : 0);
    for (let k = 0; k < p; k++) {
      for (let i = 0; i < m; i++) {
        wFirst[i * p + k] = source(this.wl[i], VL[k][i]);
        if (n > 1) wLast[i * p + k] = source(this.wr[i], VR[k][i]);
        else wFirst[i * p + k] += source(this.wr[i], VR[k][i]);
      }
      for (let j = 0; j < n; j++) {
        bFirst[j * p + k] = source(this.bt[j], VT[k][j]);
        if (m > 1) bLast[j * p + k] = source(this.bb[j], VB[k][j]);
        else bFirst[j * p + k] += source(this.bb[j], VB[k][j]);
      }
    }
    const Jt = J ? interleave(ws.J.subarray(0, N * p), J, N, p) : null;
    // the same sources as dense [node][input] arrays, for the TypeScript line solves (direct engine,
    // reference sweeps, ideal lines); the sweep kernels do without them
    const [fW, fB] = [ws.fW, ws.fB].map((a) => a.subarray(0, Math.min(a.length, N * p)));
    if (this.denseSources(engine, opts.sweepKernel)) {
      fW.fill(0);
      fB.fill(0);
      if (Jt)
        for (let q = 0; q < N * p; q++) {
          fW[q] = -Jt[q];
          fB[q] = Jt[q];
        }
      for (let i = 0; i < m; i++)
        for (let k = 0; k < p; k++) {
          fW[i * n * p + k] += wFirst[i * p + k];
          if (n > 1) fW[(i * n + n - 1) * p + k] += wLast[i * p + k];
        }
      for (let j = 0; j < n; j++)
        for (let k = 0; k < p; k++) {
          fB[j * p + k] += bFirst[j * p + k];
          if (m > 1) fB[((m - 1) * n + j) * p + k] += bLast[j * p + k];
        }
    }
    const fixedLine = (left: EndG, right: EndG, vl: number, vr: number, what: string): number => {
      const li = left.g === Infinity,
        ri = right.g === Infinity;
      if (li && ri && Math.abs(vl - vr) > 1e-12 * Math.max(1, Math.abs(vl), Math.abs(vr)))
        throw new RangeError(
          `${what}: ideal wire driven at both ends with different voltages (${vl} V, ${vr} V): short circuit`,
        );
      return li ? vl : vr;
    };
    if (this.wordFixed) {
      for (let k = 0; k < p; k++)
        for (let i = 0; i < m; i++) {
          const v = fixedLine(this.wl[i], this.wr[i], VL[k][i], VR[k][i], `word line ${i}`);
          for (let j = 0; j < n; j++) W[(i * n + j) * p + k] = v;
        }
    }
    if (this.bitFixed) {
      for (let k = 0; k < p; k++)
        for (let j = 0; j < n; j++) {
          const v = fixedLine(this.bb[j], this.bt[j], VB[k][j], VT[k][j], `bit line ${j}`);
          for (let i = 0; i < m; i++) B[(i * n + j) * p + k] = v;
        }
    }
    let used: CrossbarSolution["engine"] = "closed-form";
    let gs: GaussSeidelRun | undefined;
    const solveWordLines = () => {
      const T = this.wordLineFactors();
      coupledRhs(W, fW, G, B, N, p);
      for (let i = 0; i < m; i++) solveTridiag(T[i], W, i * n * p, p, p);
    };
    const solveBitLines = () => {
      const T = this.bitLineFactors();
      coupledRhs(B, fB, G, W, N, p);
      for (let j = 0; j < n; j++) solveTridiag(T[j], B, j * p, n * p, p);
    };
    if (this.wordFixed && !this.bitFixed) {
      solveBitLines();
      used = "line";
    } else if (!this.wordFixed && this.bitFixed) {
      solveWordLines();
      used = "line";
    } else if (!this.wordFixed && !this.bitFixed) {
      used = engine;
      if (engine === "direct") {
        const S = this.schurFactor();
        const T = this.wordLineFactors();
        const u = fW.slice();
        for (let i = 0; i < m; i++) solveTridiag(T[i], u, i * n * p, p, p);
        for (let r = 0; r < N; r++) for (let k = 0; k < p; k++) B[r * p + k] = fB[r * p + k] + G[r] * u[r * p + k];
        bandSolve(S, N, n, B, p);
        solveWordLines();
      } else {
        if (opts.overRelax !== undefined && typeof opts.overRelax !== "boolean")
          throw new TypeError(`overRelax must be true or false, got ${String(opts.overRelax)}`);
        const stop: Stopping = {
          tol: opts.tolerance ?? 1e-12,
          maxSweeps: opts.maxSweeps ?? 20000,
          overRelax: opts.overRelax ?? true,
        };
        const sweepKernel = opts.sweepKernel ?? "wasm";
        if (sweepKernel !== "wasm" && sweepKernel !== "js")
          throw new Error(`unknown sweepKernel "${sweepKernel}": use "wasm" or "js"`);
        const scaleOf = (w: Float64Array, b: Float64Array) => this.terminalScale(w, b, VL, VR, VB, VT, p);
        gs =
          sweepKernel === "wasm"
            ? this.gaussSeidel(ws, p, stop, scaleOf)
            : this.gaussSeidelJs(W, B, p, stop, scaleOf, solveWordLines, solveBitLines);
      }
    }
    return { W, B, used, gs };
  }

  /**
   * Line Gauss–Seidel in the WebAssembly kernel (two inputs per SIMD lane pair): word lines, then bit
   * lines, each solved exactly, until the KCL residual the bit-line solve leaves on the word lines is
   * ≤ tol × the largest terminal current, over-relaxed as `untilConverged` decides. Works on the
   * workspace's chunk arrays (the source terms and the starting potentials in, the converged potentials
   * out); returns the sweep count and the factor, or throws when maxSweeps pass without convergence.
   */
  private gaussSeidel(
    ws: Workspace,
    p: number,
    stop: Stopping,
    scaleOf: (W: Float64Array, B: Float64Array) => number,
  ): GaussSeidelRun {
    const { m, n } = this;
    const { K, at } = ws;
    const W = ws.W.subarray(0, m * n * p),
      B = ws.B.subarray(0, m * n * p);
    return untilConverged(
      (omega) => {
        K.k.sweepLines(
          at.W,
          at.wFirst,
          at.wLast,
          at.J,
          -1,
          at.G,
          at.B,
          at.wPiv,
          at.wMul,
          -this.gw,
          m,
          n,
          n,
          1,
          p,
          at.scratch,
          0,
          1,
          omega,
        );
        return K.k.sweepLines(
          at.B,
          at.bFirst,
          at.bLast,
          at.J,
          1,
          at.G,
          at.W,
          at.bPiv,
          at.bMul,
          -this.gb,
          n,
          m,
          1,
          n,
          p,
          at.scratch,
          1,
          BIT_BLOCK,
          omega,
        );
      },
      () => scaleOf(W, B),
      stop,
    );
  }

  /** The same iteration in TypeScript (the reference for the kernel). */
  private gaussSeidelJs(
    W: Float64Array,
    B: Float64Array,
    p: number,
    stop: Stopping,
    scaleOf: (W: Float64Array, B: Float64Array) => number,
    solveWordLines: () => void,
    solveBitLines: () => void,
  ): GaussSeidelRun {
    const { G } = this;
    const N = this.m * this.n;
    const prevW = new Float64Array(N * p),
      prevB = new Float64Array(N * p);
    // x moves omega times the step from its old value to the lines' exact solution
    const relax = (x: Float64Array, old: Float64Array, omega: number) => {
      if (omega !== 1) for (let q = 0; q < N * p; q++) x[q] = old[q] + omega * (x[q] - old[q]);
    };
    return untilConverged(
      (omega) => {
        prevW.set(W);
        solveWordLines();
        relax(W, prevW, omega);
        prevB.set(B);
        solveBitLines();
        relax(B, prevB, omega);
        // after a plain bit-line solve, only word-line KCL is violated, by G·ΔB at each node
        let res = 0;
        for (let r = 0, q = 0; r < N; r++)
          for (let k = 0; k < p; k++, q++) {
            const d = Math.abs(G[r] * (B[q] - prevB[q]));
            if (d > res || d !== d) res = d;
          }
        return res;
      },
      () => scaleOf(W, B),
      stop,
    );
  }

  /** Largest source voltage × largest finite conductance in the circuit (A): the scale at which float64 rounding shows. */
  private naturalCurrent(drives: readonly Volts[]): number {
    let v = 0,
      g = 0;
    for (const d of drives) for (const row of d) for (let i = 0; i < row.length; i++) v = Math.max(v, Math.abs(row[i]));
    for (const x of this.G) g = Math.max(g, x);
    for (const e of [...this.wl, ...this.wr, ...this.bb, ...this.bt]) if (Number.isFinite(e.g)) g = Math.max(g, e.g);
    for (const x of [this.gw, this.gb]) if (Number.isFinite(x)) g = Math.max(g, x);
    return v * g;
  }

  /** Largest current through any terminal (A): the scale for relative residuals. */
  private terminalScale(
    W: Float64Array,
    B: Float64Array,
    VL: Volts,
    VR: Volts,
    VB: Volts,
    VT: Volts,
    p: number,
  ): number {
    const { m, n, G } = this;
    let s = 0;
    for (let k = 0; k < p; k++) {
      for (let i = 0; i < m; i++) {
        if (Number.isFinite(this.wl[i].g)) s = Math.max(s, Math.abs(this.wl[i].g * (VL[k][i] - W[i * n * p + k])));
        if (Number.isFinite(this.wr[i].g))
          s = Math.max(s, Math.abs(this.wr[i].g * (W[(i * n + n - 1) * p + k] - VR[k][i])));
      }
      for (let j = 0; j < n; j++) {
        if (Number.isFinite(this.bb[j].g))
          s = Math.max(s, Math.abs(this.bb[j].g * (B[((m - 1) * n + j) * p + k] - VB[k][j])));
        if (Number.isFinite(this.bt[j].g)) s = Math.max(s, Math.abs(this.bt[j].g * (VT[k][j] - B[j * p + k])));
      }
    }
    // devices, in memory order
    for (let r = 0, q = 0; r < m * n; r++) {
      const g = G[r];
      for (let k = 0; k < p; k++, q++) {
        const c = Math.abs(g * (W[q] - B[q]));
        if (c > s || c !== c) s = c; // NaN propagates (Math.max's rule)
      }
    }
    return s;
  }

  /**
   * Terminal currents of input k from its node potentials (wv, bv: [row][col]) with resistive lines,
   * into wleft/wright/btop/out at k (what assemble() writes there); returns the largest of them (A).
   */
  private terminalCurrents(
    k: number,
    wv: Float64Array,
    bv: Float64Array,
    vl: ArrayLike<number>,
    vr: ArrayLike<number>,
    vb: ArrayLike<number>,
    vt: ArrayLike<number>,
    wleft: Float64Array,
    wright: Float64Array,
    btop: Float64Array,
    out: Float64Array,
  ): number {
    const { m, n } = this;
    let s = 0;
    for (let i = 0; i < m; i++) {
      const left = this.wl[i],
        right = this.wr[i];
      const l = (wleft[k * m + i] = left.open ? 0 : left.g * (vl[i] - wv[i * n]));
      const r = (wright[k * m + i] = right.open ? 0 : right.g * (wv[i * n + n - 1] - vr[i]));
      s = Math.max(s, Math.abs(l), Math.abs(r));
    }
    for (let j = 0; j < n; j++) {
      const bottom = this.bb[j],
        top = this.bt[j];
      const t = (btop[k * n + j] = -(top.open ? 0 : top.g * (vt[j] - bv[j])));
      const o = (out[k * n + j] = bottom.open ? 0 : bottom.g * (bv[(m - 1) * n + j] - vb[j]));
      s = Math.max(s, Math.abs(t), Math.abs(o));
    }
    return s;
  }

  /**
   * Branch currents of input k from its node potentials (wv, bv: [row][col]) into dev, wseg, bseg
   * ([row][col], overwritten; dev left as it is when `devReady`), its terminal currents into
   * wleft/wright/btop/out at k; returns the largest KCL residual over its solved nodes (A) when `kcl`, else 0.
   */
  private assemble(
    k: number,
    wv: Float64Array,
    bv: Float64Array,
    vl: ArrayLike<number>,
    vr: ArrayLike<number>,
    vb: ArrayLike<number>,
    vt: ArrayLike<number>,
    J: Float64Array | null,
    dev: Float64Array,
    wseg: Float64Array,
    bseg: Float64Array,
    wleft: Float64Array,
    wright: Float64Array,
    btop: Float64Array,
    out: Float64Array,
    kcl: boolean,
    devReady: boolean,
  ): number {
    const { m, n, G, gw, gb } = this;
    const N = m * n;
    let maxRes = 0;
    if (!devReady) for (let r = 0; r < N; r++) dev[r] = G[r] * (wv[r] - bv[r]) + (J ? J[r] : 0);
    // word lines
    for (let i = 0; i < m; i++) {
      const row = i * n;
      const left = this.wl[i],
        right = this.wr[i];
      const outR = right.open ? 0 : Number.isFinite(right.g) ? right.g * (wv[row + n - 1] - vr[i]) : NaN;
      if (!this.wordFixed) {
        wseg[row] = left.open ? 0 : left.g * (vl[i] - wv[row]);
        for (let j = 1; j < n; j++) wseg[row + j] = gw * (wv[row + j - 1] - wv[row + j]);
        wright[k * m + i] = outR;
      } else if (left.g === Infinity && right.g !== Infinity) {
        let acc = outR;
        for (let j = n - 1; j >= 0; j--) {
          acc += dev[row + j];
          wseg[row + j] = acc;
        }
        wright[k * m + i] = outR;
      } else if (right.g === Infinity && left.g !== Infinity) {
        let acc = left.open ? 0 : left.g * (vl[i] - wv[row]);
        wseg[row] = acc;
        for (let j = 1; j < n; j++) {
          acc -= dev[row + j - 1];
          wseg[row + j] = acc;
        }
        wright[k * m + i] = acc - dev[row + n - 1];
      } else {
        for (let j = 0; j < n; j++) wseg[row + j] = NaN; // ideal wire driven at both ends: split undefined
        wright[k * m + i] = NaN;
      }
      wleft[k * m + i] = wseg[row];
    }
    // bit lines
    if (!this.bitFixed) {
      for (let r = 0; r < N - n; r++) bseg[r] = gb * (bv[r] - bv[r + n]);
    }
    for (let j = 0; j < n; j++) {
      const bottom = this.bb[j],
        top = this.bt[j];
      const last = (m - 1) * n + j;
      const topIn = top.open ? 0 : Number.isFinite(top.g) ? top.g * (vt[j] - bv[j]) : NaN;
      if (!this.bitFixed) {
        bseg[last] = bottom.open ? 0 : bottom.g * (bv[last] - vb[j]);
        btop[k * n + j] = -topIn;
      } else if (bottom.g === Infinity && top.g !== Infinity) {
        let acc = topIn;
        for (let r = j; r < N; r += n) {
          acc += dev[r];
          bseg[r] = acc;
        }
        btop[k * n + j] = -topIn;
      } else if (top.g === Infinity && bottom.g !== Infinity) {
        let acc = bottom.open ? 0 : bottom.g * (bv[last] - vb[j]);
        bseg[last] = acc;
        for (let r = last - n; r >= 0; r -= n) {
          acc -= dev[r + n];
          bseg[r] = acc;
        }
        btop[k * n + j] = -(acc - dev[j]);
      } else {
        for (let r = j; r < N; r += n) bseg[r] = NaN;
        btop[k * n + j] = NaN;
      }
      out[k * n + j] = bseg[last];
    }
    if (!kcl) return 0;
    // KCL at every solved node: current in = current out
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        const r = i * n + j;
        if (!this.wordFixed) {
          const inflow = wseg[r];
          const outflow = (j < n - 1 ? wseg[r + 1] : wright[k * m + i]) + dev[r];
          maxRes = Math.max(maxRes, Math.abs(inflow - outflow));
        }
        if (!this.bitFixed) {
          const inflow = (i > 0 ? bseg[r - n] : -btop[k * n + j]) + dev[r];
          maxRes = Math.max(maxRes, Math.abs(inflow - bseg[r]));
        }
      }
    return maxRes;
  }

  /** Power per input: devices, wires (segments), source/output resistances, and delivered by the sources (W). */
  power(
    sol: CrossbarSolution,
    drive: CrossbarDrive,
  ): Array<{ devicesWatt: number; wiresWatt: number; sourceResistorsWatt: number; sourcesWatt: number }> {
    const { m, n, gw, gb } = this;
    const N = m * n,
      p = sol.inputs;
    const zeros = (len: number) => Array.from({ length: p }, () => new Array(len).fill(0));
    const VR = drive.wordRightVolt ?? zeros(m),
      VB = drive.bitBottomVolt ?? zeros(n),
      VT = drive.bitTopVolt ?? zeros(n);
    const res = [];
    const I = sol.deviceCurrents,
      W = sol.wordVoltages,
      B = sol.bitVoltages;
    for (let k = 0; k < p; k++) {
      const o = k * N;
      let dev = 0,
        wires = 0,
        srcR = 0,
        src = 0;
      for (let r = 0; r < N; r++) dev += I[o + r] * (W[o + r] - B[o + r]);
      for (let i = 0; i < m; i++) {
        for (let j = 1; j < n; j++)
          if (Number.isFinite(gw)) wires += gw * (W[o + i * n + j - 1] - W[o + i * n + j]) ** 2;
        const iL = sol.wordLeftCurrents[k * m + i],
          iR = sol.wordRightCurrents[k * m + i];
        if (!this.wl[i].open) {
          wires += iL * iL * this.wl[i].segmentOhm;
          srcR += iL * iL * this.wl[i].sourceOhm;
          src += drive.wordLeftVolt[k][i] * iL;
        }
        if (!this.wr[i].open) {
          wires += iR * iR * this.wr[i].segmentOhm;
          srcR += iR * iR * this.wr[i].sourceOhm;
          src -= VR[k][i] * iR;
        }
      }
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < m - 1; i++)
          if (Number.isFinite(gb)) wires += gb * (B[o + i * n + j] - B[o + (i + 1) * n + j]) ** 2;
        const iB = sol.outputCurrents[k * n + j],
          iT = sol.bitTopCurrents[k * n + j];
        if (!this.bb[j].open) {
          wires += iB * iB * this.bb[j].segmentOhm;
          srcR += iB * iB * this.bb[j].sourceOhm;
          src -= VB[k][j] * iB;
        }
        if (!this.bt[j].open) {
          wires += iT * iT * this.bt[j].segmentOhm;
          srcR += iT * iT * this.bt[j].sourceOhm;
          src -= VT[k][j] * iT;
        }
      }
      res.push({ devicesWatt: dev, wiresWatt: wires, sourceResistorsWatt: srcR, sourcesWatt: src });
    }
    return res;
  }
}

/** Solve a crossbar once (prepares and discards the factors). */
export function solveCrossbar(
  topology: CrossbarTopology,
  drive: CrossbarDrive,
  opts: SolveOptions = {},
): CrossbarSolution {
  return new CrossbarSystem(topology).solve(drive, opts);
}
