// Claims as data, their verdicts, the reviewers' report built from them, and slider/dropdown figures.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { claim, measuredClaim, notTested, readClaims, reportClaims } from "../../lib/experiments/claims";
import { DROLET_CLAIMS, evaluateDroletClaims } from "../../lib/experiments/drolet-claims";
import {
  evaluateCnnClaim,
  evaluateEfficiencyClaims,
  evaluateJoksasClaims,
  evaluateStuckClaim,
  evaluateWeightsClaim,
  JOKSAS_CLAIMS,
} from "../../lib/experiments/joksas-claims";
import { DROLET_PAPER_SHARE } from "../../lib/experiments/drolet";
import { JOKSAS_PAPER, InferenceSummary } from "../../lib/experiments/joksas";
import { collectReport, indexHtml, claimsJson } from "../../lib/notebook/report";
import { dropdownFigure, sliderFigure } from "../../lib/plot/controls";

const quiet = (t: { mock: { method: (o: object, m: string, f: () => void) => void } }) =>
  t.mock.method(console, "log", () => {});

test("paper numbers of the claims come from the lib's paper objects", () => {
  assert.deepEqual(DROLET_CLAIMS.contrast.paperNumbers.slice(0, 2), [
    100 * DROLET_PAPER_SHARE.regular,
    100 * DROLET_PAPER_SHARE.aware,
  ]);
  assert.deepEqual(JOKSAS_CLAIMS.awareHalvesError.paperNumbers, [
    JOKSAS_PAPER.d2MedianErrorPercent.standard,
    JOKSAS_PAPER.d2MedianErrorPercent.aware,
    JOKSAS_PAPER.d2MedianErrorPercent.awareRegularised,
  ]);
  assert.throws(() => claim({ ...DROLET_CLAIMS.levels, id: "bad id" }), /must start with a capital/);
  assert.throws(
    () => measuredClaim(DROLET_CLAIMS.levels, { measured: "x", n: 0, seeds: [], reproduced: true }),
    /n must be a positive integer/,
  );
  assert.throws(() => notTested(DROLET_CLAIMS.levels, ""), /say why/);
});

test("Drolet claims: the contrast and level rules decide the verdict", () => {
  const [d1, d2] = evaluateDroletClaims({ seeds: [0, 1, 2], regular: [0.17, 0.15, 0.2], aware: [0.78, 0.74, 0.77] });
  assert.equal(d1.verdict, "reproduced");
  assert.equal(d2.verdict, "reproduced");
  assert.equal(d1.n, 3);
  const [c1, c2] = evaluateDroletClaims({ seeds: [0, 1], regular: [0.4, 0.42], aware: [0.6, 0.62] });
  assert.equal(c1.verdict, "not reproduced"); // +20 points < 0.75 × 61
  assert.equal(c2.verdict, "not reproduced");
  assert.throws(() => evaluateDroletClaims({ seeds: [0], regular: [18.5], aware: [0.8] }), /fractions/);
  // one regular and one aware share per seed, each a fraction in [0, 1] (both ends allowed)
  for (const bad of [
    { seeds: [], regular: [], aware: [] },
    { seeds: [0, 1], regular: [0.2], aware: [0.8, 0.8] },
    { seeds: [0, 1], regular: [0.2, 0.2], aware: [0.8] },
  ])
    assert.throws(() => evaluateDroletClaims(bad), /need one regular and one aware share per seed/);
  assert.equal(evaluateDroletClaims({ seeds: [0], regular: [0], aware: [1] })[0].verdict, "reproduced");
  for (const share of [-0.01, 1.01, NaN])
    assert.throws(() => evaluateDroletClaims({ seeds: [0], regular: [share], aware: [0.8] }), /fractions in \[0, 1\]/);
  // D2 needs both shares inside: one inside and one outside is not reproduced, either way round
  const d2Of = (regular: number, aware: number) =>
    evaluateDroletClaims({ seeds: [0, 1], regular: [regular, regular], aware: [aware, aware] })[1].verdict;
  assert.equal(d2Of(0.185, 0.6), "not reproduced", "regular at the paper's, aware 19.5 points below");
  assert.equal(d2Of(0.4, 0.795), "not reproduced", "aware at the paper's, regular 21.5 points above");
  // with no spread the sd floor of 2 points sets the band: 2 × 2 = 4 points either side of the paper's value
  assert.equal(d2Of(0.145, 0.835), "reproduced", "both exactly 4 points off");
  assert.equal(d2Of(0.144, 0.795), "not reproduced", "regular 4.1 points off");
  assert.equal(d2Of(0.185, 0.754), "not reproduced", "aware 4.1 points off");
  // D1's rule: a contrast of at least 0.75 × 61 = 45.75 points
  const d1Of = (aware: number) => evaluateDroletClaims({ seeds: [0], regular: [0.2], aware: [aware] })[0].verdict;
  assert.equal(d1Of(0.6575), "reproduced");
  assert.equal(d1Of(0.657), "not reproduced");
});

