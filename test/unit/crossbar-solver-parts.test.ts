// The solver's parts checked one by one: power split against hand calculations, chunking, factoring,
// companion current sources, the grid view of a solution.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rng } from "../../lib/runtime/random";
import { CrossbarTopology, topologyFromConductances } from "../../lib/crossbar/circuit";
import {
  CrossbarSolution,
  CrossbarSystem,
  gridOf,
  KCL_RELATIVE_LIMIT,
  overRelaxation,
  solveCrossbar,
  untilConverged,
} from "../../lib/crossbar/solver";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(Math.abs(b), 1e-30), `${what}: ${a} vs ${b}`);

test("power of a 1×1 array driven from both ends of both lines: every part against the hand calculation", () => {
  // one device G between W and B; W driven from the left (V1 through r1 + segment) and the right (V2 through r2 + segment);
  // B to the bottom (0 V through r3 + segment) and the top (V4 through r4 + segment)
  const G = 1e-3,
    seg = 2,
    r = [10, 20, 30, 40],
    V = [1, 0.5, 0, 0.2];
  const t: CrossbarTopology = {
    rows: 1,
    cols: 1,
    conductancesSiemens: Float64Array.from([G]),
    wordSegmentOhm: seg,
    bitSegmentOhm: seg,
    wordLeft: [{ sourceOhm: r[0] }],
    wordRight: [{ sourceOhm: r[1] }],
    bitBottom: [{ sourceOhm: r[2] }],
    bitTop: [{ sourceOhm: r[3] }],
  };
  const drive = { wordLeftVolt: [[V[0]]], wordRightVolt: [[V[1]]], bitBottomVolt: [[V[2]]], bitTopVolt: [[V[3]]] };
  const g = r.map((x) => 1 / (x + seg));
  // nodal equations for W and B (2×2), solved by hand
  const a11 = g[0] + g[1] + G,
    a22 = g[2] + g[3] + G,
    a12 = -G;
  const b1 = g[0] * V[0] + g[1] * V[1],
    b2 = g[2] * V[2] + g[3] * V[3];
  const det = a11 * a22 - a12 * a12;
  const w = (b1 * a22 - a12 * b2) / det,
    b = (a11 * b2 - a12 * b1) / det;
  for (const engine of ["direct", "gauss-seidel"] as const) {
    const sys = new CrossbarSystem(t);
    const s = sys.solve(drive, { engine });
    close(s.wordVoltages[0], w, 1e-10, `${engine}: W`);
    close(s.bitVoltages[0], b, 1e-10, `${engine}: B`);
    const i = [g[0] * (V[0] - w), g[1] * (w - V[1]), g[2] * (b - V[2]), g[3] * (V[3] - b)];
    close(s.wordSegmentCurrents[0], i[0], 1e-9, "left current");
    close(s.wordLeftCurrents[0], i[0], 1e-9, "left current (terminal)");
    close(s.wordRightCurrents[0], i[1], 1e-9, "right current");
    close(s.outputCurrents[0], i[2], 1e-9, "bottom current");
    close(s.bitTopCurrents[0], -i[3], 1e-9, "top current (leaving through the top)");
    const p = sys.power(s, drive)[0];
    close(p.devicesWatt, G * (w - b) ** 2, 1e-9, "device power");
    close(p.wiresWatt, seg * i.reduce((acc, x) => acc + x * x, 0), 1e-9, "end segments");
    close(
      p.sourceResistorsWatt,
      i.reduce((acc, x, k) => acc + x * x * r[k], 0),
      1e-9,
      "source resistors",
    );
    close(p.sourcesWatt, V[0] * i[0] - V[1] * i[1] - V[2] * i[2] + V[3] * i[3], 1e-9, "delivered by the sources");
  }
});

test("power with ideal word lines counts only bit-line wires; with ideal bit lines only word-line wires", () => {
  const r = rng(7);
  const g = Float64Array.from({ length: 12 }, () => r.uniform(1e-4, 1e-3));
  const drive = { wordLeftVolt: [[0.3, 0.1, 0.2]] };
  for (const [w, b] of [
    [0, 5],
    [5, 0],
  ]) {
    const sys = new CrossbarSystem(topologyFromConductances(g, 3, 4, { wordSegmentOhm: w, bitSegmentOhm: b }));
    const s = sys.solve(drive, { engine: "gauss-seidel" });
    const p = sys.power(s, drive)[0];
    let expected = 0;
    if (w > 0) for (let k = 0; k < 12; k++) expected += w * s.wordSegmentCurrents[k] ** 2;
    if (b > 0) for (let k = 0; k < 12; k++) expected += b * s.bitSegmentCurrents[k] ** 2;
    close(p.wiresWatt, expected, 1e-9, `wires ${w}/${b} Ω`);
    close(p.sourcesWatt, p.devicesWatt + p.wiresWatt + p.sourceResistorsWatt, 1e-9, "balance");
  }
});

