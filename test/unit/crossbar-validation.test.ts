// The circuit description and biasing API: every check names its problem, the dense nodal system
// equals the solver's, and the reported read quantities are the ones defined (each test here was
// written against a mutant that survived `npm run mutate -- --only crossbar`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { biasCell, biasCircuit, readMargin } from "../../lib/crossbar/biasing";
import {
  checkDrive,
  conductancesFromResistances,
  CrossbarTopology,
  nodalSystem,
  topologyFromConductances,
  validateTopology,
} from "../../lib/crossbar/circuit";
import { solveCrossbar } from "../../lib/crossbar/solver";

/** Dense Gaussian elimination with partial pivoting (the reference for nodalSystem). */
function gaussSolve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

const g34 = Float64Array.from([1e-3, 2e-4, 5e-5, 3e-4, 7e-4, 1e-5, 9e-4, 4e-4, 2e-5, 6e-4, 8e-5, 1e-4]);

function allEnds(g: Float64Array, rows: number, cols: number): CrossbarTopology {
  const end = (k: number) => ({ sourceOhm: 3 + k });
  return {
    rows,
    cols,
    conductancesSiemens: g,
    wordSegmentOhm: 2,
    bitSegmentOhm: 5,
    wordLeft: Array.from({ length: rows }, (_, i) => end(i)),
    wordRight: Array.from({ length: rows }, (_, i) => end(i + 1)),
    bitBottom: Array.from({ length: cols }, (_, j) => end(j + 2)),
    bitTop: Array.from({ length: cols }, (_, j) => end(j + 3)),
  };
}

test("the dense nodal system, solved directly, gives the solver's node voltages (sources at all four ends, each with its own resistance)", () => {
  const t = allEnds(g34, 3, 4);
  const drive = {
    wordLeftVolt: [[0.3, 0.1, 0.2]],
    wordRightVolt: [[0.25, 0.05, 0.15]],
    bitBottomVolt: [[0, 0.02, 0.01, 0.03]],
    bitTopVolt: [[0.04, 0, 0.02, 0.01]],
  };
  const { A, b } = nodalSystem(t, drive);
  const x = gaussSolve(A, b);
  const s = solveCrossbar(t, drive, { engine: "direct" });
  const N = 12;
  for (let k = 0; k < N; k++) {
    assert.ok(Math.abs(x[k] - s.wordVoltages[k]) < 1e-12, `W node ${k}: ${x[k]} vs ${s.wordVoltages[k]}`);
    assert.ok(Math.abs(x[N + k] - s.bitVoltages[k]) < 1e-12, `B node ${k}: ${x[N + k]} vs ${s.bitVoltages[k]}`);
  }
  // the read topology: right and top ends open
  const read = topologyFromConductances(g34, 3, 4, {
    wordSegmentOhm: 1.5,
    bitSegmentOhm: 0.5,
    sourceOhm: 7,
    outputOhm: 2,
  });
  const readDrive = { wordLeftVolt: [[0.2, 0.4, 0.1]] };
  const xr = gaussSolve(nodalSystem(read, readDrive).A, nodalSystem(read, readDrive).b);
  const sr = solveCrossbar(read, readDrive, { engine: "direct" });
  for (let k = 0; k < N; k++)
    assert.ok(
      Math.abs(xr[k] - sr.wordVoltages[k]) < 1e-12 && Math.abs(xr[N + k] - sr.bitVoltages[k]) < 1e-12,
      `read topology, node ${k}`,
    );
  // one row, one column, one device: a line of one node takes both its ends' sources (several inputs, both engines, both sweep paths)
  for (const [rows, cols] of [
    [1, 4],
    [3, 1],
    [1, 1],
  ]) {
    const tt = allEnds(g34.subarray(0, rows * cols), rows, cols);
    const volts = (len: number, k: number) => Array.from({ length: len }, (_, i) => 0.05 * (i + 1) + 0.1 * k);
    const d = {
      wordLeftVolt: [0, 1].map((k) => volts(rows, k)),
      wordRightVolt: [0, 1].map((k) => volts(rows, k + 2)),
      bitBottomVolt: [0, 1].map((k) => volts(cols, -k)),
      bitTopVolt: [0, 1].map((k) => volts(cols, k + 1)),
    };
    const M = rows * cols;
    for (const opts of [
      { engine: "direct" },
      { engine: "gauss-seidel" },
      { engine: "gauss-seidel", sweepKernel: "js" },
    ] as const) {
      const sol = solveCrossbar(tt, d, opts);
      for (const k of [0, 1]) {
        const { A, b } = nodalSystem(tt, d, k);
        const x = gaussSolve(A, b);
        for (let q = 0; q < M; q++) {
          assert.ok(
            Math.abs(x[q] - sol.wordVoltages[k * M + q]) < 1e-12,
            `${rows}×${cols} ${JSON.stringify(opts)}, input ${k}: W node ${q}: ${sol.wordVoltages[k * M + q]} vs ${x[q]}`,
          );
          assert.ok(
            Math.abs(x[M + q] - sol.bitVoltages[k * M + q]) < 1e-12,
            `${rows}×${cols} ${JSON.stringify(opts)}, input ${k}: B node ${q}`,
          );
        }
      }
    }
  }
  assert.throws(
    () => nodalSystem({ ...t, wordSegmentOhm: 0, wordLeft: t.wordLeft.map(() => ({ sourceOhm: 0 })) }, drive),
    /needs non-zero segment resistances/,
  );
  assert.throws(
    () => nodalSystem({ ...t, bitSegmentOhm: 0, bitBottom: t.bitBottom.map(() => ({ sourceOhm: 0 })) }, drive),
    /needs non-zero segment resistances/,
  );
});

