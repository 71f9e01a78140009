/**
 * The ideal crossbar: Ohm's law per device plus Kirchhoff's current law per bit line,
 * with perfect wires and linear devices. I_j = Σ_i V_i · G_ij, for every input vector.
 */

/** A dense matrix as rows of numbers. */
export type Matrix = readonly (readonly number[])[];

/** Shape of a rectangular matrix; throws with `what` in the message when ragged or empty. */
export function shapeOf(m: Matrix, what: string): [number, number] {
  if (!Array.isArray(m) || m.length === 0) throw new RangeError(`${what} must be a non-empty 2-D array`);
  const cols = m[0].length;
  if (cols === 0) throw new RangeError(`${what} has empty rows`);
  m.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== cols) {
      throw new RangeError(
        `${what} is ragged: row ${i} has ${Array.isArray(row) ? row.length : "no"} entries, row 0 has ${cols}`,
      );
    }
  });
  return [m.length, cols];
}

/** Check conductances: finite and non-negative (siemens). */
export function checkConductances(gSiemens: Matrix, what = "conductances"): [number, number] {
  const shape = shapeOf(gSiemens, what);
  gSiemens.forEach((row, i) =>
    row.forEach((g, j) => {
      if (!Number.isFinite(g) || g < 0)
        throw new RangeError(`${what}[${i}][${j}] = ${g} S: conductances must be finite and >= 0`);
    }),
  );
  return shape;
}

/**
 * Output currents (A) of an ideal crossbar.
 * @param voltagesVolt   [inputs][rows] word-line voltages, V
 * @param conductancesSiemens [rows][cols] device conductances, S
 * @returns [inputs][cols] bit-line currents, A
 */
export function idealCurrents(voltagesVolt: Matrix, conductancesSiemens: Matrix): number[][] {
  const [rows, cols] = checkConductances(conductancesSiemens);
  const [, vRows] = shapeOf(voltagesVolt, "voltages");
  if (vRows !== rows) {
    throw new RangeError(`voltages have ${vRows} entries per input but the crossbar has ${rows} rows (word lines)`);
  }
  return voltagesVolt.map((v, k) => {
    const out = new Array<number>(cols).fill(0);
    for (let i = 0; i < rows; i++) {
      const vi = v[i];
      if (!Number.isFinite(vi)) throw new RangeError(`voltages[${k}][${i}] = ${vi} is not finite`);
      const g = conductancesSiemens[i];
      for (let j = 0; j < cols; j++) out[j] += vi * g[j];
    }
    return out;
  });
}

/**
 * The same product on the tfjs backend: currents = V · G, shapes [inputs, rows] · [rows, cols].
 * Used where networks run on crossbars; inputs are validated as above.
 */
export function idealCurrentsTf(voltagesVolt: Matrix, conductancesSiemens: Matrix): number[][] {
  const [rows] = checkConductances(conductancesSiemens);
  const [, vRows] = shapeOf(voltagesVolt, "voltages");
  if (vRows !== rows)
    throw new RangeError(`voltages have ${vRows} entries per input but the crossbar has ${rows} rows (word lines)`);
  const tf = require("@tensorflow/tfjs") as typeof import("@tensorflow/tfjs");
  return tf.tidy(
    () =>
      tf
        .matMul(tf.tensor2d(voltagesVolt as number[][]), tf.tensor2d(conductancesSiemens as number[][]))
        .arraySync() as number[][],
  );
}
