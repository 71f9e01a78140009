/**
 * Dense layers evaluated on crossbars solved exactly (line resistance, sneak currents), tiled into
 * arrays of a chosen size. A layer y = W·x + b (W: [out][in]) is mapped to conductance pairs
 * G± = G_off + k_G·max(±w, 0), k_G = (G_on − G_off)/max|w| (bias as an extra word line driven at
 * k_V), inputs to voltages V = k_V·x, and outputs back by (I⁺ − I⁻)/(k_V·k_G). Partial currents of
 * row tiles are summed digitally.
 */
import { topologyFromConductances } from "./circuit";
import { CrossbarSystem, Engine } from "./solver";

export interface CrossbarLayerConfig {
  readonly gOffSiemens: number;
  readonly gOnSiemens: number;
  /** k_V: the voltage that represents an input of 1 (V). */
  readonly readVoltageVolt: number;
  readonly wordSegmentOhm: number;
  readonly bitSegmentOhm: number;
  /** Largest array: rows (word lines) and columns (bit lines, an even number: one pair per output). */
  readonly tileRows: number;
  readonly tileCols: number;
  readonly engine?: Engine;
}

export interface CrossbarLayerResult {
  /** Outputs [inputs][out], in weight units (what W·x + b would give). */
  readonly outputs: number[][];
  /** Power drawn from the sources per input (W), all tiles. */
  readonly powerWatt: number[];
  readonly tiles: number;
  readonly maxKclResidualRelative: number;
}

function checkLayerConfig(c: CrossbarLayerConfig): void {
  if (!(c.gOffSiemens > 0 && c.gOnSiemens > c.gOffSiemens)) throw new RangeError(`need 0 < gOffSiemens < gOnSiemens, got ${c.gOffSiemens}, ${c.gOnSiemens}`);
  if (!(c.readVoltageVolt > 0)) throw new RangeError(`readVoltageVolt must be > 0, got ${c.readVoltageVolt}`);
  if (!Number.isInteger(c.tileRows) || c.tileRows < 1) throw new RangeError(`tileRows must be a positive integer, got ${c.tileRows}`);
  if (!Number.isInteger(c.tileCols) || c.tileCols < 2 || c.tileCols % 2 !== 0) throw new RangeError(`tileCols must be an even integer >= 2 (pairs of columns), got ${c.tileCols}`);
}

/** Evaluate y = W·x + b for every input on tiled crossbars. */
export function denseOnCrossbar(weights: ArrayLike<number>, bias: ArrayLike<number>, outDim: number, inDim: number, x: readonly (readonly number[])[], cfg: CrossbarLayerConfig): CrossbarLayerResult {
  checkLayerConfig(cfg);
  if (weights.length !== outDim * inDim) throw new RangeError(`weights have ${weights.length} entries for ${outDim}×${inDim}`);
  if (bias.length !== outDim) throw new RangeError(`bias has ${bias.length} entries for ${outDim} outputs`);
  x.forEach((v, k) => {
    if (v.length !== inDim) throw new RangeError(`input ${k} has ${v.length} features, the layer expects ${inDim}`);
  });
  const rows = inDim + 1; // + bias row
  let maxW = 0;
  for (let o = 0; o < outDim; o++) {
    maxW = Math.max(maxW, Math.abs(bias[o]));
    for (let i = 0; i < inDim; i++) maxW = Math.max(maxW, Math.abs(weights[o * inDim + i]));
  }
  const kG = maxW > 0 ? (cfg.gOnSiemens - cfg.gOffSiemens) / maxW : 0;
  const wAt = (r: number, o: number) => (r < inDim ? weights[o * inDim + r] : bias[o]);
  const p = x.length;
  const kV = cfg.readVoltageVolt;
  const plus = Array.from({ length: p }, () => new Float64Array(outDim));
  const minus = Array.from({ length: p }, () => new Float64Array(outDim));
  const power = new Array(p).fill(0);
  const pairsPerTile = cfg.tileCols / 2;
  let tiles = 0, maxRes = 0;
  for (let r0 = 0; r0 < rows; r0 += cfg.tileRows) {
    const tr = Math.min(cfg.tileRows, rows - r0);
    for (let o0 = 0; o0 < outDim; o0 += pairsPerTile) {
      const to = Math.min(pairsPerTile, outDim - o0);
      const tc = 2 * to;
      const g = new Float64Array(tr * tc);
      for (let r = 0; r < tr; r++) {
        for (let o = 0; o < to; o++) {
          const w = wAt(r0 + r, o0 + o);
          g[r * tc + 2 * o] = cfg.gOffSiemens + kG * Math.max(w, 0);
          g[r * tc + 2 * o + 1] = cfg.gOffSiemens + kG * Math.max(-w, 0);
        }
      }
      const topo = topologyFromConductances(g, tr, tc, { wordSegmentOhm: cfg.wordSegmentOhm, bitSegmentOhm: cfg.bitSegmentOhm });
      const sys = new CrossbarSystem(topo);
      const drive = { wordLeftVolt: x.map((v) => Array.from({ length: tr }, (_, r) => kV * (r0 + r < inDim ? v[r0 + r] : 1))) };
      const sol = sys.solve(drive, { engine: cfg.engine ?? "gauss-seidel" });
      const pw = sys.power(sol, drive);
      for (let k = 0; k < p; k++) {
        power[k] += pw[k].sourcesWatt;
        for (let o = 0; o < to; o++) {
          plus[k][o0 + o] += sol.outputCurrents[k * tc + 2 * o];
          minus[k][o0 + o] += sol.outputCurrents[k * tc + 2 * o + 1];
        }
      }
      tiles++;
      maxRes = Math.max(maxRes, sol.kclResidualRelative);
    }
  }
  const outputs = plus.map((pl, k) => Array.from(pl, (ip, o) => (kG > 0 ? (ip - minus[k][o]) / (kV * kG) : 0)));
  return { outputs, powerWatt: power, tiles, maxKclResidualRelative: maxRes };
}

/** A sigmoid MLP (parameters [W1, b1, W2, b2, …], W: [out][in]) with every layer on crossbars. Returns logits and power. */
export function mlpOnCrossbar(sizes: readonly number[], params: readonly ArrayLike<number>[], x: readonly (readonly number[])[], cfg: CrossbarLayerConfig): { logits: number[]; powerWatt: number[] } {
  let a: number[][] = x.map((v) => [...v]);
  const power = new Array(x.length).fill(0);
  for (let l = 0; l < sizes.length - 1; l++) {
    const r = denseOnCrossbar(params[2 * l], params[2 * l + 1], sizes[l + 1], sizes[l], a, cfg);
    r.powerWatt.forEach((w, k) => (power[k] += w));
    a = l < sizes.length - 2 ? r.outputs.map((row) => row.map((z) => 1 / (1 + Math.exp(-z)))) : r.outputs;
  }
  return { logits: a.map((row) => row[0]), powerWatt: power };
}
