// Claim records field by field: the papers cited, what claim() and measuredClaim() refuse and keep,
// the table a notebook shows, and the caption and count line that reportClaims prints.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  Claim,
  PAPERS,
  claim,
  claimsTable,
  formatMeanSd,
  measuredClaim,
  notTested,
  reportClaims,
} from "../../lib/experiments/claims";

const BASE: Claim = {
  id: "X1",
  paper: "joksas-2022",
  statement: "A statement.",
  source: "Fig. 1",
  paperValue: "1 → 2",
  paperNumbers: [1, 2],
  measuredAs: "one network per seed",
  rule: "x ≥ 1",
};

test("the papers are cited with their arXiv numbers", () => {
  assert.equal(PAPERS["drolet-2023"].arxiv, "2305.18495");
  assert.equal(PAPERS["joksas-2022"].arxiv, "2112.06887");
  assert.equal(PAPERS["rasch-2023"].arxiv, "2302.08469");
  assert.match(PAPERS.crosssim.citation, /sandialabs\/cross-sim/);
  for (const p of Object.values(PAPERS)) {
    assert.ok(p.year >= 2022, p.citation);
    assert.ok(p.citation.length > 10);
  }
});

test("claim(): the id is one capitalised token, the paper known, the numbers finite, every text said", () => {
  assert.equal(claim(BASE).id, "X1");
  assert.equal(claim({ ...BASE, id: "C1.full-2" }).id, "C1.full-2");
  for (const id of ["x1", "1X", "X 1", "X1!", " X1", "X1 "])
    assert.throws(() => claim({ ...BASE, id }), /must start with a capital letter/, id);
  assert.throws(() => claim({ ...BASE, paper: "nobody-2020" as never }), /unknown paper "nobody-2020"/);
  assert.throws(() => claim({ ...BASE, paperNumbers: [1, NaN] }), /paper numbers must be finite/);
  for (const field of ["statement", "source", "paperValue", "measuredAs", "rule"] as const) {
    assert.throws(() => claim({ ...BASE, [field]: "  " }), new RegExp(`${field} must be said`), field);
    assert.throws(() => claim({ ...BASE, [field]: 3 as never }), new RegExp(`${field} must be said`), field);
  }
  const c = claim(BASE);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.paperNumbers));
});

test("measuredClaim(): seeds are a list without repeats, the measured text is said, perSeed and note kept only when they say something", () => {
  const c = claim(BASE);
  const ok = { measured: "1.0", n: 2, seeds: [0, 1], reproduced: true };
  assert.equal(measuredClaim(c, ok).verdict, "reproduced");
  assert.equal(measuredClaim(c, { ...ok, reproduced: false }).verdict, "not reproduced");
  assert.throws(() => measuredClaim(c, { ...ok, seeds: "0,1" as never }), /seeds must be a list/);
  assert.throws(() => measuredClaim(c, { ...ok, seeds: [0, 0] }), /a seed is listed twice/);
  for (const measured of ["", "   ", "—"])
    assert.throws(() => measuredClaim(c, { ...ok, measured }), /measured must state the measured value/);
  assert.equal(measuredClaim(c, { ...ok, measured: " 1.0 " }).measured, " 1.0 ");
  assert.ok(!("perSeed" in measuredClaim(c, ok)));
  assert.ok(!("perSeed" in measuredClaim(c, { ...ok, perSeed: 1 })));
  assert.equal(measuredClaim(c, { ...ok, n: 4, perSeed: 2 }).perSeed, 2);
  assert.ok(!("note" in measuredClaim(c, ok)));
  assert.ok(!("note" in measuredClaim(c, { ...ok, note: "" })));
  assert.equal(measuredClaim(c, { ...ok, note: "quick split" }).note, "quick split");
  assert.throws(() => notTested(c, "  "), /say why it is not tested/);
  const nt = notTested(c, "no data");
  assert.deepEqual([nt.verdict, nt.n, nt.measured, nt.note, nt.seeds.length], ["not tested", 0, "—", "no data", 0]);
});

test("formatMeanSd: the value alone for one network, mean ± sd otherwise", () => {
  assert.equal(formatMeanSd({ mean: 1.234, sd: 0.5, n: 1 }, 1, " %"), "1.2 %");
  assert.equal(formatMeanSd({ mean: 1.234, sd: 0.56, n: 2 }, 1, " %"), "1.2 ± 0.6 %");
  assert.equal(formatMeanSd({ mean: 1.234, sd: 0.56, n: 3 }, 2), "1.23 ± 0.56");
});

test("claimsTable: one row per claim, the note after the measured value, a failed claim in capitals", () => {
  const c = claim(BASE);
  const t = claimsTable(
    [
      measuredClaim(c, { measured: "1.0", n: 1, seeds: [0], reproduced: true }),
      measuredClaim(claim({ ...BASE, id: "X2" }), { measured: "0.5", n: 1, seeds: [0], reproduced: false, note: "n" }),
      notTested(claim({ ...BASE, id: "X3" }), "no data"),
    ],
    "cap",
  );
  assert.equal(t.caption, "cap");
  assert.deepEqual(t.columns, ["claim", "statement", "paper", "measured", "n", "rule", "verdict"]);
  assert.deepEqual(t.rows[0], ["X1", "A statement.", "1 → 2 (Fig. 1)", "1.0", 1, "x ≥ 1", "reproduced"]);
  assert.deepEqual(t.rows[1].slice(3), ["0.5; n", 1, "x ≥ 1", "NOT reproduced"]);
  assert.deepEqual(t.rows[2].slice(3), ["—; no data", 0, "x ≥ 1", "not tested"]);
});

test("reportClaims prints the table under a caption naming mode, seeds and backend, then the verdict counts", (t) => {
  const lines: string[] = [];
  t.mock.method(console, "log", (s: unknown) => lines.push(String(s)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claims-record-"));
  const results = [
    measuredClaim(claim(BASE), { measured: "1.0", n: 2, seeds: [0, 1], reproduced: true }),
    measuredClaim(claim({ ...BASE, id: "X2" }), { measured: "0.5", n: 2, seeds: [0, 1], reproduced: false }),
    notTested(claim({ ...BASE, id: "X3" }), "no data"),
  ];
  reportClaims("99-demo", results, { mode: "quick", seeds: [0, 1], backend: "wasm", dir });
  assert.ok(
    lines.some((l) => l.includes("Claims (quick mode, seeds 0, 1, wasm backend)")),
    lines.join("\n"),
  );
  assert.equal(lines.at(-1), "claims: 1 reproduced, 1 not reproduced, 1 not tested");
  lines.length = 0;
  reportClaims("99-demo", results.slice(2), { mode: "full", seeds: [], backend: "wasm", dir, caption: "Mine" });
  assert.ok(lines.some((l) => l.includes("Mine")) && !lines.some((l) => l.includes("Claims (")));
  lines.length = 0;
  reportClaims("99-demo", results.slice(2), { mode: "full", seeds: [], backend: "wasm", dir });
  assert.ok(
    lines.some((l) => l.includes("Claims (full mode, seeds —, wasm backend)")),
    lines.join("\n"),
  );
  for (const backend of ["", 7])
    assert.throws(
      () => reportClaims("99-demo", results, { mode: "quick", seeds: [0], backend: backend as string, dir }),
      /backend must name the compute backend/,
    );
  assert.throws(() => reportClaims("99-demo", [], { mode: "quick", seeds: [0], backend: "wasm", dir }), /no claims/);
});