test("chunking, factoring and the engines change nothing; a solution's grid view is per input", () => {
  const r = rng(8);
  const t = topologyFromConductances(
    Float64Array.from({ length: 35 }, () => r.uniform(1e-5, 1e-4)),
    5,
    7,
    { wordSegmentOhm: 3, bitSegmentOhm: 2 },
  );
  const drive = { wordLeftVolt: Array.from({ length: 5 }, () => Array.from({ length: 5 }, () => r.uniform(-1, 1))) };
  const ref = new CrossbarSystem(t).solve(drive, { engine: "direct", chunk: 64 });
  for (const engine of ["direct", "gauss-seidel"] as const) {
    for (const chunk of [1, 2, 3, 5, 100]) {
      const s = new CrossbarSystem(t).solve(drive, { engine, chunk });
      s.outputCurrents.forEach((v, q) =>
        close(v, ref.outputCurrents[q], 1e-9, `${engine}, chunk ${chunk}: output ${q}`),
      );
      s.deviceCurrents.forEach((v, q) =>
        close(v, ref.deviceCurrents[q], 1e-9, `${engine}, chunk ${chunk}: device ${q}`),
      );
    }
  }
  const sys = new CrossbarSystem(t);
  assert.equal(sys.factorSeconds, 0);
  assert.equal(sys.factor("gauss-seidel"), sys, "factor returns the system");
  sys.factor();
  assert.ok(sys.factorSeconds >= 0);
  sys.solve(drive).outputCurrents.forEach((v, q) => close(v, ref.outputCurrents[q], 1e-12, `prefactored: output ${q}`));
  const grid = gridOf(ref.bitVoltages, ref, 3);
  assert.equal(grid.length, 5);
  assert.equal(grid[0].length, 7);
  assert.equal(grid[4][6], ref.bitVoltages[3 * 35 + 4 * 7 + 6]);
  assert.equal(gridOf(ref.bitVoltages, ref)[2][1], ref.bitVoltages[2 * 7 + 1], "input 0 by default");
});

test("companion current sources in parallel with the devices shift every device current by exactly their value", () => {
  const r = rng(9);
  const t = topologyFromConductances(
    Float64Array.from({ length: 6 }, () => r.uniform(1e-4, 1e-3)),
    2,
    3,
    { wordSegmentOhm: 1, bitSegmentOhm: 1 },
  );
  const drive = {
    wordLeftVolt: [
      [0.4, 0.2],
      [0.1, -0.3],
    ],
  };
  const J = Float64Array.from({ length: 12 }, () => r.uniform(-1e-5, 1e-5));
  for (const engine of ["direct", "gauss-seidel"] as const) {
    const s = solveCrossbar(t, drive, { engine, deviceSourceAmp: J });
    for (let q = 0; q < 12; q++)
      close(
        s.deviceCurrents[q],
        t.conductancesSiemens[q % 6] * (s.wordVoltages[q] - s.bitVoltages[q]) + J[q],
        1e-9,
        `${engine}: device ${q}`,
      );
    assert.ok(s.kclResidualRelative < 1e-9);
  }
  assert.throws(
    () => solveCrossbar(t, drive, { deviceSourceAmp: new Float64Array(6) }),
    /deviceSourceAmp has 6 entries, expected inputs × rows × cols = 12/,
  );
});

test("ideal lines driven from either end: every branch current equals the limit of nearly ideal lines", () => {
  const r = rng(10);
  const m = 3,
    n = 4;
  const g = Float64Array.from({ length: m * n }, () => r.uniform(1e-4, 1e-3));
  const v = (len: number) => [Array.from({ length: len }, () => r.uniform(0.1, 0.5))];
  const cases: Array<[string, (seg: number) => CrossbarTopology]> = [
    [
      "word lines ideal, driven from the right",
      (seg) => ({
        ...topologyFromConductances(g, m, n, { wordSegmentOhm: seg, bitSegmentOhm: 2 }),
        wordLeft: [null, null, null],
        wordRight: [{ sourceOhm: 0 }, { sourceOhm: 0 }, { sourceOhm: 0 }],
      }),
    ],
    [
      "word lines ideal, driven from the left with an open right end",
      (seg) => topologyFromConductances(g, m, n, { wordSegmentOhm: seg, bitSegmentOhm: 2 }),
    ],
    [
      "bit lines ideal, sensed at the top",
      (seg) => ({
        ...topologyFromConductances(g, m, n, { wordSegmentOhm: 2, bitSegmentOhm: seg }),
        bitBottom: [null, null, null, null],
        bitTop: [{ sourceOhm: 0 }, { sourceOhm: 0 }, { sourceOhm: 0 }, { sourceOhm: 0 }],
      }),
    ],
    [
      "bit lines ideal, sensed at the bottom",
      (seg) => topologyFromConductances(g, m, n, { wordSegmentOhm: 2, bitSegmentOhm: seg }),
    ],
  ];
  for (const [name, topo] of cases) {
    const t0 = topo(0);
    const drive = {
      wordLeftVolt: v(m),
      wordRightVolt: v(m),
      bitBottomVolt: [new Array(n).fill(0)],
      bitTopVolt: [new Array(n).fill(0)],
    };
    const exact = solveCrossbar(t0, drive),
      near = solveCrossbar(topo(1e-6), drive, { engine: "direct" });
    const fields = [
      "deviceCurrents",
      "wordSegmentCurrents",
      "bitSegmentCurrents",
      "wordLeftCurrents",
      "wordRightCurrents",
      "bitTopCurrents",
      "outputCurrents",
    ] as const;
    for (const f of fields) {
      const a = exact[f],
        b = near[f];
      let scale = 0;
      for (let q = 0; q < b.length; q++) scale = Math.max(scale, Math.abs(b[q]));
      for (let q = 0; q < a.length; q++)
        assert.ok(Math.abs(a[q] - b[q]) <= 1e-5 * scale, `${name}: ${f}[${q}] ideal ${a[q]}, nearly ideal ${b[q]}`);
    }
  }
});

