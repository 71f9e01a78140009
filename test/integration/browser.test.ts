// Real-browser check: figures render to PNG/SVG in headless Chromium with the expected size.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { figure } from "../../lib/plot/spec";
import { pngSize, pngText } from "../../lib/plot/metadata";
import { StaticRenderer } from "../../lib/plot/render";
import { closeFigures, saveFigure } from "../../lib/plot/show";
import { provenance } from "../../lib/runtime/provenance";
import { chromium } from "../support/optional-tools";

const fig = figure(
  [
    {
      type: "heatmap",
      z: [
        [1, 2],
        [3, 4],
      ],
    },
    { type: "scatter", x: [0, 1], y: [1, 0] },
  ],
  { title: { text: "browser test" }, width: 640, height: 480 },
  { provenance: provenance("browser-test", { n: 2 }, 3) },
);
const { skip } = chromium;
let lazy: StaticRenderer | null = null;
const renderer = (): StaticRenderer => (lazy ??= new StaticRenderer());
after(async () => {
  await lazy?.close();
  await closeFigures();
});

test("a figure renders to a PNG of the expected size (scale 1 and 2)", { skip }, async () => {
  const png1 = await renderer().render(fig, "png");
  assert.deepEqual(pngSize(png1), { width: 640, height: 480 });
  const png2 = await renderer().render(fig, "png", { scale: 2 });
  assert.deepEqual(pngSize(png2), { width: 1280, height: 960 });
  assert.ok(png1.length > 5000, "PNG suspiciously small: nothing drawn?");
});

test("a figure renders to SVG with its traces", { skip }, async () => {
  const svg = await renderer().render(fig, "svg");
  assert.match(svg, /^<svg/);
  assert.match(svg, /width="640"/);
  assert.match(svg, /browser test/);
});

test("saveFigure writes HTML, PNG and SVG with provenance", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "figs-"));
  const saved = await saveFigure(fig, "demo", { dir, scale: 1 });
  assert.equal(saved.png, path.join(dir, "browser-test", "demo.png"));
  const png = fs.readFileSync(saved.png!);
  assert.deepEqual(pngSize(png), { width: 640, height: 480 });
  assert.equal(pngText(png)["crossbar-lab:experiment"], "browser-test");
  assert.match(fs.readFileSync(saved.svg!, "utf8"), /<entry key="crossbar-lab:seed">3<\/entry>/);
  assert.match(fs.readFileSync(saved.html!, "utf8"), /crossbar-lab:git-commit/);
});
