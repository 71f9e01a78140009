/**
 * One passive crossbar array solved exactly: currents from word-line voltages for a batch of inputs,
 * power, and gradients by the adjoint method.
 *
 * Layout: conductances [rows][cols] (word lines × bit lines), voltages [batch][rows], currents
 * [batch][cols] (into the bottom terminal of each bit line, held at 0 V).
 *
 * Adjoint: the node potentials u solve A(G)·u = b(V) and the outputs are I = C·u. For a loss L(I),
 * λ = A⁻¹·Cᵀ·∂L/∂I is the solution of the same circuit with every word-line source at 0 V and the
 * bit-line bottom terminals driven at ∂L/∂I (V) — so it is one more solve with the same factor. Then
 * ∂L/∂G_ij = −(λ_W − λ_B)_ij·(u_W − u_B)_ij (each device's stamp), and ∂L/∂V_i is minus the current
 * that the adjoint solve's source i delivers into word line i (reciprocity), which also holds for
 * ideal wires.
 *
 * Ohmic devices on ideal wires (every resistance 0 Ω) take a closed form: I = V·G, ∂L/∂G = Σ V·∂L/∂I,
 * ∂L/∂V = G·∂L/∂I and P = Σ G·V²; the full solution (every node and branch) is built only when a
 * caller reads `solution`.
 *
 * Nonlinear devices (a `DeviceCurrentLaw`, e.g. Poole–Frenkel or an expression law): the forward
 * pass is the Newton solve; the adjoint uses each input's converged Jacobian (the devices'
 * differential conductances at the solution), and ∂L/∂p of a device parameter p is
 * −(λ_W − λ_B)·∂I/∂p with the law's sensitivity ∂I/∂p.
 */
import { CrossbarTopology, topologyFromConductances } from "../crossbar/circuit";
import { CrossbarSolution, CrossbarSystem, Engine } from "../crossbar/solver";
import { DeviceCurrentLaw, solveNonlinear } from "../crossbar/nonlinear";

/** The wires of an array (Ω); 0 = ideal. Sources drive the left end of every word line; bit lines end in the sensing terminal at the bottom. */
export interface TileCircuit {
  readonly wordSegmentOhm: number;
  readonly bitSegmentOhm: number;
  /** Series resistance of each word-line driver (Ω). Default 0. */
  readonly sourceOhm?: number;
  /** Input resistance of each bit line's sensing terminal (Ω). Default 0. */
  readonly outputOhm?: number;
  /** Solver engine: "gauss-seidel" (default; fast for many inputs) or "direct". */
  readonly engine?: Engine;
}

export interface TilePower {
  /** Per input (W): dissipated in devices, in wire segments, in driver/sensing resistances, and delivered by the sources. */
  readonly devicesWatt: Float64Array;
  readonly wiresWatt: Float64Array;
  readonly sourceResistorsWatt: Float64Array;
  readonly sourcesWatt: Float64Array;
}

export interface TileForward {
  /** The tile that made this pass: `power` and `backward` take only their own tile's passes. */
  readonly tile: CircuitTile;
  readonly batch: number;
  readonly voltages: Float64Array;
  /** Output currents [batch][cols] (A). */
  readonly currents: Float64Array;
  readonly solution: CrossbarSolution;
}

function checkCircuit(c: TileCircuit): void {
  for (const k of ["wordSegmentOhm", "bitSegmentOhm", "sourceOhm", "outputOhm"] as const) {
    const v = c[k] ?? 0;
    if (!(Number.isFinite(v) && v >= 0))
      throw new RangeError(`tile circuit: ${k} must be a finite number >= 0 (Ω), got ${c[k]}`);
  }
  if (c.engine !== undefined && c.engine !== "direct" && c.engine !== "gauss-seidel")
    throw new RangeError(`tile circuit: unknown engine "${c.engine}": use "direct" or "gauss-seidel"`);
}

export class CircuitTile {
  readonly rows: number;
  readonly cols: number;
  readonly circuit: TileCircuit;
  readonly system: CrossbarSystem;
  readonly topology: CrossbarTopology;
  /** The devices' current law when they are not ohmic (the conductances then only anchor the circuit's lines). */
  readonly law: DeviceCurrentLaw | null;

