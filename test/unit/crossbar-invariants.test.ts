// Physical invariants of the crossbar solvers on random arrays up to 64×64.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rng, Rng } from "../../lib/runtime/random";
import { CrossbarTopology, nodalSystem, readTopology, topologyFromConductances } from "../../lib/crossbar/circuit";
import { CrossbarSystem, solveCrossbar } from "../../lib/crossbar/solver";
import { idealCurrents } from "../../lib/crossbar/ideal";
import { biasCell, biasCircuit, readMargin } from "../../lib/crossbar/biasing";
import { ohmicLaw, pooleFrenkelLaw, solveNonlinear } from "../../lib/crossbar/nonlinear";
import { denseOnCrossbar } from "../../lib/tile/network";
import { pooleFrenkelCurrent } from "../../lib/devices/poole-frenkel";

const randomArray = (r: Rng, m: number, n: number, rOhm = 1) =>
  topologyFromConductances(
    Float64Array.from({ length: m * n }, () => 1 / r.uniform(1e3, 1e5)),
    m,
    n,
    { wordSegmentOhm: rOhm, bitSegmentOhm: rOhm },
  );
const inputs = (r: Rng, p: number, m: number) => ({
  wordLeftVolt: Array.from({ length: p }, () => Array.from({ length: m }, () => r.uniform(-1, 1))),
});
const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0,
    s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(a[i]), Math.abs(b[i]));
  }
  return s > 0 ? d / s : d;
};

test("1×1 closed form: I = V / (R + r_wl + r_bl)", () => {
  const t = readTopology([[1234]], { wordSegmentOhm: 3, bitSegmentOhm: 5 });
  const s = solveCrossbar(t, { wordLeftVolt: [[0.7]] });
  assert.ok(Math.abs(s.outputCurrents[0] - 0.7 / (1234 + 8)) < 1e-15);
});

test("ideal-wire limit: zero segment resistance gives I = V·G exactly; tiny resistance approaches it", () => {
  const r = rng(1);
  const m = 12,
    n = 9;
  const Gm = Array.from({ length: m }, () => Array.from({ length: n }, () => 1 / r.uniform(1e3, 1e5)));
  const d = inputs(r, 3, m);
  const ideal = idealCurrents(d.wordLeftVolt, Gm).flat();
  const t0 = readTopology(
    Gm.map((row) => row.map((g) => 1 / g)),
    { wordSegmentOhm: 0, bitSegmentOhm: 0 },
  );
  assert.ok(relDiff(solveCrossbar(t0, d).outputCurrents, ideal) < 1e-14);
  for (const engine of ["direct", "gauss-seidel"] as const) {
    const t = readTopology(
      Gm.map((row) => row.map((g) => 1 / g)),
      { wordSegmentOhm: 1e-6, bitSegmentOhm: 1e-6 },
    );
    assert.ok(relDiff(solveCrossbar(t, d, { engine }).outputCurrents, ideal) < 1e-6, engine);
  }
});

test("the nodal matrix is symmetric and the solution satisfies it (independent residual)", () => {
  const r = rng(2);
  const t: CrossbarTopology = {
    ...randomArray(r, 5, 7, 2),
    wordRight: Array.from({ length: 5 }, () => ({ sourceOhm: 10 })),
    bitTop: Array.from({ length: 7 }, (_, j) => (j % 2 ? { sourceOhm: 3 } : null)),
  };
  const d = {
    ...inputs(r, 1, 5),
    wordRightVolt: [[0.1, 0.2, 0.3, 0.4, 0.5]],
    bitTopVolt: [[0, 0.2, 0, 0.1, 0, 0.3, 0]],
  };
  const { A, b } = nodalSystem(t, d);
  for (let i = 0; i < A.length; i++) for (let j = 0; j < i; j++) assert.equal(A[i][j], A[j][i]);
  for (const engine of ["direct", "gauss-seidel"] as const) {
    const s = solveCrossbar(t, d, { engine });
    const x = [...s.wordVoltages, ...s.bitVoltages];
    const res = A.map((row, i) => row.reduce((acc, a, j) => acc + a * x[j], 0) - b[i]);
    const scale = Math.max(...b.map(Math.abs));
    assert.ok(Math.max(...res.map(Math.abs)) < 1e-10 * scale, `${engine}: residual ${Math.max(...res.map(Math.abs))}`);
  }
});

