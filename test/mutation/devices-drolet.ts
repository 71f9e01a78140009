// Tests of the TiO₂ device model, its drift table and the Drolet transfer, for mutation testing (scripts/mutate.ts).
import { afterBackend } from "./after-backend";

afterBackend(async () => {
  await import("../unit/drolet-transfer-parts.test");
  await import("../unit/drolet-devices.test");
  await import("../unit/drolet-training.test");
});
