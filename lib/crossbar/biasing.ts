/**
 * Biasing schemes for reading or programming one cell (i*, j*) of a passive crossbar: the selected
 * word line at V, the selected bit line at 0 V, and the unselected lines
 * - "V/2": all at V/2;
 * - "V/3": word lines at V/3, bit lines at 2V/3;
 * - "grounded": all at 0 V;
 * - "floating": left open.
 * Lines are driven from one end or both (`wordDrive`, `bitDrive`), through `sourceOhm`.
 */
import type { CrossbarDrive, CrossbarTopology, LineEnd } from "./circuit";
import { validateTopology } from "./circuit";
import { CrossbarSolution, CrossbarSystem, Engine } from "./solver";
import { DeviceCurrentLaw, solveNonlinear } from "./nonlinear";

export type BiasScheme = "V/2" | "V/3" | "grounded" | "floating";
export const BIAS_SCHEMES: readonly BiasScheme[] = ["V/2", "V/3", "grounded", "floating"];

export interface CellBias {
  readonly scheme: BiasScheme;
  readonly row: number;
  readonly col: number;
  /** Voltage on the selected word line (V); the selected bit line is at 0 V. */
  readonly voltageVolt: number;
  readonly wordSegmentOhm: number;
  readonly bitSegmentOhm: number;
  /** Resistance of each voltage source / sense amplifier input (Ω). */
  readonly sourceOhm?: number;
  readonly wordDrive?: "left" | "right" | "both";
  readonly bitDrive?: "bottom" | "top" | "both";
}

export interface CellBiasResult {
  readonly solution: CrossbarSolution;
  /** Current through the selected device (A). */
  readonly selectedCurrentAmp: number;
  /** Current measured at the selected bit line's terminal(s) (A). */
  readonly measuredCurrentAmp: number;
  /** measured − selected: the sneak current reaching the sense amplifier (A). */
  readonly sneakCurrentAmp: number;
  /** Voltage across the selected device (V). */
  readonly selectedVoltageVolt: number;
  /** |V| across every unselected device, row-major (V); the selected entry is NaN. */
  readonly unselectedVoltagesVolt: Float64Array;
  /** Largest |V| across an unselected device (half-select stress, V). */
  readonly maxUnselectedVoltageVolt: number;
  /** Power drawn from all sources (W). */
  readonly sourcePowerWatt: number;
}

function lineVoltages(scheme: BiasScheme, v: number): { word: number; bit: number } | null {
  switch (scheme) {
    case "V/2":
      return { word: v / 2, bit: v / 2 };
    case "V/3":
      return { word: v / 3, bit: (2 * v) / 3 };
    case "grounded":
      return { word: 0, bit: 0 };
    case "floating":
      return null;
    default:
      throw new Error(`unknown biasing scheme "${scheme as string}": use ${BIAS_SCHEMES.join(", ")}`);
  }
}

/** Topology and drive of a biased array. */
export function biasCircuit(
  conductancesSiemens: Float64Array,
  rows: number,
  cols: number,
  b: CellBias,
): { topology: CrossbarTopology; drive: CrossbarDrive } {
  if (!Number.isInteger(b.row) || b.row < 0 || b.row >= rows)
    throw new RangeError(`selected row ${b.row} is outside 0–${rows - 1}`);
  if (!Number.isInteger(b.col) || b.col < 0 || b.col >= cols)
    throw new RangeError(`selected column ${b.col} is outside 0–${cols - 1}`);
  if (!Number.isFinite(b.voltageVolt)) throw new RangeError(`voltageVolt must be finite, got ${b.voltageVolt}`);
  const un = lineVoltages(b.scheme, b.voltageVolt);
  const wd = b.wordDrive ?? "left",
    bd = b.bitDrive ?? "bottom";
  if (!["left", "right", "both"].includes(wd)) throw new Error(`unknown wordDrive "${wd}": use left, right or both`);
  if (!["bottom", "top", "both"].includes(bd)) throw new Error(`unknown bitDrive "${bd}": use bottom, top or both`);
  const src: LineEnd = { sourceOhm: b.sourceOhm ?? 0 };
  const ends = (driven: boolean, which: boolean): LineEnd => (driven && which ? src : null);
  const wDriven = (i: number) => i === b.row || un !== null;
  const bDriven = (j: number) => j === b.col || un !== null;
  const topology: CrossbarTopology = {
    rows,
    cols,
    conductancesSiemens,
    wordSegmentOhm: b.wordSegmentOhm,
    bitSegmentOhm: b.bitSegmentOhm,
    wordLeft: Array.from({ length: rows }, (_, i) => ends(wDriven(i), wd !== "right")),
    wordRight: Array.from({ length: rows }, (_, i) => ends(wDriven(i), wd !== "left")),
    bitBottom: Array.from({ length: cols }, (_, j) => ends(bDriven(j), bd !== "top")),
    bitTop: Array.from({ length: cols }, (_, j) => ends(bDriven(j), bd !== "bottom")),
  };
  validateTopology(topology);
  const wv = Array.from({ length: rows }, (_, i) => (i === b.row ? b.voltageVolt : un ? un.word : 0));
  const bv = Array.from({ length: cols }, (_, j) => (j === b.col ? 0 : un ? un.bit : 0));
  return { topology, drive: { wordLeftVolt: [wv], wordRightVolt: [wv], bitBottomVolt: [bv], bitTopVolt: [bv] } };
}