test("superposition: the solution for V1 + V2 is the sum of the solutions", () => {
  const r = rng(3);
  const t = randomArray(r, 16, 16);
  const a = inputs(r, 1, 16),
    b = inputs(r, 1, 16);
  const sum = { wordLeftVolt: [a.wordLeftVolt[0].map((v, i) => v + b.wordLeftVolt[0][i])] };
  const sys = new CrossbarSystem(t);
  const sa = sys.solve(a),
    sb = sys.solve(b),
    ss = sys.solve(sum);
  assert.ok(
    relDiff(
      ss.outputCurrents,
      sa.outputCurrents.map((x, j) => x + sb.outputCurrents[j]),
    ) < 1e-12,
  );
  assert.ok(
    relDiff(
      ss.deviceCurrents,
      sa.deviceCurrents.map((x, j) => x + sb.deviceCurrents[j]),
    ) < 1e-12,
  );
});

test("direct and Gauss–Seidel engines agree, KCL holds and power balances on random arrays up to 64×64", () => {
  const r = rng(4);
  for (const [m, n] of [
    [1, 7],
    [7, 1],
    [8, 8],
    [20, 13],
    [64, 64],
  ]) {
    const t = randomArray(r, m, n, r.uniform(0.5, 5));
    const d = inputs(r, 4, m);
    const sys = new CrossbarSystem(t);
    const a = sys.solve(d, { engine: "direct" }),
      b = sys.solve(d, { engine: "gauss-seidel" });
    assert.ok(
      relDiff(a.deviceCurrents, b.deviceCurrents) < 1e-9,
      `${m}×${n}: engines differ by ${relDiff(a.deviceCurrents, b.deviceCurrents)}`,
    );
    assert.ok(relDiff(a.bitVoltages, b.bitVoltages) < 1e-9);
    for (const s of [a, b])
      assert.ok(s.kclResidualRelative < 1e-9, `${m}×${n} ${s.engine}: KCL ${s.kclResidualRelative}`);
    for (const pw of sys.power(a, d)) {
      const dissipated = pw.devicesWatt + pw.wiresWatt + pw.sourceResistorsWatt;
      assert.ok(
        Math.abs(pw.sourcesWatt - dissipated) <= 1e-9 * dissipated,
        `${m}×${n}: sources ${pw.sourcesWatt} vs dissipated ${dissipated}`,
      );
    }
  }
});

test("Gauss–Seidel's SIMD sweep kernel gives the TypeScript reference's sweeps and potentials, for odd and even input counts and any chunk", () => {
  const r = rng(41);
  for (const [m, n, p, chunk] of [
    [5, 9, 3, 2],
    [16, 16, 7, 8],
    [9, 4, 1, 16],
    [33, 17, 6, 4],
  ]) {
    const t = randomArray(r, m, n, r.uniform(0.5, 5));
    const sys = new CrossbarSystem({ ...t, bitTop: t.bitTop.map((_, j) => (j % 3 === 0 ? { sourceOhm: 2 } : null)) });
    const d = {
      ...inputs(r, p, m),
      bitTopVolt: Array.from({ length: p }, () => Array.from({ length: n }, () => r.uniform(-0.2, 0.2))),
    };
    const wasm = sys.solve(d, { engine: "gauss-seidel", chunk }),
      js = sys.solve(d, { engine: "gauss-seidel", chunk, sweepKernel: "js" });
    assert.equal(wasm.sweeps, js.sweeps, `${m}×${n}, ${p} inputs: sweeps`);
    assert.ok(
      relDiff(wasm.wordVoltages, js.wordVoltages) < 1e-13 && relDiff(wasm.bitVoltages, js.bitVoltages) < 1e-13,
      `${m}×${n}, ${p} inputs: potentials differ`,
    );
    assert.ok(relDiff(wasm.outputCurrents, sys.solve(d, { engine: "direct" }).outputCurrents) < 1e-9);
  }
  assert.throws(
    () =>
      new CrossbarSystem(randomArray(r, 2, 2)).solve(inputs(r, 1, 2), {
        engine: "gauss-seidel",
        sweepKernel: "c" as never,
      }),
    /unknown sweepKernel "c"/,
  );
});

