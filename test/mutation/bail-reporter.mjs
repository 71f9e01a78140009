// node:test reporter for mutation runs (scripts/mutate.ts): the first failing test ends the process
// with exit code 1, so a killed mutant costs only the tests up to the one that catches it. Passing
// runs print nothing.
export default async function* bailOnFirstFailure(source) {
  for await (const event of source) {
    if (event.type === "test:fail") {
      const cause = event.data.details?.error?.cause ?? event.data.details?.error;
      process.stderr.write(`failed: ${event.data.name}: ${String(cause?.message ?? cause).split("\n")[0]}\n`);
      process.exit(1);
    }
  }
  yield* [];
}
