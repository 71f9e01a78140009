// Every case of the Qucs circuit-simulator reference (badcrossbar's test suite): currents and voltages to 1e-6 relative.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { readTopology } from "../../lib/crossbar/circuit";
import { CrossbarSystem, gridOf } from "../../lib/crossbar/solver";

interface Case {
  name: string;
  resistances_ohm: (number | null)[][];
  applied_voltages_v: number[][];
  r_word_line_ohm: number;
  r_bit_line_ohm: number;
  expected: Record<string, number[][]>;
}
const file = path.join(__dirname, "..", "fixtures", "qucs-cases.json");
const cases = (JSON.parse(fs.readFileSync(file, "utf8")) as { cases: Case[] }).cases;

test("the reference file holds 33 cases", () => assert.equal(cases.length, 33));

for (const engine of ["direct", "gauss-seidel"] as const) {
  test(`Qucs reference, ${engine} engine: every branch current and node voltage to 1e-6 relative`, () => {
    let checked = 0;
    for (const c of cases) {
      const t = readTopology(c.resistances_ohm, { wordSegmentOhm: c.r_word_line_ohm, bitSegmentOhm: c.r_bit_line_ohm });
      const V = c.applied_voltages_v;
      const drive = { wordLeftVolt: V[0].map((_, k) => V.map((row) => row[k])) };
      const s = new CrossbarSystem(t).solve(drive, { engine });
      const got: Record<string, number[][]> = {
        output_currents_a: [Array.from(s.outputCurrents)],
        device_currents_a: gridOf(s.deviceCurrents, s),
        word_line_currents_a: gridOf(s.wordSegmentCurrents, s),
        bit_line_currents_a: gridOf(s.bitSegmentCurrents, s),
        word_line_voltages_v: gridOf(s.wordVoltages, s),
        bit_line_voltages_v: gridOf(s.bitVoltages, s),
      };
      for (const [key, exp] of Object.entries(c.expected)) {
        exp.forEach((row, i) =>
          row.forEach((e, j) => {
            const g = got[key][i][j];
            const ok = Math.abs(g - e) <= 1e-6 * Math.abs(e) || Math.abs(g - e) <= 1e-12;
            assert.ok(ok, `${c.name} ${key}[${i}][${j}]: got ${g}, Qucs ${e}`);
            checked++;
          }),
        );
      }
      assert.ok(
        s.kclResidualAmp < 1e-12 || s.kclResidualRelative < 1e-9,
        `${c.name}: KCL residual ${s.kclResidualAmp} A (${s.kclResidualRelative} relative)`,
      );
    }
    assert.ok(checked > 1500, `checked ${checked} values`);
  });
}
