/**
 * Paper claims as data, and their measured verdicts.
 *
 * A `Claim` is fixed before any number is seen: what the paper states, where, the paper's own
 * numbers, how it is measured here and the rule for "reproduced". A notebook measures, builds a
 * `ClaimResult` per claim (`verdict`, or `notTested` when a run cannot test it) and hands them to
 * `reportClaims`, which shows the table and writes `<figures>/<experiment>/claims.json` for the
 * reviewers' report page (`lib/notebook/report.ts`).
 */
import * as fs from "fs";
import * as path from "path";
import { figuresDir, writeAtomic } from "../plot/show";
import { showTable, TableSpec } from "../plot/table";
import { gitCommit } from "../runtime/provenance";
import type { RunMode } from "../runtime/mode";

/** The papers this project reproduces. */
export const PAPERS = Object.freeze({
  "drolet-2023": Object.freeze({
    citation: "P. Drolet et al., arXiv 2305.18495 (2023)",
    year: 2023,
    arxiv: "2305.18495",
  }),
  "joksas-2022": Object.freeze({
    citation: "D. Joksas et al., Adv. Sci. 9, 2105784 (2022); arXiv 2112.06887",
    year: 2022,
    arxiv: "2112.06887",
  }),
  "rasch-2023": Object.freeze({
    citation: "M. J. Rasch et al., Nat. Commun. 14, 5282 (2023); arXiv 2302.08469 (IBM aihwkit)",
    year: 2023,
    arxiv: "2302.08469",
  }),
  crosssim: Object.freeze({
    citation: "Sandia CrossSim (sandialabs/cross-sim): ADC range options, simulator/parameters/xbar_parameters.py",
    year: 2026,
    arxiv: "",
  }),
});
export type PaperId = keyof typeof PAPERS;

export interface Claim {
  readonly id: string;
  readonly paper: PaperId;
  readonly statement: string;
  /** Where the paper shows it (figure, table, section). */
  readonly source: string;
  /** The paper's numbers as printed there, as text ("41.6 % → 9.1 %"), or "qualitative". */
  readonly paperValue: string;
  /** The paper's numbers behind `paperValue` (empty for a qualitative claim). */
  readonly paperNumbers: readonly number[];
  /** What is measured here, and over what (networks, seeds, repeats). */
  readonly measuredAs: string;
  /** The rule for "reproduced", applied to the measured values. */
  readonly rule: string;
}

export type Verdict = "reproduced" | "not reproduced" | "not tested";

export interface ClaimResult extends Claim {
  /** The measured value(s) as text, with their spread; "—" when not tested. */
  readonly measured: string;
  /** Independent networks (or seeds) behind the measured values; 0 when not tested. */
  readonly n: number;
  readonly seeds: readonly (number | string)[];
  readonly verdict: Verdict;
  /** Why a claim was not tested, or what limits the verdict. */
  readonly note?: string;
}

export function claim(c: Claim): Claim {
  if (!/^[A-Z][A-Za-z0-9.-]*$/.test(c.id))
    throw new Error(`claim id "${c.id}" must start with a capital letter (letters, digits, '.', '-')`);
  if (!(c.paper in PAPERS)) throw new Error(`claim ${c.id}: unknown paper "${c.paper}"`);
  if (c.paperNumbers.some((x) => !Number.isFinite(x))) throw new Error(`claim ${c.id}: paper numbers must be finite`);
  return Object.freeze({ ...c, paperNumbers: Object.freeze([...c.paperNumbers]) });
}

/** A measured claim: `reproduced` is the rule's outcome on the measured values. */
export function measuredClaim(
  c: Claim,
  m: { measured: string; n: number; seeds: readonly (number | string)[]; reproduced: boolean; note?: string },
): ClaimResult {
  if (!(Number.isInteger(m.n) && m.n > 0)) throw new Error(`claim ${c.id}: n must be a positive integer, got ${m.n}`);
  return Object.freeze({
    ...c,
    measured: m.measured,
    n: m.n,
    seeds: Object.freeze([...m.seeds]),
    verdict: m.reproduced ? "reproduced" : "not reproduced",
    ...(m.note ? { note: m.note } : {}),
  });
}

