/**
 * A conductance disturbance checked where it is used (draws, the tile's layers), not only where a
 * Joksas setup is built: each error names the field, its unit and the value.
 */
import type { ConductanceDisturbance } from "./joksas";

export function checkDisturbance(d: ConductanceDisturbance, where = "disturbance"): void {
  switch (d?.kind) {
    case "stuck":
      if (d.at !== "gOff" && d.at !== "gOn")
        throw new RangeError(`${where}: stuck at must be "gOff" or "gOn", got ${JSON.stringify(d.at)}`);
      break;
    case "stuck-distribution":
      if (!(d.bandwidthSiemens > 0 && Number.isFinite(d.bandwidthSiemens)))
        throw new RangeError(
          `${where}: KDE bandwidthSiemens must be a finite conductance > 0 S, got ${d.bandwidthSiemens}`,
        );
      if (!Array.isArray(d.centresSiemens) || d.centresSiemens.length === 0)
        throw new RangeError(`${where}: KDE centresSiemens must list at least one stuck conductance (S)`);
      d.centresSiemens.forEach((c, k) => {
        if (!(c >= 0 && Number.isFinite(c)))
          throw new RangeError(`${where}: KDE centresSiemens[${k}] must be a finite conductance >= 0 S, got ${c}`);
      });
      break;
    case "d2d-lognormal":
      for (const f of ["sigmaOn", "sigmaOff"] as const) {
        if (!(d[f] >= 0 && Number.isFinite(d[f])))
          throw new RangeError(`${where}: lognormal ${f} must be a finite spread >= 0 (of ln G), got ${d[f]}`);
      }
      return;
    default:
      throw new RangeError(`${where}: unknown disturbance kind ${JSON.stringify((d as { kind?: unknown })?.kind)}`);
  }
  if (!(d.probability >= 0 && d.probability <= 1))
    throw new RangeError(`${where}: stuck probability must be in [0, 1], got ${d.probability}`);
}