test("a solution does not change when the caller reuses its drive and companion-source buffers afterwards", () => {
  const r = rng(11);
  const m = 3,
    n = 4,
    N = m * n;
  const g = Float64Array.from({ length: N }, () => r.uniform(1e-4, 1e-3));
  const sys = new CrossbarSystem(topologyFromConductances(g, m, n, { wordSegmentOhm: 3, bitSegmentOhm: 2 }));
  for (const engine of ["direct", "gauss-seidel"] as const) {
    const row = Float64Array.from({ length: m }, () => r.uniform(0.1, 0.5)),
      bottom = Float64Array.from({ length: n }, () => r.uniform(-0.1, 0.1));
    const J = Float64Array.from({ length: N }, () => r.uniform(-1e-5, 1e-5));
    const fresh = sys.solve(
      { wordLeftVolt: [row.slice()], bitBottomVolt: [bottom.slice()] },
      { engine, deviceSourceAmp: J.slice() },
    );
    const s = sys.solve({ wordLeftVolt: [row], bitBottomVolt: [bottom] }, { engine, deviceSourceAmp: J });
    row.fill(9);
    bottom.fill(9);
    J.fill(1);
    for (const f of ["deviceCurrents", "wordSegmentCurrents", "bitSegmentCurrents"] as const) {
      for (let q = 0; q < N; q++) close(s[f][q], fresh[f][q], 1e-12, `${engine}: ${f}[${q}]`);
    }
  }
});

/** KCL residual (A) and largest terminal or device current (A) of a solution, computed here from its potentials alone. */
function kclFromPotentials(
  t: CrossbarTopology,
  s: CrossbarSolution,
  d: { wordLeftVolt: number[][]; wordRightVolt: number[][]; bitBottomVolt: number[][]; bitTopVolt: number[][] },
  J: Float64Array | null,
): { amp: number; scale: number } {
  const { rows: m, cols: n } = t,
    N = m * n;
  const gw = 1 / t.wordSegmentOhm,
    gb = 1 / t.bitSegmentOhm;
  const end = (e: { sourceOhm: number } | null, seg: number) => (e ? 1 / (seg + e.sourceOhm) : 0);
  let amp = 0,
    scale = 0;
  for (let k = 0; k < s.inputs; k++) {
    const w = (i: number, j: number) => s.wordVoltages[k * N + i * n + j],
      b = (i: number, j: number) => s.bitVoltages[k * N + i * n + j];
    const dev = (i: number, j: number) =>
      t.conductancesSiemens[i * n + j] * (w(i, j) - b(i, j)) + (J ? J[k * N + i * n + j] : 0);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        const gl = end(t.wordLeft[i], t.wordSegmentOhm),
          gr = end(t.wordRight[i], t.wordSegmentOhm);
        const inW = j === 0 ? gl * (d.wordLeftVolt[k][i] - w(i, 0)) : gw * (w(i, j - 1) - w(i, j));
        const outW = j === n - 1 ? gr * (w(i, j) - d.wordRightVolt[k][i]) : gw * (w(i, j) - w(i, j + 1));
        amp = Math.max(amp, Math.abs(inW - outW - dev(i, j)));
        const gt = end(t.bitTop[j], t.bitSegmentOhm),
          gbot = end(t.bitBottom[j], t.bitSegmentOhm);
        const inB = i === 0 ? gt * (d.bitTopVolt[k][j] - b(0, j)) : gb * (b(i - 1, j) - b(i, j));
        const outB = i === m - 1 ? gbot * (b(i, j) - d.bitBottomVolt[k][j]) : gb * (b(i, j) - b(i + 1, j));
        amp = Math.max(amp, Math.abs(inB + dev(i, j) - outB));
        scale = Math.max(scale, Math.abs(t.conductancesSiemens[i * n + j] * (w(i, j) - b(i, j))));
        if (j === 0) scale = Math.max(scale, Math.abs(gl * (d.wordLeftVolt[k][i] - w(i, 0))));
        if (j === n - 1) scale = Math.max(scale, Math.abs(gr * (w(i, j) - d.wordRightVolt[k][i])));
        if (i === 0) scale = Math.max(scale, Math.abs(gt * (d.bitTopVolt[k][j] - b(0, j))));
        if (i === m - 1) scale = Math.max(scale, Math.abs(gbot * (b(i, j) - d.bitBottomVolt[k][j])));
      }
  }
  return { amp, scale };
}

