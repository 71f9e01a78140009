/**
 * Device current laws I = f(V), one per device, as the nonlinear circuit solver takes them
 * (crossbar/nonlinear.ts): each fills the current and the differential conductance of every device.
 */
import { pooleFrenkelConductance, pooleFrenkelCurrent, ROOM_TEMPERATURE_KELVIN } from "./poole-frenkel";

/** A current law: fills current (A) and dI/dV (S) of every device (row-major) at voltages v = W − B. */
export interface DeviceCurrentLaw {
  readonly name: string;
  readonly devices: number;
  evaluate(v: Float64Array, currentAmp: Float64Array, conductanceSiemens: Float64Array): void;
}

/** Ohmic devices (for checks: the nonlinear solver must reproduce the linear one). */
export function ohmicLaw(conductancesSiemens: Float64Array): DeviceCurrentLaw {
  return {
    name: "ohmic",
    devices: conductancesSiemens.length,
    evaluate(v, i, g) {
      for (let k = 0; k < v.length; k++) {
        g[k] = conductancesSiemens[k];
        i[k] = conductancesSiemens[k] * v[k];
      }
    },
  };
}

/** Poole–Frenkel devices with per-device c (S) and dε (F). */
export function pooleFrenkelLaw(
  cSiemens: Float64Array,
  dEpsFarad: Float64Array,
  temperatureKelvin = ROOM_TEMPERATURE_KELVIN,
): DeviceCurrentLaw {
  if (cSiemens.length !== dEpsFarad.length)
    throw new RangeError(`${cSiemens.length} c values but ${dEpsFarad.length} dε values`);
  cSiemens.forEach((c, k) => {
    if (!(c >= 0 && Number.isFinite(c))) throw new RangeError(`Poole–Frenkel c[${k}] = ${c} S must be finite and >= 0`);
    if (!(dEpsFarad[k] > 0 && Number.isFinite(dEpsFarad[k])))
      throw new RangeError(`Poole–Frenkel dε[${k}] = ${dEpsFarad[k]} F must be finite and > 0`);
  });
  return {
    name: "poole-frenkel",
    devices: cSiemens.length,
    evaluate(v, i, g) {
      for (let k = 0; k < v.length; k++) {
        i[k] = pooleFrenkelCurrent(v[k], cSiemens[k], dEpsFarad[k], temperatureKelvin);
        g[k] = pooleFrenkelConductance(v[k], cSiemens[k], dEpsFarad[k], temperatureKelvin);
      }
    },
  };
}
