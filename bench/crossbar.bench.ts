/**
 * Crossbar solver speed (spec crossbar-circuits.md): one input and 100 inputs at 32², 64², 128², 256²,
 * R ~ U(1 kΩ, 100 kΩ), 1 Ω segments. Reference: badcrossbar on SciPy SuperLU, 2-core machine:
 * 1 input 15 / 50 / 223 / 1210 ms; 100 inputs 29 / 107 / 468 / 2590 ms. Gauss–Seidel runs three ways
 * in the same run: TypeScript sweeps, the kernel's plain sweeps, and the default (over-relaxed once
 * convergence is slow), so its record carries the ratio to each.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { CrossbarDrive, CrossbarTopology, topologyFromConductances } from "../lib/crossbar/circuit";
import { CrossbarSolution, CrossbarSystem, Engine, SolveOptions } from "../lib/crossbar/solver";
import { hugePagesRequested, withoutHugePages } from "../lib/runtime/huge-pages";
import { rng } from "../lib/runtime/random";
import { BenchRecord, time } from "./harness";

export const suite = "crossbar";

const BADCROSSBAR_MS: Record<number, { one: number; hundred: number }> = {
  32: { one: 15, hundred: 29 },
  64: { one: 50, hundred: 107 },
  128: { one: 223, hundred: 468 },
  256: { one: 1210, hundred: 2590 },
};

function arrayBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * The floor under any path that returns a full solution in new arrays: allocating and writing once
 * as many bytes as the solution holds (potentials, device and segment currents: 5 arrays of
 * inputs × n² float64). On machines where fresh pages are costly this, not the solve, can dominate.
 */
function freshArraysMs(n: number, inputs: number): () => void {
  const len = inputs * n * n;
  return () => {
    for (let a = 0; a < 5; a++) {
      const x = new Float64Array(len);
      for (let i = 0; i < len; i++) x[i] = i;
    }
  };
}

/** The benchmark's array of n² devices and its drives (the same for a seed-named size in every process). */
export function benchCase(n: number) {
  const r = rng(`bench/${n}`);
  const g = Float64Array.from({ length: n * n }, () => 1 / r.uniform(1e3, 1e5));
  const topo = topologyFromConductances(g, n, n, { wordSegmentOhm: 1, bitSegmentOhm: 1 });
  const one = { wordLeftVolt: [Array.from({ length: n }, () => r.uniform(0, 1))] };
  const hundred = { wordLeftVolt: Array.from({ length: 100 }, () => Array.from({ length: n }, () => r.uniform(0, 1))) };
  return { topo, one, hundred };
}

/** Setup (assembly, factorisation) + solve + every branch current, as badcrossbar's compute() does. */
function solveWithEveryCurrent(topo: CrossbarTopology, drive: CrossbarDrive, opts: SolveOptions): CrossbarSolution {
  const sol = new CrossbarSystem(topo).solve(drive, opts);
  void [sol.deviceCurrents, sol.wordSegmentCurrents, sol.bitSegmentCurrents];
  return sol;
}

/** The 100-input Gauss–Seidel solve with every branch current, timed in this process. */
export function timeHundredInputs(
  n: number,
  repeats: number,
): Promise<{ medianMs: number; minMs: number; repeats: number }> {
  const { topo, hundred } = benchCase(n);
  return time(() => solveWithEveryCurrent(topo, hundred, { engine: "gauss-seidel" }), {
    repeats,
    warmup: repeats > 1 ? 1 : 0,
  });
}

