// Loads test files after the tfjs backend is chosen. Several test files use tfjs; in one process, a
// test that ran on the default backend before another file's `before` hook switched it would find
// its tensors gone, so the mutation entries choose the backend once, before any test file loads.
import { initBackend } from "../../lib/runtime/backend";

export function afterBackend(load: () => Promise<unknown>): void {
  void initBackend().then(load);
}