test("over-relaxed Gauss–Seidel (strongly coupled lines): the kernel and the TypeScript reference take the same sweeps to the direct solution, in fewer sweeps than plain ones", () => {
  const r = rng(43);
  const m = 16,
    n = 18,
    p = 5;
  // 20 – 200 Ω devices on 5 Ω segments: plain sweeps contract slowly
  const t = topologyFromConductances(
    Float64Array.from({ length: m * n }, () => 1 / r.uniform(20, 200)),
    m,
    n,
    { wordSegmentOhm: 5, bitSegmentOhm: 5 },
  );
  const sys = new CrossbarSystem(t);
  const d = inputs(r, p, m);
  const direct = sys.solve(d, { engine: "direct" });
  const wasm = sys.solve(d, { engine: "gauss-seidel", chunk: 4 }),
    js = sys.solve(d, { engine: "gauss-seidel", chunk: 4, sweepKernel: "js" });
  const plain = sys.solve(d, { engine: "gauss-seidel", chunk: 4, overRelax: false });
  assert.ok(wasm.overRelaxation! > 1.2 && wasm.overRelaxation! < 2, `ω ${wasm.overRelaxation}`);
  assert.equal(js.overRelaxation, wasm.overRelaxation);
  assert.equal(wasm.sweeps, js.sweeps);
  assert.ok(
    relDiff(wasm.wordVoltages, js.wordVoltages) < 1e-13 && relDiff(wasm.bitVoltages, js.bitVoltages) < 1e-13,
    "kernel and reference potentials differ",
  );
  assert.equal(plain.overRelaxation, 1);
  assert.ok(wasm.sweeps! < 0.6 * plain.sweeps!, `over-relaxed ${wasm.sweeps} sweeps, plain ${plain.sweeps}`);
  for (const s of [wasm, plain]) {
    assert.ok(relDiff(s.outputCurrents, direct.outputCurrents) < 1e-9, "output currents differ from the direct solve");
    assert.ok(s.kclResidualRelative <= 1e-12, `KCL ${s.kclResidualRelative}`);
  }
  assert.throws(
    () => sys.solve(d, { engine: "gauss-seidel", overRelax: "yes" as never }),
    /overRelax must be true or false, got yes/,
  );
});

test("branch currents read after the solve equal those implied by the node potentials, per input", () => {
  const r = rng(42);
  const t = randomArray(r, 6, 5, 2);
  const d = inputs(r, 3, 6);
  const s = solveCrossbar(t, d, { engine: "gauss-seidel" });
  const N = 30;
  for (let k = 0; k < 3; k++)
    for (let i = 0; i < 6; i++)
      for (let j = 0; j < 5; j++) {
        const q = k * N + i * 5 + j;
        assert.ok(
          Math.abs(s.deviceCurrents[q] - t.conductancesSiemens[i * 5 + j] * (s.wordVoltages[q] - s.bitVoltages[q])) <
            1e-18,
        );
        if (j > 0)
          assert.ok(Math.abs(s.wordSegmentCurrents[q] - (s.wordVoltages[q - 1] - s.wordVoltages[q]) / 2) < 1e-15);
        if (i < 5) assert.ok(Math.abs(s.bitSegmentCurrents[q] - (s.bitVoltages[q] - s.bitVoltages[q + 5]) / 2) < 1e-15);
        else assert.ok(Math.abs(s.bitSegmentCurrents[q] - s.outputCurrents[k * 5 + j]) < 1e-18);
      }
  assert.equal(s.deviceCurrents, s.deviceCurrents, "computed once and kept");
});