test("the reported KCL residual and its current scale are what the returned potentials give (a loosely converged Gauss–Seidel solve, every kind of line end, companion sources, several chunks)", () => {
  const r = rng(17);
  // loose (over-relaxed sweeps end far below a tight one), but within the KCL limit
  const tol = 1e-7;
  const m = 5,
    n = 6,
    p = 3,
    N = m * n;
  const g = Float64Array.from({ length: N }, () => r.uniform(2e-3, 2e-2));
  const ends = <T>(len: number, f: (i: number) => T) => Array.from({ length: len }, (_, i) => f(i));
  const topologies: Array<[string, CrossbarTopology]> = [
    [
      "left-driven, bottom-sensed",
      topologyFromConductances(g, m, n, { wordSegmentOhm: 4, bitSegmentOhm: 3, sourceOhm: 5, outputOhm: 2 }),
    ],
    [
      "driven at all four ends, some open",
      {
        ...topologyFromConductances(g, m, n, { wordSegmentOhm: 4, bitSegmentOhm: 3 }),
        wordRight: ends(m, (i) => (i % 2 ? { sourceOhm: 7 } : null)),
        bitTop: ends(n, (j) => (j % 3 ? { sourceOhm: 1 } : null)),
        wordLeft: ends(m, (i) => (i === 2 ? null : { sourceOhm: 3 })),
        bitBottom: ends(n, (j) => (j === 4 ? null : { sourceOhm: 6 })),
      },
    ],
  ];
  // one device far more conductive than the rest, so that with both ends of its lines driven alike it carries the largest current
  const gHot = g.slice();
  gHot[1 * n + 1] = 1; // row 1 and column 1 are driven and sensed at both ends
  topologies.push(["driven at all four ends, one hot device", { ...topologies[1][1], conductancesSiemens: gHot }]);
  // drive patterns in which each kind of terminal (or the hot device) carries the largest current, so each counts in the scale
  const volts = (len: number, lo: number, hi: number) => ends(p, () => ends(len, () => r.uniform(lo, hi)));
  const patterns = {
    mixed: () => ({
      wordLeftVolt: volts(m, 0.2, 1),
      wordRightVolt: volts(m, -0.3, 0.3),
      bitBottomVolt: volts(n, -0.2, 0.2),
      bitTopVolt: volts(n, -0.1, 0.4),
    }),
    right: () => ({
      wordLeftVolt: volts(m, 0, 0.01),
      wordRightVolt: volts(m, 0.9, 1),
      bitBottomVolt: volts(n, 0, 0.01),
      bitTopVolt: volts(n, 0, 0.01),
    }),
    bottom: () => ({
      wordLeftVolt: volts(m, 0, 0.01),
      wordRightVolt: volts(m, 0, 0.01),
      bitBottomVolt: volts(n, 0.9, 1),
      bitTopVolt: volts(n, 0, 0.01),
    }),
    top: () => ({
      wordLeftVolt: volts(m, 0, 0.01),
      wordRightVolt: volts(m, 0, 0.01),
      bitBottomVolt: volts(n, 0, 0.01),
      bitTopVolt: volts(n, 0.9, 1),
    }),
    device: () => {
      const one = ends(p, () => ends(m, () => 1)),
        zero = ends(p, () => ends(n, () => 0));
      return { wordLeftVolt: one, wordRightVolt: one, bitBottomVolt: zero, bitTopVolt: zero };
    },
  };
  for (const [name, t] of topologies)
    for (const [pattern, drive] of Object.entries(patterns)) {
      if ((pattern === "device") !== name.includes("hot")) continue;
      for (const J of [null, Float64Array.from({ length: p * N }, () => r.uniform(-1e-3, 1e-3))]) {
        const d = drive();
        const s = new CrossbarSystem(t).solve(d, {
          engine: "gauss-seidel",
          tolerance: tol,
          chunk: 2,
          ...(J ? { deviceSourceAmp: J } : {}),
        });
        const want = kclFromPotentials(t, s, d, J);
        assert.ok(
          want.amp > 1e-11 * want.scale,
          `${name}: the loose solve leaves a residual well above rounding to check (${want.amp} A)`,
        );
        close(s.kclResidualAmp, want.amp, 1e-6, `${name}, ${pattern}${J ? ", companion sources" : ""}: KCL residual`);
        close(
          s.kclResidualRelative,
          want.amp / want.scale,
          1e-6,
          `${name}, ${pattern}${J ? ", companion sources" : ""}: relative residual`,
        );
        // and the stopping test honoured the tolerance on that scale
        assert.ok(
          s.kclResidualRelative <= tol * 1.0001,
          `${name}: relative residual ${s.kclResidualRelative} above the tolerance`,
        );
      }
    }
});

test("with ideal lines in one family, the reported KCL residual and scale are those of the returned currents (the other family's nodes; terminals through finite ends and devices)", () => {
  const r = rng(19);
  const m = 5,
    n = 4,
    N = m * n,
    p = 3;
  const g = Float64Array.from({ length: N }, () => r.uniform(1e-4, 5e-3));
  const cases: Array<[string, CrossbarTopology]> = [
    [
      "ideal word lines",
      {
        ...topologyFromConductances(g, m, n, { wordSegmentOhm: 0, bitSegmentOhm: 2, outputOhm: 3 }),
        bitTop: Array.from({ length: n }, () => ({ sourceOhm: 4 })),
      },
    ],
    [
      "ideal bit lines",
      {
        ...topologyFromConductances(g, m, n, { wordSegmentOhm: 3, bitSegmentOhm: 0, sourceOhm: 2 }),
        wordRight: Array.from({ length: m }, () => ({ sourceOhm: 5 })),
      },
    ],
  ];
  const rows = (len: number) => Array.from({ length: p }, () => Array.from({ length: len }, () => r.uniform(-0.5, 1)));
  for (const [name, t] of cases) {
    const d = {
      wordLeftVolt: rows(m),
      wordRightVolt: rows(m),
      bitTopVolt: rows(n),
      bitBottomVolt: name === "ideal word lines" ? rows(n) : Array.from({ length: p }, () => new Array(n).fill(0)),
    };
    const s = new CrossbarSystem(t).solve(d, { engine: "gauss-seidel", chunk: 2 });
    const dev = s.deviceCurrents,
      ws = s.wordSegmentCurrents,
      bs = s.bitSegmentCurrents;
    let amp = 0,
      scale = 0;
    for (let k = 0; k < p; k++)
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          const q = k * N + i * n + j;
          scale = Math.max(scale, Math.abs(g[i * n + j] * (s.wordVoltages[q] - s.bitVoltages[q])));
          if (name === "ideal word lines") {
            const inflow = (i > 0 ? bs[q - n] : -s.bitTopCurrents[k * n + j]) + dev[q];
            amp = Math.max(amp, Math.abs(inflow - bs[q]));
          } else {
            const outflow = (j < n - 1 ? ws[q + 1] : s.wordRightCurrents[k * m + i]) + dev[q];
            amp = Math.max(amp, Math.abs(ws[q] - outflow));
          }
        }
    const terminals =
      name === "ideal word lines"
        ? [...s.outputCurrents, ...s.bitTopCurrents]
        : [...s.wordLeftCurrents, ...s.wordRightCurrents];
    for (const c of terminals) scale = Math.max(scale, Math.abs(c));
    assert.ok(amp > 0, `${name}: a rounding-level residual to compare`);
    assert.equal(s.kclResidualAmp, amp, `${name}: residual`);
    assert.equal(s.kclResidualRelative, amp / scale, `${name}: relative residual`);
    // reading the segment currents first, then the device currents: the same values
    const again = new CrossbarSystem(t).solve(d, { engine: "gauss-seidel" });
    void again.wordSegmentCurrents;
    assert.deepEqual(again.deviceCurrents, dev);
  }
});

