// Tests of the tile's periphery, device ageing, drift compensation, analog inference over time and the
// Joksas engines' converters, for mutation testing (scripts/mutate.ts).
import { afterBackend } from "./after-backend";

afterBackend(async () => {
  await import("../unit/tile-periphery.test");
  await import("../unit/device-time.test");
  await import("../unit/periphery-time.test");
  await import("../unit/analog-inference.test");
  await import("../unit/joksas-periphery.test");
});