/** A claim this run cannot test (data missing, mode too short): says why, claims nothing. */
export function notTested(c: Claim, reason: string): ClaimResult {
  if (!reason) throw new Error(`claim ${c.id}: say why it is not tested`);
  return Object.freeze({ ...c, measured: "—", n: 0, seeds: Object.freeze([]), verdict: "not tested", note: reason });
}

/** mean ± sd with `digits` decimals; the value alone when n = 1 (n is reported beside it). */
export function formatMeanSd(s: { mean: number; sd: number; n: number }, digits: number, unit = ""): string {
  return s.n === 1 ? `${s.mean.toFixed(digits)}${unit}` : `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}${unit}`;
}

export function claimsTable(results: readonly ClaimResult[], caption: string): TableSpec {
  return {
    caption,
    columns: ["claim", "statement", "paper", "measured", "n", "rule", "verdict"],
    rows: results.map((c) => [
      c.id,
      c.statement,
      `${c.paperValue} (${c.source})`,
      c.note ? `${c.measured}; ${c.note}` : c.measured,
      c.n,
      c.rule,
      c.verdict === "not reproduced" ? "NOT reproduced" : c.verdict,
    ]),
  };
}

/** What `reportClaims` writes for one notebook run. */
export interface ClaimsRecord {
  readonly experiment: string;
  readonly mode: RunMode;
  readonly seeds: readonly (number | string)[];
  readonly backend: string;
  readonly gitCommit: string;
  readonly date: string;
  readonly claims: readonly ClaimResult[];
}

export const CLAIMS_FILE = "claims.json";

/**
 * Show the claims table and write `<figures>/<experiment>/claims.json` (the report page reads it
 * with `readClaims`). Returns nothing, so a notebook cell ending with it prints only the table.
 * Throws on duplicate claim ids: a notebook reports each claim once.
 */
export function reportClaims(
  experiment: string,
  results: readonly ClaimResult[],
  context: { mode: RunMode; seeds: readonly (number | string)[]; backend: string; dir?: string; caption?: string },
): void {
  const ids = results.map((r) => r.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new Error(`claim ${dup} is reported twice`);
  if (results.length === 0) throw new Error(`reportClaims(${experiment}): no claims`);
  const record: ClaimsRecord = {
    experiment,
    mode: context.mode,
    seeds: [...context.seeds],
    backend: context.backend,
    gitCommit: gitCommit(),
    date: new Date().toISOString(),
    claims: results,
  };
  writeAtomic(path.join(context.dir ?? figuresDir(), experiment, CLAIMS_FILE), JSON.stringify(record, null, 2) + "\n");
  showTable(
    claimsTable(
      results,
      context.caption ??
        `Claims (${context.mode} mode, seeds ${context.seeds.join(", ") || "—"}, ${context.backend} backend)`,
    ),
  );
  const counts = (["reproduced", "not reproduced", "not tested"] as const).map(
    (v) => `${results.filter((r) => r.verdict === v).length} ${v}`,
  );
  console.log(`claims: ${counts.join(", ")}`);
}

/** Read a claims record written by `reportClaims`, checking its shape. */
export function readClaims(file: string): ClaimsRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: cannot read claims (${(e as Error).message})`, { cause: e });
  }
  const r = raw as ClaimsRecord;
  if (!r || typeof r.experiment !== "string" || !Array.isArray(r.claims))
    throw new Error(`${file}: not a claims record`);
  for (const c of r.claims) {
    if (typeof c.id !== "string" || !["reproduced", "not reproduced", "not tested"].includes(c.verdict))
      throw new Error(`${file}: claim ${JSON.stringify(c.id)} has no valid verdict`);
  }
  return r;
}
