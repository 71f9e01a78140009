/**
 * The tile's periphery (tile/periphery.ts) in the Joksas engines: a stage may carry a DAC, an ADC
 * and output noise, applied by both the tfjs layers and the fused WebAssembly engine with the tile's
 * own `encodeInputs` and `digitise`, after the device draws and in the same order, so a seed gives
 * the same pass in both. Each layer is one array (the paper's), so the ADC sees each output's
 * whole-layer current. Gradients are straight-through (0 where a converter clips); the
 * noise-management scale is held fixed.
 */
import type { DeviceSetup } from "../devices/joksas";
import type { Rng } from "../runtime/random";
import type { ConductanceWindow } from "../tile/mapping";
import { PeripheryConfig, checkPeriphery, digitise, isIdealPeriphery, maxAdcRangeAmpere } from "../tile/periphery";

/** A device setup with the converters around its arrays. */
export type HardwareStage = DeviceSetup & { readonly periphery?: PeripheryConfig };

/** The stage's periphery, checked (null when it has none); refuses what the Joksas engines do not model. */
export function stagePeriphery(stage: DeviceSetup | null): PeripheryConfig | null {
  const p = (stage as HardwareStage | null)?.periphery;
  if (!p || isIdealPeriphery(p)) return null;
  const where = `stage ${stage!.id}: periphery`;
  checkPeriphery(p, where);
  if (stage!.gOffSiemens === null)
    throw new RangeError(
      `${where}: converters need a crossbar stage with a conductance window; the ideal stage runs digitally`,
    );
  if (p.readNoiseRelative || p.conductanceLevels !== undefined)
    throw new RangeError(
      `${where}: read noise and conductance levels are modelled on the tile's layer (lib/tile), not in the Joksas engines`,
    );
  if (p.adc?.range.kind === "calibrated")
    throw new RangeError(
      `${where}: a calibrated ADC range needs a calibration pass; give the Joksas engines a fixed or "max" range`,
    );
  return p;
}

/** The ADC range of a layer of `rows` word lines (A): fixed, or "max" at the DAC's range (k_V without a DAC). */
export function layerAdcRange(
  p: PeripheryConfig,
  rows: number,
  readVoltageVolt: number,
  window: ConductanceWindow,
): number {
  if (!p.adc) return Infinity;
  if (p.adc.range.kind === "fixed") return p.adc.range.rangeAmpere;
  return maxAdcRangeAmpere(p.adc, rows, p.dac ? p.dac.inputRangeVolt : readVoltageVolt, window);
}

/**
 * Outputs y [batch][out] = digital (I⁺ − I⁻)/(unit·k_G) from currents laid out in blocks (row b: I⁺
 * at b·stride + j, I⁻ at b·stride + out + j), through output noise and the ADC; and ∂(I⁺ − I⁻)/∂I
 * per pair (interleaved) for `outputGradients`; how many conversions clipped, of how many.
 */
export function convertOutputs(
  currents: ArrayLike<number>,
  stride: number,
  batch: number,
  out: number,
  p: PeripheryConfig,
  rangeAmpere: number,
  unitVolt: ArrayLike<number>,
  kG: number,
  rng: Rng,
): { y: Float64Array; dCurrent: Float64Array; clipped: number; converters: number } {
  const pairs = new Float64Array(batch * 2 * out);
  for (let b = 0; b < batch; b++)
    for (let j = 0; j < out; j++) {
      pairs[(b * out + j) * 2] = currents[b * stride + j];
      pairs[(b * out + j) * 2 + 1] = currents[b * stride + out + j];
    }
  const d = digitise(pairs, batch, out, p, rangeAmpere, rng);
  const y = new Float64Array(batch * out);
  for (let b = 0; b < batch; b++)
    for (let j = 0; j < out; j++) y[b * out + j] = d.differenceAmpere[b * out + j] / (unitVolt[b] * kG);
  return { y, dCurrent: d.dCurrent, clipped: d.clipped, converters: d.converters };
}

/** ∂L/∂I in the same blocked layout from ∂L/∂y, through `convertOutputs`'s straight-through ADC; also the explicit ∂L/∂k_G. */
export function outputGradients(
  dy: ArrayLike<number>,
  y: ArrayLike<number>,
  batch: number,
  out: number,
  stride: number,
  dCurrent: ArrayLike<number>,
  unitVolt: ArrayLike<number>,
  kG: number,
  dI: { [i: number]: number },
): number {
  let dkG = 0;
  for (let b = 0; b < batch; b++)
    for (let j = 0; j < out; j++) {
      const q = b * out + j,
        g = dy[q] / (unitVolt[b] * kG);
      dI[b * stride + j] = g * dCurrent[2 * q];
      dI[b * stride + out + j] = g * dCurrent[2 * q + 1];
      dkG -= (dy[q] * y[q]) / kG;
    }
  return dkG;
}
