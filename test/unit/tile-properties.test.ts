/**
 * Property-based tests (fast-check) of the tile's dense layer on random shapes, weights, windows and
 * circuits: mapped conductances stay in the window, tiling leaves the ideal product unchanged, the
 * adjoint gradients agree with finite differences on wired arrays, and the sources' power equals what
 * the devices, wires and source resistors dissipate. A failure prints the shrunk counterexample.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { rng } from "../../lib/runtime/random";
import { CrossbarDenseLayer, CrossbarLayerConfig } from "../../lib/tile/layer";
import { LayerRule, weightColumns } from "../../lib/tile/mapping";

interface Case {
  readonly inDim: number;
  readonly outDim: number;
  readonly batch: number;
  readonly rule: LayerRule;
  readonly cfg: CrossbarLayerConfig;
  readonly w: Float64Array;
  readonly x: Float64Array;
  readonly c: Float64Array;
}

/**
 * A random layer: 1–5 inputs, 1–4 outputs, any rule, a window from 0.1 µS to 10 mS with an on/off
 * ratio of 2–1000, tiles of 1–7 word lines and 2–6 bit lines, wires of `segmentOhm` and sources of
 * `sourceOhm`. Double weights are non-negative; the others are signed.
 */
function cases(wires: { segmentOhm: [number, number]; sourceOhm: [number, number] }): fc.Arbitrary<Case> {
  return fc
    .record({
      inDim: fc.integer({ min: 1, max: 5 }),
      outDim: fc.integer({ min: 1, max: 4 }),
      batch: fc.integer({ min: 1, max: 3 }),
      rule: fc.constantFrom<LayerRule>("min-G", "avg", "double"),
      gOffExponent: fc.double({ min: -7, max: -3, noNaN: true }),
      ratio: fc.double({ min: 2, max: 1000, noNaN: true }),
      volt: fc.double({ min: 0.05, max: 0.5, noNaN: true }),
      tileRows: fc.integer({ min: 1, max: 7 }),
      tileCols: fc.integer({ min: 1, max: 3 }).map((k) => 2 * k),
      segmentOhm: fc.double({ min: wires.segmentOhm[0], max: wires.segmentOhm[1], noNaN: true }),
      sourceOhm: fc.double({ min: wires.sourceOhm[0], max: wires.sourceOhm[1], noNaN: true }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    })
    .map((p) => {
      const r = rng(p.seed);
      const gOff = 10 ** p.gOffExponent;
      const n = (p.inDim + 1) * weightColumns(p.rule, p.outDim);
      const lo = p.rule === "double" ? 0 : -1;
      const cfg: CrossbarLayerConfig = {
        gOffSiemens: gOff,
        gOnSiemens: gOff * p.ratio,
        readVoltageVolt: p.volt,
        rule: p.rule,
        wordSegmentOhm: p.segmentOhm,
        bitSegmentOhm: p.segmentOhm,
        sourceOhm: p.sourceOhm,
        outputOhm: p.sourceOhm,
        tileRows: p.tileRows,
        tileCols: p.tileCols,
        engine: "direct",
      };
      return {
        inDim: p.inDim,
        outDim: p.outDim,
        batch: p.batch,
        rule: p.rule,
        cfg,
        w: Float64Array.from({ length: n }, () => r.uniform(lo, 1)),
        x: Float64Array.from({ length: p.batch * p.inDim }, () => r.uniform(-1, 1)),
        c: Float64Array.from({ length: p.batch * p.outDim }, () => r.uniform(-1, 1)),
      };
    });
}

const IDEAL = { segmentOhm: [0, 0] as [number, number], sourceOhm: [0, 0] as [number, number] };
const WIRED = { segmentOhm: [0.5, 30] as [number, number], sourceOhm: [0, 50] as [number, number] };

/** [x, 1]·W: the product the layer computes with ideal wires (double weights: W⁺ − W⁻). */
function product(k: Case): Float64Array {
  const { inDim, outDim, batch, rule, w, x } = k;
  const y = new Float64Array(batch * outDim);
  for (let b = 0; b < batch; b++)
    for (let o = 0; o < outDim; o++)
      for (let i = 0; i <= inDim; i++) {
        const xi = i < inDim ? x[b * inDim + i] : 1;
        const q = i * outDim + o;
        y[b * outDim + o] += xi * (rule === "double" ? w[2 * q] - w[2 * q + 1] : w[q]);
      }
  return y;
}

test("mapped conductances stay inside [G_off, G_on] for every rule, window and tiling", () => {
  fc.assert(
    fc.property(cases(IDEAL), (k) => {
      const layer = new CrossbarDenseLayer(k.w, k.inDim, k.outDim, k.cfg);
      const { gOffSiemens: lo, gOnSiemens: hi } = k.cfg;
      const slack = 1e-12 * hi;
      layer.conductancesSiemens.forEach((g, q) =>
        assert.ok(g >= lo - slack && g <= hi + slack, `device ${q}: ${g} S outside [${lo}, ${hi}] S`),
      );
      // the largest |weight| spans the window: some device reaches G_on (min-G, double) or the pair spans it (avg)
      const top = Math.max(...layer.conductancesSiemens);
      assert.ok(top >= hi - (k.rule === "avg" ? (hi - lo) / 2 : 0) - slack, `largest device ${top} S`);
    }),
    { numRuns: 100 },
  );
});

test("with ideal wires every tiling gives [x, 1]·W", () => {
  fc.assert(
    fc.property(cases(IDEAL), (k) => {
      const y = new CrossbarDenseLayer(k.w, k.inDim, k.outDim, k.cfg).forward(k.x, k.batch).y;
      const want = product(k);
      const scale = Math.max(1, ...Array.from(want, Math.abs));
      y.forEach((v, q) => assert.ok(Math.abs(v - want[q]) <= 1e-10 * scale, `y[${q}] = ${v}, [x, 1]·W = ${want[q]}`));
    }),
    { numRuns: 100 },
  );
});

test("on wired arrays the adjoint ∂L/∂W and ∂L/∂x agree with central differences (k_G held at its value)", () => {
  fc.assert(
    fc.property(cases(WIRED), (k) => {
      const layer = new CrossbarDenseLayer(k.w, k.inDim, k.outDim, k.cfg);
      const kG = layer.kG;
      const loss = (w: Float64Array, x: Float64Array) =>
        new CrossbarDenseLayer(w, k.inDim, k.outDim, k.cfg)
          .forward(x, k.batch)
          .y.reduce((s, v, q) => s + k.c[q] * v, 0);
      const b = layer.backward(layer.forward(k.x, k.batch), k.c);
      const central = (f: (v: Float64Array) => number, v: Float64Array, q: number) => {
        const h = 1e-6,
          a = Float64Array.from(v),
          z = Float64Array.from(v);
        a[q] += h;
        z[q] -= h;
        return (f(a) - f(z)) / (2 * h);
      };
      const scale = Math.max(...Array.from(k.c, Math.abs)) * (1 + k.inDim);
      const biggest = Math.max(...Array.from(k.w, Math.abs));
      k.w.forEach((wq, q) => {
        // a weight that sets max|W| also moves k_G, which the adjoint holds fixed: leave those out
        if (Math.abs(wq) > biggest - 1e-5) return;
        const want = central((w) => loss(w, k.x), k.w, q);
        assert.ok(Math.abs(b.dWeights[q] - want) <= 1e-6 * scale, `∂L/∂W[${q}] ${b.dWeights[q]} vs ${want}`);
      });
      k.x.forEach((_, q) => {
        const want = central((x) => loss(k.w, x), k.x, q);
        assert.ok(Math.abs(b.dInputs[q] - want) <= 1e-6 * scale, `∂L/∂x[${q}] ${b.dInputs[q]} vs ${want}`);
      });
      assert.equal(new CrossbarDenseLayer(k.w, k.inDim, k.outDim, k.cfg).kG, kG, "the same weights, the same k_G");
    }),
    { numRuns: 40 },
  );
});

test("on wired arrays the sources deliver what the devices, wires and source resistors dissipate", () => {
  fc.assert(
    fc.property(cases(WIRED), (k) => {
      const layer = new CrossbarDenseLayer(k.w, k.inDim, k.outDim, k.cfg);
      const p = layer.power(layer.forward(k.x, k.batch));
      // float64 resolves the balance to about eps × the span of the conductances (0.5 Ω segments against 0.1 µS devices: 2e7)
      const span = 1 / k.cfg.wordSegmentOhm / k.cfg.gOffSiemens;
      const tol = Math.max(1e-12, 1e-14 * span);
      for (let b = 0; b < k.batch; b++) {
        const spent = p.devicesWatt[b] + p.wiresWatt[b] + p.sourceResistorsWatt[b];
        assert.ok(p.devicesWatt[b] > 0 && p.wiresWatt[b] >= 0 && p.sourceResistorsWatt[b] >= 0, `input ${b}`);
        assert.ok(Math.abs(p.sourcesWatt[b] - spent) <= tol * spent, `input ${b}: ${p.sourcesWatt[b]} vs ${spent} W`);
      }
    }),
    { numRuns: 60 },
  );
});