test("several inputs at once give each input's own solution: every branch and terminal current and the power, ideal or resistive lines, driven at all four ends", () => {
  const r = rng(23);
  const m = 3,
    n = 4,
    p = 3,
    N = m * n;
  const g = Float64Array.from({ length: N }, () => r.uniform(1e-4, 1e-3));
  const all4 = (t: CrossbarTopology): CrossbarTopology => ({
    ...t,
    wordRight: t.wordLeft.map(() => ({ sourceOhm: 0 })),
    bitTop: t.bitBottom.map(() => ({ sourceOhm: 0 })),
  });
  const cases: Array<[string, CrossbarTopology]> = [
    [
      "resistive lines, source resistance",
      all4(topologyFromConductances(g, m, n, { wordSegmentOhm: 3, bitSegmentOhm: 2, sourceOhm: 5, outputOhm: 4 })),
    ],
    [
      "ideal word lines driven from the left",
      {
        ...topologyFromConductances(g, m, n, { wordSegmentOhm: 0, bitSegmentOhm: 2 }),
        bitTop: Array.from({ length: n }, () => ({ sourceOhm: 0 })),
      },
    ],
    [
      "ideal word lines driven from the right",
      {
        ...topologyFromConductances(g, m, n, { wordSegmentOhm: 0, bitSegmentOhm: 2 }),
        wordLeft: [null, null, null],
        wordRight: [{ sourceOhm: 0 }, { sourceOhm: 0 }, { sourceOhm: 0 }],
      },
    ],
    [
      "ideal bit lines sensed at the bottom",
      {
        ...topologyFromConductances(g, m, n, { wordSegmentOhm: 2, bitSegmentOhm: 0 }),
        wordRight: [{ sourceOhm: 0 }, null, { sourceOhm: 0 }],
      },
    ],
    [
      "ideal bit lines sensed at the top",
      {
        ...topologyFromConductances(g, m, n, { wordSegmentOhm: 2, bitSegmentOhm: 0 }),
        bitBottom: [null, null, null, null],
        bitTop: [{ sourceOhm: 0 }, { sourceOhm: 0 }, { sourceOhm: 0 }, { sourceOhm: 0 }],
      },
    ],
  ];
  for (const [name, t] of cases) {
    const rows = (len: number) =>
      Array.from({ length: p }, () => Array.from({ length: len }, () => r.uniform(-0.2, 0.6)));
    const drive = { wordLeftVolt: rows(m), wordRightVolt: rows(m), bitBottomVolt: rows(n), bitTopVolt: rows(n) };
    const sys = new CrossbarSystem(t);
    for (const engine of ["direct", "gauss-seidel"] as const) {
      const all = sys.solve(drive, { engine, chunk: 2 });
      const power = sys.power(all, drive);
      for (let k = 0; k < p; k++) {
        const one = {
          wordLeftVolt: [drive.wordLeftVolt[k]],
          wordRightVolt: [drive.wordRightVolt[k]],
          bitBottomVolt: [drive.bitBottomVolt[k]],
          bitTopVolt: [drive.bitTopVolt[k]],
        };
        const s = sys.solve(one, { engine });
        const per: Array<[keyof CrossbarSolution, number]> = [
          ["deviceCurrents", N],
          ["wordSegmentCurrents", N],
          ["bitSegmentCurrents", N],
          ["wordLeftCurrents", m],
          ["wordRightCurrents", m],
          ["bitTopCurrents", n],
          ["outputCurrents", n],
        ];
        for (const [f, len] of per) {
          const a = all[f] as Float64Array,
            b = s[f] as Float64Array;
          for (let q = 0; q < len; q++) close(a[k * len + q], b[q], 1e-9, `${name}, ${engine}, input ${k}: ${f}[${q}]`);
        }
        const one1 = sys.power(s, one)[0];
        for (const f of ["devicesWatt", "wiresWatt", "sourceResistorsWatt", "sourcesWatt"] as const)
          close(power[k][f], one1[f], 1e-9, `${name}, ${engine}, input ${k}: ${f}`);
        close(
          power[k].sourcesWatt,
          power[k].devicesWatt + power[k].wiresWatt + power[k].sourceResistorsWatt,
          1e-9,
          `${name}, input ${k}: balance`,
        );
      }
    }
  }
});

