// The biasing schemes against an outside circuit simulator: ngspice solved every case in
// test/fixtures/ngspice-biasing-cases.json (generator: test/fixtures/ngspice/generate.ts) from a
// netlist written without lib/crossbar. Selected-device current, sensed current and every device
// voltage must agree, for V/2, V/3, grounded and floating unselected lines, with segment and source
// resistances, one- and both-end drive, asymmetric arrays and selected cells at corners, edges and inside.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { biasCell, BIAS_SCHEMES } from "../../lib/crossbar/biasing";
import type { NgspiceCase } from "../fixtures/ngspice/generate";

const fixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, "..", "fixtures", "ngspice-biasing-cases.json"), "utf8"),
) as { simulator: string; cases: NgspiceCase[] };

test("the fixture covers all four schemes, asymmetric arrays, source resistance and both-end drive", () => {
  assert.deepEqual([...new Set(fixture.cases.map((c) => c.scheme))].sort(), [...BIAS_SCHEMES].sort());
  assert.ok(fixture.cases.some((c) => c.rows !== c.cols));
  assert.ok(fixture.cases.some((c) => c.sourceOhm > 0 && c.wordDrive === "both" && c.bitDrive === "both"));
  assert.ok(fixture.cases.some((c) => c.wordDrive === "right" && c.bitDrive === "top"));
});

for (const engine of ["direct", "gauss-seidel"] as const) {
  for (const c of fixture.cases) {
    test(`${engine}: ${c.name} matches ${fixture.simulator}`, () => {
      const r = biasCell(
        Float64Array.from(c.conductancesSiemens),
        c.rows,
        c.cols,
        {
          scheme: c.scheme,
          row: c.row,
          col: c.col,
          voltageVolt: c.voltageVolt,
          wordSegmentOhm: c.wordSegmentOhm,
          bitSegmentOhm: c.bitSegmentOhm,
          sourceOhm: c.sourceOhm,
          wordDrive: c.wordDrive,
          bitDrive: c.bitDrive,
        },
        { engine },
      );
      const tol = engine === "direct" ? 1e-9 : 1e-6;
      const close = (got: number, want: number, scale: number, what: string) =>
        assert.ok(
          Math.abs(got - want) <= tol * scale,
          `${what}: ${got} vs ngspice ${want} (tolerance ${tol} × ${scale.toExponential(2)})`,
        );
      const iScale = Math.max(Math.abs(c.senseCurrentAmp), Math.abs(c.selectedCurrentAmp));
      close(r.selectedCurrentAmp, c.selectedCurrentAmp, iScale, "selected-device current");
      close(r.measuredCurrentAmp, c.senseCurrentAmp, iScale, "sensed current");
      const dv = Array.from(r.solution.wordVoltages, (w, k) => w - r.solution.bitVoltages[k]);
      c.deviceVoltagesVolt.forEach((v, k) =>
        close(dv[k], v, Math.abs(c.voltageVolt), `device ${Math.floor(k / c.cols)},${k % c.cols} voltage`),
      );
      close(
        r.selectedVoltageVolt,
        c.deviceVoltagesVolt[c.row * c.cols + c.col],
        Math.abs(c.voltageVolt),
        "selected-device voltage",
      );
    });
  }
}