test("a single driven row on grounded bit lines matches the discrete ladder closed form", () => {
  const n = 40,
    G = 1e-3,
    rw = 2,
    V = 0.8;
  const t = topologyFromConductances(new Float64Array(n).fill(G), 1, n, { wordSegmentOhm: rw, bitSegmentOhm: 0 });
  const s = solveCrossbar(t, { wordLeftVolt: [[V]] });
  const alpha = Math.acosh(1 + (rw * G) / 2);
  for (let j = 0; j < n; j++) {
    const exact = (V * Math.cosh(alpha * (n - 0.5 - j))) / Math.cosh(alpha * (n + 0.5));
    assert.ok(Math.abs(s.wordVoltages[j] - exact) < 1e-12, `node ${j}: ${s.wordVoltages[j]} vs ${exact}`);
  }
});

test("biasing with ideal wires: V/2 and V/3 half-select voltages and the V/2 sneak current", () => {
  const r = rng(5);
  const m = 6,
    n = 5,
    V = 1.2;
  const g = Float64Array.from({ length: m * n }, () => r.uniform(1e-5, 1e-3));
  const base = { row: 2, col: 3, voltageVolt: V, wordSegmentOhm: 0, bitSegmentOhm: 0 };
  const half = biasCell(g, m, n, { ...base, scheme: "V/2" });
  const third = biasCell(g, m, n, { ...base, scheme: "V/3" });
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      if (i === 2 && j === 3) continue;
      const expectedHalf = i === 2 || j === 3 ? V / 2 : 0;
      assert.ok(Math.abs(half.unselectedVoltagesVolt[i * n + j] - expectedHalf) < 1e-12);
      assert.ok(Math.abs(third.unselectedVoltagesVolt[i * n + j] - V / 3) < 1e-12);
    }
  assert.ok(Math.abs(half.selectedVoltageVolt - V) < 1e-12);
  let sneak = 0;
  for (let i = 0; i < m; i++) if (i !== 2) sneak += g[i * n + 3] * (V / 2);
  assert.ok(
    Math.abs(half.sneakCurrentAmp - sneak) < 1e-15 + 1e-12 * sneak,
    `sneak ${half.sneakCurrentAmp} vs ${sneak}`,
  );
  assert.ok(Math.abs(third.maxUnselectedVoltageVolt - V / 3) < 1e-12);
});

test("biasing with wires: floating lines, both-end drive, read margin falls with size", () => {
  const r = rng(6);
  const g = Float64Array.from({ length: 16 * 16 }, () => r.uniform(1e-5, 1e-3));
  const b = biasCell(g, 16, 16, {
    scheme: "floating",
    row: 0,
    col: 15,
    voltageVolt: 1,
    wordSegmentOhm: 2,
    bitSegmentOhm: 2,
    wordDrive: "both",
    bitDrive: "both",
  });
  assert.ok(b.solution.kclResidualRelative < 1e-9);
  assert.ok(b.sneakCurrentAmp > 0, "floating lines let sneak current reach the sense amplifier");
  const opts = {
    gOnSiemens: 500e-6,
    gOffSiemens: 100e-6,
    backgroundSiemens: 500e-6,
    voltageVolt: 0.2,
    wordSegmentOhm: 1,
    bitSegmentOhm: 1,
  };
  const small = readMargin(8, 8, "V/2", opts).margin,
    large = readMargin(64, 64, "V/2", opts).margin;
  assert.ok(small > large && large > 0, `margins ${small} → ${large}`);
  assert.throws(
    () =>
      biasCell(g, 16, 16, {
        scheme: "V/4" as never,
        row: 0,
        col: 0,
        voltageVolt: 1,
        wordSegmentOhm: 1,
        bitSegmentOhm: 1,
      }),
    /unknown biasing scheme "V\/4"/,
  );
  assert.throws(
    () => biasCell(g, 16, 16, { scheme: "V/2", row: 16, col: 0, voltageVolt: 1, wordSegmentOhm: 1, bitSegmentOhm: 1 }),
    /selected row 16 is outside 0–15/,
  );
  assert.throws(
    () =>
      biasCell(g, 16, 16, { scheme: "floating", row: 0, col: 0, voltageVolt: 1, wordSegmentOhm: 0, bitSegmentOhm: 1 }),
    /word line 1: with zero segment resistance a line must be driven/,
  );
});