test("an ideal line driven at both ends with the same voltage: its split is undefined (NaN), the rest of the solution stands", () => {
  const r = rng(29);
  const m = 2,
    n = 3;
  const g = Float64Array.from({ length: m * n }, () => r.uniform(1e-4, 1e-3));
  const word = {
    ...topologyFromConductances(g, m, n, { wordSegmentOhm: 0, bitSegmentOhm: 2 }),
    wordRight: [{ sourceOhm: 0 }, null],
  };
  const s = solveCrossbar(word, { wordLeftVolt: [[0.4, 0.3]], wordRightVolt: [[0.4, 0]] });
  assert.ok(
    Array.from(s.wordSegmentCurrents.subarray(0, n)).every(Number.isNaN) &&
      Number.isNaN(s.wordRightCurrents[0]) &&
      Number.isNaN(s.wordLeftCurrents[0]),
    "word line 0: split undefined",
  );
  assert.ok(
    Array.from(s.wordSegmentCurrents.subarray(n)).every(Number.isFinite) && s.wordRightCurrents[1] === 0,
    "word line 1 (open right end) is solved",
  );
  assert.ok(Array.from(s.outputCurrents).every(Number.isFinite), "outputs are defined");
  const bit = {
    ...topologyFromConductances(g, m, n, { wordSegmentOhm: 2, bitSegmentOhm: 0 }),
    bitTop: [{ sourceOhm: 0 }, null, null],
  };
  const b = solveCrossbar(bit, { wordLeftVolt: [[0.4, 0.3]] });
  assert.ok(
    Number.isNaN(b.bitSegmentCurrents[0]) &&
      Number.isNaN(b.bitSegmentCurrents[n]) &&
      Number.isNaN(b.bitTopCurrents[0]) &&
      Number.isNaN(b.outputCurrents[0]),
    "bit line 0: split undefined",
  );
  assert.ok(Number.isFinite(b.outputCurrents[1]) && b.bitTopCurrents[1] === 0, "bit line 1 is solved");
});

test("prepared factors: factorSeconds counts real time, factor() works for ideal lines too, and the reported sweeps are the largest over chunks", () => {
  const r = rng(31);
  const n = 48;
  const g = Float64Array.from({ length: n * n }, () => r.uniform(1e-5, 1e-3));
  const sys = new CrossbarSystem(topologyFromConductances(g, n, n, { wordSegmentOhm: 1, bitSegmentOhm: 1 })).factor(
    "direct",
  );
  assert.ok(sys.factorSeconds >= 0 && sys.factorSeconds < 60, `factorSeconds ${sys.factorSeconds}`);
  for (const [w, b] of [
    [0, 2],
    [2, 0],
    [0, 0],
  ]) {
    const t = topologyFromConductances(g.subarray(0, 12), 3, 4, { wordSegmentOhm: w, bitSegmentOhm: b });
    const drive = { wordLeftVolt: [[0.1, 0.2, 0.3]] };
    const s = new CrossbarSystem(t).factor().solve(drive);
    Array.from(s.outputCurrents).forEach((x, j) =>
      close(x, solveCrossbar(t, drive).outputCurrents[j], 1e-12, `ideal ${w}/${b}: output ${j}`),
    );
  }
  const t = topologyFromConductances(
    Float64Array.from({ length: 64 }, () => r.uniform(1e-3, 1e-2)),
    8,
    8,
    { wordSegmentOhm: 5, bitSegmentOhm: 5 },
  );
  const rows = [0.9, 0.01, 0.01].map((a) => Array.from({ length: 8 }, (_, i) => (i % 2 ? a : 0)));
  const each = rows.map(
    (row) => new CrossbarSystem(t).solve({ wordLeftVolt: [row] }, { engine: "gauss-seidel" }).sweeps!,
  );
  const chunked = new CrossbarSystem(t).solve({ wordLeftVolt: rows }, { engine: "gauss-seidel", chunk: 1 }).sweeps!;
  assert.equal(chunked, Math.max(...each), `sweeps ${chunked}, per input ${each.join(", ")}`);
});

test("a Gauss–Seidel solve stopped too early is refused by the KCL check rather than returned", () => {
  const r = rng(37);
  const t = topologyFromConductances(
    Float64Array.from({ length: 400 }, () => r.uniform(1e-2, 1e-1)),
    20,
    20,
    { wordSegmentOhm: 10, bitSegmentOhm: 10 },
  );
  const drive = { wordLeftVolt: [Array.from({ length: 20 }, () => r.uniform(0, 1))] };
  assert.throws(
    () => solveCrossbar(t, drive, { engine: "gauss-seidel", tolerance: 1e-2 }),
    /the gauss-seidel solution violates Kirchhoff's current law by [0-9.e+-]+ of the largest terminal current \(limit 1e-6\): a Gauss–Seidel tolerance looser than that limit stops too early/,
  );
  assert.ok(solveCrossbar(t, drive, { engine: "gauss-seidel" }).kclResidualRelative < 1e-9);
});

test("open bit lines under a uniform drive: no current flows, and the relative residual stays within the limit", () => {
  // bit lines with both ends open float at the word lines' common voltage; the terminal currents are at rounding
  // level, so the residual is measured against the circuit's natural current instead of against them
  const g = Float64Array.from({ length: 12 }, (_, i) => 1e-5 * (1 + i));
  for (const engine of ["direct", "gauss-seidel"] as const)
    for (const sourceOhm of [0, 10]) {
      const t = {
        ...topologyFromConductances(g, 3, 4, { wordSegmentOhm: 1, bitSegmentOhm: 1, sourceOhm }),
        bitBottom: Array.from({ length: 4 }, () => null),
        bitTop: Array.from({ length: 4 }, () => null),
      };
      const s = solveCrossbar(t, { wordLeftVolt: [[0.5, 0.5, 0.5]] }, { engine });
      assert.ok(s.kclResidualRelative <= KCL_RELATIVE_LIMIT, `${engine}, ${sourceOhm} Ω: ${s.kclResidualRelative}`);
      for (const v of s.bitVoltages) assert.ok(Math.abs(v - 0.5) < 1e-9, `bit node at ${v} V`);
      for (const i of s.outputCurrents) assert.equal(i, 0);
    }
});

