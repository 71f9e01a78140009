import { test } from "node:test";
import assert from "node:assert/strict";
import { announceMode, byMode, runMode } from "../../lib/runtime/mode";

test("run mode comes from CROSSBAR_LAB_MODE, quick when unset; unknown values are errors", () => {
  assert.equal(runMode({}), "quick");
  assert.equal(runMode({ CROSSBAR_LAB_MODE: "" }), "quick");
  assert.equal(runMode({ CROSSBAR_LAB_MODE: " Full " }), "full");
  assert.equal(runMode({ CROSSBAR_LAB_MODE: "quick" }), "quick");
  assert.equal(byMode({ quick: 1, full: 2 }, "quick"), 1);
  assert.throws(() => runMode({ CROSSBAR_LAB_MODE: "fast" }), /"fast" is not a run mode/);
});

test("announceMode names the mode, its duration and how to get the other one", (t) => {
  const lines: string[] = [];
  t.mock.method(console, "log", (s: string) => lines.push(s));
  assert.equal(announceMode({ quick: "2 minutes", full: "3 hours" }, {}), "quick");
  assert.match(lines[0], /quick \(the default\), roughly 2 minutes.*full mode, 3 hours.*CROSSBAR_LAB_MODE=full/);
  assert.equal(announceMode({ quick: "2 minutes", full: "3 hours" }, { CROSSBAR_LAB_MODE: "full" }), "full");
  assert.match(lines[1], /^run mode: full .*roughly 3 hours.*roughly 2 minutes/);
});
