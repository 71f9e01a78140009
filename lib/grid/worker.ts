/** Worker process for local grids: receives cells over IPC, runs them one at a time, reports back. */
import type { Cell } from "./grid";
import { executeCell } from "./execute";
import { ResultStore } from "./store";

interface RunMessage {
  readonly type: "run";
  readonly cell: Cell;
  readonly storeDir: string;
}

if (!process.send) throw new Error("grid worker must be started by the grid runner (child_process.fork)");
process.on("message", (m: RunMessage) => {
  if (m.type !== "run") return;
  executeCell(m.cell, new ResultStore(m.storeDir)).then(
    (outcome) => process.send!({ type: "done", outcome }),
    (e: unknown) => process.send!({ type: "done", outcome: { id: m.cell.id, ok: false, error: e instanceof Error ? e.message : String(e), seconds: 0 } }),
  );
});
process.send({ type: "ready" });
