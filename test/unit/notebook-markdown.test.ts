// Notebook markdown states no measured number: every number typed there is a paper value or a
// parameter held by the lib's exported objects (any SI/percent scaling), a small count, or a
// reference (notebook, section, figure, year, arXiv id). Measured numbers come from outputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as lab from "../../lib";
import { numericLeaves, typedNumbers } from "../../lib/notebook/markdown-numbers";
import { readNotebook, sourceText } from "../../lib/notebook/nbformat";
import { PAPERS } from "../../lib/experiments/claims";
import { KERNEL_DISPLAY_NAME, KERNEL_NAME, LANGUAGE_INFO, retargetDistImport } from "../../lib/notebook/nbformat";

const NB_DIR = path.join(__dirname, "..", "..", "notebooks");
const notebooks = fs
  .readdirSync(NB_DIR)
  .filter((f) => f.endsWith(".ipynb"))
  .sort();

// the lib's objects, plus the protocols that factories build for each mode
const X = lab.experiments;
const protocols = (["quick", "full"] as const).flatMap((m) => [
  X.joksas.joksasProtocol(m),
  X.joksasCnn.cnnProtocol(m),
  ...lab.grid.gridExperiments().map((e) => e.defaultGrid(m)),
]);
const constants = numericLeaves([lab, ...protocols]);
const years = new Set(Object.values(PAPERS).map((p) => p.year));

test("the allowed constants include the papers' values and device parameters", () => {
  for (const v of [41.6, 0.795, 381, 5.25e-7, 19885]) assert.ok(constants.has(v), `${v}`);
});

test("typedNumbers flags measured numbers and passes constants, counts and references", () => {
  const c = new Set([41.6, 0.795, 2.62e-6, 1000]);
  const y = new Set([2022]);
  const md =
    "Paper: 41.6 % and 79.5 % (2022, arXiv 2112.06887); window 2.62 µS, 1 000 epochs; notebook 05, spec §7.3, Fig. 8, `--seeds 0,1,17`, $x^{13}$. We measured 12.9 % and 234.5 mW, D2 and T13.";
  assert.deepEqual(
    typedNumbers(md, c, y).map((t) => t.text),
    ["12.9", "234.5"],
  );
});

for (const nb of notebooks) {
  test(`${nb}: markdown states no measured number`, () => {
    const cells = readNotebook(path.join(NB_DIR, nb)).cells;
    const bad = cells.flatMap((c, i) =>
      c.cell_type === "markdown"
        ? typedNumbers(sourceText(c.source), constants, years).map((t) => `cell ${i}: ${t.text} in "…${t.context}…"`)
        : [],
    );
    assert.deepEqual(
      bad,
      [],
      `numbers typed into markdown that are no paper value or lib constant (print them from code instead):\n${bad.join("\n")}`,
    );
  });
}

for (const nb of notebooks) {
  test(`${nb}: committed without outputs, with the registered kernelspec`, () => {
    const n = readNotebook(path.join(NB_DIR, nb));
    const ks = n.metadata.kernelspec as { name?: string; display_name?: string };
    assert.deepEqual(
      [ks.name, ks.display_name],
      [KERNEL_NAME, KERNEL_DISPLAY_NAME],
      "opening the notebook would change its kernelspec",
    );
    assert.deepEqual(
      n.metadata.language_info,
      LANGUAGE_INFO,
      "opening the notebook would change its language_info (what tslab reports)",
    );
    const dirty = n.cells.flatMap((c, i) =>
      c.cell_type === "code" && (c.outputs.length > 0 || c.execution_count !== null) ? [i] : [],
    );
    assert.deepEqual(dirty, [], "code cells with outputs or execution counts: clear them before committing");
  });
}

test("executed copies written elsewhere import the compiled lib by a path that resolves there", () => {
  const nb = readNotebook(path.join(NB_DIR, "00-getting-started.ipynb"));
  const root = path.join(__dirname, "..", "..");
  const moved = retargetDistImport(nb, path.join(root, "notebooks", "executed"), path.join(root, "dist"));
  assert.match(sourceText(moved.cells[1].source), /from "\.\.\/\.\.\/dist"/);
  const same = retargetDistImport(nb, NB_DIR, path.join(root, "dist"));
  assert.match(sourceText(same.cells[1].source), /from "\.\.\/dist"/);
});