test("a floating network with many lines lists the first eight and the count", () => {
  const g = new Float64Array(10 * 2);
  const t = {
    ...topologyFromConductances(g, 10, 2, { wordSegmentOhm: 1, bitSegmentOhm: 1 }),
    wordLeft: Array.from({ length: 10 }, () => null),
  };
  assert.throws(
    () => new CrossbarSystem(t),
    /floating network: word lines 0, 1, 2, 3, 4, 5, 6, 7, … \(10\) have no path/,
  );
  const eight = {
    ...topologyFromConductances(new Float64Array(8 * 2), 8, 2, { wordSegmentOhm: 1, bitSegmentOhm: 1 }),
    wordLeft: Array.from({ length: 8 }, () => null),
  };
  assert.throws(() => new CrossbarSystem(eight), /floating network: word lines 0, 1, 2, 3, 4, 5, 6, 7 have no path/);
});

test("the over-relaxation factor follows Young's optimum for two-block systems: 1 for fast contraction, 2 / (1 + √(1 − ρ)) above 0.1, bounded below 2", () => {
  assert.equal(overRelaxation(0), 1);
  assert.equal(overRelaxation(0.0999), 1);
  assert.equal(overRelaxation(NaN), 1);
  assert.ok(Math.abs(overRelaxation(0.1) - 2 / (1 + Math.sqrt(0.9))) < 1e-15);
  assert.ok(Math.abs(overRelaxation(0.36) - 2 / 1.8) < 1e-15);
  // contraction at or beyond 1 (not yet asymptotic) is capped at 0.99
  for (const rho of [0.99, 1, 5])
    assert.ok(Math.abs(overRelaxation(rho) - 2 / (1 + Math.sqrt(0.01))) < 1e-15, `ρ ${rho}`);
  let prev = 1;
  for (let rho = 0.1; rho < 0.99; rho += 0.01) {
    const w = overRelaxation(rho);
    assert.ok(w > prev && w < 2, `ρ ${rho}: ω ${w}`);
    prev = w;
  }
});

test("Gauss–Seidel's outer loop on a synthetic residual sequence: ω from the first two agreeing ratios of plain sweeps, relaxed sweeps until within tolerance, a plain sweep to confirm; the scale's refreshes", () => {
  // a sweep contracts the residual by ρ_k when plain (the k-th plain sweep) and by ω − 1 when relaxed
  const run = (
    plainRatios: (k: number) => number,
    opts: { tol?: number; maxSweeps?: number; overRelax?: boolean; scale?: number } = {},
  ) => {
    const omegas: number[] = [],
      scaleCalls: number[] = [];
    let res = 1,
      plain = 0;
    const out = untilConverged(
      (omega) => {
        omegas.push(omega);
        res *= omega === 1 ? plainRatios(++plain) : omega - 1;
        return res;
      },
      () => (scaleCalls.push(omegas.length), opts.scale ?? 1),
      { tol: opts.tol ?? 1e-12, maxSweeps: opts.maxSweeps ?? 1000, overRelax: opts.overRelax ?? true },
    );
    return { ...out, omegas, scaleCalls };
  };
  // steady ρ = 0.36: the ratios of sweeps 1→2 and 2→3 agree, so ω = 2 / 1.8 from sweep 4 on
  const steady = run(() => 0.36);
  const w = overRelaxation(0.36);
  assert.equal(steady.omega, w);
  assert.deepEqual(steady.omegas.slice(0, 4), [1, 1, 1, w]);
  // relaxed sweeps while their change exceeds the tolerance (ω − 1 = 1/9 per sweep), then one plain sweep
  const relaxed = steady.omegas.filter((x) => x === w).length;
  assert.equal(relaxed, Math.ceil(Math.log(1e-12 / 0.36 ** 3) / Math.log(w - 1)));
  assert.deepEqual(steady.omegas.slice(3), [...new Array(relaxed).fill(w), 1]);
  assert.equal(relaxed, 12);
  assert.equal(steady.sweeps, 3 + relaxed + 1);
  // the scale is measured on sweep 1, every eighth, and whenever a sweep is within tolerance (the last relaxed one, 15, and the plain 16th)
  assert.deepEqual(steady.scaleCalls, [1, 8, 15, 16]);
  // ratios that settle: 0.2, 0.3, 0.31 (within 10 % of 0.3 only at the fourth sweep)
  const settling = run((k) => [0.5, 0.2, 0.3, 0.31][k - 1] ?? 0.31);
  assert.deepEqual(settling.omegas.slice(0, 5), [1, 1, 1, 1, overRelaxation(0.31)]);
  // fast contraction: no over-relaxation; overRelax false: none either
  assert.ok(run(() => 0.05).omegas.every((x) => x === 1));
  const plainOnly = run(() => 0.36, { overRelax: false });
  assert.ok(plainOnly.omegas.every((x) => x === 1) && plainOnly.omega === 1);
  assert.equal(plainOnly.sweeps, Math.ceil(Math.log(1e-12) / Math.log(0.36)));
  // a residual exactly at tolerance × scale is accepted
  assert.equal(run(() => 0.5, { tol: 0.25, overRelax: false }).sweeps, 2);
  assert.equal(run(() => 0.5, { tol: 0.25, overRelax: false, scale: 4 }).sweeps, 1);
  // not converged: the residual relative to the scale, and whether the last sweep was relaxed
  assert.throws(
    () => run(() => 0.5, { maxSweeps: 3, overRelax: false, scale: 4 }),
    /did not converge in 3 sweeps: the KCL residual is 3\.13e-2 of the largest terminal current/,
  );
  assert.throws(
    () => run(() => 0.36, { maxSweeps: 5 }),
    /did not converge in 5 sweeps: its last sweep, over-relaxed \(ω = 1\.111\), moved device currents by 5\.76e-4 of/,
  );
});

