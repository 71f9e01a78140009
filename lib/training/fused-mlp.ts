/**
 * The fused engine for memristive MLPs (Joksas et al. 2022): the forward pass, the exact backward
 * pass and the SGD update of `MemristiveMlp` over typed arrays in one WebAssembly memory, with the
 * hot loops in SIMD kernels (lib/kernels) and no per-op overhead. Same network, same device draws
 * (lib/devices/draws, in the same order from the same `Rng`) and the same formulas as the tfjs layers
 * in memristive.ts, which stay the reference (test/unit/fused-engine.test.ts checks loss, gradients
 * and power against them for D0–D8 and both weight implementations).
 *
 * Layout per layer (R = n_in + 1 word lines, bias last): parameters θ [R, pad4(P)] with P = n_out
 * (standard weights W̃) or 2·n_out (double weights, blocked [D₊ | D₋]); conductances and device
 * coefficients [R, pad4(2·n_out)] in the blocked column order [G₊ | G₋] (no line resistance, so the
 * paper's interleaved order gives the same currents).
 */
import type { Rng } from "../runtime/random";
import { Kernels, pad4 } from "../kernels";
import type { DeviceSetup, PooleFrenkelModel } from "../devices/joksas";
import { Draw, PF_SQRT_GUARD_VOLT, disturbanceDraws, pfDraws, pfExponentScale } from "../devices/draws";
import { residualCholesky } from "../devices/pf-residuals";
import { PairRule, conductanceScale, kinkFactor, pairCoefficients, pairSlopes } from "../tile/mapping";
import { sigmoid } from "./mlp";
import { JOKSAS_KINK } from "./memristive";
import { encodeInputs, quantiserStep } from "../tile/periphery";
import { convertOutputs, layerAdcRange, outputGradients, stagePeriphery } from "./joksas-periphery";

export type FusedWeights = { readonly kind: "standard"; readonly rule: PairRule } | { readonly kind: "double" };

interface Layer {
  readonly nIn: number;
  readonly nOut: number;
  readonly R: number;
  /** Logical parameter columns and their padded stride. */
  readonly P: number;
  readonly Pp: number;
  /** Logical crossbar columns (2·n_out) and their padded stride. */
  readonly C: number;
  readonly Cp: number;
  readonly theta: number;
  readonly grad: number;
  /** Augmented input [B, R] (last column 1) and voltages V = k_V·x [B, R]. */
  readonly x: number;
  readonly v: number;
  /** The DAC's straight-through mask [B, R] and the volts per input unit of each row [B]. */
  readonly dacPass: number;
  readonly unit: number;
  readonly g: number;
  readonly pass: number;
  /** Device draws (three buffers and the generator state) and KDE stuck values. */
  readonly draws: readonly number[];
  readonly state: number;
  readonly values: number;
  readonly c: number;
  readonly s: number;
  readonly e: number;
  readonly cur: number;
  readonly dcur: number;
  readonly dg: number;
  readonly dc: number;
  readonly ds: number;
  readonly dx: number;
  readonly power: number;
  /** Scratch of the matrix products (2·R words) and the row sums of G for the ohmic power (R). */
  readonly scratch: number;
  readonly rowSum: number;
  /** State of the last forward pass, for the backward pass. */
  fw:
    | { dense: true }
    | {
        dense: false;
        kV: number;
        kG: number;
        max: number;
        at: number;
        pf: PooleFrenkelModel | null;
        skipZero: boolean;
        y: Float64Array;
        /** With a periphery: volts per input unit of each row, the DAC's straight-through mask, ∂(I⁺ − I⁻)/∂I per pair. */
        periphery: { unit: ArrayLike<number>; dacPass: ArrayLike<number> | null; dCurrent: Float64Array } | null;
      };
}

/** What a forward pass returns: class probabilities [B, classes] and power per example (W; null on a software stage). */
export interface FusedForward {
  readonly probs: Float64Array;
  readonly power: Float64Array | null;
  /** Share of ADC conversions that clipped, over every layer (0 without an ADC). */
  readonly clippedOutputs: number;
}

export class FusedMlp {
  private readonly K = new Kernels();
  private readonly layers: Layer[] = [];
  private probs = new Float64Array(0);
  private batch = 0;