const summary = (
  training: string,
  setup: "D2" | "D5" | "D6",
  err: number,
  powerWatt: number,
  eta: number,
): InferenceSummary => ({
  training,
  setup,
  errors: [err / 100],
  powersWatt: [powerWatt],
  medianErrorPercent: err,
  meanPowerWatt: powerWatt,
  efficiencyTopsPerWatt: eta,
});

test("Joksas C1/C2: halving and the efficiency ratio, per seed", () => {
  const [c1, c2] = evaluateJoksasClaims(
    {
      standard: [summary("T0", "D2", 40, 1, 100), summary("T0", "D2", 30, 1, 100)],
      aware: [summary("T3", "D2", 10, 1, 200), summary("T3", "D2", 16, 1, 200)],
      awareL1: [summary("T4", "D2", 9, 1, 300), summary("T4", "D2", 12, 1, 320)],
    },
    [0, 1],
  );
  assert.equal(c1.verdict, "reproduced"); // 13 ≤ 35/2
  assert.equal(c2.verdict, "reproduced"); // 310/200 ≥ 1.3
  assert.match(c1.measured, /per seed 0: 0\.25, 1: 0\.53/);
  const [d1] = evaluateJoksasClaims(
    {
      standard: [summary("T0", "D2", 20, 1, 100)],
      aware: [summary("T3", "D2", 11, 1, 200)],
      awareL1: [summary("T4", "D2", 10, 1, 210)],
    },
    [0],
  );
  assert.equal(d1.verdict, "not reproduced");
  assert.throws(
    () => evaluateJoksasClaims({ standard: [summary("T0", "D2", 20, 1, 1)], aware: [], awareL1: [] }, [0]),
    /same \(non-zero\) number/,
  );
});

test("efficiency, weights, stuck and CNN claims", () => {
  const [e1, e2] = evaluateEfficiencyClaims({ lowStandard: [0.65], highAware: [210], highAwareL1: [340] }, [0]);
  assert.equal(e1.verdict, "reproduced");
  assert.equal(e2.verdict, "reproduced");
  assert.equal(
    evaluateEfficiencyClaims({ lowStandard: [0.4], highAware: [210], highAwareL1: [340] }, [0])[0].verdict,
    "not reproduced",
  );
  const group = (setup: "D5" | "D6", regPower: number) => ({
    setup,
    summaries: [
      summary("a", setup, 10, 3, 1),
      summary("m", setup, 11, 2, 1),
      summary("d", setup, 9, 4, 1),
      summary("r", setup, 10, regPower, 1),
    ],
  });
  assert.equal(evaluateWeightsClaim([group("D5", 1), group("D6", 1)], [0]).verdict, "reproduced");
  assert.equal(evaluateWeightsClaim([group("D5", 1), group("D6", 2.5)], [0]).verdict, "not reproduced");
  const rows = (["D3", "D4", "D7", "D8"] as const).map((s) => ({
    setup: s,
    standardErrorPercent: 20,
    awareErrorPercent: 10,
    aware: "T",
  }));
  assert.equal(evaluateStuckClaim(rows, [0]).verdict, "reproduced");
  assert.throws(() => evaluateStuckClaim(rows.slice(1), [0]), /D3, D4, D7 and D8/);
  const k1 = evaluateCnnClaim(null, []);
  assert.equal(k1.verdict, "not tested");
  assert.match(k1.note!, /CIFAR-10/);
  assert.equal(evaluateCnnClaim({ standardErrorPercent: 40, awareErrorPercent: 39 }, [0]).verdict, "not reproduced");
});

