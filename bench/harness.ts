/** Benchmark harness: timed repeats with warm-up, machine description, JSON records. */
import * as os from "os";
import { hugePagesRequested, transparentHugePageMode } from "../lib/runtime/huge-pages";

export interface BenchRecord {
  readonly suite: string;
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly medianMs: number;
  readonly minMs: number;
  readonly repeats: number;
  readonly extra?: Record<string, unknown>;
}

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    // glibc's huge-page tunable (lib/runtime/huge-pages.ts) and the kernel's THP mode
    hugePages: { requested: hugePagesRequested(), transparentHugePageMode: transparentHugePageMode() },
  };
}

/** Time `fn` (sync or async): `warmup` untimed runs, then `repeats` timed; median and min in ms. */
export async function time(
  fn: () => unknown,
  opts: { repeats?: number; warmup?: number } = {},
): Promise<{ medianMs: number; minMs: number; repeats: number }> {
  const repeats = opts.repeats ?? 5;
  for (let i = 0; i < (opts.warmup ?? 1); i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  return { medianMs: t[Math.floor(t.length / 2)], minMs: t[0], repeats };
}