test("topology checks name the problem: size, conductances, resistances, line ends, ideal wires", () => {
  const base = topologyFromConductances(g34, 3, 4, { wordSegmentOhm: 1, bitSegmentOhm: 1 });
  assert.deepEqual(
    [base.wordRight, base.bitTop],
    [
      [null, null, null],
      [null, null, null, null],
    ],
    "unused ends are open (null)",
  );
  for (const [rows, cols] of [
    [0, 4],
    [3, 0],
    [1.5, 4],
    [3, 2.5],
  ])
    assert.throws(() => validateTopology({ ...base, rows, cols }), /at least 1 row and 1 column/);
  assert.throws(
    () => validateTopology({ ...base, conductancesSiemens: new Float64Array(11) }),
    /11 conductances for a 3×4 crossbar/,
  );
  for (const bad of [NaN, -1e-3, Infinity]) {
    const g = g34.slice();
    g[6] = bad;
    assert.throws(
      () => validateTopology({ ...base, conductancesSiemens: g }),
      /conductance\[1\]\[2\] = .* S: conductances must be finite and >= 0/,
    );
  }
  assert.throws(() => validateTopology({ ...base, wordSegmentOhm: -1 }), /wordSegmentOhm .* resistances must be >= 0/);
  assert.throws(() => validateTopology({ ...base, bitSegmentOhm: NaN }), /bitSegmentOhm .* must be a number of ohms/);
  assert.throws(() => validateTopology({ ...base, bitSegmentOhm: Infinity }), /bitSegmentOhm .* must be finite/);
  assert.throws(
    () => validateTopology({ ...base, wordSegmentOhm: "5" as unknown as number }),
    /wordSegmentOhm .* must be a number of ohms, got 5/,
  );
  assert.throws(() => validateTopology({ ...base, wordRight: [null, null] }), /wordRight must list 3 line ends/);
  assert.throws(
    () => validateTopology({ ...base, bitTop: "open" as unknown as null[] }),
    /bitTop must list 4 line ends .* got string/,
  );
  assert.throws(
    () => validateTopology({ ...base, wordLeft: [{ sourceOhm: 1 }, { sourceOhm: -2 }, null] }),
    /wordLeft\[1\]\.sourceOhm = -2/,
  );
  // zero segment resistance needs an ideal source on every line of that family
  assert.throws(
    () =>
      validateTopology({
        ...base,
        wordSegmentOhm: 0,
        wordLeft: [{ sourceOhm: 0 }, { sourceOhm: 1 }, { sourceOhm: 0 }],
      }),
    /word line 1: with zero segment resistance/,
  );
  assert.throws(
    () =>
      validateTopology({
        ...base,
        bitSegmentOhm: 0,
        bitBottom: [{ sourceOhm: 0 }, { sourceOhm: 0 }, { sourceOhm: 0 }, null],
      }),
    /bit line 3: with zero segment resistance/,
  );
  assert.throws(
    () =>
      validateTopology({
        ...base,
        bitSegmentOhm: 0,
        bitBottom: [{ sourceOhm: 0 }, { sourceOhm: 2 }, { sourceOhm: 0 }, { sourceOhm: 0 }],
      }),
    /bit line 1: with zero segment resistance/,
  );
  assert.doesNotThrow(() => validateTopology({ ...base, wordSegmentOhm: 0, bitSegmentOhm: 0 }));
  assert.doesNotThrow(() =>
    validateTopology({
      ...base,
      wordSegmentOhm: 0,
      wordLeft: [null, null, null],
      wordRight: [{ sourceOhm: 0 }, { sourceOhm: 0 }, { sourceOhm: 0 }],
    }),
  );
});

