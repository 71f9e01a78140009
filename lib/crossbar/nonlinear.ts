/**
 * Crossbars of nonlinear devices, I = f(V) per device, solved by damped Newton–Raphson. Each Newton
 * step is the linear circuit obtained by replacing every device with its companion model (differential
 * conductance g = dI/dV in parallel with a current source i(v) − g·v), so it reuses the linear
 * solvers and their sparsity. Reports the iterations and the final residuals.
 */
import type { CrossbarDrive, CrossbarTopology } from "./circuit";
import { checkDrive } from "./circuit";
import { CrossbarSolution, CrossbarSystem, Engine } from "./solver";
import type { DeviceCurrentLaw } from "../devices/current-law";

// The device laws live with the devices; the solver takes any of them.
export { ohmicLaw, pooleFrenkelLaw } from "../devices/current-law";
export type { DeviceCurrentLaw } from "../devices/current-law";

export interface NewtonOptions {
  readonly engine?: Engine;
  readonly maxIterations?: number;
  /**
   * Stop when the largest device-voltage update is at most this (V) times the input's largest drive
   * magnitude in volts, or times 1 when every drive is below 1 V.
   */
  readonly voltageTolerance?: number;
  /** Largest device-voltage change allowed per step (V); larger steps are scaled down (damping). */
  readonly maxStepVolt?: number;
}

export interface NonlinearSolution extends CrossbarSolution {
  /** Newton iterations per input. */
  readonly newtonIterations: readonly number[];
  /** Largest |i_law(v) − i_companion| over devices (A): how far the last linear step is from the law. */
  readonly lawResidualAmp: number;
  /** Always true: a Newton solve that does not converge throws, naming the law. */
  readonly newtonConverged: boolean;
}

/** The largest |voltage| over every source of a one-input drive (V). */
function largestDriveVolt(d: CrossbarDrive): number {
  let largest = 0;
  for (const family of [d.wordLeftVolt, d.wordRightVolt, d.bitBottomVolt, d.bitTopVolt]) {
    if (family) for (const x of Array.from(family[0])) largest = Math.max(largest, Math.abs(x));
  }
  return largest;
}

/**
 * Solve a crossbar whose devices follow `law`. The topology supplies geometry, wires and terminals
 * (its conductances are ignored). Inputs are solved one at a time (each has its own Jacobian).
 */
