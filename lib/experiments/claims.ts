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
  /** Networks each seed trains, when more than one (n ≤ seeds × perSeed). */
  readonly perSeed?: number;
  readonly verdict: Verdict;
  /** Why a claim was not tested, or what limits the verdict. */
  readonly note?: string;
}

export function claim(c: Claim): Claim {
  if (!/^[A-Z][A-Za-z0-9.-]*$/.test(c.id))
    throw new Error(`claim id "${c.id}" must start with a capital letter (letters, digits, '.', '-')`);
  if (!(c.paper in PAPERS)) throw new Error(`claim ${c.id}: unknown paper "${c.paper}"`);
  if (c.paperNumbers.some((x) => !Number.isFinite(x))) throw new Error(`claim ${c.id}: paper numbers must be finite`);
  for (const field of ["statement", "source", "paperValue", "measuredAs", "rule"] as const) {
    if (typeof c[field] !== "string" || c[field].trim() === "")
      throw new Error(`claim ${c.id}: ${field} must be said (a non-empty text), got ${JSON.stringify(c[field])}`);
  }
  return Object.freeze({ ...c, paperNumbers: Object.freeze([...c.paperNumbers]) });
}

function checkSeeds(id: string, seeds: readonly (number | string)[]): void {
  if (!Array.isArray(seeds)) throw new Error(`claim ${id}: seeds must be a list, got ${JSON.stringify(seeds)}`);
  if (new Set(seeds).size !== seeds.length)
    throw new Error(`claim ${id}: a seed is listed twice in [${seeds.join(", ")}]`);
}

/**
 * n and the seeds agree. With seeds, n is one network per seed, or, where each seed trains several
 * networks (`perSeed`, e.g. one per model), at most seeds × perSeed (those a measurement could use).
 * Without seeds (deterministic inputs), n counts what was measured.
 */
function checkCount(id: string, n: number, seeds: readonly (number | string)[], perSeed = 1): void {
  checkSeeds(id, seeds);
  if (!Number.isInteger(perSeed) || perSeed < 1)
    throw new Error(`claim ${id}: perSeed must be a whole number of networks >= 1, got ${perSeed}`);
  if (seeds.length === 0) return;
  if (perSeed === 1 && n !== seeds.length)
    throw new Error(
      `claim ${id}: n = ${n} but ${seeds.length} seed(s) [${seeds.join(", ")}]: n counts one network per seed ` +
        `unless perSeed says how many each seed trains`,
    );
  if (n > seeds.length * perSeed)
    throw new Error(`claim ${id}: n = ${n} is more than ${seeds.length} seed(s) × ${perSeed} networks each`);
}

/** A measured claim: `reproduced` is the rule's outcome on the measured values. */
export function measuredClaim(
  c: Claim,
  m: {
    measured: string;
    n: number;
    seeds: readonly (number | string)[];
    /** Networks each seed trains (one per model, say); 1 when omitted. */
    perSeed?: number;
    reproduced: boolean;
    note?: string;
  },
): ClaimResult {
  if (!(Number.isInteger(m.n) && m.n > 0)) throw new Error(`claim ${c.id}: n must be a positive integer, got ${m.n}`);
  checkCount(c.id, m.n, m.seeds, m.perSeed);
  if (typeof m.reproduced !== "boolean")
    throw new Error(
      `claim ${c.id}: reproduced must be the rule's outcome, true or false, got ${JSON.stringify(m.reproduced)}`,
    );
  if (typeof m.measured !== "string" || m.measured.trim() === "" || m.measured === "—")
    throw new Error(`claim ${c.id}: measured must state the measured value, got ${JSON.stringify(m.measured)}`);
  return Object.freeze({
    ...c,
    measured: m.measured,
    n: m.n,
    seeds: Object.freeze([...m.seeds]),
    ...(m.perSeed !== undefined && m.perSeed !== 1 ? { perSeed: m.perSeed } : {}),
    verdict: m.reproduced ? "reproduced" : "not reproduced",
    ...(m.note ? { note: m.note } : {}),
  });
}

