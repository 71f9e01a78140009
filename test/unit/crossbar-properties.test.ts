/**
 * Property-based tests (fast-check) of the exact crossbar solver on random passive arrays: KCL at
 * every node, both engines agree, reciprocity, the ideal-wire limit, Rayleigh monotonicity and
 * superposition. Each property names the law it checks; a failure prints the shrunk counterexample.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CrossbarTopology, topologyFromConductances } from "../../lib/crossbar/circuit";
import { CrossbarSystem, solveCrossbar } from "../../lib/crossbar/solver";
import { idealCurrents } from "../../lib/crossbar/ideal";

const RUNS = 60;

/** A random array: 1–6 × 1–6 devices of 1 µS–10 mS, segments of 0.1–100 Ω, sources of 0–50 Ω. */
const arrays = fc
  .record({
    rows: fc.integer({ min: 1, max: 6 }),
    cols: fc.integer({ min: 1, max: 6 }),
    segmentOhm: fc.double({ min: 0.1, max: 100, noNaN: true }),
    sourceOhm: fc.double({ min: 0, max: 50, noNaN: true }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(({ rows, cols, segmentOhm, sourceOhm, seed }) => {
    let s = seed || 1;
    const u = () => ((s = (Math.imul(s, 48271) >>> 0) % 2147483647), s / 2147483647);
    const g = Float64Array.from({ length: rows * cols }, () => 10 ** (-6 + 4 * u()));
    const volts = (n: number) => Array.from({ length: n }, () => 2 * u() - 1);
    return {
      t: topologyFromConductances(g, rows, cols, {
        wordSegmentOhm: segmentOhm,
        bitSegmentOhm: segmentOhm,
        sourceOhm,
        outputOhm: sourceOhm,
      }),
      v1: volts(rows),
      v2: volts(rows),
    };
  });

/** Largest over smallest non-zero conductance in the network: devices, segments and source resistors. */
function conductanceSpan(t: CrossbarTopology): number {
  const gs = [...Array.from(t.conductancesSiemens).filter((g) => g > 0), 1 / t.wordSegmentOhm, 1 / t.bitSegmentOhm];
  return Math.max(...gs) / Math.min(...gs);
}

const close = (a: number, b: number, rel: number, what: string) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) + 1e-18, `${what}: ${a} vs ${b}`);

test("KCL holds at every node and the two engines agree, on random arrays", () => {
  fc.assert(
    fc.property(arrays, ({ t, v1 }) => {
      const d = solveCrossbar(t, { wordLeftVolt: [v1] }, { engine: "direct" });
      const gs = solveCrossbar(t, { wordLeftVolt: [v1] }, { engine: "gauss-seidel" });
      // float64 resolves KCL to about eps × the span of the conductances (0.1 Ω segments against 1 µS devices: 1e7)
      const tol = Math.max(1e-12, 1e-14 * conductanceSpan(t));
      assert.ok(d.kclResidualRelative < tol, `direct KCL ${d.kclResidualRelative} (tolerance ${tol})`);
      assert.ok(gs.kclResidualRelative < tol, `Gauss–Seidel KCL ${gs.kclResidualRelative} (tolerance ${tol})`);
      const scale = Math.max(...Array.from(d.outputCurrents, Math.abs));
      d.outputCurrents.forEach((x, j) =>
        assert.ok(
          Math.abs(x - gs.outputCurrents[j]) <= 1e-8 * scale + 1e-18,
          `output ${j}: ${x} vs ${gs.outputCurrents[j]}`,
        ),
      );
    }),
    { numRuns: RUNS },
  );
});

test("reciprocity: the current at bit line j's terminal per volt on word line i equals the reverse (Y_ij = Y_ji)", () => {
  fc.assert(
    fc.property(arrays, fc.nat(), fc.nat(), ({ t }, a, b) => {
      const i = a % t.rows,
        j = b % t.cols;
      const unit = (n: number, k: number) => Array.from({ length: n }, (_, q) => (q === k ? 1 : 0));
      const sys = new CrossbarSystem(t);
      // 1 V on word line i (all other terminals at 0 V): current into bit line j's bottom terminal
      const forward = sys.solve({ wordLeftVolt: [unit(t.rows, i)], bitBottomVolt: [new Array(t.cols).fill(0)] })
        .outputCurrents[j];
      // 1 V on bit line j's terminal: current out of the circuit through word line i's source
      const back = sys.solve({ wordLeftVolt: [new Array(t.rows).fill(0)], bitBottomVolt: [unit(t.cols, j)] })
        .wordSegmentCurrents[i * t.cols];
      close(forward, -back, 1e-8, `Y(${i},${j})`);
    }),
    { numRuns: RUNS },
  );
});

test("ideal-wire limit: with segments and sources near 0 Ω the outputs approach I = V·G", () => {
  fc.assert(
    fc.property(arrays, ({ t, v1 }) => {
      const tight: CrossbarTopology = topologyFromConductances(t.conductancesSiemens, t.rows, t.cols, {
        wordSegmentOhm: 1e-6,
        bitSegmentOhm: 1e-6,
      });
      const s = solveCrossbar(tight, { wordLeftVolt: [v1] });
      const G = Array.from({ length: t.rows }, (_, r) =>
        Array.from(t.conductancesSiemens.subarray(r * t.cols, (r + 1) * t.cols)),
      );
      const ideal = idealCurrents([v1], G)[0];
      const scale = Math.max(...ideal.map(Math.abs), 1e-12);
      s.outputCurrents.forEach((x, j) =>
        assert.ok(Math.abs(x - ideal[j]) <= 1e-5 * scale, `output ${j}: ${x} vs ideal ${ideal[j]}`),
      );
    }),
    { numRuns: RUNS },
  );
});

test("Rayleigh monotonicity: with every word line at the same voltage, raising any device's conductance never lowers the total current", () => {
  fc.assert(
    fc.property(arrays, fc.nat(), fc.double({ min: 1.01, max: 100, noNaN: true }), ({ t }, k, factor) => {
      const drive = { wordLeftVolt: [new Array(t.rows).fill(1)] };
      const total = (tt: CrossbarTopology) =>
        Array.from(solveCrossbar(tt, drive).outputCurrents).reduce((a, b) => a + b, 0);
      const g = Float64Array.from(t.conductancesSiemens);
      g[k % g.length] *= factor;
      const before = total(t),
        after = total({ ...t, conductancesSiemens: g });
      assert.ok(
        after >= before * (1 - 1e-12),
        `total current ${before} → ${after} after raising device ${k % g.length} ×${factor}`,
      );
    }),
    { numRuns: RUNS },
  );
});

test("superposition: the solution for V₁ + V₂ is the sum of the solutions (every node voltage and branch current)", () => {
  fc.assert(
    fc.property(arrays, ({ t, v1, v2 }) => {
      const sys = new CrossbarSystem(t);
      const s = sys.solve({ wordLeftVolt: [v1, v2, v1.map((x, i) => x + v2[i])] });
      const N = t.rows * t.cols;
      for (const [name, a] of [
        ["wordVoltages", s.wordVoltages],
        ["deviceCurrents", s.deviceCurrents],
        ["bitSegmentCurrents", s.bitSegmentCurrents],
      ] as const) {
        const scale = Math.max(...Array.from(a, Math.abs), 1e-15);
        for (let r = 0; r < N; r++)
          assert.ok(Math.abs(a[2 * N + r] - (a[r] + a[N + r])) <= 1e-9 * scale, `${name}[${r}]`);
      }
    }),
    { numRuns: RUNS },
  );
});
