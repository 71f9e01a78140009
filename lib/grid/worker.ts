/** Worker process for local grids: receives cells over IPC, runs them one at a time, reports back. */
import type { Cell } from "./grid";
import { executeCell } from "./execute";
import { ResultStore } from "./store";
import { parentChannel } from "../runtime/worker-channel";

interface RunMessage {
  readonly type: "run";
  readonly cell: Cell;
  readonly storeDir: string;
  /** The module that registers the cell's experiment. */
  readonly module: string;
}

const reply = parentChannel("the grid worker (started by the grid runner)");
process.on("message", (m: RunMessage) => {
  if (m.type !== "run") return;
  executeCell(m.cell, new ResultStore(m.storeDir), m.module).then(
    (outcome) => reply({ type: "done", outcome }),
    (e: unknown) =>
      reply({
        type: "done",
        outcome: { id: m.cell.id, ok: false, error: e instanceof Error ? e.message : String(e), seconds: 0 },
      }),
  );
});
reply({ type: "ready" });