export function solveNonlinear(
  topology: CrossbarTopology,
  law: DeviceCurrentLaw,
  drive: CrossbarDrive,
  opts: NewtonOptions = {},
): NonlinearSolution {
  const p = checkDrive(topology, drive);
  const { rows: m, cols: n } = topology;
  const N = m * n;
  if (law.devices !== N)
    throw new RangeError(`the current law describes ${law.devices} devices, the crossbar has ${N}`);
  const maxIt = opts.maxIterations ?? 60;
  const tolV = opts.voltageTolerance ?? 1e-12;
  const maxStep = opts.maxStepVolt ?? 0.1;
  const engine = opts.engine ?? "gauss-seidel";
  if (!(Number.isInteger(maxIt) && maxIt >= 1))
    throw new RangeError(`Newton: maxIterations must be a whole number >= 1, got ${maxIt}`);
  if (!(tolV > 0 && Number.isFinite(tolV)))
    throw new RangeError(`Newton: voltageTolerance must be a finite number of volts > 0, got ${tolV}`);
  if (!(maxStep > 0 && Number.isFinite(maxStep)))
    throw new RangeError(
      `Newton: maxStepVolt (the damping limit) must be a finite number of volts > 0, got ${maxStep}`,
    );
  // the companion model needs finite currents and non-negative differential conductances (an SPD system)
  const evaluate = (vv: Float64Array, ii: Float64Array, gg: Float64Array) => {
    law.evaluate(vv, ii, gg);
    for (let r = 0; r < N; r++) {
      if (!Number.isFinite(ii[r]) || !Number.isFinite(gg[r]))
        throw new RangeError(
          `device law "${law.name}": device ${r} (row ${Math.floor(r / n)}, column ${r % n}) at ${vv[r]} V gives current ${ii[r]} A and dI/dV ${gg[r]} S; both must be finite`,
        );
      if (gg[r] < 0)
        throw new RangeError(
          `device law "${law.name}": device ${r} (row ${Math.floor(r / n)}, column ${r % n}) has negative differential conductance ${gg[r]} S at ${vv[r]} V; the Newton solver needs dI/dV >= 0`,
        );
    }
  };
  const v = new Float64Array(N),
    i = new Float64Array(N),
    g = new Float64Array(N),
    J = new Float64Array(N);
  const iterations: number[] = [];
  let lawResidual = 0;
  const parts: CrossbarSolution[] = [];
  for (let k = 0; k < p; k++) {
    const one: CrossbarDrive = {
      wordLeftVolt: [drive.wordLeftVolt[k]],
      ...(drive.wordRightVolt ? { wordRightVolt: [drive.wordRightVolt[k]] } : {}),
      ...(drive.bitBottomVolt ? { bitBottomVolt: [drive.bitBottomVolt[k]] } : {}),
      ...(drive.bitTopVolt ? { bitTopVolt: [drive.bitTopVolt[k]] } : {}),
    };
    const stopVolt = tolV * Math.max(1, largestDriveVolt(one));
    v.fill(0);
    let sol: CrossbarSolution | null = null;
    let converged = false;
    let it = 1;
    let lastStep = NaN;
    for (; it <= maxIt; it++) {
      evaluate(v, i, g);
      for (let r = 0; r < N; r++) J[r] = i[r] - g[r] * v[r];
      const next = new CrossbarSystem({ ...topology, conductancesSiemens: Float64Array.from(g) }).solve(one, {
        engine,
        deviceSourceAmp: J,
      });
      let step = 0;
      for (let r = 0; r < N; r++) step = Math.max(step, Math.abs(next.wordVoltages[r] - next.bitVoltages[r] - v[r]));
      const lambda = step > maxStep ? maxStep / step : 1;
      lastStep = step;
      for (let r = 0; r < N; r++) v[r] += lambda * (next.wordVoltages[r] - next.bitVoltages[r] - v[r]);
      sol = next;
      if (lambda === 1 && step <= stopVolt) {
        converged = true;
        break;
      }
    }
    if (!converged)
      throw new RangeError(
        `Newton did not converge for device law "${law.name}" (input ${k}): after ${maxIt} iterations the largest device-voltage update is ${lastStep.toExponential(2)} V (tolerance ${tolV} V, damping limit ${maxStep} V per step); raise maxIterations or maxStepVolt`,
      );
    // law vs companion currents at the returned voltages
    const vv = new Float64Array(N);
    for (let r = 0; r < N; r++) vv[r] = sol!.wordVoltages[r] - sol!.bitVoltages[r];
    const ii = new Float64Array(N),
      gg = new Float64Array(N);
    evaluate(vv, ii, gg);
    for (let r = 0; r < N; r++) lawResidual = Math.max(lawResidual, Math.abs(ii[r] - sol!.deviceCurrents[r]));
    iterations.push(it);
    parts.push(sol!);
  }
  const cat = (f: (s: CrossbarSolution) => Float64Array) => {
    const len = f(parts[0]).length;
    const out = new Float64Array(len * p);
    parts.forEach((s, k) => out.set(f(s), k * len));
    return out;
  };
  return {
    rows: m,
    cols: n,
    inputs: p,
    wordVoltages: cat((s) => s.wordVoltages),
    bitVoltages: cat((s) => s.bitVoltages),
    deviceCurrents: cat((s) => s.deviceCurrents),
    wordSegmentCurrents: cat((s) => s.wordSegmentCurrents),
    bitSegmentCurrents: cat((s) => s.bitSegmentCurrents),
    wordLeftCurrents: cat((s) => s.wordLeftCurrents),
    wordRightCurrents: cat((s) => s.wordRightCurrents),
    bitTopCurrents: cat((s) => s.bitTopCurrents),
    outputCurrents: cat((s) => s.outputCurrents),
    kclResidualAmp: Math.max(...parts.map((s) => s.kclResidualAmp)),
    kclResidualRelative: Math.max(...parts.map((s) => s.kclResidualRelative)),
    engine: parts[0].engine,
    converged: parts.every((s) => s.converged),
    sweeps: Math.max(...parts.map((s) => s.sweeps ?? 0)),
    newtonIterations: iterations,
    lawResidualAmp: lawResidual,
    newtonConverged: true,
  };
}