/** Solve a biased array (linear devices, or a nonlinear `law`) and report selected, sneak and half-select quantities. */
export function biasCell(
  conductancesSiemens: Float64Array,
  rows: number,
  cols: number,
  b: CellBias,
  opts: { engine?: Engine; law?: DeviceCurrentLaw } = {},
): CellBiasResult {
  const { topology, drive } = biasCircuit(conductancesSiemens, rows, cols, b);
  const system = new CrossbarSystem(topology);
  const solution = opts.law
    ? solveNonlinear(topology, opts.law, drive, { engine: opts.engine })
    : system.solve(drive, { engine: opts.engine ?? "gauss-seidel" });
  const sel = b.row * cols + b.col;
  const measured = solution.outputCurrents[b.col] + solution.bitTopCurrents[b.col];
  const un = new Float64Array(rows * cols);
  let maxUn = 0;
  for (let r = 0; r < rows * cols; r++) {
    un[r] = r === sel ? NaN : Math.abs(solution.wordVoltages[r] - solution.bitVoltages[r]);
    if (r !== sel) maxUn = Math.max(maxUn, un[r]);
  }
  const pw = system.power(solution, drive)[0];
  return {
    solution,
    selectedCurrentAmp: solution.deviceCurrents[sel],
    measuredCurrentAmp: measured,
    sneakCurrentAmp: measured - solution.deviceCurrents[sel],
    selectedVoltageVolt: solution.wordVoltages[sel] - solution.bitVoltages[sel],
    unselectedVoltagesVolt: un,
    maxUnselectedVoltageVolt: maxUn,
    sourcePowerWatt: pw.sourcesWatt,
  };
}

/**
 * Read margin of the worst-case cell (top row, last column: farthest from the word-line drivers on
 * the left and from the sense amplifiers at the bottom) with every other device at
 * `backgroundSiemens`: (I_meas(LRS) − I_meas(HRS)) / I_meas(LRS), with the selected cell at G_on (LRS) and G_off (HRS).
 */
export function readMargin(
  rows: number,
  cols: number,
  scheme: BiasScheme,
  opts: {
    gOnSiemens: number;
    gOffSiemens: number;
    backgroundSiemens: number;
    voltageVolt: number;
    wordSegmentOhm: number;
    bitSegmentOhm: number;
    sourceOhm?: number;
  },
): { margin: number; lrs: CellBiasResult; hrs: CellBiasResult } {
  const bias: CellBias = {
    scheme,
    row: 0,
    col: cols - 1,
    voltageVolt: opts.voltageVolt,
    wordSegmentOhm: opts.wordSegmentOhm,
    bitSegmentOhm: opts.bitSegmentOhm,
    sourceOhm: opts.sourceOhm,
  };
  const g = new Float64Array(rows * cols).fill(opts.backgroundSiemens);
  const sel = bias.row * cols + bias.col;
  g[sel] = opts.gOnSiemens;
  const lrs = biasCell(g.slice(), rows, cols, bias);
  g[sel] = opts.gOffSiemens;
  const hrs = biasCell(g, rows, cols, bias);
  return { margin: (lrs.measuredCurrentAmp - hrs.measuredCurrentAmp) / lrs.measuredCurrentAmp, lrs, hrs };
}
