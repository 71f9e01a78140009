// Tests of circuit-aware training and evaluation, for mutation testing (scripts/mutate.ts): its parts,
// training and transfers on the circuit, and training with a learned periphery (periphery-time). The
// MNIST tests (circuit-aware-mnist.test.ts) take 20 s a run and reach the same functions; they are left out.
import { afterBackend } from "./after-backend";

afterBackend(async () => {
  await import("../unit/circuit-aware-checks.test");
  await import("../unit/periphery-time.test");
  await import("../unit/circuit-aware.test");
});
