/**
 * The claims of Joksas et al. 2022 that notebooks 02, 03, 06, 07, 09 and 10 test, as data
 * (`lib/experiments/claims.ts`), and the evaluation of each rule on measured summaries.
 * Measured values are mean ± sd over independently trained networks, each network's value being
 * its median over inference repeats, unless a claim says otherwise.
 */
import type { InferenceSummary, SetupId } from "./joksas";
import { JOKSAS_PAPER } from "./joksas";
import { meanSd } from "../runtime/stats";
import { claim, ClaimResult, formatMeanSd, measuredClaim, notTested } from "./claims";

export type { ClaimResult } from "./claims";

const P = JOKSAS_PAPER;
const E = P.d2MedianErrorPercent,
  H = P.efficiencyTopsPerWatt;
const ratioText = (a: number, b: number) => (b / a).toFixed(2);

/** Relative tolerance of the efficiency claims: η depends on the trained conductances, which a shorter protocol changes. */
export const EFFICIENCY_TOLERANCE = 0.25;
/** "Similar error": at most this many percentage points above the reference. */
export const SIMILAR_ERROR_POINTS = 2;

export const JOKSAS_CLAIMS = Object.freeze({
  awareHalvesError: claim({
    id: "C1",
    paper: "joksas-2022",
    statement:
      "On high-nonlinearity SiOx devices (D2), nonideality-aware training cuts the standard network's median test error at least in half.",
    source: "Fig. 5; abstract",
    paperValue: `${E.standard} % (standard) → ${E.aware} % (aware), ${E.awareRegularised} % (aware + L1)`,
    paperNumbers: [E.standard, E.aware, E.awareRegularised],
    measuredAs: "median test error on D2 of T0, T3 and T4; mean ± sd over networks",
    rule: "mean aware error ≤ ½ × mean standard error",
  }),
  l1RaisesEfficiency: claim({
    id: "C2",
    paper: "joksas-2022",
    statement: "L1 regularisation of the aware network raises its energy efficiency at similar or better error.",
    source: "Fig. 5; supporting Fig. S3",
    paperValue: `${H.highAware} → ${H.highAwareRegularised} TOPS/W (×${ratioText(H.highAware, H.highAwareRegularised)}), ${E.aware} → ${E.awareRegularised} %`,
    paperNumbers: [H.highAware, H.highAwareRegularised, E.aware, E.awareRegularised],
    measuredAs: "η and median error on D2 of T3 and T4; mean ± sd over networks",
    rule: `η ratio (means) ≥ 1.3 and mean error at most ${SIMILAR_ERROR_POINTS} points above the unregularised one`,
  }),
  lowResistanceEfficiency: claim({
    id: "E1",
    paper: "joksas-2022",
    statement: "The standard network on low-resistance SiOx devices (D1) runs at about 0.7 TOPS/W.",
    source: "abstract; Fig. 5",
    paperValue: `${H.lowResistance} TOPS/W`,
    paperNumbers: [H.lowResistance],
    measuredAs: "η of T0 on D1 over the test images",
    rule: `within ±${100 * EFFICIENCY_TOLERANCE} % of the paper's value`,
  }),
  highResistanceEfficiency: claim({
    id: "E2",
    paper: "joksas-2022",
    statement: "The aware networks on high-resistance SiOx devices (D2) run at hundreds of TOPS/W, higher with L1.",
    source: "abstract; Fig. 5",
    paperValue: `${H.highAware} TOPS/W (T3), ${H.highAwareRegularised} TOPS/W (T4)`,
    paperNumbers: [H.highAware, H.highAwareRegularised],
    measuredAs: "η of T3 and T4 on D2 over the test images",
    rule: `each within ±${100 * EFFICIENCY_TOLERANCE} % of the paper's value`,
  }),
  awareHelpsOwnSetup: claim({
    id: "N1",
    paper: "joksas-2022",
    statement:
      "For every nonideal device setup, a network trained aware of it has a lower median error on it than the standard network.",
    source: "Fig. 8",
    paperValue: "qualitative (cell values not published)",
    paperNumbers: [],
    measuredAs: "median error of T0 and of the best network trained on each setup D1–D8, pooled over networks",
    rule: "best aware error < T0 error on every setup",
  }),
  doubleL1LowestPower: claim({
    id: "W1",
    paper: "joksas-2022",
    statement:
      "Double weights with L1 give the lowest power of the four weight implementations at similar or better error, on both D2D setups.",
    source: "Fig. 7",
    paperValue: "qualitative (medians not printed)",
    paperNumbers: [],
    measuredAs: "mean power and median error of the four implementations on D5 and D6, pooled over networks",
    rule: `on D5 and D6: lowest power, and error at most ${SIMILAR_ERROR_POINTS} points above the best other implementation`,
  }),
  awareBeatsStuck: claim({
    id: "S1",
    paper: "joksas-2022",
    statement:
      "Nonideality-aware training beats the standard network on stuck-at-G_off, stuck-at-G_on with high nonlinearity, Ta/HfO2 stuck and high-D2D devices.",
    source: "supporting figures (stuck-off, high-iv-nonlinearity-and-stuck-on, stuck-distribution, high-d2d)",
    paperValue: "qualitative (medians not printed)",
    paperNumbers: [],
    measuredAs: "median error on D3, D4, D8 and D7 of T0 and of the aware training, pooled over networks",
    rule: "aware error < T0 error on all four setups",
  }),
  cnnAwareBetter: claim({
    id: "K1",
    paper: "joksas-2022",
    statement: "On CIFAR-10, the CNN trained aware of D2 has a clearly lower median error on D2 than the standard CNN.",
    source: "Fig. 6",
    paperValue: 'qualitative ("improved error")',
    paperNumbers: [],
    measuredAs: "median error on D2 of C0 and C1, pooled over networks",
    rule: `aware error ≤ standard error − ${SIMILAR_ERROR_POINTS} points`,
  }),
});

