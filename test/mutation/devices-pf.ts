// Tests of the Poole–Frenkel extraction and its residual model, for mutation testing (scripts/mutate.ts).
import "../unit/pf-residuals.test";
import "../unit/pf-extraction.test";
