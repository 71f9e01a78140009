/** Execute a notebook headless through the tslab kernel (Node only) and collect its outputs. */
import * as path from "path";
import { KernelMessage, TslabKernel } from "./kernel";
import { CodeCell, KERNELSPEC, LANGUAGE_INFO, Notebook, Output, readNotebook, sourceText } from "./nbformat";

export interface CellEvent {
  readonly index: number;
  readonly codeCellNumber: number;
  readonly codeCells: number;
  readonly source: string;
  readonly seconds?: number;
  readonly status?: string;
}

export class CellExecutionError extends Error {
  constructor(
    readonly notebook: string,
    readonly cellIndex: number,
    readonly source: string,
    readonly errorText: string,
    readonly executed: Notebook,
  ) {
    super(
      `${path.basename(notebook)}: cell ${cellIndex} failed:\n--- cell source ---\n${source}\n--- error ---\n${errorText}`,
    );
    this.name = "CellExecutionError";
  }
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cellTimeoutS?: number;
  readonly onCellStart?: (e: CellEvent) => void;
  readonly onCellEnd?: (e: CellEvent) => void;
  /** Echo the cell's stdout as it arrives (progress of long cells). */
  readonly onStream?: (name: string, text: string) => void;
}

function toOutputs(outputs: Output[], m: KernelMessage, pendingClear: { wait: boolean }): void {
  const t = m.header.msg_type;
  const c = m.content;
  if (pendingClear.wait && t !== "clear_output") {
    outputs.length = 0;
    pendingClear.wait = false;
  }
  switch (t) {
    case "stream": {
      const last = outputs[outputs.length - 1];
      if (last && last.output_type === "stream" && last.name === c.name) last.text = sourceText(last.text) + c.text;
      else outputs.push({ output_type: "stream", name: c.name, text: c.text });
      break;
    }
    case "display_data":
      outputs.push({ output_type: "display_data", data: c.data, metadata: c.metadata ?? {} });
      break;
    case "update_display_data":
      // Replace outputs that carry the same display id (kept in metadata for lookup).
      for (const o of outputs) {
        if (
          o.output_type === "display_data" &&
          (o.metadata as Record<string, unknown>)["__display_id"] === c.transient?.display_id
        )
          o.data = c.data;
      }
      break;
    case "execute_result":
      outputs.push({
        output_type: "execute_result",
        execution_count: c.execution_count ?? null,
        data: c.data,
        metadata: c.metadata ?? {},
      });
      break;
    case "error":
      outputs.push({ output_type: "error", ename: c.ename, evalue: c.evalue, traceback: c.traceback ?? [] });
      break;
    case "clear_output":
      if (c.wait) pendingClear.wait = true;
      else outputs.length = 0;
      break;
    default:
      break;
  }
}

/** Run every code cell in order; stops at the first failing cell with CellExecutionError. */
export async function runNotebook(file: string, opts: RunOptions = {}): Promise<Notebook> {
  const nb = readNotebook(file);
  const executed: Notebook = JSON.parse(JSON.stringify(nb));
  executed.metadata = {
    ...executed.metadata,
    kernelspec: { ...KERNELSPEC },
    language_info: JSON.parse(JSON.stringify(LANGUAGE_INFO)),
  };
  const codeIdx = executed.cells.map((c, i) => (c.cell_type === "code" ? i : -1)).filter((i) => i >= 0);
  const kernel = await TslabKernel.start({ cwd: path.dirname(path.resolve(file)), env: opts.env });
  try {
    for (let n = 0; n < codeIdx.length; n++) {
      const i = codeIdx[n];
      const cell = executed.cells[i] as CodeCell;
      const source = sourceText(cell.source);
      cell.outputs = [];
      cell.execution_count = null;
      if (source.trim() === "") continue;
      const ev = { index: i, codeCellNumber: n + 1, codeCells: codeIdx.length, source };
      opts.onCellStart?.(ev);
      const t0 = Date.now();
      const pending = { wait: false };
      const rep = await kernel.execute(
        source,
        (m) => {
          toOutputs(cell.outputs, m, pending);
          if (m.header.msg_type === "stream") opts.onStream?.(m.content.name, m.content.text);
        },
        opts.cellTimeoutS ?? 3600,
      );
      cell.execution_count = rep.execution_count;
      const seconds = (Date.now() - t0) / 1000;
      opts.onCellEnd?.({ ...ev, seconds, status: rep.status });
      if (rep.status !== "ok") {
        const errText = cell.outputs
          .map((o) =>
            o.output_type === "error"
              ? `${o.ename}: ${o.evalue}\n${o.traceback.join("\n")}`
              : o.output_type === "stream" && o.name === "stderr"
                ? sourceText(o.text)
                : "",
          )
          .filter(Boolean)
          .join("\n");
        throw new CellExecutionError(
          file,
          i,
          source,
          errText || `status ${rep.status}${kernel.kernelStderr() ? `\n${kernel.kernelStderr()}` : ""}`,
          executed,
        );
      }
    }
  } finally {
    await kernel.shutdown();
  }
  return executed;
}
