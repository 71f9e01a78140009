/** Worker process of trainJoksasMany: trains the networks it is sent into the weight cache, one at a time. */
import { initBackend } from "../runtime/backend";
import { parentChannel } from "../runtime/worker-channel";
import { loadJoksasData, trainJoksas } from "./joksas";
import type { WorkerJob, WorkerReply } from "./joksas-parallel";

const reply: (m: WorkerReply) => void = parentChannel("the Joksas training worker (started by trainJoksasMany)");
const ready = initBackend();
process.on("message", (job: WorkerJob) => {
  if (job.type !== "train") return;
  ready
    .then(() => {
      const t0 = Date.now();
      const data = loadJoksasData(job.protocol, job.dataSeed, job.dataDir);
      const r = job.request;
      trainJoksas(r.config, job.protocol, data, r.seed, {
        monitor: r.monitor,
        engine: job.engine,
        onLog: (line) => reply({ type: "log", line: `[seed ${r.seed}] ${line}` }),
      }).model.dispose();
      reply({ type: "done", index: job.index, seconds: (Date.now() - t0) / 1000 });
    })
    .catch((e: unknown) =>
      reply({ type: "failed", index: job.index, error: e instanceof Error ? e.message : String(e) }),
    );
});
reply({ type: "ready" });
