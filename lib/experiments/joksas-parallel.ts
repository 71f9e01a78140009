/**
 * The networks of a study trained in parallel worker processes (one per core by default). Each
 * network depends only on its configuration, protocol, data split and seed, so a worker trains it
 * exactly as this process would and leaves it in the weight cache; this process then loads every
 * network from there, in the order asked.
 */
import { ChildProcess, fork } from "child_process";
import * as os from "os";
import * as path from "path";
import type { MnistSplits } from "../data/mnist";
import type { MlpEngine } from "../training/memristive-mlp";
import {
  JoksasProtocol,
  SetupId,
  TrainedNetwork,
  TrainingConfig,
  isJoksasCached,
  loadJoksasData,
  trainJoksas,
} from "./joksas";

export interface TrainRequest {
  readonly config: TrainingConfig & { l1Gamma?: number };
  readonly seed: number;
  /** Setups to record test curves on (see trainJoksas). */
  readonly monitor?: readonly SetupId[];
}

/** What a worker is sent: everything it needs to rebuild the request (data by its seed and folder). */
export interface WorkerJob {
  readonly type: "train";
  readonly index: number;
  readonly request: TrainRequest;
  readonly protocol: JoksasProtocol;
  readonly dataSeed: number;
  readonly dataDir?: string;
  readonly engine: MlpEngine;
}

export type WorkerReply =
  | { type: "ready" }
  | { type: "log"; line: string }
  | { type: "done"; index: number; seconds: number }
  | { type: "failed"; index: number; error: string };

export interface TrainManyOptions {
  /** Worker processes (default: the number of cores, at most one per network to train; 0 trains here). */
  readonly workers?: number;
  /** The seed and folder `data` was loaded with (loadJoksasData(protocol, dataSeed, dataDir)); default 0 and the default folder. */
  readonly dataSeed?: number;
  readonly dataDir?: string;
  readonly engine?: MlpEngine;
  readonly onLog?: (line: string) => void;
}

/** Train (or load from the cache) every requested network; those not cached train in worker processes. */
export async function trainJoksasMany(
  requests: readonly TrainRequest[],
  protocol: JoksasProtocol,
  data: MnistSplits,
  opts: TrainManyOptions = {},
): Promise<TrainedNetwork[]> {
  const engine = opts.engine ?? "fused",
    dataSeed = opts.dataSeed ?? 0;
  const workers = opts.workers ?? os.availableParallelism();
  if (!Number.isInteger(workers) || workers < 0)
    throw new RangeError(`workers must be a whole number >= 0, got ${workers}`);
  if (!Number.isInteger(dataSeed)) throw new RangeError(`dataSeed must be a whole number, got ${dataSeed}`);
  const todo = requests
    .map((r, index) => ({ r, index }))
    .filter(({ r }) => !isJoksasCached(r.config, protocol, data, r.seed, r.monitor ?? [], engine));
  if (workers > 0 && todo.length > 0) {
    const reference = loadJoksasData(protocol, dataSeed, opts.dataDir);
    if (reference.source !== data.source)
      throw new Error(
        `the data given (${data.source}) is not what the workers would load with dataSeed ${dataSeed} (${reference.source}): pass the dataSeed and dataDir it was loaded with`,
      );
    opts.onLog?.(
      `training ${todo.length} of ${requests.length} networks in ${Math.min(workers, todo.length)} worker processes (${requests.length - todo.length} cached)`,
    );
    await runWorkers(
      todo.map(({ r, index }) => ({
        type: "train",
        index,
        request: r,
        protocol,
        dataSeed,
        dataDir: opts.dataDir,
        engine,
      })),
      Math.min(workers, todo.length),
      (line) => opts.onLog?.(line),
    );
  }
  return requests.map((r) =>
    trainJoksas(r.config, protocol, data, r.seed, { monitor: r.monitor, engine, onLog: opts.onLog }),
  );
}

function workerEntry(): { file: string; execArgv: string[] } {
  const ext = path.extname(__filename);
  return { file: path.join(__dirname, `joksas-worker${ext}`), execArgv: ext === ".ts" ? ["--import", "tsx"] : [] };
}

/** Run the jobs on `n` workers; rejects with every failure named once all have ended. */
function runWorkers(jobs: readonly WorkerJob[], n: number, log: (line: string) => void): Promise<void> {
  const queue = [...jobs];
  const failures: string[] = [];
  const entry = workerEntry();
  let running = 0;
  return new Promise<void>((resolve, reject) => {
    const end = () => {
      if (running > 0) return;
      if (failures.length) reject(new Error(`training failed:\n${failures.join("\n")}`));
      else resolve();
    };
    const next = (w: ChildProcess, current: { job: WorkerJob | null }) => {
      current.job = queue.shift() ?? null;
      if (current.job) w.send(current.job);
      else w.disconnect();
    };
    for (let i = 0; i < n; i++) {
      running++;
      const w = fork(entry.file, [], {
        execArgv: entry.execArgv,
        stdio: ["ignore", "inherit", "inherit", "ipc"],
        env: process.env,
      });
      const current: { job: WorkerJob | null } = { job: null };
      w.on("message", (m: WorkerReply) => {
        if (m.type === "ready") next(w, current);
        else if (m.type === "log") log(m.line);
        else if (m.type === "done" || m.type === "failed") {
          const job = jobs.find((j) => j.index === m.index)!;
          const name = `${job.request.config.key} seed ${job.request.seed}`;
          if (m.type === "done") log(`${name}: trained in ${m.seconds.toFixed(0)} s (worker ${w.pid})`);
          else failures.push(`${name}: ${m.error}`);
          next(w, current);
        }
      });
      w.on("exit", (code, signal) => {
        running--;
        if (current.job)
          failures.push(
            `${current.job.request.config.key} seed ${current.job.request.seed}: worker ${w.pid} exited (${signal ?? `code ${code}`}) during training`,
          );
        current.job = null;
        end();
      });
    }
  });
}
