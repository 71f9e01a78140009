/** Worker process of trainJoksasMany: trains the networks it is sent into the weight cache, one at a time. */
import { initBackend } from "../runtime/backend";
import { loadJoksasData, trainJoksas } from "./joksas";
import type { WorkerJob, WorkerReply } from "./joksas-parallel";

if (!process.send) throw new Error("the Joksas training worker must be started by trainJoksasMany (child_process.fork)");
// the parent is gone (or has no more work): stop; a send that finds the channel closed ends the worker quietly
process.on("disconnect", () => process.exit(0));
const reply = (m: WorkerReply) => {
  if (!process.connected) process.exit(0);
  process.send!(m, undefined, undefined, (err) => {
    if (err) process.exit(0);
  });
};
const ready = initBackend();
process.on("message", (job: WorkerJob) => {
  if (job.type !== "train") return;
  ready
    .then(() => {
      const t0 = Date.now();
      const data = loadJoksasData(job.protocol, job.dataSeed, job.dataDir);
      const r = job.request;
      trainJoksas(r.config, job.protocol, data, r.seed, { monitor: r.monitor, engine: job.engine, onLog: (line) => reply({ type: "log", line: `[seed ${r.seed}] ${line}` }) }).model.dispose();
      reply({ type: "done", index: job.index, seconds: (Date.now() - t0) / 1000 });
    })
    .catch((e: unknown) => reply({ type: "failed", index: job.index, error: e instanceof Error ? e.message : String(e) }));
});
reply({ type: "ready" });