  constructor(
    conductancesSiemens: ArrayLike<number>,
    rows: number,
    cols: number,
    circuit: TileCircuit,
    opts: { law?: DeviceCurrentLaw } = {},
  ) {
    checkCircuit(circuit);
    this.rows = rows;
    this.cols = cols;
    this.circuit = circuit;
    this.topology = topologyFromConductances(Float64Array.from(conductancesSiemens), rows, cols, {
      wordSegmentOhm: circuit.wordSegmentOhm,
      bitSegmentOhm: circuit.bitSegmentOhm,
      sourceOhm: circuit.sourceOhm ?? 0,
      outputOhm: circuit.outputOhm ?? 0,
    });
    this.system = new CrossbarSystem(this.topology);
    this.law = opts.law ?? null;
    if (this.law && this.law.devices !== rows * cols)
      throw new RangeError(
        `tile: the current law describes ${this.law.devices} devices, the tile has ${rows} × ${cols}`,
      );
  }

  /** Ohmic devices on ideal wires: the closed form applies. */
  get idealOhmic(): boolean {
    const c = this.circuit;
    return !this.law && !c.wordSegmentOhm && !c.bitSegmentOhm && !c.sourceOhm && !c.outputOhm;
  }

  /** The conductances the tile was built with (its own copy), [rows][cols]. */
  get conductancesSiemens(): Float64Array {
    return this.topology.conductancesSiemens;
  }

  private rowsOf(a: Float64Array, batch: number, width: number): Float64Array[] {
    return Array.from({ length: batch }, (_, k) => a.subarray(k * width, (k + 1) * width));
  }

  /** Currents for `voltages` [batch][rows] (V). */
  forward(voltages: Float64Array, batch: number): TileForward {
    if (!Number.isInteger(batch) || batch < 1)
      throw new RangeError(`tile forward: batch must be a positive integer, got ${batch}`);
    if (voltages.length !== batch * this.rows)
      throw new RangeError(
        `tile forward: ${voltages.length} voltages for a batch of ${batch} × ${this.rows} word lines`,
      );
    const drive = { wordLeftVolt: this.rowsOf(voltages, batch, this.rows) };
    const engine = this.circuit.engine ?? "gauss-seidel";
    if (this.idealOhmic) {
      const { rows: m, cols: n } = this,
        g = this.conductancesSiemens,
        currents = new Float64Array(batch * n);
      for (let k = 0; k < batch; k++)
        for (let i = 0; i < m; i++) {
          const v = voltages[k * m + i];
          if (v !== 0) for (let j = 0, o = k * n, r = i * n; j < n; j++) currents[o + j] += v * g[r + j];
        }
      let solved: CrossbarSolution | undefined;
      const system = this.system;
      return {
        tile: this,
        batch,
        voltages,
        currents,
        get solution() {
          return (solved ??= system.solve(drive, { engine }));
        },
      };
    }
    const solution = this.law
      ? solveNonlinear(this.topology, this.law, drive, { engine })
      : this.system.solve(drive, { engine });
    return { tile: this, batch, voltages, currents: solution.outputCurrents, solution };
  }

  /** A pass made by another tile (another array, perhaps of another shape) is refused, never used. */
  private own(f: TileForward, what: string): void {
    if (f?.tile !== this)
      throw new Error(
        `tile ${what}: this forward pass was made by another tile` +
          (f?.tile ? ` (${f.tile.rows} × ${f.tile.cols}; this one is ${this.rows} × ${this.cols})` : "") +
          `: pass the result of this tile's own forward`,
      );
  }

  /** Power per input of a forward pass, wire and driver losses included. */
  power(f: TileForward): TilePower {
    this.own(f, "power");
    if (this.idealOhmic) {
      const { rows: m, cols: n } = this,
        g = this.conductancesSiemens,
        p = new Float64Array(f.batch);
      for (let k = 0; k < f.batch; k++)
        for (let i = 0; i < m; i++) {
          const v = f.voltages[k * m + i];
          let gi = 0;
          for (let j = 0; j < n; j++) gi += g[i * n + j];
          p[k] += v * v * gi;
        }
      return {
        devicesWatt: p,
        wiresWatt: new Float64Array(f.batch),
        sourceResistorsWatt: new Float64Array(f.batch),
        sourcesWatt: Float64Array.from(p),
      };
    }
    const p = this.system.power(f.solution, { wordLeftVolt: this.rowsOf(f.voltages, f.batch, this.rows) });
    const pick = (k: "devicesWatt" | "wiresWatt" | "sourceResistorsWatt" | "sourcesWatt") =>
      Float64Array.from(p, (x) => x[k]);
    return {
      devicesWatt: pick("devicesWatt"),
      wiresWatt: pick("wiresWatt"),
      sourceResistorsWatt: pick("sourceResistorsWatt"),
      sourcesWatt: pick("sourcesWatt"),
    };
  }