test("reportClaims writes a claims record the report reads back; duplicates are refused", (t) => {
  quiet(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claims-"));
  const results = evaluateDroletClaims({ seeds: [0, 1], regular: [0.2, 0.18], aware: [0.78, 0.8] });
  reportClaims("01-demo", results, { mode: "quick", seeds: [0, 1], backend: "wasm", dir });
  const rec = readClaims(path.join(dir, "01-demo", "claims.json"));
  assert.equal(rec.claims.length, 2);
  assert.equal(rec.mode, "quick");
  assert.throws(
    () => reportClaims("01-demo", [results[0], results[0]], { mode: "quick", seeds: [0], backend: "wasm", dir }),
    /reported twice/,
  );
  fs.writeFileSync(path.join(dir, "01-demo", "claims.json"), '{"experiment": 1}');
  assert.throws(() => readClaims(path.join(dir, "01-demo", "claims.json")), /not a claims record/);
});

test("the report lists every notebook, its question, claims and figures", (t) => {
  quiet(t);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "report-"));
  const nbDir = path.join(root, "nb"),
    exDir = path.join(root, "ex"),
    figDir = path.join(root, "fig");
  [nbDir, exDir, figDir].forEach((d) => fs.mkdirSync(d));
  const nb = (title: string, code: string) =>
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        { cell_type: "markdown", metadata: {}, source: `# ${title}\n\n**Question.** Does it <work>?\n\nMore.` },
        { cell_type: "code", metadata: {}, execution_count: null, outputs: [], source: code },
      ],
    });
  fs.writeFileSync(path.join(nbDir, "01-demo.ipynb"), nb("01 · Demo", "lab.experiments.claims.reportClaims(x)"));
  fs.writeFileSync(path.join(nbDir, "02-other.ipynb"), nb("02 · Other", "1 + 1"));
  fs.copyFileSync(path.join(nbDir, "01-demo.ipynb"), path.join(exDir, "01-demo.ipynb"));
  reportClaims("01-demo", evaluateDroletClaims({ seeds: [0], regular: [0.2], aware: [0.3] }), {
    mode: "quick",
    seeds: [0],
    backend: "wasm",
    dir: figDir,
  });
  fs.writeFileSync(path.join(figDir, "01-demo", "fig-a.html"), "<html></html>");
  const report = collectReport({ notebooksDir: nbDir, executedDir: exDir, figuresDir: figDir });
  assert.deepEqual(
    report.notebooks.map((n) => [n.name, n.executed, n.declaresClaims]),
    [
      ["01-demo", true, true],
      ["02-other", false, false],
    ],
  );
  assert.equal(report.notebooks[0].question, "Does it <work>?");
  const html = indexHtml(report);
  assert.match(html, /Does it &lt;work&gt;\?/);
  assert.match(html, /class="not-reproduced">not reproduced/);
  assert.match(html, /href="01-demo\/fig-a.html"/);
  assert.match(html, /No paper claim is tested here/);
  const json = claimsJson(report) as { notebooks: { claims: { verdict: string; mode: string; backend: string }[] }[] };
  assert.equal(json.notebooks[0].claims.length, 2);
  assert.equal(json.notebooks[0].claims[0].mode, "quick");
  assert.equal(json.notebooks[1].claims.length, 0);
});

