/** Progress lines for long runs: one line per step at most every `everyMs`, with rate and ETA. */
export interface Progress {
  tick(done: number, note?: string): void;
  end(note?: string): void;
}

export function progress(
  label: string,
  total: number,
  opts: { everyMs?: number; write?: (s: string) => void } = {},
): Progress {
  const everyMs = opts.everyMs ?? 2000;
  const write = opts.write ?? ((s: string) => console.log(s));
  const t0 = Date.now();
  let last = -Infinity;
  const fmt = (s: number) => (s < 90 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`);
  return {
    tick(done, note) {
      const now = Date.now();
      if (now - last < everyMs && done < total) return;
      last = now;
      const el = (now - t0) / 1000;
      const eta = done > 0 ? (el * (total - done)) / done : NaN;
      write(
        `${label}: ${done}/${total} (${((100 * done) / total).toFixed(0)} %), ${fmt(el)} elapsed${Number.isFinite(eta) && done < total ? `, ETA ${fmt(eta)}` : ""}${note ? ` — ${note}` : ""}`,
      );
    },
    end(note) {
      write(`${label}: done in ${fmt((Date.now() - t0) / 1000)}${note ? ` — ${note}` : ""}`);
    },
  };
}
