/**
 * Numbers typed into notebook markdown. A reader's measured numbers must come from outputs, so
 * markdown may state only constants: paper values and parameters that the lib's exported objects
 * hold (in any SI or percent scaling), small counts, and references (notebook, section, figure
 * numbers, years, arXiv ids). `typedNumbers` finds the others.
 */

export interface TypedNumber {
  readonly text: string;
  readonly value: number;
  /** Up to 40 characters either side, for the error message. */
  readonly context: string;
}

/** Arrays longer than this are data tables (drift quantiles, kernel centres), not constants. */
const MAX_ARRAY = 16;

/**
 * Every finite number among the plain data reachable from `roots` (objects and short arrays:
 * parameters, not tables; functions and typed arrays skipped).
 */
export function numericLeaves(roots: readonly unknown[], maxDepth = 8): Set<number> {
  const out = new Set<number>();
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): void => {
    if (typeof v === "number") {
      if (Number.isFinite(v)) out.add(v);
      return;
    }
    if (v === null || typeof v !== "object" || depth > maxDepth || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v) || (Array.isArray(v) && v.length > MAX_ARRAY)) return;
    for (const key of Object.keys(v)) {
      let x: unknown;
      try {
        x = (v as Record<string, unknown>)[key];
      } catch {
        continue;
      }
      walk(x, depth + 1);
    }
  };
  roots.forEach((r) => walk(r, 0));
  return out;
}

/** Markdown with what may hold reference numbers removed: code, maths, links, section/figure/notebook references, ids. */
export function stripReferences(md: string): string {
  return md
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/`[^`]*`/g, " ")
    .replace(/\$\$[\s\S]*?\$\$/g, " ")
    .replace(/\$[^$\n]*\$/g, " ")
    .replace(/\]\([^)]*\)/g, "]")
    .replace(/https?:\/\/\S+/g, " ")
    .replace(/\barXiv\s*\d{4}\.\d{4,5}(v\d+)?/gi, " ")
    .replace(/\b\d{4}\.\d{4,5}(v\d+)?\b/g, " ")
    .replace(/\bZenodo\s*\d+/g, " ")
    .replace(/§\s*\d+(\.\d+)*[a-z]?/g, " ")
    .replace(
      /\b(Fig\.|Figs\.|figures?|Figures?|Table|Tables|table|Eq\.|eq\.|section|Section|notebooks?|Notebooks?|step|Step)\s*\(?\d+(\.\d+)*[a-z]?\)?((\s*[–,-]|\s+and|\s+or)\s*\d+[a-z]?)*/g,
      " ",
    )
    .replace(/^#+\s*\d+\s*·/gm, " ");
}

const NUMBER =
  /(?<![\p{L}\p{N}_.−-])(\d{1,3}(?:[ \u202f\u2009]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:e[-−+]?\d+)?)(?![\p{L}\p{N}_]|\.\d)/gu;

function significantDigits(text: string): number {
  const mant = text
    .replace(/[ \u202f\u2009]/g, "")
    .split(/e/i)[0]
    .replace(".", "")
    .replace(/^0+/, "");
  return Math.max(1, mant.replace(/0+$/, "").length || 1);
}

/** Powers of ten between units a text may use: SI prefixes and percent. */
const SCALES = [-12, -9, -6, -3, -2, 0, 2, 3, 6, 9, 12];

/** Whether `value` (printed with `digits` significant digits) is `c·10^k` for an allowed constant c and k an SI prefix or percent scale. */
export function matchesConstant(value: number, digits: number, constants: ReadonlySet<number>): boolean {
  if (constants.has(value)) return true;
  for (const c of constants) {
    if (c === 0) continue;
    for (const k of SCALES) {
      const x = Math.abs(c) * 10 ** k;
      if (x < value / 20 || x > value * 20) continue;
      if (+x.toPrecision(Math.min(digits, 21)) === value) return true;
    }
  }
  return false;
}

/** Numbers in `md` that are neither small counts (≤ 10), years of the papers, zero-padded notebook numbers nor allowed constants. */
export function typedNumbers(md: string, constants: ReadonlySet<number>, years: ReadonlySet<number>): TypedNumber[] {
  const text = stripReferences(md);
  const found: TypedNumber[] = [];
  for (const m of text.matchAll(NUMBER)) {
    const raw = m[1];
    const value = Number(raw.replace(/[ \u202f\u2009]/g, "").replace("−", "-"));
    if (!Number.isFinite(value)) continue;
    if (/^0\d$|^1[01]$/.test(raw)) continue; // notebook numbers 00–11
    if (Number.isInteger(value) && value <= 10) continue;
    if (years.has(value)) continue;
    if (matchesConstant(value, significantDigits(raw), constants)) continue;
    const i = m.index ?? 0;
    found.push({
      text: raw,
      value,
      context: text.slice(Math.max(0, i - 40), i + raw.length + 40).replace(/\s+/g, " "),
    });
  }
  return found;
}