test("slider and dropdown figures show one frame at a time and switch with update steps", () => {
  const frames = [0, 1, 2].map((k) => ({
    label: `f${k}`,
    title: `frame ${k}`,
    traces: [
      { type: "scatter", y: [k] },
      { type: "scatter", y: [k + 1] },
    ],
  }));
  const s = sliderFigure(frames, { width: 500 }, { prefix: "k: ", active: 1 });
  assert.equal(s.data.length, 6);
  assert.deepEqual(
    s.data.map((d) => d.visible),
    [false, false, true, true, false, false],
  );
  const steps = (s.layout.sliders as { steps: { args: [{ visible: boolean[] }, Record<string, string>] }[] }[])[0]
    .steps;
  assert.deepEqual(steps[2].args[0].visible, [false, false, false, false, true, true]);
  assert.equal(steps[2].args[1]["title.text"], "frame 2");
  assert.equal((s.layout.title as { text: string }).text, "frame 1");
  const d = dropdownFigure(frames, {}, { prefix: "k: " });
  assert.equal((d.layout.updatemenus as { buttons: { label: string }[] }[])[0].buttons[0].label, "k: f0");
  assert.throws(() => sliderFigure(frames.slice(0, 1), {}, { prefix: "" }), /at least 2 frames/);
  assert.throws(() => sliderFigure(frames, {}, { prefix: "", active: 3 }), /active frame 3/);
  assert.throws(
    () => sliderFigure([frames[0], { ...frames[1], label: "f0" }], {}, { prefix: "" }),
    /labels must differ/,
  );
});

test("the inline figure HTML is valid JavaScript (its scripts parse)", () => {
  const { inlineHtml } = require("../../lib/plot/html") as typeof import("../../lib/plot/html");
  const { figure } = require("../../lib/plot/spec") as typeof import("../../lib/plot/spec");
  const html = inlineHtml(figure([{ type: "scatter", y: [1, 2] }], { title: { text: "t" } }), "fig-1", {
    embedPlotly: false,
  });
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 1);
  assert.doesNotThrow(() => new Function(scripts[0]));
  assert.match(scripts[0], /nbextensions\/crossbar-lab\/plotly\.min\.js/);
});

