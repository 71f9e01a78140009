/**
 * Child of the crossbar bench: times the 100-input Gauss–Seidel solve of an n² array in a process
 * started without glibc's huge-page tunable, and prints {medianMs, minMs} as JSON.
 * Usage: node --import tsx bench/crossbar-small-pages.ts N REPEATS
 */
import { timeHundredInputs } from "./crossbar.bench";

const [n, repeats] = process.argv.slice(2).map(Number);
if (!Number.isInteger(n) || !Number.isInteger(repeats) || n < 2 || repeats < 1) {
  console.error("usage: node --import tsx bench/crossbar-small-pages.ts N REPEATS");
  process.exit(2);
}
void timeHundredInputs(n, repeats).then((t) => console.log(JSON.stringify({ medianMs: t.medianMs, minMs: t.minMs })));
