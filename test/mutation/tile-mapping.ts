// Tests of the tile's weight → conductance mappings (the tile's own and the Drolet transfer's per-tensor ones), for mutation testing (scripts/mutate.ts).
import { afterBackend } from "./after-backend";

afterBackend(async () => {
  await import("../unit/tile.test");
  await import("../unit/drolet-transfer-parts.test");
  await import("../unit/drolet-devices.test");
});
