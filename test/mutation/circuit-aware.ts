// Tests of circuit-aware training and evaluation, for mutation testing (scripts/mutate.ts).
import { afterBackend } from "./after-backend";

afterBackend(async () => {
  await import("../unit/circuit-aware.test");
  await import("../unit/circuit-aware-mnist.test");
});
