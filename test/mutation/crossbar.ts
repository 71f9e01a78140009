// All crossbar tests in one process, for mutation testing (scripts/mutate.ts): a test failure sets a non-zero exit code.
import "../unit/crossbar-invariants.test";
import "../unit/crossbar-properties.test";
import "../unit/crossbar-qucs.test";
import "../unit/crossbar-reliability.test";
import "../unit/crossbar-ngspice.test";
import "../unit/crossbar-validation.test";
import "../unit/crossbar-solver-parts.test";
import "../unit/crossbar-nonlinear-ideal.test";
import "../unit/crossbar-kernel.test";
