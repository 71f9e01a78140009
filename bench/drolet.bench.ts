/** Drolet et al. 2023 full protocol: 10 000 epochs, 1000 transfers, 5 seeds, both networks (target: 10 min). */
import { droletData, droletRunConfig, meanSd, runDrolet } from "../lib/experiments/drolet";
import { BenchRecord } from "./harness";

export const suite = "drolet";

export async function run(quick: boolean): Promise<BenchRecord[]> {
  const seeds = quick ? [0] : [0, 1, 2, 3, 4];
  const epochs = quick ? 2500 : 10000;
  const transfers = quick ? 300 : 1000;
  const t0 = process.hrtime.bigint();
  const shares = { regular: [] as number[], aware: [] as number[] };
  let trainS = 0;
  for (const seed of seeds) {
    const data = droletData("paper", seed);
    for (const kind of ["regular", "aware"] as const) {
      const r = runDrolet(droletRunConfig(kind, { seed, epochs, transfers }), data);
      shares[kind].push(r.share95);
      trainS += r.train.seconds;
      console.error(
        `  drolet ${kind} seed ${seed}: share ${(100 * r.share95).toFixed(1)} %, train ${r.train.seconds.toFixed(1)} s`,
      );
    }
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const reg = meanSd(shares.regular),
    aw = meanSd(shares.aware);
  return [
    {
      suite,
      name: quick ? "protocol-quick" : "protocol-full",
      params: { seeds: seeds.length, epochs, transfers, networks: 2 },
      medianMs: ms,
      minMs: ms,
      repeats: 1,
      extra: {
        wallSeconds: +(ms / 1000).toFixed(1),
        trainingSeconds: +trainS.toFixed(1),
        targetSeconds: quick ? 120 : 600,
        shareAwareMean: +aw.mean.toFixed(4),
        shareAwareSd: +aw.sd.toFixed(4),
        shareRegularMean: +reg.mean.toFixed(4),
        shareRegularSd: +reg.sd.toFixed(4),
        sharesAware: shares.aware,
        sharesRegular: shares.regular,
        paper: { aware: 0.795, regular: 0.185 },
      },
    },
  ];
}
