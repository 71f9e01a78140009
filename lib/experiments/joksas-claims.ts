/**
 * The claims of Joksas et al. 2022 that notebook 02 tests, as data: statement, paper values, the rule
 * for "reproduced", and the evaluation of that rule on measured inference summaries (mean ± sd over
 * independently trained networks, each network's value being its median over inference repeats).
 */
import type { InferenceSummary } from "./joksas";
import { JOKSAS_PAPER } from "./joksas";
import { meanSd } from "../runtime/stats";

export interface Claim {
  readonly id: string;
  readonly statement: string;
  /** Where the paper shows it. */
  readonly source: string;
  /** The paper's numbers, as printed there. */
  readonly paper: string;
  /** The rule applied to the measured values. */
  readonly rule: string;
}

export interface ClaimResult extends Claim {
  readonly measured: string;
  /** Networks per configuration behind the measured values. */
  readonly n: number;
  readonly reproduced: boolean;
}

const P = JOKSAS_PAPER;

export const JOKSAS_CLAIMS: Readonly<Record<"awareHalvesError" | "l1RaisesEfficiency", Claim>> = Object.freeze({
  awareHalvesError: {
    id: "C1",
    statement: "On high-nonlinearity SiOx devices (D2), nonideality-aware training cuts the standard network's median test error at least in half.",
    source: "Fig. 5; abstract",
    paper: `${P.d2MedianErrorPercent.standard} % (standard) → ${P.d2MedianErrorPercent.aware} % (aware), ${P.d2MedianErrorPercent.awareRegularised} % (aware + L1)`,
    rule: "mean over networks of the aware median error ≤ ½ × that of the standard networks",
  },
  l1RaisesEfficiency: {
    id: "C2",
    statement: "L1 regularisation of the aware network raises its energy efficiency at similar or better error.",
    source: "Fig. 5; supporting Fig. S3",
    paper: `${P.efficiencyTopsPerWatt.highAware} → ${P.efficiencyTopsPerWatt.highAwareRegularised} TOPS/W (×${(P.efficiencyTopsPerWatt.highAwareRegularised / P.efficiencyTopsPerWatt.highAware).toFixed(2)}), ${P.d2MedianErrorPercent.aware} → ${P.d2MedianErrorPercent.awareRegularised} %`,
    rule: "η ratio (means over networks) ≥ 1.3 and mean error at most 2 points above the unregularised one",
  },
});

export { meanSd };

const pm = (s: { mean: number; sd: number }, digits: number, unit: string) => `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}${unit}`;

function sameCount(groups: Record<string, readonly InferenceSummary[]>): number {
  const counts = [...new Set(Object.values(groups).map((g) => g.length))];
  if (counts.length !== 1 || counts[0] === 0) throw new Error(`claims need the same (non-zero) number of networks per configuration, got ${Object.entries(groups).map(([k, g]) => `${k}: ${g.length}`).join(", ")}`);
  return counts[0];
}

/**
 * Both claims from per-network inference summaries on D2: `standard` (T0), `aware` (T3) and
 * `awareL1` (T4), one summary per independently trained network.
 */
export function evaluateJoksasClaims(perNetwork: { standard: readonly InferenceSummary[]; aware: readonly InferenceSummary[]; awareL1: readonly InferenceSummary[] }): ClaimResult[] {
  const n = sameCount(perNetwork);
  for (const [k, g] of Object.entries(perNetwork)) if (g.some((s) => s.setup !== "D2")) throw new Error(`claims are measured on D2; ${k} has ${g.map((s) => s.setup).join(", ")}`);
  const err = (g: readonly InferenceSummary[]) => meanSd(g.map((s) => s.medianErrorPercent));
  const eta = (g: readonly InferenceSummary[]) => {
    const xs = g.map((s) => s.efficiencyTopsPerWatt);
    if (xs.some((x) => x === null)) throw new Error("claim C2 needs the power of every network (a crossbar stage)");
    return meanSd(xs as number[]);
  };
  const es = err(perNetwork.standard), ea = err(perNetwork.aware), er = err(perNetwork.awareL1);
  const ha = eta(perNetwork.aware), hr = eta(perNetwork.awareL1);
  const ratio = hr.mean / ha.mean;
  return [
    { ...JOKSAS_CLAIMS.awareHalvesError, n, measured: `${pm(es, 1, " %")} → ${pm(ea, 1, " %")}, ${pm(er, 1, " %")} (aware/standard ${(ea.mean / es.mean).toFixed(2)})`, reproduced: ea.mean <= es.mean / 2 },
    { ...JOKSAS_CLAIMS.l1RaisesEfficiency, n, measured: `${pm(ha, 0, "")} → ${pm(hr, 0, "")} TOPS/W (×${ratio.toFixed(2)}), ${ea.mean.toFixed(1)} → ${er.mean.toFixed(1)} %`, reproduced: ratio >= 1.3 && er.mean <= ea.mean + 2 },
  ];
}
