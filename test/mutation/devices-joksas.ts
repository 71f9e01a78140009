// Tests of the Joksas device setups, their draws, Poole–Frenkel and expression laws, for mutation testing (scripts/mutate.ts).
// The fused engine's tests come last: they are the slowest, and a run stops at its first failing test.
import { afterBackend } from "./after-backend";

afterBackend(async () => {
  await import("../unit/joksas-stuck.test");
  await import("../unit/expression-law.test");
  await import("../unit/joksas-weights.test");
  await import("../unit/joksas-layers.test");
  await import("../unit/fused-engine.test");
});
