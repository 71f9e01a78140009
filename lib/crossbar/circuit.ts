/**
 * Passive (0T1R) crossbar circuits: m word lines × n bit lines, device (i, j) between word-line node
 * W(i, j) and bit-line node B(i, j); word-line segments of resistance r_wl between neighbouring W
 * nodes, bit-line segments r_bl between neighbouring B nodes. Each line end is either open or
 * connected through one segment (plus an optional source/output resistance) to a voltage source.
 * The badcrossbar convention (spec crossbar-circuits.md) is the default: word lines driven at their
 * left end, bit lines held at 0 V below their last row.
 */

/** A line end: `null` = open (floating), else a voltage source behind `sourceOhm` (≥ 0) in series with the end segment. */
export type LineEnd = { readonly sourceOhm: number } | null;

export interface CrossbarTopology {
  readonly rows: number;
  readonly cols: number;
  /** Device conductances, row-major m×n, siemens (0 = open device). */
  readonly conductancesSiemens: Float64Array;
  readonly wordSegmentOhm: number;
  readonly bitSegmentOhm: number;
  /** Per word line: left (column 0) and right (column n−1) ends. */
  readonly wordLeft: readonly LineEnd[];
  readonly wordRight: readonly LineEnd[];
  /** Per bit line: bottom (row m−1) and top (row 0) ends. */
  readonly bitBottom: readonly LineEnd[];
  readonly bitTop: readonly LineEnd[];
}

/** Source voltages for several inputs: [inputs][line]; entries for open ends are ignored (use 0). */
/** One input's voltages on a family of lines: an array or a typed array (Float64Array, …). */
export type LineVolts = ArrayLike<number>;

export interface CrossbarDrive {
  readonly wordLeftVolt: readonly LineVolts[];
  readonly wordRightVolt?: readonly LineVolts[];
  readonly bitBottomVolt?: readonly LineVolts[];
  readonly bitTopVolt?: readonly LineVolts[];
}

const isNum = (v: unknown): v is number => typeof v === "number" && !Number.isNaN(v);

function checkResistance(v: number, what: string, allowInfinity = false): void {
  if (!isNum(v)) throw new RangeError(`${what} must be a number of ohms, got ${v}`);
  if (v < 0) throw new RangeError(`${what} = ${v} Ω: resistances must be >= 0`);
  if (!allowInfinity && !Number.isFinite(v)) throw new RangeError(`${what} must be finite, got ${v}`);
}

/**
 * Device conductances from resistances (Ω): `Infinity` or `null` is an open device; 0 or a negative
 * or NaN value is an error naming the entry.
 */
export function conductancesFromResistances(resistancesOhm: readonly (readonly (number | null)[])[]): {
  rows: number;
  cols: number;
  g: Float64Array;
} {
  if (
    !Array.isArray(resistancesOhm) ||
    resistancesOhm.length === 0 ||
    !Array.isArray(resistancesOhm[0]) ||
    resistancesOhm[0].length === 0
  ) {
    throw new RangeError("resistances must be a non-empty 2-D array [rows][cols]");
  }
  const rows = resistancesOhm.length,
    cols = resistancesOhm[0].length;
  const g = new Float64Array(rows * cols);
  resistancesOhm.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== cols)
      throw new RangeError(
        `resistances are ragged: row ${i} has ${Array.isArray(row) ? row.length : "no"} entries, row 0 has ${cols}`,
      );
    row.forEach((r, j) => {
      if (r === null || r === Infinity) return;
      checkResistance(r, `resistance[${i}][${j}]`, true);
      if (r === 0)
        throw new RangeError(
          `resistance[${i}][${j}] = 0 Ω: a zero-resistance device is a short circuit (not supported)`,
        );
      g[i * cols + j] = 1 / r;
    });
  });
  return { rows, cols, g };
}

/** The standard read configuration: word lines driven at the left, bit lines to 0 V at the bottom. */
export function readTopology(
  resistancesOhm: readonly (readonly (number | null)[])[],
  opts: { wordSegmentOhm: number; bitSegmentOhm: number; sourceOhm?: number; outputOhm?: number },
): CrossbarTopology {
  const { rows, cols, g } = conductancesFromResistances(resistancesOhm);
  return topologyFromConductances(g, rows, cols, opts);
}

export function topologyFromConductances(
  conductancesSiemens: Float64Array,
  rows: number,
  cols: number,
  opts: { wordSegmentOhm: number; bitSegmentOhm: number; sourceOhm?: number; outputOhm?: number },
): CrossbarTopology {
  const t: CrossbarTopology = {
    rows,
    cols,
    conductancesSiemens,
    wordSegmentOhm: opts.wordSegmentOhm,
    bitSegmentOhm: opts.bitSegmentOhm,
    wordLeft: Array.from({ length: rows }, () => ({ sourceOhm: opts.sourceOhm ?? 0 })),
    wordRight: Array.from({ length: rows }, () => null),
    bitBottom: Array.from({ length: cols }, () => ({ sourceOhm: opts.outputOhm ?? 0 })),
    bitTop: Array.from({ length: cols }, () => null),
  };
  validateTopology(t);
  return t;
}