test("companion sources must be finite: the entry is named", () => {
  const t = topologyFromConductances(Float64Array.from([1e-3, 2e-3, 3e-3, 4e-3]), 2, 2, {
    wordSegmentOhm: 1,
    bitSegmentOhm: 1,
  });
  for (const [at, value, where] of [
    [6, Infinity, "input 1, row 1, column 0"],
    [0, NaN, "input 0, row 0, column 0"],
  ] as const) {
    const J = new Float64Array(8);
    J[at] = value;
    for (const engine of ["direct", "gauss-seidel"] as const) {
      assert.throws(
        () =>
          new CrossbarSystem(t).solve(
            {
              wordLeftVolt: [
                [1, 1],
                [1, 0],
              ],
            },
            { engine, deviceSourceAmp: J },
          ),
        new RegExp(`deviceSourceAmp\\[${at}\\] = ${value} A is not finite \\(${where}\\)`),
      );
    }
  }
});

test("Gauss–Seidel stops at the first sweep that meets the tolerance: weakly coupled lines converge in one or two sweeps, and one sweep fewer than reported does not converge", () => {
  const r = rng(41);
  const m = 6,
    n = 5;
  // devices of about 2 nS on 1 mΩ segments: the lines barely feel the devices
  const weak = topologyFromConductances(
    Float64Array.from({ length: m * n }, () => r.uniform(1.5e-9, 2e-9)),
    m,
    n,
    { wordSegmentOhm: 1e-3, bitSegmentOhm: 1e-3 },
  );
  const drive = { wordLeftVolt: [Array.from({ length: m }, () => r.uniform(0.2, 1))] };
  for (const sweepKernel of ["wasm", "js"] as const) {
    const s = solveCrossbar(weak, drive, { engine: "gauss-seidel", sweepKernel });
    assert.ok(s.sweeps! <= 2, `${sweepKernel}: ${s.sweeps} sweeps`);
  }
  const coupled = topologyFromConductances(
    Float64Array.from({ length: m * n }, () => r.uniform(1e-3, 1e-2)),
    m,
    n,
    { wordSegmentOhm: 5, bitSegmentOhm: 5 },
  );
  const k = solveCrossbar(coupled, drive, { engine: "gauss-seidel" }).sweeps!;
  assert.ok(k > 2, `coupled lines need more sweeps (${k})`);
  assert.throws(
    () => solveCrossbar(coupled, drive, { engine: "gauss-seidel", maxSweeps: k - 1 }),
    new RegExp(`Gauss–Seidel did not converge in ${k - 1} sweeps`),
  );
  assert.equal(solveCrossbar(coupled, drive, { engine: "gauss-seidel", maxSweeps: k }).sweeps, k);
  // the error reports the residual relative to the terminal currents measured from the first sweep on
  for (const maxSweeps of [1, 2]) {
    try {
      solveCrossbar(coupled, drive, { engine: "gauss-seidel", maxSweeps });
      assert.fail(`${maxSweeps} sweeps cannot converge`);
    } catch (e) {
      const rel = Number(
        /the KCL residual is ([0-9.e+-]+) of the largest terminal current/.exec((e as Error).message)?.[1],
      );
      assert.ok(
        rel > 1e-12 && rel < 1,
        `after ${maxSweeps} sweeps: relative residual ${rel} (${(e as Error).message})`,
      );
    }
  }
});

test("an ideal line driven at both ends accepts voltages equal to rounding (1e-12 relative to the larger, at least 1 V) and refuses a real difference as a short circuit", () => {
  const g = Float64Array.from([1e-3, 2e-3, 3e-3, 4e-3]);
  const t = {
    ...topologyFromConductances(g, 2, 2, { wordSegmentOhm: 0, bitSegmentOhm: 1 }),
    wordRight: [{ sourceOhm: 0 }, { sourceOhm: 0 }],
  };
  for (const v of [10, 0.5]) {
    const scale = Math.max(1, v);
    assert.doesNotThrow(
      () => solveCrossbar(t, { wordLeftVolt: [[v, v]], wordRightVolt: [[v + 0.5e-12 * scale, v]] }),
      `${v} V: within rounding`,
    );
    assert.throws(
      () => solveCrossbar(t, { wordLeftVolt: [[v, v]], wordRightVolt: [[v + 2e-12 * scale, v]] }),
      /word line 0: ideal wire driven at both ends with different voltages .*short circuit/,
    );
  }
});

test("solution bookkeeping: direct solves report no sweeps, an undriven array a zero residual, and lazily computed branch arrays keep their identity", () => {
  const r = rng(43);
  const t = topologyFromConductances(
    Float64Array.from({ length: 12 }, () => r.uniform(1e-4, 1e-3)),
    3,
    4,
    { wordSegmentOhm: 2, bitSegmentOhm: 2 },
  );
  const s = new CrossbarSystem(t).solve(
    {
      wordLeftVolt: [
        [0.2, 0.1, 0.3],
        [0.1, 0.1, 0.1],
      ],
    },
    { engine: "direct", chunk: 1 },
  );
  assert.equal(s.sweeps, undefined);
  const zero = solveCrossbar(t, { wordLeftVolt: [[0, 0, 0]] }, { engine: "gauss-seidel" });
  assert.equal(zero.kclResidualRelative, 0);
  assert.ok(Array.from(zero.outputCurrents).every((x) => x === 0));
  for (const f of ["deviceCurrents", "wordSegmentCurrents", "bitSegmentCurrents"] as const)
    assert.equal(s[f], s[f], `${f} is computed once`);
});
