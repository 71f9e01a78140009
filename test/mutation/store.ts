// The results-store and grid tests in one process, for mutation testing (scripts/mutate.ts).
import "../unit/grid.test";
import "../unit/grid-locks-store.test";