/** The same solve in a child process without glibc's huge-page tunable (the path before it). */
function timeWithoutHugePages(n: number, repeats: number): { medianMs: number; minMs: number } {
  const child = path.join(__dirname, "crossbar-small-pages.ts");
  const r = spawnSync(process.execPath, [...process.execArgv, child, String(n), String(repeats)], {
    env: withoutHugePages(process.env),
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`bench: the solve without huge pages failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { medianMs: number; minMs: number };
}

export async function run(quick: boolean): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  const sizes = quick ? [32, 64, 128] : [32, 64, 128, 256];
  for (const n of sizes) {
    const { topo, one, hundred } = benchCase(n);
    // the previous paths of Gauss–Seidel (TypeScript sweeps; the kernel's plain sweeps) run first, so the default path's record carries their ratios
    const variants: Array<{ engine: Engine; sweepKernel?: "wasm" | "js"; overRelax?: boolean; label: string }> = [
      { engine: "gauss-seidel", sweepKernel: "js", overRelax: false, label: "gauss-seidel (TypeScript sweeps)" },
      { engine: "gauss-seidel", sweepKernel: "wasm", overRelax: false, label: "gauss-seidel (plain sweeps)" },
      { engine: "gauss-seidel", sweepKernel: "wasm", label: "gauss-seidel" },
      { engine: "direct", label: "direct" },
    ];
    const plainMs = new Map<string, number>();
    const previousMs = new Map<string, number>();
    for (const v of variants) {
      if (v.engine === "direct" && n === 256 && quick) continue;
      const repeats = (v.engine === "direct" && n >= 128) || v.sweepKernel === "js" ? 1 : n >= 256 ? 3 : 5;
      for (const [label, drive] of [
        ["1 input", one],
        ["100 inputs", hundred],
      ] as const) {
        let sweeps: number | undefined, omega: number | undefined;
        let residual = 0;
        const before = arrayBytes();
        let peak = before;
        const t = await time(
          () => {
            const sol = solveWithEveryCurrent(topo, drive, {
              engine: v.engine,
              sweepKernel: v.sweepKernel,
              overRelax: v.overRelax,
            });
            sweeps = sol.sweeps;
            omega = sol.overRelaxation;
            residual = sol.kclResidualRelative;
            peak = Math.max(peak, arrayBytes());
          },
          { repeats, warmup: repeats > 1 ? 1 : 0 },
        );
        const ref = BADCROSSBAR_MS[n][label === "1 input" ? "one" : "hundred"];
        if (v.sweepKernel === "js") previousMs.set(label, t.medianMs);
        if (v.sweepKernel === "wasm" && v.overRelax === false) plainMs.set(label, t.medianMs);
        const prev = v.sweepKernel === "wasm" ? previousMs.get(label) : undefined;
        const plain = v.sweepKernel === "wasm" && v.overRelax !== false ? plainMs.get(label) : undefined;
        out.push({
          suite,
          name: `${v.label}, ${label}`,
          params: {
            n,
            inputs: drive.wordLeftVolt.length,
            engine: v.engine,
            sweepKernel: v.sweepKernel ?? null,
            overRelax: v.engine === "gauss-seidel" ? (v.overRelax ?? true) : null,
            segmentOhm: 1,
          },
          ...t,
          extra: {
            badcrossbarMs: ref,
            speedupVsBadcrossbar: +(ref / t.medianMs).toFixed(2),
            sweeps,
            overRelaxation: omega,
            kclResidualRelative: residual,
            ...(prev !== undefined
              ? { previousPathMs: prev, speedupVsPreviousPath: +(prev / t.medianMs).toFixed(2) }
              : {}),
            ...(plain !== undefined
              ? { plainSweepsMs: plain, speedupVsPlainSweeps: +(plain / t.medianMs).toFixed(2) }
              : {}),
            factorBytes: v.engine === "direct" ? n * n * (n + 1) * 8 : 0,
            approxPeakArrayMiB: +((peak - before) / 2 ** 20).toFixed(1),
          },
        });
        const also = [
          prev !== undefined ? `TypeScript sweeps ${prev.toFixed(1)} ms` : "",
          plain !== undefined ? `plain sweeps ${plain.toFixed(1)} ms` : "",
          sweeps !== undefined ? `${sweeps} sweeps, ω ${omega!.toFixed(3)}` : "",
        ].filter(Boolean);
        console.error(
          `  crossbar ${n}² ${v.label} ${label}: ${t.medianMs.toFixed(1)} ms (badcrossbar ${ref} ms${also.map((a) => `, ${a}`).join("")})`,
        );
      }
    }
    const solved = out.find(
      (o) =>
        o.params.n === n && o.params.inputs === 100 && o.params.sweepKernel === "wasm" && o.params.overRelax === true,
    )!;
    const floor = await time(freshArraysMs(n, 100), { repeats: n >= 256 ? 1 : 3, warmup: 0 });
    const mib = (5 * 100 * n * n * 8) / 2 ** 20;
    out.push({
      suite,
      name: "fresh arrays of a 100-input solution",
      params: { n, inputs: 100, mib: +mib.toFixed(1) },
      ...floor,
      extra: {
        msPerMiB: +(floor.medianMs / mib).toFixed(2),
        shareOfGaussSeidelSolve: +(floor.medianMs / solved.medianMs).toFixed(2),
        badcrossbarMs: BADCROSSBAR_MS[n].hundred,
        floorVsBadcrossbar: +(BADCROSSBAR_MS[n].hundred / floor.medianMs).toFixed(2),
      },
    });
    console.error(
      `  crossbar ${n}²: allocating and writing the ${mib.toFixed(1)} MiB of a 100-input solution takes ${floor.medianMs.toFixed(1)} ms`,
    );
    if (n >= 128 && hugePagesRequested()) {
      const repeats = n >= 256 ? 3 : 5;
      const small = timeWithoutHugePages(n, repeats);
      out.push({
        suite,
        name: "gauss-seidel, 100 inputs, without huge pages",
        params: { n, inputs: 100, engine: "gauss-seidel", segmentOhm: 1 },
        ...small,
        repeats,
        extra: {
          withHugePagesMs: solved.medianMs,
          speedupFromHugePages: +(small.medianMs / solved.medianMs).toFixed(2),
          badcrossbarMs: BADCROSSBAR_MS[n].hundred,
          speedupVsBadcrossbar: +(BADCROSSBAR_MS[n].hundred / small.medianMs).toFixed(2),
        },
      });
      console.error(
        `  crossbar ${n}² gauss-seidel 100 inputs without huge pages: ${small.medianMs.toFixed(1)} ms (with them ${solved.medianMs.toFixed(1)} ms)`,
      );
    }
  }
  return out;
}
