/**
 * The claims of Drolet et al. 2023 that notebook 01 tests, as data (`lib/experiments/claims.ts`):
 * the share of test points classified correctly in ≥ 95 % of transfers, per seed.
 */
import { claim, ClaimResult, formatMeanSd, measuredClaim } from "./claims";
import { DROLET_PAPER_SHARE } from "./drolet";
import { meanSd } from "../runtime/stats";

const pct = (x: number) => +(100 * x).toFixed(1);
const paperAware = pct(DROLET_PAPER_SHARE.aware),
  paperRegular = pct(DROLET_PAPER_SHARE.regular);
const paperContrast = +(paperAware - paperRegular).toFixed(1);

/** Share of the paper's contrast (points) that counts as reproducing it. */
export const CONTRAST_FRACTION = 0.75;
/** Smallest sd (points) used for the level rule, so that a lucky small spread does not make it stricter than the seeds can tell. */
export const LEVEL_SD_FLOOR_POINTS = 2;

export const DROLET_CLAIMS = Object.freeze({
  contrast: claim({
    id: "D1",
    paper: "drolet-2023",
    statement:
      "Hardware-aware training raises the share of test points correct in ≥ 95 % of transfers far above regular training.",
    source: "abstract",
    paperValue: `${paperRegular} % (regular) → ${paperAware} % (aware), +${paperContrast} points`,
    paperNumbers: [paperRegular, paperAware, paperContrast],
    measuredAs: "share ≥ 95 % of each network over Monte Carlo transfers; mean ± sd over seeds",
    rule: `mean(aware) − mean(regular) ≥ ${CONTRAST_FRACTION} × ${paperContrast} points`,
  }),
  levels: claim({
    id: "D2",
    paper: "drolet-2023",
    statement: "The two shares themselves match the paper's.",
    source: "abstract",
    paperValue: `${paperRegular} % and ${paperAware} %`,
    paperNumbers: [paperRegular, paperAware],
    measuredAs: "as D1",
    rule: `each paper value inside mean ± 2 sd of the seeds (sd at least ${LEVEL_SD_FLOOR_POINTS} points)`,
  }),
});

/** D1 and D2 from the per-seed shares (fractions in [0, 1]). */
export function evaluateDroletClaims(shares: {
  seeds: readonly number[];
  regular: readonly number[];
  aware: readonly number[];
}): ClaimResult[] {
  const n = shares.seeds.length;
  if (n === 0 || shares.regular.length !== n || shares.aware.length !== n)
    throw new Error(`need one regular and one aware share per seed (${n} seeds)`);
  if ([...shares.regular, ...shares.aware].some((s) => !(s >= 0 && s <= 1)))
    throw new Error("shares are fractions in [0, 1]");
  const reg = meanSd(shares.regular.map(pct)),
    aw = meanSd(shares.aware.map(pct));
  const contrast = aw.mean - reg.mean;
  const inside = (s: { mean: number; sd: number }, paper: number) =>
    Math.abs(paper - s.mean) <= 2 * Math.max(s.sd, LEVEL_SD_FLOOR_POINTS);
  const text = `${formatMeanSd(reg, 1, " %")} → ${formatMeanSd(aw, 1, " %")}`;
  return [
    measuredClaim(DROLET_CLAIMS.contrast, {
      n,
      seeds: shares.seeds,
      measured: `${text}, +${contrast.toFixed(1)} points`,
      reproduced: contrast >= CONTRAST_FRACTION * paperContrast,
    }),
    measuredClaim(DROLET_CLAIMS.levels, {
      n,
      seeds: shares.seeds,
      measured: text,
      reproduced: inside(reg, paperRegular) && inside(aw, paperAware),
    }),
  ];
}