test("biasing power: the sources deliver Σ V·I over their terminals, which the devices, wires and source resistors dissipate", () => {
  const r = rng(8);
  const m = 5,
    n = 6;
  const g = Float64Array.from({ length: m * n }, () => r.uniform(1e-5, 1e-3));
  for (const scheme of ["V/2", "V/3"] as const) {
    const b = { scheme, row: 1, col: 4, voltageVolt: 1.1, wordSegmentOhm: 2, bitSegmentOhm: 3, sourceOhm: 10 };
    const both = { ...b, wordDrive: "both", bitDrive: "both" } as const;
    const res = biasCell(g, m, n, both, { engine: "direct" });
    const { topology, drive } = biasCircuit(g, m, n, both);
    const s = res.solution;
    // the power each source delivers is its voltage times the current it drives into its line end
    let delivered = 0;
    for (let i = 0; i < m; i++)
      delivered +=
        drive.wordLeftVolt[0][i] * s.wordLeftCurrents[i] - drive.wordRightVolt![0][i] * s.wordRightCurrents[i];
    for (let j = 0; j < n; j++)
      delivered -= drive.bitBottomVolt![0][j] * s.outputCurrents[j] + drive.bitTopVolt![0][j] * s.bitTopCurrents[j];
    const pw = new CrossbarSystem(topology).power(s, drive)[0];
    assert.ok(
      Math.abs(res.sourcePowerWatt - delivered) <= 1e-12 * delivered,
      `${scheme}: ${res.sourcePowerWatt} vs ${delivered} W`,
    );
    const dissipated = pw.devicesWatt + pw.wiresWatt + pw.sourceResistorsWatt;
    assert.ok(Math.abs(dissipated - delivered) <= 1e-9 * delivered, `${scheme}: dissipated ${dissipated} W`);
    assert.ok(pw.sourceResistorsWatt > 1e-3 * delivered, `${scheme}: 10 Ω sources take a visible share`);
  }
});

test("nonlinear solver: ohmic law reproduces the linear solution; Poole–Frenkel converges with small residuals", () => {
  const r = rng(7);
  const t = randomArray(r, 12, 10, 2);
  const d = { wordLeftVolt: Array.from({ length: 2 }, () => Array.from({ length: 12 }, () => r.uniform(0, 0.5))) };
  const lin = solveCrossbar(t, d);
  const nl = solveNonlinear(t, ohmicLaw(t.conductancesSiemens), d, { maxStepVolt: 10 });
  assert.ok(relDiff(lin.deviceCurrents, nl.deviceCurrents) < 1e-10);
  assert.deepEqual(
    nl.newtonIterations.map((k) => k <= 3),
    [true, true],
  );
  // high-nonlinearity SiOx-like devices (Joksas spec §3.1 sanity table: c = 1.39e-6 S, dε = 2.43e-17 F)
  const N = 12 * 10;
  const pf = pooleFrenkelLaw(new Float64Array(N).fill(1.39e-6), new Float64Array(N).fill(2.43e-17));
  const s = solveNonlinear({ ...t, wordSegmentOhm: 100, bitSegmentOhm: 100 }, pf, d);
  assert.ok(s.newtonConverged, `iterations ${s.newtonIterations}`);
  assert.ok(s.kclResidualRelative < 1e-9);
  const scale = Math.max(...Array.from(s.deviceCurrents, Math.abs));
  assert.ok(s.lawResidualAmp < 1e-9 * scale, `law residual ${s.lawResidualAmp}`);
  const ratio = pooleFrenkelCurrent(0.5, 1.39e-6, 2.43e-17) / pooleFrenkelCurrent(0.25, 1.39e-6, 2.43e-17);
  assert.ok(Math.abs(ratio - 2.91) < 0.01, `I(0.5)/I(0.25) = ${ratio}`);
});