  /**
   * Gradients of a loss from ∂L/∂I ([batch][cols], A⁻¹·loss units): ∂L/∂θ [rows][cols] summed over the
   * batch, where θ is each device's conductance (ohmic devices) or, for a current law, the parameter
   * whose sensitivity ∂I/∂θ is given (zeros without one); and ∂L/∂V [batch][rows]. One adjoint solve
   * of the same circuit (ohmic), or of each input's converged Jacobian (a current law).
   */
  backward(
    f: TileForward,
    dCurrents: Float64Array,
    sensitivity?: (v: Float64Array, out: Float64Array) => void,
  ): { dConductances: Float64Array; dVoltages: Float64Array } {
    this.own(f, "backward");
    const { rows: m, cols: n } = this;
    const N = m * n,
      batch = f.batch;
    if (dCurrents.length !== batch * n)
      throw new RangeError(
        `tile backward: ${dCurrents.length} current gradients for a batch of ${batch} × ${n} bit lines`,
      );
    const dG = new Float64Array(N);
    const dV = new Float64Array(batch * m);
    if (this.idealOhmic) {
      const g = this.conductancesSiemens;
      for (let k = 0; k < batch; k++)
        for (let i = 0; i < m; i++) {
          const v = f.voltages[k * m + i];
          let s = 0;
          for (let j = 0, o = k * n, r = i * n; j < n; j++) {
            const d = dCurrents[o + j];
            dG[r + j] += v * d;
            s += g[r + j] * d;
          }
          dV[k * m + i] = s;
        }
      return { dConductances: dG, dVoltages: dV };
    }
    const engine = this.circuit.engine ?? "gauss-seidel";
    const u = f.solution;
    const adjoint = (system: CrossbarSystem, k0: number, count: number) =>
      system.solve(
        {
          wordLeftVolt: Array.from({ length: count }, () => new Float64Array(m)),
          bitBottomVolt: this.rowsOf(dCurrents.subarray(k0 * n, (k0 + count) * n), count, n),
        },
        { engine },
      );
    // ∂L/∂θ −= (λ_W − λ_B)·∂I/∂θ per device, and ∂L/∂V = −(current source i delivers in the adjoint solve)
    const collect = (adj: CrossbarSolution, k0: number, count: number, slopeOf: (k: number) => Float64Array | null) => {
      for (let c = 0; c < count; c++) {
        const k = k0 + c,
          o = c * N;
        const slope = slopeOf(k);
        if (slope) for (let r = 0; r < N; r++) dG[r] -= (adj.wordVoltages[o + r] - adj.bitVoltages[o + r]) * slope[r];
        for (let i = 0; i < m; i++) dV[k * m + i] = -adj.wordLeftCurrents[c * m + i];
      }
    };
    if (!this.law) {
      // ohmic: ∂I/∂G = v (the device voltage of the forward solve), and one system (the same factor) for the whole batch
      const adj = adjoint(this.system, 0, batch);
      for (let k = 0, o = 0; k < batch; k++, o += N) {
        for (let r = 0; r < N; r++)
          dG[r] -= (adj.wordVoltages[o + r] - adj.bitVoltages[o + r]) * (u.wordVoltages[o + r] - u.bitVoltages[o + r]);
      }
      collect(adj, 0, batch, () => null);
    } else {
      const v = new Float64Array(N),
        current = new Float64Array(N),
        slope = new Float64Array(N),
        sens = new Float64Array(N);
      for (let k = 0; k < batch; k++) {
        for (let r = 0; r < N; r++) v[r] = u.wordVoltages[k * N + r] - u.bitVoltages[k * N + r];
        this.law.evaluate(v, current, slope);
        const jacobian = new CrossbarSystem({ ...this.topology, conductancesSiemens: slope });
        collect(adjoint(jacobian, k, 1), k, 1, () => (sensitivity ? (sensitivity(v, sens), sens) : null));
      }
    }
    return { dConductances: dG, dVoltages: dV };
  }
}
