// Tests of the tile's layer, arrays and networks, for mutation testing (scripts/mutate.ts).
import { afterBackend } from "./after-backend";

afterBackend(async () => {
  await import("../unit/tile-properties.test");
  await import("../unit/tile.test");
  await import("../unit/tile-disturbance.test");
  await import("../unit/tile-periphery.test");
});
