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
// the grid process is gone (killed, or done with us): stop instead of living on as an orphan
process.on("disconnect", () => process.exit(0));
// a send that finds the channel closed (the grid process died while this run computed) ends the worker quietly
const reply = (m: unknown) => {
  if (!process.connected) process.exit(0);
  process.send!(m, undefined, undefined, (err) => {
    if (err) process.exit(0);
  });
};
process.on("message", (m: RunMessage) => {
  if (m.type !== "run") return;
  executeCell(m.cell, new ResultStore(m.storeDir)).then(
    (outcome) => reply({ type: "done", outcome }),
    (e: unknown) => reply({ type: "done", outcome: { id: m.cell.id, ok: false, error: e instanceof Error ? e.message : String(e), seconds: 0 } }),
  );
});
reply({ type: "ready" });