/** A claim this run cannot test (data missing, mode too short): says why, claims nothing. */
export function notTested(c: Claim, reason: string): ClaimResult {
  if (typeof reason !== "string" || reason.trim() === "") throw new Error(`claim ${c.id}: say why it is not tested`);
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
  checkExperimentName(experiment);
  checkMode(context.mode, `reportClaims(${experiment})`);
  if (typeof context.backend !== "string" || context.backend === "")
    throw new Error(
      `reportClaims(${experiment}): backend must name the compute backend, got ${JSON.stringify(context.backend)}`,
    );
  checkSeeds(experiment, context.seeds);
  results.forEach((r) => checkResult(r, `reportClaims(${experiment})`));
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

/** An experiment name becomes a folder under the figures folder: one safe path segment. */
function checkExperimentName(experiment: unknown): void {
  if (typeof experiment !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(experiment) || experiment.includes(".."))
    throw new Error(
      `experiment name ${JSON.stringify(experiment)} must be letters, digits, '.', '_' or '-' (it names a folder)`,
    );
}

const MODES: readonly RunMode[] = ["quick", "full"];

function checkMode(mode: unknown, where: string): void {
  if (!MODES.includes(mode as RunMode))
    throw new Error(`${where}: mode must be one of ${MODES.join(", ")}, got ${JSON.stringify(mode)}`);
}

const VERDICTS: readonly Verdict[] = ["reproduced", "not reproduced", "not tested"];

/** A claim result holds together: known verdict, n > 0 exactly when tested, a reason when not tested. */
function checkResult(c: ClaimResult, where: string): void {
  const id = JSON.stringify(c?.id);
  if (!c || typeof c.id !== "string") throw new Error(`${where}: a claim without an id`);
  if (!VERDICTS.includes(c.verdict))
    throw new Error(`${where}: claim ${id} has no valid verdict (${JSON.stringify(c.verdict)})`);
  if (!(c.paper in PAPERS)) throw new Error(`${where}: claim ${id} names an unknown paper ${JSON.stringify(c.paper)}`);
  for (const field of ["statement", "source", "paperValue", "rule", "measured"] as const) {
    if (typeof c[field] !== "string" || c[field] === "") throw new Error(`${where}: claim ${id} has no ${field}`);
  }
  if (!Number.isInteger(c.n) || c.n < 0)
    throw new Error(`${where}: claim ${id}: n must be an integer >= 0, got ${c.n}`);
  checkCount(c.id, c.n, c.seeds, c.perSeed ?? 1);
  if (c.verdict === "not tested") {
    if (c.n !== 0 || c.seeds.length !== 0 || !c.note)
      throw new Error(`${where}: claim ${id} is not tested, so it has n = 0, no seeds and a reason (got n = ${c.n})`);
  } else if (c.n === 0) {
    throw new Error(`${where}: claim ${id} is "${c.verdict}" with n = 0: a verdict needs measured networks`);
  }
}

/** Read a claims record written by `reportClaims`, checking every field. */
export function readClaims(file: string): ClaimsRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: cannot read claims (${(e as Error).message})`, { cause: e });
  }
  const r = raw as ClaimsRecord;
  if (!r || typeof r !== "object" || !Array.isArray(r.claims)) throw new Error(`${file}: not a claims record`);
  try {
    checkExperimentName(r.experiment);
    checkMode(r.mode, "the record");
    checkSeeds(r.experiment, r.seeds);
    for (const field of ["backend", "gitCommit", "date"] as const) {
      if (typeof r[field] !== "string" || r[field] === "") throw new Error(`the record has no ${field}`);
    }
    if (Number.isNaN(Date.parse(r.date))) throw new Error(`date ${JSON.stringify(r.date)} is not a date`);
    r.claims.forEach((c) => checkResult(c, "the record"));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
  }
  return r;
}