test("dense layer on crossbars: exact with ideal wires, tiled or not; degrades with segment resistance", () => {
  const r = rng(8);
  const out = 7,
    inn = 20;
  const W = Float64Array.from({ length: out * inn }, () => r.uniform(-1, 1));
  const b = Float64Array.from({ length: out }, () => r.uniform(-1, 1));
  const x = Array.from({ length: 5 }, () => Array.from({ length: inn }, () => r.uniform(0, 1)));
  const ref = x.map((v) =>
    Array.from({ length: out }, (_, o) => b[o] + v.reduce((s, xi, i) => s + W[o * inn + i] * xi, 0)),
  );
  const cfg = {
    gOffSiemens: 1e-5,
    gOnSiemens: 1e-4,
    readVoltageVolt: 0.2,
    wordSegmentOhm: 0,
    bitSegmentOhm: 0,
    tileRows: 8,
    tileCols: 4,
  };
  const tiled = denseOnCrossbar(W, b, out, inn, x, cfg);
  assert.equal(tiled.tiles, Math.ceil(21 / 8) * Math.ceil(7 / 2));
  assert.ok(relDiff(tiled.outputs.flat(), ref.flat()) < 1e-12);
  const wired = denseOnCrossbar(W, b, out, inn, x, {
    ...cfg,
    wordSegmentOhm: 50,
    bitSegmentOhm: 50,
    tileRows: 32,
    tileCols: 16,
  });
  const err = relDiff(wired.outputs.flat(), ref.flat());
  assert.ok(err > 1e-4 && err < 0.5, `error with 50 Ω segments: ${err}`);
  assert.throws(() => denseOnCrossbar(W, b, out, inn, x, { ...cfg, tileCols: 3 }), /tileCols must be an even integer/);
});

test("bad inputs are rejected with the problem named", () => {
  assert.throws(
    () => readTopology([[100, -5]], { wordSegmentOhm: 1, bitSegmentOhm: 1 }),
    /resistance\[0\]\[1\] = -5 Ω: resistances must be >= 0/,
  );
  assert.throws(
    () => readTopology([[100, Number.NaN]], { wordSegmentOhm: 1, bitSegmentOhm: 1 }),
    /resistance\[0\]\[1\] must be a number of ohms, got NaN/,
  );
  assert.throws(
    () => readTopology([[0]], { wordSegmentOhm: 1, bitSegmentOhm: 1 }),
    /zero-resistance device is a short circuit/,
  );
  assert.throws(() => readTopology([[100], [1, 2]], { wordSegmentOhm: 1, bitSegmentOhm: 1 }), /ragged/);
  assert.throws(
    () => readTopology([[100]], { wordSegmentOhm: -1, bitSegmentOhm: 1 }),
    /wordSegmentOhm .* must be >= 0/,
  );
  const t = readTopology([[100, 200]], { wordSegmentOhm: 1, bitSegmentOhm: 1 });
  assert.throws(() => solveCrossbar(t, { wordLeftVolt: [[1, 2]] }), /drive.wordLeftVolt\[0\] must have 1 voltages/);
  assert.throws(() => solveCrossbar(t, { wordLeftVolt: [[Number.POSITIVE_INFINITY]] }), /is not finite/);
  assert.throws(() => solveCrossbar(t, { wordLeftVolt: [[1]] }, { engine: "lu" as never }), /unknown engine "lu"/);
  const isolated = { ...readTopology([[null]], { wordSegmentOhm: 1, bitSegmentOhm: 1 }), bitBottom: [null] };
  for (const engine of ["direct", "gauss-seidel"] as const)
    assert.throws(
      () => solveCrossbar(isolated, { wordLeftVolt: [[1]] }, { engine }),
      /floating network: bit lines 0 have no path to a driven line end/,
    );
});
