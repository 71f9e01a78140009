import { test } from "node:test";
import assert from "node:assert/strict";
import { figure, figureSize, scriptSafeJson } from "../../lib/plot/spec";
import { inlineHtml, standaloneHtml } from "../../lib/plot/html";
import { pngText, pngWithText, svgWithMetadata } from "../../lib/plot/metadata";
import { provenance } from "../../lib/runtime/provenance";
import { findChromium } from "../../lib/plot/render";
import { saveFigure } from "../../lib/plot/show";

const prov = provenance("unit-test", { a: 1 }, 7);
const fig = figure(
  [{ type: "scatter", x: [1, 2], y: [3, 4] }],
  { title: { text: "t</script>" }, width: 300, height: 200 },
  { provenance: prov },
);

test("figure specs are validated", () => {
  assert.throws(() => figure({} as never), /data must be an array/);
  assert.throws(() => figure([1 as never]), /trace 0 is not an object/);
  assert.deepEqual(figureSize(fig), { width: 300, height: 200 });
  assert.deepEqual(figureSize(figure([])), { width: 760, height: 480 });
});

test("provenance carries experiment, parameters, seed, commit and date", () => {
  assert.equal(prov.experiment, "unit-test");
  assert.deepEqual(prov.parameters, { a: 1 });
  assert.equal(prov.seed, 7);
  assert.match(prov.gitCommit, /^([0-9a-f]{12}(\+dirty)?|unknown)$/);
  assert.ok(!Number.isNaN(Date.parse(prov.date)));
});

test("embedded JSON cannot close its script tag", () => {
  assert.ok(!scriptSafeJson({ s: "</script>" }).includes("</"));
});

test("standalone HTML embeds plotly.js, the figure and its provenance", () => {
  const html = standaloneHtml(fig);
  assert.match(html, /plotly\.js v\d/);
  assert.match(html, /<meta name="crossbar-lab:experiment" content="unit-test">/);
  assert.match(html, /<meta name="crossbar-lab:seed" content="7">/);
  assert.ok(!/t<\/script>/.test(html), "title must be escaped");
  const inline = inlineHtml(fig, "f1", { embedPlotly: false, staticPngBase64: "AAAA" });
  assert.match(inline, /data:image\/png;base64,AAAA/);
  assert.ok(!/plotly\.js v\d/.test(inline));
});

test("PNG tEXt and SVG metadata round trip", () => {
  // 1x1 PNG
  const png = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    "base64",
  );
  const out = pngWithText(png, [["crossbar-lab:seed", "7"]]);
  assert.equal(pngText(out)["crossbar-lab:seed"], "7");
  assert.throws(() => pngText(Buffer.from("nope")), /not a PNG/);
  const svg = svgWithMetadata('<svg xmlns="http://www.w3.org/2000/svg"><g/></svg>', [["k", "a<b"]]);
  assert.match(svg, /<metadata>.*<entry key="k">a&lt;b<\/entry>/);
  assert.throws(() => svgWithMetadata("<html/>", []), /not an SVG/);
});

test("missing Chromium and bad names give clear errors", async () => {
  assert.throws(
    () => findChromium({ CROSSBAR_LAB_CHROMIUM: "/nonexistent/chrome" }),
    /No Chromium found.*apt-get install chromium/s,
  );
  await assert.rejects(saveFigure(fig, "bad name/x", { formats: ["html"] }), /must be letters, digits/);
  await assert.rejects(saveFigure(fig, "ok", { formats: ["gif" as never] }), /unknown figure format "gif"/);
});