test("resistance tables: open devices (null, Infinity) give G = 0; ragged, zero and negative entries are named", () => {
  const { rows, cols, g } = conductancesFromResistances([
    [1000, null],
    [Infinity, 250],
  ]);
  assert.deepEqual([rows, cols, Array.from(g)], [2, 2, [1e-3, 0, 0, 4e-3]]);
  assert.throws(() => conductancesFromResistances([]), /non-empty 2-D array/);
  assert.throws(() => conductancesFromResistances([[]]), /non-empty 2-D array/);
  assert.throws(() => conductancesFromResistances("x" as unknown as number[][]), /non-empty 2-D array/);
  assert.throws(() => conductancesFromResistances([[1, 2], [3]]), /ragged: row 1 has 1 entries, row 0 has 2/);
  assert.throws(() => conductancesFromResistances([5] as unknown as number[][]), /non-empty 2-D array/);
  assert.throws(
    () => conductancesFromResistances([[1, 2], "ab"] as unknown as number[][]),
    /ragged: row 1 has no entries/,
  );
  assert.throws(
    () => conductancesFromResistances([[1, 0]]),
    /resistance\[0\]\[1\] = 0 Ω: a zero-resistance device is a short circuit/,
  );
  assert.throws(() => conductancesFromResistances([[1, -5]]), /resistance\[0\]\[1\] = -5 Ω: resistances must be >= 0/);
  assert.throws(() => conductancesFromResistances([[NaN]]), /resistance\[0\]\[0\] must be a number of ohms/);
});

test("drive checks: inputs, lengths and values are named; typed arrays and absent families are accepted", () => {
  const t = topologyFromConductances(g34, 3, 4, { wordSegmentOhm: 1, bitSegmentOhm: 1 });
  assert.throws(() => checkDrive(t, { wordLeftVolt: [] }), /at least one input vector/);
  assert.throws(() => checkDrive(t, {} as never), /at least one input vector/);
  assert.throws(
    () =>
      checkDrive(t, {
        wordLeftVolt: [[0, 0, 0]],
        bitBottomVolt: [
          [0, 0, 0, 0],
          [0, 0, 0, 0],
        ],
      }),
    /drive\.bitBottomVolt has 2 inputs, drive\.wordLeftVolt has 1/,
  );
  assert.throws(
    () => checkDrive(t, { wordLeftVolt: [[0, 0]] }),
    /drive\.wordLeftVolt\[0\] must have 3 voltages .* got 2/,
  );
  assert.throws(
    () => checkDrive(t, { wordLeftVolt: [[0, 0, 0]], bitTopVolt: [[0, 0, 0]] }),
    /drive\.bitTopVolt\[0\] must have 4 voltages/,
  );
  assert.throws(
    () => checkDrive(t, { wordLeftVolt: [[0, 0, 0]], wordRightVolt: [5 as unknown as number[]] }),
    /drive\.wordRightVolt\[0\] must have 3 voltages .* got number/,
  );
  assert.throws(
    () => checkDrive(t, { wordLeftVolt: [[0, NaN, 0]] }),
    /drive\.wordLeftVolt\[0\]\[1\] = NaN V is not finite/,
  );
  assert.equal(checkDrive(t, { wordLeftVolt: [Float64Array.from([0.1, 0.2, 0.3]), [0, 0, 0]] }), 2);
});

