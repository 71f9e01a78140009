// The device-model tests in one process, for mutation testing (scripts/mutate.ts).
import "../unit/drolet-devices.test";
import "../unit/joksas-layers.test";
import "../unit/joksas-stuck.test";
import "../unit/pf-extraction.test";
import "../unit/pf-residuals.test";
import "../unit/fused-engine.test";
import "../unit/expression-law.test";
