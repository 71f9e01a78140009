/**
 * Tests that need a tool npm does not install (Chromium, Jupyter) skip with one line saying what is
 * missing, so that `npm test` passes on a machine with only Node; CI sets CROSSBAR_LAB_REQUIRE_<TOOL>=1,
 * and there a missing tool fails the test instead.
 */
import { spawnSync } from "child_process";
import { findChromium } from "../../lib/plot/render";

export interface OptionalTool {
  /** False when the tool is here or required (the test runs, and fails without it); else the reason to skip. */
  readonly skip: string | false;
  readonly present: boolean;
}

function tool(present: boolean, requireVar: string, missing: string): OptionalTool {
  const required = process.env[requireVar] === "1";
  return { present, skip: present || required ? false : `${missing} (CI installs it and sets ${requireVar}=1)` };
}

function hasChromium(): boolean {
  try {
    findChromium();
    return true;
  } catch {
    return false;
  }
}

/** System Chromium, for PNG/SVG figures and the report's browser checks. */
export const chromium = tool(hasChromium(), "CROSSBAR_LAB_REQUIRE_CHROMIUM", "no Chromium (apt-get install chromium)");

/** `jupyter nbconvert` with nbclient, for executing notebooks through real Jupyter. */
export const nbconvert = tool(
  spawnSync("jupyter", ["nbconvert", "--version"], { encoding: "utf8" }).status === 0,
  "CROSSBAR_LAB_REQUIRE_JUPYTER",
  "no jupyter nbconvert (apt-get install jupyter-nbconvert python3-nbclient)",
);

/** Both of two tools: skipped with the first missing one's reason. */
export function both(a: OptionalTool, b: OptionalTool): OptionalTool {
  return { present: a.present && b.present, skip: a.skip || b.skip };
}