test("figures with an overlaid second y-axis get their own round ticks, no second grid, and a legend above the plot", () => {
  const { figure } = require("../../lib/plot/spec") as typeof import("../../lib/plot/spec");
  const f = figure(
    [
      { type: "scatter", y: [1] },
      { type: "scatter", y: [2], yaxis: "y2" },
    ],
    { yaxis2: { overlaying: "y", side: "right", title: { text: "P" } } },
  );
  const y2 = f.layout.yaxis2 as Record<string, unknown>;
  assert.deepEqual([y2.tickmode, y2.showgrid, y2.automargin, y2.side], ["auto", false, true, "right"]);
  assert.deepEqual(f.layout.legend, { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom" });
  assert.equal((f.layout.margin as { t: number }).t, 110);
  const placed = figure([], { yaxis2: { overlaying: "y", tickmode: "linear" }, legend: { x: 1 } });
  assert.equal((placed.layout.yaxis2 as { tickmode: string }).tickmode, "linear", "the caller's settings win");
  assert.deepEqual(placed.layout.legend, { x: 1 });
  const plain = { title: { text: "one axis" } };
  assert.equal(figure([], plain).layout, plain, "figures without a second axis are left alone");
});

test("claims refuse inconsistent records: empty texts, n against seeds, a verdict passed as text", () => {
  const c = DROLET_CLAIMS.levels;
  for (const field of ["statement", "rule", "source", "paperValue", "measuredAs"] as const) {
    assert.throws(() => claim({ ...c, [field]: " " }), new RegExp(`${field} must be said`));
  }
  const ok = { measured: "1 → 2", n: 3, seeds: [0, 1, 2], reproduced: true };
  assert.equal(measuredClaim(c, ok).verdict, "reproduced");
  assert.equal(measuredClaim(c, { ...ok, n: 12, perSeed: 4 }).n, 12, "four networks per seed");
  assert.equal(
    measuredClaim(c, { ...ok, n: 11, perSeed: 4 }).perSeed,
    4,
    "one (model, seed) pair had nothing to measure",
  );
  assert.throws(() => measuredClaim(c, { ...ok, n: 13, perSeed: 4 }), /more than 3 seed\(s\) × 4/);
  assert.throws(() => measuredClaim(c, { ...ok, perSeed: 0 }), /perSeed must be/);
  assert.throws(() => measuredClaim(c, { ...ok, seeds: [0] }), /n = 3 but 1 seed\(s\) \[0\]/);
  assert.throws(() => measuredClaim(c, { ...ok, n: 4 }), /n = 4 but 3 seed/);
  assert.throws(() => measuredClaim(c, { ...ok, seeds: [0, 0, 1] }), /listed twice/);
  assert.throws(() => measuredClaim(c, { ...ok, reproduced: "false" as never }), /true or false, got "false"/);
  assert.throws(() => measuredClaim(c, { ...ok, measured: "" }), /measured must state/);
  assert.throws(() => notTested(c, "  "), /say why/);
});

test("reportClaims writes only inside the figures folder, for a known mode; readClaims checks every field", (t) => {
  quiet(t);
  // the figures folder inside a folder of this test's own, so that "outside" is checked where nothing else writes
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "claims-check-")), "figures");
  const r = measuredClaim(DROLET_CLAIMS.levels, { measured: "x", n: 2, seeds: [0, 1], reproduced: false });
  const ctx = { mode: "quick" as const, seeds: [0, 1], backend: "wasm", dir };
  for (const bad of ["../x", "a/b", "..", ""]) {
    assert.throws(() => reportClaims(bad, [r], ctx), /must be letters, digits/);
  }
  assert.ok(!fs.existsSync(path.join(dir, "..", "x")), "nothing written outside the folder");
  assert.throws(
    () => reportClaims("e", [r], { ...ctx, mode: "fast" as never }),
    /mode must be one of quick, full, got "fast"/,
  );
  assert.throws(() => reportClaims("e", [r], { ...ctx, backend: "" }), /backend must name/);
  assert.throws(() => reportClaims("e", [{ ...r, verdict: "maybe" as never }], ctx), /no valid verdict/);
  reportClaims("e", [r, notTested(DROLET_CLAIMS.contrast, "no data")], ctx);
  const file = path.join(dir, "e", "claims.json");
  const good = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown> & {
    claims: Record<string, unknown>[];
  };
  assert.equal(readClaims(file).claims.length, 2);
  const tamper = (change: (rec: typeof good) => void, message: RegExp) => {
    const rec = structuredClone(good);
    change(rec);
    const f = path.join(dir, "tampered.json");
    fs.writeFileSync(f, JSON.stringify(rec));
    assert.throws(() => readClaims(f), message);
  };
  tamper((rec) => delete rec.mode, /mode must be one of/);
  tamper((rec) => delete rec.date, /no date/);
  tamper((rec) => (rec.date = "yesterday"), /is not a date/);
  tamper((rec) => (rec.experiment = "../up"), /must be letters, digits/);
  tamper((rec) => Object.assign(rec.claims[0], { n: 0, seeds: [] }), /"reproduced"|"not reproduced" with n = 0/);
  tamper((rec) => Object.assign(rec.claims[1], { n: 3 }), /is not tested, so it has n = 0/);
  tamper((rec) => Object.assign(rec.claims[0], { n: 3 }), /n = 3 but 2 seed/);
  tamper((rec) => Object.assign(rec.claims[0], { verdict: "yes" }), /no valid verdict/);
  tamper((rec) => Object.assign(rec.claims[0], { rule: "" }), /has no rule/);
});