test("biasing checks name the selected cell, voltage, drive ends and scheme", () => {
  const g = new Float64Array(12).fill(1e-4);
  const b = { scheme: "V/2" as const, row: 0, col: 0, voltageVolt: 0.4, wordSegmentOhm: 1, bitSegmentOhm: 1 };
  for (const row of [-1, 3, 1.5])
    assert.throws(() => biasCircuit(g, 3, 4, { ...b, row }), new RegExp(`selected row ${row} is outside 0–2`));
  for (const col of [-1, 4, 0.5])
    assert.throws(() => biasCircuit(g, 3, 4, { ...b, col }), new RegExp(`selected column ${col} is outside 0–3`));
  assert.throws(() => biasCircuit(g, 3, 4, { ...b, voltageVolt: Infinity }), /voltageVolt must be finite/);
  assert.throws(() => biasCircuit(g, 3, 4, { ...b, wordDrive: "up" as never }), /unknown wordDrive "up"/);
  assert.throws(() => biasCircuit(g, 3, 4, { ...b, bitDrive: "left" as never }), /unknown bitDrive "left"/);
  assert.throws(() => biasCircuit(g, 3, 4, { ...b, scheme: "V/4" as never }), /unknown biasing scheme "V\/4"/);
  assert.equal(biasCell(g, 3, 4, b).solution.engine, "gauss-seidel", "biasCell's default engine");
  assert.equal(biasCell(g, 3, 4, b, { engine: "direct" }).solution.engine, "direct");
});

test("read quantities: half-select stress is the largest unselected |V|, and the margin is (I_LRS − I_HRS)/I_LRS of the sensed currents", () => {
  // ideal wires: V/2 puts exactly V/2 across every half-selected cell and 0 across the others
  const g = new Float64Array(12).fill(2e-4);
  const r = biasCell(
    g,
    3,
    4,
    { scheme: "V/2", row: 1, col: 2, voltageVolt: 0.4, wordSegmentOhm: 0, bitSegmentOhm: 0 },
    { engine: "direct" },
  );
  assert.ok(Math.abs(r.maxUnselectedVoltageVolt - 0.2) < 1e-12, `${r.maxUnselectedVoltageVolt}`);
  const un = Array.from(r.unselectedVoltagesVolt).filter((v) => !Number.isNaN(v));
  assert.equal(r.maxUnselectedVoltageVolt, Math.max(...un));
  assert.ok(Number.isNaN(r.unselectedVoltagesVolt[1 * 4 + 2]));
  const m = readMargin(4, 5, "V/3", {
    gOnSiemens: 5e-4,
    gOffSiemens: 1e-4,
    backgroundSiemens: 5e-4,
    voltageVolt: 0.2,
    wordSegmentOhm: 1,
    bitSegmentOhm: 1,
    sourceOhm: 10,
  });
  assert.equal(m.margin, (m.lrs.measuredCurrentAmp - m.hrs.measuredCurrentAmp) / m.lrs.measuredCurrentAmp);
  assert.ok(m.margin > 0 && m.margin < (5e-4 - 1e-4) / 5e-4, `${m.margin}`);
  // the worst-case cell is the top row's last column: farthest from the word drivers (left) and the sense amplifiers (bottom)
  assert.ok(Math.abs(m.lrs.selectedCurrentAmp - m.lrs.solution.deviceCurrents[0 * 5 + 4]) < 1e-18);
  // a single device with no wires: the margin is (G_LRS − G_HRS)/G_LRS exactly
  const one = readMargin(1, 1, "grounded", {
    gOnSiemens: 5e-4,
    gOffSiemens: 1e-4,
    backgroundSiemens: 5e-4,
    voltageVolt: 0.2,
    wordSegmentOhm: 0,
    bitSegmentOhm: 0,
  });
  assert.ok(Math.abs(one.margin - 0.8) < 1e-12, `${one.margin}`);
});