export function validateTopology(t: CrossbarTopology): void {
  if (!Number.isInteger(t.rows) || !Number.isInteger(t.cols) || t.rows < 1 || t.cols < 1)
    throw new RangeError(`crossbar must have at least 1 row and 1 column, got ${t.rows}×${t.cols}`);
  if (t.conductancesSiemens.length !== t.rows * t.cols)
    throw new RangeError(`${t.conductancesSiemens.length} conductances for a ${t.rows}×${t.cols} crossbar`);
  t.conductancesSiemens.forEach((g, k) => {
    if (!(Number.isFinite(g) && g >= 0))
      throw new RangeError(
        `conductance[${Math.floor(k / t.cols)}][${k % t.cols}] = ${g} S: conductances must be finite and >= 0`,
      );
  });
  checkResistance(t.wordSegmentOhm, "wordSegmentOhm (word-line segment resistance)");
  checkResistance(t.bitSegmentOhm, "bitSegmentOhm (bit-line segment resistance)");
  const ends: Array<[readonly LineEnd[], number, string]> = [
    [t.wordLeft, t.rows, "wordLeft"],
    [t.wordRight, t.rows, "wordRight"],
    [t.bitBottom, t.cols, "bitBottom"],
    [t.bitTop, t.cols, "bitTop"],
  ];
  for (const [arr, n, name] of ends) {
    if (!Array.isArray(arr) || arr.length !== n)
      throw new RangeError(
        `${name} must list ${n} line ends (one per line), got ${Array.isArray(arr) ? arr.length : typeof arr}`,
      );
    arr.forEach((e, i) => e && checkResistance(e.sourceOhm, `${name}[${i}].sourceOhm`));
  }
  if (t.wordSegmentOhm === 0) {
    for (let i = 0; i < t.rows; i++) {
      const ideal = [t.wordLeft[i], t.wordRight[i]].filter((e) => e && e.sourceOhm === 0).length;
      if (ideal === 0)
        throw new RangeError(
          `word line ${i}: with zero segment resistance a line must be driven by an ideal source (sourceOhm 0); give the wires a small resistance instead`,
        );
    }
  }
  if (t.bitSegmentOhm === 0) {
    for (let j = 0; j < t.cols; j++) {
      const ideal = [t.bitBottom[j], t.bitTop[j]].filter((e) => e && e.sourceOhm === 0).length;
      if (ideal === 0)
        throw new RangeError(
          `bit line ${j}: with zero segment resistance a line must be driven by an ideal source (sourceOhm 0); give the wires a small resistance instead`,
        );
    }
  }
}

/** Number of inputs in a drive, with every array checked against the topology. */
export function checkDrive(t: CrossbarTopology, d: CrossbarDrive): number {
  const p = d.wordLeftVolt?.length;
  if (!p) throw new RangeError("drive.wordLeftVolt must hold at least one input vector [inputs][rows]");
  const check = (arr: readonly LineVolts[] | undefined, n: number, name: string) => {
    if (arr === undefined) return;
    if (arr.length !== p) throw new RangeError(`drive.${name} has ${arr.length} inputs, drive.wordLeftVolt has ${p}`);
    arr.forEach((v, k) => {
      const list = Array.isArray(v) || ArrayBuffer.isView(v);
      if (!list || v.length !== n)
        throw new RangeError(
          `drive.${name}[${k}] must have ${n} voltages (one per line: an array or typed array), got ${list ? `${v.length}` : typeof v}`,
        );
      Array.from(v).forEach((x, i) => {
        if (!Number.isFinite(x)) throw new RangeError(`drive.${name}[${k}][${i}] = ${x} V is not finite`);
      });
    });
  };
  check(d.wordLeftVolt, t.rows, "wordLeftVolt");
  check(d.wordRightVolt, t.rows, "wordRightVolt");
  check(d.bitBottomVolt, t.cols, "bitBottomVolt");
  check(d.bitTopVolt, t.cols, "bitTopVolt");
  return p;
}

/**
 * The nodal conductance matrix and right-hand side of a linear crossbar for one input, dense
 * (for tests and small examples). Unknowns: W(i, j) at i·n + j, then B(i, j) at N + i·n + j.
 * Requires non-zero segment resistances.
 */
export function nodalSystem(t: CrossbarTopology, drive: CrossbarDrive, input = 0): { A: number[][]; b: number[] } {
  validateTopology(t);
  if (t.wordSegmentOhm === 0 || t.bitSegmentOhm === 0)
    throw new RangeError("nodalSystem needs non-zero segment resistances");
  const { rows: m, cols: n } = t;
  const N = m * n;
  const A = Array.from({ length: 2 * N }, () => new Array(2 * N).fill(0));
  const b = new Array(2 * N).fill(0);
  const gw = 1 / t.wordSegmentOhm,
    gb = 1 / t.bitSegmentOhm;
  const link = (p: number, q: number, g: number) => {
    A[p][p] += g;
    A[q][q] += g;
    A[p][q] -= g;
    A[q][p] -= g;
  };
  const toSource = (p: number, g: number, v: number) => {
    A[p][p] += g;
    b[p] += g * v;
  };
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      const w = i * n + j,
        bn = N + i * n + j;
      link(w, bn, t.conductancesSiemens[i * n + j]);
      if (j > 0) link(w - 1, w, gw);
      if (i > 0) link(bn - n, bn, gb);
    }
  const v = (arr: CrossbarDrive["wordLeftVolt"] | undefined, k: number) => (arr ? arr[input][k] : 0);
  for (let i = 0; i < m; i++) {
    const l = t.wordLeft[i],
      r = t.wordRight[i];
    if (l) toSource(i * n, 1 / (t.wordSegmentOhm + l.sourceOhm), v(drive.wordLeftVolt, i));
    if (r) toSource(i * n + n - 1, 1 / (t.wordSegmentOhm + r.sourceOhm), v(drive.wordRightVolt, i));
  }
  for (let j = 0; j < n; j++) {
    const bo = t.bitBottom[j],
      to = t.bitTop[j];
    if (bo) toSource(N + (m - 1) * n + j, 1 / (t.bitSegmentOhm + bo.sourceOhm), v(drive.bitBottomVolt, j));
    if (to) toSource(N + j, 1 / (t.bitSegmentOhm + to.sourceOhm), v(drive.bitTopVolt, j));
  }
  return { A, b };
}