  /**
   * @param sizes layer sizes, e.g. [784, 25, 10]
   * @param maxBatch the largest batch a forward pass will take
   */
  constructor(
    readonly sizes: readonly number[],
    readonly weights: FusedWeights,
    readonly maxBatch: number,
  ) {
    if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1))
      throw new RangeError(`layer sizes must be >= 2 positive integers, got [${sizes.join(", ")}]`);
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
    if (weights.kind !== "standard" && weights.kind !== "double")
      throw new Error(`unknown weight implementation "${(weights as { kind: string }).kind}"`);
    const B = maxBatch,
      K = this.K;
    for (let l = 1; l < sizes.length; l++) {
      const nIn = sizes[l - 1],
        nOut = sizes[l],
        R = nIn + 1;
      const P = weights.kind === "double" ? 2 * nOut : nOut,
        Pp = pad4(P),
        C = 2 * nOut,
        Cp = pad4(C);
      this.layers.push({
        nIn,
        nOut,
        R,
        P,
        Pp,
        C,
        Cp,
        theta: K.alloc(R * Pp),
        grad: K.alloc(R * Pp),
        x: K.alloc(B * R),
        v: K.alloc(B * R),
        dacPass: K.alloc(B * R),
        unit: K.alloc(B),
        g: K.alloc(R * Cp),
        pass: K.alloc(R * Cp),
        draws: [K.alloc(R * Cp), K.alloc(R * Cp), K.alloc(R * Cp)],
        state: K.alloc(16),
        values: K.alloc(R * Cp),
        c: K.alloc(R * Cp),
        s: K.alloc(R * Cp),
        e: K.alloc(B * R * Cp),
        cur: K.alloc(B * Math.max(Cp, Pp)),
        dcur: K.alloc(B * Math.max(Cp, Pp)),
        dg: K.alloc(R * Cp),
        dc: K.alloc(R * Cp),
        ds: K.alloc(R * Cp),
        dx: K.alloc(B * R),
        power: K.alloc(B),
        scratch: K.alloc(2 * R),
        rowSum: K.alloc(R),
        fw: { dense: true },
      });
    }
  }

  /** Number of parameter tensors in the tfjs variable order (standard: w, b; double: w₊, w₋, b₊, b₋ per layer). */
  private tensorsPerLayer(): number {
    return this.weights.kind === "double" ? 4 : 2;
  }

  /** Load parameters given in `MemristiveMlp.variables()` order (its snapshot). */
  importParams(values: readonly Float32Array[]): void {
    const t = this.tensorsPerLayer();
    if (values.length !== t * this.layers.length)
      throw new RangeError(`expected ${t * this.layers.length} parameter tensors, got ${values.length}`);
    this.layers.forEach((L, l) => {
      const th = this.K.f32(L.theta, L.R * L.Pp).fill(0);
      const part = values.slice(t * l, t * l + t);
      const blocks =
        t === 2
          ? [[part[0], part[1], 0]]
          : [
              [part[0], part[2], 0],
              [part[1], part[3], L.nOut],
            ];
      for (const [w, b, off] of blocks as Array<[Float32Array, Float32Array, number]>) {
        if (w.length !== L.nIn * L.nOut || b.length !== L.nOut)
          throw new RangeError(
            `layer ${l + 1}: parameter sizes ${w.length}, ${b.length} do not match ${L.nIn}×${L.nOut}`,
          );
        for (let i = 0; i < L.nIn; i++) for (let j = 0; j < L.nOut; j++) th[i * L.Pp + off + j] = w[i * L.nOut + j];
        for (let j = 0; j < L.nOut; j++) th[L.nIn * L.Pp + off + j] = b[j];
      }
    });
  }

  /** Parameters (or their gradients) in `MemristiveMlp.variables()` order. */
  exportParams(which: "params" | "grads" = "params"): Float32Array[] {
    const out: Float32Array[] = [];
    for (const L of this.layers) {
      const th = this.K.f32(which === "params" ? L.theta : L.grad, L.R * L.Pp);
      const take = (off: number) => {
        const w = new Float32Array(L.nIn * L.nOut),
          b = new Float32Array(L.nOut);
        for (let i = 0; i < L.nIn; i++) for (let j = 0; j < L.nOut; j++) w[i * L.nOut + j] = th[i * L.Pp + off + j];
        for (let j = 0; j < L.nOut; j++) b[j] = th[L.nIn * L.Pp + off + j];
        return [w, b];
      };
      if (this.weights.kind === "standard") out.push(...take(0));
      else {
        const [wp, bp] = take(0),
          [wm, bm] = take(L.nOut);
        out.push(wp, wm, bp, bm);
      }
    }
    return out;
  }

  /**
   * Forward pass for x [B, n_in] (row-major). `stage` null (or the ideal setup): standard weights run as
   * dense layers, double weights on ideal ohmic crossbars with `trainingSetup`'s window. Device draws
   * come from `rng` layer by layer. `grad` keeps what the backward pass needs. The first layer's input
   * (pixels) needs no gradient, so its word lines at 0 V are skipped, as in the tfjs layers.
   */
  forward(
    x: Float32Array,
    B: number,
    stage: DeviceSetup | null,
    trainingSetup: DeviceSetup | null,
    rng: Rng,
    opts: { grad?: boolean; power?: boolean } = {},
  ): FusedForward {
    const K = this.K,
      k = K.k;
    if (!Number.isInteger(B) || B < 1 || B > this.maxBatch)
      throw new RangeError(`batch ${B} is not in 1..${this.maxBatch}`);
    if (x.length !== B * this.sizes[0])
      throw new RangeError(`input has ${x.length} values, expected ${B}×${this.sizes[0]}`);
    const ideal = !stage || stage.gOffSiemens === null;
    stagePeriphery(stage); // refuses converters on the ideal (digital) stage
    let setup = stage;
    if (ideal && this.weights.kind === "double") {
      if (!trainingSetup || trainingSetup.gOffSiemens === null)
        throw new Error("a double-weights network needs its training setup's conductance window to run an ideal stage");
      setup = { ...trainingSetup, id: "D0", name: "Ideal", disturbance: null, currentModel: null };
    }
    const grad = opts.grad ?? false,
      wantPower = opts.power ?? true;
    this.batch = B;
    const first = this.layers[0];
    const x0 = K.f32(first.x, B * first.R);
    for (let b = 0; b < B; b++) {
      x0.set(x.subarray(b * first.nIn, (b + 1) * first.nIn), b * first.R);
      x0[b * first.R + first.nIn] = 1;
    }
    let power: Float64Array | null = null;
    const clips = { clipped: 0, converters: 0 };
    const last = this.layers.length - 1;
    this.layers.forEach((L, l) => {
      let z: Float64Array;
      if (ideal && this.weights.kind === "standard") {
        k.matmul(L.x, L.theta, L.cur, B, L.R, L.Pp, 1, L.scratch);
        const cur = K.f32(L.cur, B * L.Pp);
        z = new Float64Array(B * L.nOut);
        for (let b = 0; b < B; b++) for (let j = 0; j < L.nOut; j++) z[b * L.nOut + j] = cur[b * L.Pp + j];
        L.fw = { dense: true };
      } else {
        const r = this.crossbarForward(L, B, setup!, rng, grad, wantPower, l > 0, clips);
        z = r.y;
        if (r.power) {
          power ??= new Float64Array(B);
          for (let b = 0; b < B; b++) power[b] += r.power[b];
        }
      }
      if (l < last) {
        const next = this.layers[l + 1],
          xn = K.f32(next.x, B * next.R);
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < L.nOut; j++) xn[b * next.R + j] = sigmoid(z[b * L.nOut + j]);
          xn[b * next.R + L.nOut] = 1;
        }
      } else {
        this.probs = softmaxRows(z, B, L.nOut);
      }
    });
    return { probs: this.probs, power, clippedOutputs: clips.converters ? clips.clipped / clips.converters : 0 };
  }

  private crossbarForward(
    L: Layer,
    B: number,
    setup: DeviceSetup,
    rng: Rng,
    grad: boolean,
    wantPower: boolean,
    inputGradient: boolean,
    clips: { clipped: number; converters: number },
  ): { y: Float64Array; power: Float64Array | null } {
    const K = this.K,
      k = K.k;
    const gOff = setup.gOffSiemens!,
      gOn = setup.gOnSiemens!,
      kV = setup.readVoltageVolt;
    const xs = K.f32(L.x, B * L.R),
      vs = K.f32(L.v, B * L.R);
    const periphery = stagePeriphery(setup);
    if (!periphery?.dac) for (let q = 0; q < B * L.R; q++) vs[q] = kV * xs[q];
    // mapping: k_G = (G_on − G_off)/max (|θ| for standard weights), gradient of the max to its first arg-max
    const standard = this.weights.kind === "standard";
    const argMax = k.argMax(L.theta, L.R, L.P, L.Pp, standard ? 1 : 0);
    const max = Math.abs(K.f32(L.theta, L.R * L.Pp)[argMax]);
    if (!(max > 0) || !Number.isFinite(max))
      throw new RangeError(
        `layer with ${L.nIn} inputs: the largest |weight| is ${max}, so weights cannot be mapped to conductances`,
      );
    const window = { gOffSiemens: gOff, gOnSiemens: gOn };
    const kG = Math.fround(conductanceScale(window, max));
    if (standard) {
      const c = pairCoefficients((this.weights as { rule: PairRule }).rule, window, kG);
      k.mapStandard(L.theta, L.g, L.R, L.nOut, L.Pp, L.Cp, c.baseSiemens, c.linear, c.rectified, gOff);
    } else {
      k.mapDouble(L.theta, L.g, L.R, L.C, L.Cp, kG, gOff);
    }
    const n = L.R * L.Cp;
    K.f32(L.pass, n).fill(1);
    // the draws of devices/draws, made straight into this layer's buffers (their pointers in `at`)
    const at: number[] = [];
    const draw: Draw = (kind, count, r) => {
      const ptr = L.draws[at.length];
      at.push(ptr);
      K.seedState(L.state, r);
      k[kind](L.state, ptr, count);
      return K.f32(ptr, count);
    };
    const d = setup.disturbance;
    if (d) {
      const draws = disturbanceDraws(d, L.R, L.C, rng, draw);
      if (d.kind === "d2d-lognormal") k.d2dLognormal(L.g, at[0], L.pass, n, 1 / gOn, 1 / gOff, d.sigmaOn, d.sigmaOff);
      else {
        const values = draws.kind === "stuck-distribution" ? draws.values : null;
        if (values) K.f32(L.values, n).set(values);
        k.stuck(
          L.g,
          at[0],
          L.pass,
          n,
          d.probability,
          d.kind === "stuck" ? (d.at === "gOff" ? gOff : gOn) : 0,
          values ? L.values : 0,
        );
      }
    }
    const pf = setup.currentModel;
    const skipZero = !inputGradient;
    const pw = wantPower ? L.power : 0;
    // the DAC after the device draws (the tfjs layers' order)
    let unit: ArrayLike<number> = new Float64Array(B).fill(kV),
      dacPass: ArrayLike<number> | null = null;
    const dac = periphery?.dac;
    if (dac && dac.rounding !== "stochastic") {
      // the tile's nearest-rounding DAC as a kernel (float32; the tfjs layers run lib/tile/periphery's float64 one)
      k.dacEncode(
        L.x,
        L.v,
        L.dacPass,
        L.unit,
        B,
        L.R,
        kV,
        dac.inputRangeVolt,
        quantiserStep(dac.bits, dac.inputRangeVolt, true),
        dac.noiseManagement === "abs-max" ? 1 : 0,
      );
      unit = K.f32(L.unit, B);
      dacPass = K.f32(L.dacPass, B * L.R);
    } else if (dac) {
      const enc = encodeInputs(xs, B, L.nIn, kV, dac, rng, { stride: L.R, volts: vs });
      unit = enc.unitVolt;
      dacPass = enc.pass;
    }
    if (pf) {
      const first = at.length,
        draws = pfDraws(pf, L.R, L.C, rng, draw);
      const { l11, l21, l22 } = draws ? residualCholesky(pf.residualCovariance) : { l11: 0, l21: 0, l22: 0 };
      // without residuals the coefficients read a zero draw buffer
      const z1 = draws ? at[first] : L.draws[first],
        z2 = draws?.z2 ? at[first + 1] : z1;
      if (!draws) K.f32(z1, n).fill(0);
      k.pfCoefficients(
        L.g,
        z1,
        z2,
        L.c,
        L.s,
        n,
        pf.lnC.slope,
        pf.lnC.intercept,
        pf.lnDEps.slope,
        pf.lnDEps.intercept,
        l11,
        l21,
        draws?.z2 ? l22 : 0,
        pfExponentScale(pf),
      );
      k.clearPadding(L.c, L.R, L.C, L.Cp);
      k.pfForward(L.v, L.c, L.s, L.cur, L.e, pw, B, L.R, L.Cp, PF_SQRT_GUARD_VOLT, skipZero ? 1 : 0, grad ? 1 : 0);
    } else {
      k.clearPadding(L.g, L.R, L.C, L.Cp);
      k.matmul(L.v, L.g, L.cur, B, L.R, L.Cp, 1, L.scratch);
      if (pw) k.ohmicPower(L.v, L.g, L.rowSum, pw, B, L.R, L.Cp);
    }
    const cur = K.f32(L.cur, B * L.Cp);
    let y = new Float64Array(B * L.nOut),
      fwPeriphery = null;
    if (periphery) {
      const c = convertOutputs(
        cur,
        L.Cp,
        B,
        L.nOut,
        periphery,
        layerAdcRange(periphery, L.R, kV, window),
        unit,
        kG,
        rng,
      );
      y = c.y;
      fwPeriphery = { unit, dacPass, dCurrent: c.dCurrent };
      clips.clipped += c.clipped;
      clips.converters += c.converters;
    } else {
      const scale = kV * kG;
      for (let b = 0; b < B; b++)
        for (let j = 0; j < L.nOut; j++) y[b * L.nOut + j] = (cur[b * L.Cp + j] - cur[b * L.Cp + L.nOut + j]) / scale;
    }
    L.fw = { dense: false, kV, kG, max, at: argMax, pf, skipZero, y, periphery: fwPeriphery };
    return { y, power: pw ? Float64Array.from(K.f32(L.power, B)) : null };
  }

  /**
   * Mean cross-entropy of the last forward pass (probabilities clipped to [1e-7, 1 − 1e-7], Keras) and
   * the number of wrong predictions (arg-max, first on ties).
   */
  score(labels: ArrayLike<number>): { loss: number; wrong: number } {
    const B = this.batch,
      classes = this.sizes[this.sizes.length - 1];
    if (labels.length !== B) throw new RangeError(`${labels.length} labels for a batch of ${B}`);
    let loss = 0,
      wrong = 0;
    for (let b = 0; b < B; b++) {
      const y = labels[b],
        row = b * classes;
      if (!(Number.isInteger(y) && y >= 0 && y < classes))
        throw new RangeError(`label ${y} of example ${b} is not a class in 0..${classes - 1}`);
      loss -= Math.log(Math.min(Math.max(this.probs[row + y], 1e-7), 1 - 1e-7)) / B;
      let arg = 0;
      for (let j = 1; j < classes; j++) if (this.probs[row + j] > this.probs[row + arg]) arg = j;
      if (arg !== y) wrong++;
    }
    return { loss, wrong };
  }

  /** Gradient of score's mean cross-entropy through every layer into the parameter gradients (exportParams("grads")). */
  backward(labels: ArrayLike<number>): void {
    const B = this.batch,
      K = this.K,
      k = K.k;
    const classes = this.sizes[this.sizes.length - 1];
    if (labels.length !== B) throw new RangeError(`${labels.length} labels for a batch of ${B}`);
    let dz = new Float64Array(B * classes);
    for (let b = 0; b < B; b++) {
      const y = labels[b],
        row = b * classes,
        p = this.probs[row + y];
      // the clip passes the gradient inside [1e-7, 1 − 1e-7] only; softmax + log give (p − onehot)/B
      if (p >= 1e-7 && p <= 1 - 1e-7)
        for (let j = 0; j < classes; j++) dz[row + j] = (this.probs[row + j] - (j === y ? 1 : 0)) / B;
    }
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const L = this.layers[l],
        fw = L.fw,
        needDx = l > 0;
      if (fw.dense) {
        const d = K.f32(L.dcur, B * L.Pp).fill(0);
        for (let b = 0; b < B; b++) for (let j = 0; j < L.nOut; j++) d[b * L.Pp + j] = dz[b * L.nOut + j];
        k.matmulTN(L.x, L.dcur, L.grad, B, L.R, L.Pp, 1, L.scratch);
        if (needDx) k.matmulNT(L.dcur, L.theta, L.dx, B, L.R, L.Pp);
      } else {
        this.crossbarBackward(L, fw, dz, B, needDx);
      }
      if (!needDx) break;
      // through the previous layer's sigmoid: dz = dx·a·(1 − a), a = this layer's input
      const prev = this.layers[l - 1],
        xs = K.f32(L.x, B * L.R),
        dxs = K.f32(L.dx, B * L.R);
      const pp = fw.dense ? null : fw.periphery;
      dz = new Float64Array(B * prev.nOut);
      for (let b = 0; b < B; b++)
        for (let j = 0; j < prev.nOut; j++) {
          const a = xs[b * L.R + j];
          // dV/dx: k_V, or with a periphery the row's volts per unit through the DAC's straight-through mask
          const scale = fw.dense ? 1 : pp ? pp.unit[b] * (pp.dacPass ? pp.dacPass[b * L.R + j] : 1) : fw.kV;
          dz[b * prev.nOut + j] = scale * dxs[b * L.R + j] * a * (1 - a);
        }
    }
  }

  private crossbarBackward(
    L: Layer,
    fw: Extract<Layer["fw"], { dense: false }>,
    dz: Float64Array,
    B: number,
    needDx: boolean,
  ): void {
    const K = this.K,
      k = K.k,
      n = L.nOut;
    const { kV, kG } = fw;
    const dI = K.f32(L.dcur, B * L.Cp).fill(0);
    let dkG = 0;
    if (fw.periphery) dkG = outputGradients(dz, fw.y, B, n, L.Cp, fw.periphery.dCurrent, fw.periphery.unit, kG, dI);
    else
      for (let b = 0; b < B; b++)
        for (let j = 0; j < n; j++) {
          const g = dz[b * n + j];
          dI[b * L.Cp + j] = g / (kV * kG);
          dI[b * L.Cp + n + j] = -g / (kV * kG);
          dkG -= (g * fw.y[b * n + j]) / kG;
        }
    if (fw.pf) {
      k.pfBackward(
        L.v,
        L.c,
        L.s,
        L.e,
        L.dcur,
        L.dc,
        L.ds,
        needDx ? L.dx : 0,
        B,
        L.R,
        L.Cp,
        PF_SQRT_GUARD_VOLT,
        fw.skipZero ? 1 : 0,
      );
      k.pfCoefficientsBackward(L.g, L.c, L.s, L.dc, L.ds, L.dg, L.R, L.C, L.Cp, fw.pf.lnC.slope, fw.pf.lnDEps.slope);
    } else {
      k.matmulTN(L.v, L.dcur, L.dg, B, L.R, L.Cp, 1, L.scratch);
      if (needDx) k.matmulNT(L.dcur, L.g, L.dx, B, L.R, L.Cp);
    }
    k.mulInPlace(L.dg, L.pass, L.R * L.Cp);
    if (this.weights.kind === "standard") {
      const { linear, rectified } = pairSlopes(this.weights.rule, kG);
      dkG +=
        k.mapStandardBackward(L.theta, L.dg, L.grad, L.R, n, L.Pp, L.Cp, linear, rectified, kinkFactor(JOKSAS_KINK)) /
        kG;
    } else {
      dkG += k.mapDoubleBackward(L.theta, L.dg, L.grad, L.R, L.C, L.Cp, kG);
    }
    // k_G = (G_on − G_off)/max: dmax = −k_G/max·dk_G, to the first arg-max (through |θ| for standard weights: sign, −1 at 0 as tfjs)
    const th = K.f32(L.theta, L.R * L.Pp),
      gr = K.f32(L.grad, L.R * L.Pp);
    const sign = this.weights.kind === "standard" ? (th[fw.at] > 0 ? 1 : -1) : 1;
    gr[fw.at] += (-kG / fw.max) * dkG * sign;
  }

  /** SGD step θ ← θ − lr·(∇ + γ·sign θ) (sign 0 at 0, as TensorFlow's L1), then clip double weights at 0. Returns γ·Σ|θ| before the step. */
  sgdStep(learningRate: number, l1: number): number {
    let abs = 0;
    for (const L of this.layers)
      abs += this.K.k.sgd(L.theta, L.grad, L.R * L.Pp, learningRate, l1, this.weights.kind === "double" ? 1 : 0);
    return l1 * abs;
  }

  /** γ·Σ|θ| of the current parameters. */
  l1Penalty(l1: number): number {
    let s = 0;
    for (const L of this.layers) for (const t of this.K.f32(L.theta, L.R * L.Pp)) s += Math.abs(t);
    return l1 * s;
  }
}

/** Row-wise softmax of z [B, n] (max-shifted). */
function softmaxRows(z: Float64Array, B: number, n: number): Float64Array {
  const p = new Float64Array(B * n);
  for (let b = 0; b < B; b++) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, z[b * n + j]);
    let s = 0;
    for (let j = 0; j < n; j++) s += p[b * n + j] = Math.exp(z[b * n + j] - m);
    for (let j = 0; j < n; j++) p[b * n + j] /= s;
  }
  return p;
}