export { meanSd };

function sameCount(groups: Record<string, readonly InferenceSummary[]>): number {
  const counts = [...new Set(Object.values(groups).map((g) => g.length))];
  if (counts.length !== 1 || counts[0] === 0)
    throw new Error(
      `claims need the same (non-zero) number of networks per configuration, got ${Object.entries(groups)
        .map(([k, g]) => `${k}: ${g.length}`)
        .join(", ")}`,
    );
  return counts[0];
}

function effOf(g: readonly InferenceSummary[], id: string): ReturnType<typeof meanSd> {
  const xs = g.map((s) => s.efficiencyTopsPerWatt);
  if (xs.some((x) => x === null)) throw new Error(`claim ${id} needs the power of every network (a crossbar stage)`);
  return meanSd(xs as number[]);
}

/**
 * C1 and C2 from per-network inference summaries on D2: `standard` (T0), `aware` (T3) and
 * `awareL1` (T4), one summary per independently trained network, `seeds[k]` the k-th network's.
 */
export function evaluateJoksasClaims(
  perNetwork: {
    standard: readonly InferenceSummary[];
    aware: readonly InferenceSummary[];
    awareL1: readonly InferenceSummary[];
  },
  seeds: readonly number[],
): ClaimResult[] {
  const n = sameCount(perNetwork);
  if (seeds.length !== n) throw new Error(`${n} networks per configuration but ${seeds.length} seeds`);
  for (const [k, g] of Object.entries(perNetwork))
    if (g.some((s) => s.setup !== "D2"))
      throw new Error(`claims are measured on D2; ${k} has ${g.map((s) => s.setup).join(", ")}`);
  const err = (g: readonly InferenceSummary[]) => meanSd(g.map((s) => s.medianErrorPercent));
  const es = err(perNetwork.standard),
    ea = err(perNetwork.aware),
    er = err(perNetwork.awareL1);
  const ha = effOf(perNetwork.aware, "C2"),
    hr = effOf(perNetwork.awareL1, "C2");
  const ratio = hr.mean / ha.mean;
  const perSeed = seeds
    .map(
      (s, k) =>
        `${s}: ${(perNetwork.aware[k].medianErrorPercent / perNetwork.standard[k].medianErrorPercent).toFixed(2)}`,
    )
    .join(", ");
  return [
    measuredClaim(JOKSAS_CLAIMS.awareHalvesError, {
      n,
      seeds,
      measured: `${formatMeanSd(es, 1, " %")} → ${formatMeanSd(ea, 1, " %")}, ${formatMeanSd(er, 1, " %")} (aware/standard ${(ea.mean / es.mean).toFixed(2)}; per seed ${perSeed})`,
      reproduced: ea.mean <= es.mean / 2,
    }),
    measuredClaim(JOKSAS_CLAIMS.l1RaisesEfficiency, {
      n,
      seeds,
      measured: `${formatMeanSd(ha, 0)} → ${formatMeanSd(hr, 0)} TOPS/W (×${ratio.toFixed(2)}), ${ea.mean.toFixed(1)} → ${er.mean.toFixed(1)} %`,
      reproduced: ratio >= 1.3 && er.mean <= ea.mean + SIMILAR_ERROR_POINTS,
    }),
  ];
}

const within = (x: number, paper: number) => Math.abs(x / paper - 1) <= EFFICIENCY_TOLERANCE;

/** E1 and E2 from the efficiencies (TOPS/W) of T0 on D1, T3 and T4 on D2, each over `seeds`. */
export function evaluateEfficiencyClaims(
  eta: { lowStandard: readonly number[]; highAware: readonly number[]; highAwareL1: readonly number[] },
  seeds: readonly number[],
): ClaimResult[] {
  for (const [k, xs] of Object.entries(eta)) {
    if (xs.length !== seeds.length || xs.some((x) => !(x > 0)))
      throw new Error(`efficiency ${k}: need one positive value per seed (${seeds.length}), got ${xs.join(", ")}`);
  }
  const lo = meanSd([...eta.lowStandard]),
    a = meanSd([...eta.highAware]),
    r = meanSd([...eta.highAwareL1]);
  const n = seeds.length;
  const pct = (x: number, p: number) => `${x >= p ? "+" : ""}${(100 * (x / p - 1)).toFixed(0)} %`;
  return [
    measuredClaim(JOKSAS_CLAIMS.lowResistanceEfficiency, {
      n,
      seeds,
      measured: `${formatMeanSd(lo, 3, " TOPS/W")} (${pct(lo.mean, H.lowResistance)})`,
      reproduced: within(lo.mean, H.lowResistance),
    }),
    measuredClaim(JOKSAS_CLAIMS.highResistanceEfficiency, {
      n,
      seeds,
      measured: `T3 ${formatMeanSd(a, 0, " TOPS/W")} (${pct(a.mean, H.highAware)}), T4 ${formatMeanSd(r, 0, " TOPS/W")} (${pct(r.mean, H.highAwareRegularised)})`,
      reproduced: within(a.mean, H.highAware) && within(r.mean, H.highAwareRegularised),
    }),
  ];
}

/** One setup's comparison: the standard network's error and the aware one's, pooled over networks (%). */
export interface SetupComparison {
  readonly setup: SetupId;
  readonly standardErrorPercent: number;
  readonly awareErrorPercent: number;
  /** The aware training(s) compared. */
  readonly aware: string;
}

function comparisons(rows: readonly SetupComparison[]): { text: string; all: boolean } {
  if (rows.length === 0) throw new Error("no setups to compare");
  return {
    text: rows
      .map((r) => `${r.setup}: ${r.standardErrorPercent.toFixed(1)} → ${r.awareErrorPercent.toFixed(1)} % (${r.aware})`)
      .join("; "),
    all: rows.every((r) => r.awareErrorPercent < r.standardErrorPercent),
  };
}

/** N1 (notebook 06): standard vs best aware training on each nonideal setup. */
export function evaluateRobustnessClaim(rows: readonly SetupComparison[], seeds: readonly number[]): ClaimResult {
  const c = comparisons(rows);
  return measuredClaim(JOKSAS_CLAIMS.awareHelpsOwnSetup, {
    n: seeds.length,
    seeds,
    measured: c.text,
    reproduced: c.all,
  });
}

/** S1 (notebook 09): standard vs aware on D3, D4, D8 and D7. */
export function evaluateStuckClaim(rows: readonly SetupComparison[], seeds: readonly number[]): ClaimResult {
  const setups = rows
    .map((r) => r.setup)
    .sort()
    .join(",");
  if (setups !== "D3,D4,D7,D8") throw new Error(`claim S1 compares D3, D4, D7 and D8; got ${setups}`);
  const c = comparisons(rows);
  return measuredClaim(JOKSAS_CLAIMS.awareBeatsStuck, { n: seeds.length, seeds, measured: c.text, reproduced: c.all });
}

/** W1 (notebook 07): per D2D setup, the four implementations' pooled summaries in the order avg., min-G, double, double + L1. */
export function evaluateWeightsClaim(
  groups: readonly { setup: SetupId; summaries: readonly InferenceSummary[] }[],
  seeds: readonly number[],
): ClaimResult {
  const parts = groups.map((g) => {
    if (g.summaries.length !== 4)
      throw new Error(`claim W1 compares four implementations on ${g.setup}, got ${g.summaries.length}`);
    const power = g.summaries.map((s) => {
      if (s.meanPowerWatt === null) throw new Error(`claim W1 needs the power of ${s.training}`);
      return s.meanPowerWatt;
    });
    const [reg, others] = [g.summaries[3], g.summaries.slice(0, 3)];
    const lowest = power.slice(0, 3).every((p) => power[3] < p);
    const similar =
      reg.medianErrorPercent <= Math.min(...others.map((s) => s.medianErrorPercent)) + SIMILAR_ERROR_POINTS;
    const text = `${g.setup}: ${g.summaries.map((s, k) => `${s.training} ${s.medianErrorPercent.toFixed(1)} % at ${(power[k] * 1e3).toFixed(2)} mW`).join(", ")} (lowest power ${lowest ? "yes" : "no"}, similar error ${similar ? "yes" : "no"})`;
    return { text, ok: lowest && similar };
  });
  return measuredClaim(JOKSAS_CLAIMS.doubleL1LowestPower, {
    n: seeds.length,
    seeds,
    measured: parts.map((p) => p.text).join("; "),
    reproduced: parts.every((p) => p.ok),
  });
}

/** K1 (notebook 10): pooled median errors on D2 of C0 and C1; not tested without CIFAR-10. */
export function evaluateCnnClaim(
  m: { standardErrorPercent: number; awareErrorPercent: number } | null,
  seeds: readonly number[],
  missingReason = "CIFAR-10 files not in data/cifar-10/",
): ClaimResult {
  if (m === null) return notTested(JOKSAS_CLAIMS.cnnAwareBetter, missingReason);
  return measuredClaim(JOKSAS_CLAIMS.cnnAwareBetter, {
    n: seeds.length,
    seeds,
    measured: `${m.standardErrorPercent.toFixed(1)} → ${m.awareErrorPercent.toFixed(1)} %`,
    reproduced: m.awareErrorPercent <= m.standardErrorPercent - SIMILAR_ERROR_POINTS,
  });
}
