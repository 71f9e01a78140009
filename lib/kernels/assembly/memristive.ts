// Fused float32 kernels for memristive dense layers (AssemblyScript → WebAssembly SIMD).
// Compiled at build time by `npm run build:kernels` (scripts/build-kernels.ts) to build/kernels/.
//
// Conventions: every pointer is a byte offset into this module's linear memory, 16-byte aligned;
// matrices are row-major float32; a matrix of C logical columns is stored with a row stride of
// Cp = C rounded up to a multiple of 4 (the padding columns are the caller's to keep harmless).
// The kernels take arrays and return arrays: no physics decision is made here (lib/kernels/README.md).

// ---------------------------------------------------------------------------------------------
// memory

/** First free byte after the module's static data: the host allocates from here. */
export function heapBase(): usize {
  return __heap_base;
}

// ---------------------------------------------------------------------------------------------
// vector math (float32, 4 lanes)

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * e^x per lane (Cephes expf: x = n·ln 2 + r with |r| ≤ ln 2/2, degree-5 polynomial for e^r; ~1 ulp on
 * [-86, 88]). n is rounded by adding 1.5·2²³ (its integer then sits in the low mantissa bits) and
 * 2^n is applied by adding n to the exponent bits: no float↔int conversion.
 */
@inline function expv(x0: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(x0, f32x4.splat(-86.0)), f32x4.splat(88.0)); // pmin/pmax: one instruction each (min/max handle NaN and −0 in several)
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(12582912.0));
  const fx = f32x4.sub(t, f32x4.splat(12582912.0));
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  // q(r) = p5 + p4·r + … + p0·r⁵ by Estrin's scheme (short dependency chains), e^r ≈ 1 + r + r²·q(r)
  const z = f32x4.mul(r, r), z2 = f32x4.mul(z, z);
  const a = f32x4.add(f32x4.mul(r, f32x4.splat(1.6666665459e-1)), f32x4.splat(5.0000001201e-1));
  const b = f32x4.add(f32x4.mul(r, f32x4.splat(8.3334519073e-3)), f32x4.splat(4.1665795894e-2));
  const c = f32x4.add(f32x4.mul(r, f32x4.splat(1.9875691500e-4)), f32x4.splat(1.3981999507e-3));
  const q = f32x4.add(f32x4.add(a, f32x4.mul(b, z)), f32x4.mul(c, z2));
  const y = f32x4.add(f32x4.add(f32x4.mul(q, z), r), f32x4.splat(1.0));
  const n = i32x4.sub(t, i32x4.splat(0x4b400000));
  return i32x4.add(y, i32x4.shl(n, 23));
}

/** ln x per lane for x > 0 (Cephes logf: mantissa in [√½, √2), degree-8 polynomial; ~1 ulp). */
@inline function logv(x: v128): v128 {
  const bits = i32x4.shr_u(x, 23);
  let e = f32x4.convert_i32x4_s(i32x4.sub(v128.and(bits, i32x4.splat(0xff)), i32x4.splat(126)));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000)); // [0.5, 1)
  const small = f32x4.lt(m, f32x4.splat(0.707106781186547524));
  e = f32x4.sub(e, v128.and(small, f32x4.splat(1.0)));
  m = f32x4.sub(f32x4.add(m, v128.and(small, m)), f32x4.splat(1.0));
  const z = f32x4.mul(m, m);
  let y = f32x4.splat(7.0376836292e-2);
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.1514610310e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.1676998740e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.2420140846e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.4249322787e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.6668057665e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(2.0000714765e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-2.4999993993e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(e, f32x4.splat(-2.12194440e-4)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  return f32x4.add(f32x4.add(m, y), f32x4.mul(e, f32x4.splat(0.693359375)));
}

/** Exported for tests: out[k] = e^x[k] (n a multiple of 4). */
export function vexp(x: usize, out: usize, n: i32): void {
  for (let k = 0; k < n; k += 4) v128.store(out + (<usize>k << 2), expv(v128.load(x + (<usize>k << 2))));
}

/** Exported for tests: out[k] = ln x[k] (n a multiple of 4). */
export function vlog(x: usize, out: usize, n: i32): void {
  for (let k = 0; k < n; k += 4) v128.store(out + (<usize>k << 2), logv(v128.load(x + (<usize>k << 2))));
}

// ---------------------------------------------------------------------------------------------
// random numbers: four xoshiro128** streams, one per lane; state = 4 vectors (s0, s1, s2, s3) at `state`

@inline function rotl(x: v128, k: i32): v128 {
  return v128.or(i32x4.shl(x, k), i32x4.shr_u(x, 32 - k));
}

@inline function nextBits(state: usize): v128 {
  let s0 = v128.load(state), s1 = v128.load(state, 16), s2 = v128.load(state, 32), s3 = v128.load(state, 48);
  const r = i32x4.mul(rotl(i32x4.mul(s1, i32x4.splat(5)), 7), i32x4.splat(9));
  const t = i32x4.shl(s1, 9);
  s2 = v128.xor(s2, s0);
  s3 = v128.xor(s3, s1);
  s1 = v128.xor(s1, s2);
  s0 = v128.xor(s0, s3);
  s2 = v128.xor(s2, t);
  s3 = rotl(s3, 11);
  v128.store(state, s0);
  v128.store(state, s1, 16);
  v128.store(state, s2, 32);
  v128.store(state, s3, 48);
  return r;
}

/** Top 24 bits as a float in [0, 1) (`half` 0) or in (0, 1) (`half` 0.5). */
@inline function unitFloat(bits: v128, half: f32): v128 {
  return f32x4.mul(f32x4.add(f32x4.convert_i32x4_s(i32x4.shr_u(bits, 8)), f32x4.splat(half)), f32x4.splat(5.9604644775390625e-8));
}

/** n uniform draws on [0, 1) into out (writes n rounded up to a multiple of 4). */
export function uniforms(state: usize, out: usize, n: i32): void {
  for (let k = 0; k < n; k += 4) v128.store(out + (<usize>k << 2), unitFloat(nextBits(state), 0));
}

/**
 * n standard-normal draws into out by the Box–Muller transform (writes n rounded up to a multiple
 * of 8): r = √(−2 ln u), θ = 2πv − π, sin θ and cos θ from the half angle by Taylor polynomials.
 */
export function normals(state: usize, out: usize, n: i32): void {
  for (let k = 0; k < n; k += 8) {
    const u = unitFloat(nextBits(state), 0.5);
    const v = unitFloat(nextBits(state), 0.5);
    const r = f32x4.sqrt(f32x4.mul(logv(u), f32x4.splat(-2.0)));
    const p = f32x4.mul(f32x4.sub(v, f32x4.splat(0.5)), f32x4.splat(3.14159265358979)); // θ/2 in (−π/2, π/2)
    const z = f32x4.mul(p, p);
    let s = f32x4.splat(-2.5052108385e-8);
    s = f32x4.add(f32x4.mul(s, z), f32x4.splat(2.7557319224e-6));
    s = f32x4.add(f32x4.mul(s, z), f32x4.splat(-1.9841269841e-4));
    s = f32x4.add(f32x4.mul(s, z), f32x4.splat(8.3333333333e-3));
    s = f32x4.add(f32x4.mul(s, z), f32x4.splat(-1.6666666667e-1));
    s = f32x4.mul(p, f32x4.add(f32x4.mul(s, z), f32x4.splat(1.0)));
    let c = f32x4.splat(2.0876756988e-9);
    c = f32x4.add(f32x4.mul(c, z), f32x4.splat(-2.7557319224e-7));
    c = f32x4.add(f32x4.mul(c, z), f32x4.splat(2.4801587302e-5));
    c = f32x4.add(f32x4.mul(c, z), f32x4.splat(-1.3888888889e-3));
    c = f32x4.add(f32x4.mul(c, z), f32x4.splat(4.1666666667e-2));
    c = f32x4.add(f32x4.mul(c, z), f32x4.splat(-0.5));
    c = f32x4.add(f32x4.mul(c, z), f32x4.splat(1.0));
    const sin2 = f32x4.mul(f32x4.mul(s, c), f32x4.splat(2.0));
    const cos2 = f32x4.mul(f32x4.sub(c, s), f32x4.add(c, s));
    v128.store(out + (<usize>k << 2), f32x4.mul(r, cos2));
    v128.store(out + (<usize>(k + 4) << 2), f32x4.mul(r, sin2));
  }
}

// ---------------------------------------------------------------------------------------------
// element-wise helpers over [R, Cp]

/** Zero the padding columns C..Cp of a [R, Cp] matrix. */
export function clearPadding(m: usize, R: i32, C: i32, Cp: i32): void {
  if (C == Cp) return;
  for (let i = 0; i < R; i++) for (let j = C; j < Cp; j++) store<f32>(m + ((<usize>(i * Cp + j)) << 2), 0);
}

/** out[k] = a[k]·b[k] for n (a multiple of 4) entries. */
export function mulInPlace(a: usize, b: usize, n: i32): void {
  for (let k = 0; k < n; k += 4) {
    const o = <usize>k << 2;
    v128.store(a + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
}

/** Index of the first largest entry of m [R, Cp] over the logical columns (|entry| when `absolute`). */
export function argMax(m: usize, R: i32, C: i32, Cp: i32, absolute: bool): i32 {
  let best: f32 = -Infinity;
  let at = -1;
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < C; j++) {
      let x = load<f32>(m + ((<usize>(i * Cp + j)) << 2));
      if (absolute) x = Mathf.abs(x);
      if (x > best) {
        best = x;
        at = i * Cp + j;
      }
    }
  }
  return at;
}

// ---------------------------------------------------------------------------------------------
// mapping: parameters → conductances (blocked columns [G₊ | G₋], padding set to gOff)

/**
 * Standard signed weights θ [R, np] (n logical columns) → G [R, Cp] with G₊ in columns 0..n−1 and
 * G₋ in n..2n−1: G± = base + linear·(±θ) + rectified·max(±θ, 0) (the pair rule's coefficients, from
 * tile/mapping's `pairCoefficients`); the padding gets `pad`.
 */
export function mapStandard(theta: usize, g: usize, R: i32, n: i32, np: i32, Cp: i32, base: f32, linear: f32, rectified: f32, pad: f32): void {
  for (let i = 0; i < R; i++) {
    const t = theta + (<usize>(i * np) << 2), row = g + (<usize>(i * Cp) << 2);
    for (let j = 0; j < n; j++) {
      const w = load<f32>(t + (<usize>j << 2));
      store<f32>(row + (<usize>j << 2), base + linear * w + rectified * (w > 0 ? w : 0));
      store<f32>(row + (<usize>(n + j) << 2), base - linear * w + rectified * (-w > 0 ? -w : 0));
    }
    for (let j = 2 * n; j < Cp; j++) store<f32>(row + (<usize>j << 2), pad);
  }
}

/**
 * Gradient of mapStandard: dθ [R, np] from dG [R, Cp], where the kink of max(±θ, 0) at θ = 0 takes
 * `kink` times the two one-sided slopes' difference (0: TensorFlow's relu; 0.5: their mean). Returns
 * Σ dG·(G − base), which is k_G·∂L/∂k_G when the slopes are proportional to k_G.
 */
export function mapStandardBackward(theta: usize, dg: usize, dtheta: usize, R: i32, n: i32, np: i32, Cp: i32, linear: f32, rectified: f32, kink: f32): f32 {
  let dk: f32 = 0;
  for (let i = 0; i < R; i++) {
    const t = theta + (<usize>(i * np) << 2), dt = dtheta + (<usize>(i * np) << 2), row = dg + (<usize>(i * Cp) << 2);
    for (let j = 0; j < n; j++) {
      const w = load<f32>(t + (<usize>j << 2));
      const up = load<f32>(row + (<usize>j << 2)), down = load<f32>(row + (<usize>(n + j) << 2));
      const side: f32 = w > 0 ? up : w < 0 ? -down : kink * (up - down);
      store<f32>(dt + (<usize>j << 2), linear * (up - down) + rectified * side);
      dk += linear * w * (up - down) + rectified * (up * (w > 0 ? w : 0) + down * (-w > 0 ? -w : 0));
    }
    for (let j = n; j < np; j++) store<f32>(dt + (<usize>j << 2), 0);
  }
  return dk;
}

/** Double weights D [R, Cp] (blocked, non-negative) → G = kG·D + gOff (padding gOff). */
export function mapDouble(d: usize, g: usize, R: i32, C: i32, Cp: i32, kG: f32, gOff: f32): void {
  const k = f32x4.splat(kG), o = f32x4.splat(gOff);
  const n = R * Cp;
  for (let q = 0; q < n; q += 4) {
    const b = <usize>q << 2;
    v128.store(g + b, f32x4.add(f32x4.mul(v128.load(d + b), k), o));
  }
  for (let i = 0; i < R; i++) for (let j = C; j < Cp; j++) store<f32>(g + ((<usize>(i * Cp + j)) << 2), gOff);
}

/** Gradient of mapDouble: dD = kG·dG; returns Σ dG·D. Padding of dD is zeroed. */
export function mapDoubleBackward(d: usize, dg: usize, dd: usize, R: i32, C: i32, Cp: i32, kG: f32): f32 {
  const k = f32x4.splat(kG);
  let acc = f32x4.splat(0);
  const n = R * Cp;
  for (let q = 0; q < n; q += 4) {
    const b = <usize>q << 2;
    const gv = v128.load(dg + b);
    acc = f32x4.add(acc, f32x4.mul(gv, v128.load(d + b)));
    v128.store(dd + b, f32x4.mul(gv, k));
  }
  clearPadding(dd, R, C, Cp);
  return hsum(acc);
}

// ---------------------------------------------------------------------------------------------
// conductance disturbances

/**
 * Stuck devices: where u < p, G = value (or values[k] when `values` ≠ 0); `pass` gets 0 there and 1
 * elsewhere (the factor dG'/dG). n is R·Cp.
 */
export function stuck(g: usize, u: usize, pass: usize, n: i32, p: f32, value: f32, values: usize): void {
  for (let k = 0; k < n; k++) {
    const b = <usize>k << 2;
    if (load<f32>(u + b) < p) {
      store<f32>(g + b, values ? load<f32>(values + b) : value);
      store<f32>(pass + b, 0);
    } else {
      store<f32>(pass + b, 1);
    }
  }
}

/**
 * Device-to-device lognormal variability (Joksas §3.5): r = 1/G, t = clip((r − r_on)/(r_off − r_on), 0, 1),
 * σ = σ_on + t·(σ_off − σ_on), ln R' = ln r − σ²/2 + σ·z, G' = 1/R' (in place). `factor` gets dG'/dG =
 * G'·(r + r²·(z − σ)·dσ/dr), with dσ/dr = 0 where t was clipped.
 */
export function d2dLognormal(g: usize, z: usize, factor: usize, n: i32, rOn: f32, rOff: f32, sOn: f32, sOff: f32): void {
  const one = f32x4.splat(1.0), zero = f32x4.splat(0);
  const ron = f32x4.splat(rOn), span = f32x4.splat(1 / (rOff - rOn)), ds = f32x4.splat(sOff - sOn), son = f32x4.splat(sOn);
  const slope = f32x4.splat((sOff - sOn) / (rOff - rOn)), half = f32x4.splat(0.5);
  for (let q = 0; q < n; q += 4) {
    const b = <usize>q << 2;
    const r = f32x4.div(one, v128.load(g + b));
    const tRaw = f32x4.mul(f32x4.sub(r, ron), span);
    const inside = v128.and(f32x4.ge(tRaw, zero), f32x4.le(tRaw, one));
    const t = f32x4.min(f32x4.max(tRaw, zero), one);
    const sigma = f32x4.add(son, f32x4.mul(t, ds));
    const zz = v128.load(z + b);
    const lnR = f32x4.add(f32x4.sub(logv(r), f32x4.mul(f32x4.mul(sigma, sigma), half)), f32x4.mul(sigma, zz));
    const gNew = f32x4.div(one, expv(lnR));
    v128.store(g + b, gNew);
    const dSigma = v128.and(inside, slope);
    const inner = f32x4.add(r, f32x4.mul(f32x4.mul(r, r), f32x4.mul(f32x4.sub(zz, sigma), dSigma)));
    v128.store(factor + b, f32x4.mul(gNew, inner));
  }
}

// ---------------------------------------------------------------------------------------------
// Poole–Frenkel current model: I = sign(V)·c·|V|·exp(s·√|V|)

/**
 * Per-device coefficients from conductances (n = R·Cp entries): ln R = −ln G,
 * ln c = sC·ln R + iC + l11·z1, ln dε = sD·ln R + iD + l21·z1 + l22·z2 (z2 read only when l22 ≠ 0),
 * c = e^(ln c), s = scale·e^(−½·ln dε) with scale = (q/kT)·√(q/π).
 */
export function pfCoefficients(g: usize, z1: usize, z2: usize, c: usize, s: usize, n: i32, sC: f32, iC: f32, sD: f32, iD: f32, l11: f32, l21: f32, l22: f32, scale: f32): void {
  const vsC = f32x4.splat(sC), viC = f32x4.splat(iC), vsD = f32x4.splat(sD), viD = f32x4.splat(iD);
  const v11 = f32x4.splat(l11), v21 = f32x4.splat(l21), v22 = f32x4.splat(l22), vsc = f32x4.splat(scale), mhalf = f32x4.splat(-0.5);
  const hasZ2 = l22 != 0;
  for (let q = 0; q < n; q += 4) {
    const b = <usize>q << 2;
    const lnR = f32x4.neg(logv(v128.load(g + b)));
    const w1 = v128.load(z1 + b);
    const lnC = f32x4.add(f32x4.add(f32x4.mul(vsC, lnR), viC), f32x4.mul(v11, w1));
    let lnD = f32x4.add(f32x4.add(f32x4.mul(vsD, lnR), viD), f32x4.mul(v21, w1));
    if (hasZ2) lnD = f32x4.add(lnD, f32x4.mul(v22, v128.load(z2 + b)));
    v128.store(c + b, expv(lnC));
    v128.store(s + b, f32x4.mul(vsc, expv(f32x4.mul(mhalf, lnD))));
  }
}

/** dL/dG from dL/dc and dL/ds (through ln R = −ln G): (−dc·c·sC + ds·s·sD/2)/G; padding zeroed. */
export function pfCoefficientsBackward(g: usize, c: usize, s: usize, dc: usize, ds: usize, dg: usize, R: i32, C: i32, Cp: i32, sC: f32, sD: f32): void {
  const vsC = f32x4.splat(-sC), vsD = f32x4.splat(sD / 2);
  const n = R * Cp;
  for (let q = 0; q < n; q += 4) {
    const b = <usize>q << 2;
    const num = f32x4.add(f32x4.mul(f32x4.mul(v128.load(dc + b), v128.load(c + b)), vsC), f32x4.mul(f32x4.mul(v128.load(ds + b), v128.load(s + b)), vsD));
    v128.store(dg + b, f32x4.div(num, v128.load(g + b)));
  }
  clearPadding(dg, R, C, Cp);
}

/**
 * Bit-line currents I [B, Cp] = Σ_i sign(V)·c·|V|·exp(s·√(|V| + guard)) for V [B, R] and c, s [R, Cp]
 * (c zero in the padding). Stores exp(s·u) in E [B, R, Cp] when `storeE`, and the power
 * P_b = Σ_ij V_bi·I_bij (a PF current has the sign of its voltage) in power[b] when power ≠ 0.
 * `skipZero`: word lines at 0 V carry no current and are skipped (E is then not written for them).
 */
export function pfForward(v: usize, c: usize, s: usize, cur: usize, e: usize, power: usize, B: i32, R: i32, Cp: i32, guard: f32, skipZero: bool, storeE: bool): void {
  for (let bb = 0; bb < B; bb++) {
    const out = cur + (<usize>(bb * Cp) << 2);
    for (let j = 0; j < Cp; j += 4) v128.store(out + (<usize>j << 2), f32x4.splat(0));
    let p: f32 = 0;
    for (let i = 0; i < R; i++) {
      const vv = load<f32>(v + (<usize>(bb * R + i) << 2));
      if (skipZero && vv == 0) continue;
      const u = f32x4.splat(Mathf.sqrt(Mathf.abs(vv) + guard));
      const vs = f32x4.splat(vv);
      const ci = c + (<usize>(i * Cp) << 2), si = s + (<usize>(i * Cp) << 2);
      const ei = e + (<usize>((bb * R + i) * Cp) << 2);
      let acc = f32x4.splat(0);
      for (let j = 0; j < Cp; j += 4) {
        const o = <usize>j << 2;
        const ex = expv(f32x4.mul(v128.load(si + o), u));
        if (storeE) v128.store(ei + o, ex);
        const t = f32x4.mul(f32x4.mul(vs, v128.load(ci + o)), ex);
        v128.store(out + o, f32x4.add(v128.load(out + o), t));
        acc = f32x4.add(acc, t);
      }
      p += vv * hsum(acc);
    }
    if (power) store<f32>(power + (<usize>bb << 2), p);
  }
}

/**
 * Gradient of pfForward for dI [B, Cp] (zero in the padding), from the stored E:
 * dc_ij = Σ_b dI_bj·V_bi·E_bij, ds_ij = c_ij·Σ_b dI_bj·V_bi·u_bi·E_bij and, when dv ≠ 0,
 * dV_bi = Σ_j dI_bj·c_ij·E_bij·(1 + |V_bi|·s_ij/(2·u_bi)).
 */
export function pfBackward(v: usize, c: usize, s: usize, e: usize, di: usize, dc: usize, ds: usize, dv: usize, B: i32, R: i32, Cp: i32, guard: f32, skipZero: bool): void {
  const n = R * Cp;
  for (let q = 0; q < n; q += 4) {
    v128.store(dc + (<usize>q << 2), f32x4.splat(0));
    v128.store(ds + (<usize>q << 2), f32x4.splat(0));
  }
  for (let bb = 0; bb < B; bb++) {
    const dIb = di + (<usize>(bb * Cp) << 2);
    for (let i = 0; i < R; i++) {
      const vv = load<f32>(v + (<usize>(bb * R + i) << 2));
      if (skipZero && vv == 0) {
        if (dv) store<f32>(dv + (<usize>(bb * R + i) << 2), 0);
        continue;
      }
      const uu = Mathf.sqrt(Mathf.abs(vv) + guard);
      const vs = f32x4.splat(vv), vus = f32x4.splat(vv * uu), k = f32x4.splat(Mathf.abs(vv) / (2 * uu));
      const ei = e + (<usize>((bb * R + i) * Cp) << 2);
      const dci = dc + (<usize>(i * Cp) << 2), dsi = ds + (<usize>(i * Cp) << 2);
      const ci = c + (<usize>(i * Cp) << 2), si = s + (<usize>(i * Cp) << 2);
      let acc = f32x4.splat(0);
      for (let j = 0; j < Cp; j += 4) {
        const o = <usize>j << 2;
        const qv = f32x4.mul(v128.load(dIb + o), v128.load(ei + o));
        v128.store(dci + o, f32x4.add(v128.load(dci + o), f32x4.mul(vs, qv)));
        v128.store(dsi + o, f32x4.add(v128.load(dsi + o), f32x4.mul(vus, qv)));
        if (dv) acc = f32x4.add(acc, f32x4.mul(f32x4.mul(qv, v128.load(ci + o)), f32x4.add(f32x4.splat(1.0), f32x4.mul(k, v128.load(si + o)))));
      }
      if (dv) store<f32>(dv + (<usize>(bb * R + i) << 2), hsum(acc));
    }
  }
  for (let q = 0; q < n; q += 4) {
    const b = <usize>q << 2;
    v128.store(ds + b, f32x4.mul(v128.load(ds + b), v128.load(c + b)));
  }
}

// ---------------------------------------------------------------------------------------------
// optimiser

/**
 * One SGD step in place over n entries (a multiple of 4): θ ← θ − lr·(∇ + γ·sign θ) with sign 0 at 0,
 * then θ ← max(θ, 0) when `clip`. Returns Σ|θ| before the step.
 */
export function sgd(theta: usize, grad: usize, n: i32, lr: f32, l1: f32, clip: bool): f32 {
  const vlr = f32x4.splat(lr), vl1 = f32x4.splat(l1), one = f32x4.splat(1.0), zero = f32x4.splat(0);
  let acc = f32x4.splat(0);
  for (let q = 0; q < n; q += 4) {
    const b = <usize>q << 2;
    const t = v128.load(theta + b);
    acc = f32x4.add(acc, f32x4.abs(t));
    const sign = f32x4.sub(v128.and(f32x4.gt(t, zero), one), v128.and(f32x4.lt(t, zero), one));
    let next = f32x4.sub(t, f32x4.mul(vlr, f32x4.add(v128.load(grad + b), f32x4.mul(vl1, sign))));
    if (clip) next = v128.bitselect(next, zero, f32x4.gt(next, zero));
    v128.store(theta + b, next);
  }
  return hsum(acc);
}

// ---------------------------------------------------------------------------------------------
// ohmic currents: matrix products

/**
 * The entries of row m of A [M, K] as (column, value) pairs at idx/val, zeros left out when
 * `skipZero`; returns their count. (Working on the list keeps the products' inner loops free of
 * unpredictable branches: pixels are zero in an irregular ~80 % of places.)
 */
@inline function compressRow(a: usize, m: i32, K: i32, skipZero: bool, idx: usize, val: usize): i32 {
  let n = 0;
  const row = a + (<usize>(m * K) << 2);
  for (let k = 0; k < K; k++) {
    const x = load<f32>(row + (<usize>k << 2));
    if (skipZero && x == 0) continue;
    store<i32>(idx + (<usize>n << 2), k);
    store<f32>(val + (<usize>n << 2), x);
    n++;
  }
  return n;
}

/**
 * out [M, Np] = A [M, K]·W [K, Np]; zero entries of A are skipped when `skipZero`. `scratch` holds 2·K
 * words. Output columns go in blocks of 16 held in registers across the sum.
 */
export function matmul(a: usize, w: usize, out: usize, M: i32, K: i32, Np: i32, skipZero: bool, scratch: usize): void {
  const idx = scratch, val = scratch + (<usize>K << 2);
  for (let m = 0; m < M; m++) {
    const n = compressRow(a, m, K, skipZero, idx, val);
    const o = out + (<usize>(m * Np) << 2);
    let j = 0;
    for (; j + 16 <= Np; j += 16) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      for (let t = 0; t < n; t++) {
        const xs = f32x4.splat(load<f32>(val + (<usize>t << 2)));
        const wr = w + (<usize>(load<i32>(idx + (<usize>t << 2)) * Np + j) << 2);
        s0 = f32x4.add(s0, f32x4.mul(xs, v128.load(wr)));
        s1 = f32x4.add(s1, f32x4.mul(xs, v128.load(wr, 16)));
        s2 = f32x4.add(s2, f32x4.mul(xs, v128.load(wr, 32)));
        s3 = f32x4.add(s3, f32x4.mul(xs, v128.load(wr, 48)));
      }
      const ob = o + (<usize>j << 2);
      v128.store(ob, s0);
      v128.store(ob, s1, 16);
      v128.store(ob, s2, 32);
      v128.store(ob, s3, 48);
    }
    for (; j < Np; j += 4) {
      let s0 = f32x4.splat(0);
      for (let t = 0; t < n; t++) {
        const wr = w + (<usize>(load<i32>(idx + (<usize>t << 2)) * Np + j) << 2);
        s0 = f32x4.add(s0, f32x4.mul(f32x4.splat(load<f32>(val + (<usize>t << 2))), v128.load(wr)));
      }
      v128.store(o + (<usize>j << 2), s0);
    }
  }
}

/**
 * out [K, Np] = Aᵀ·D for A [M, K], D [M, Np] (a weight gradient); zero entries of A skipped when
 * `skipZero`. `scratch` holds 2·K words.
 */
export function matmulTN(a: usize, d: usize, out: usize, M: i32, K: i32, Np: i32, skipZero: bool, scratch: usize): void {
  const idx = scratch, val = scratch + (<usize>K << 2);
  const total = K * Np;
  for (let q = 0; q < total; q += 4) v128.store(out + (<usize>q << 2), f32x4.splat(0));
  for (let m = 0; m < M; m++) {
    const n = compressRow(a, m, K, skipZero, idx, val);
    const dr = d + (<usize>(m * Np) << 2);
    let j = 0;
    for (; j + 16 <= Np; j += 16) {
      const d0 = v128.load(dr + (<usize>j << 2)), d1 = v128.load(dr + (<usize>j << 2), 16), d2 = v128.load(dr + (<usize>j << 2), 32), d3 = v128.load(dr + (<usize>j << 2), 48);
      for (let t = 0; t < n; t++) {
        const xs = f32x4.splat(load<f32>(val + (<usize>t << 2)));
        const o = out + (<usize>(load<i32>(idx + (<usize>t << 2)) * Np + j) << 2);
        v128.store(o, f32x4.add(v128.load(o), f32x4.mul(xs, d0)));
        v128.store(o, f32x4.add(v128.load(o, 16), f32x4.mul(xs, d1)), 16);
        v128.store(o, f32x4.add(v128.load(o, 32), f32x4.mul(xs, d2)), 32);
        v128.store(o, f32x4.add(v128.load(o, 48), f32x4.mul(xs, d3)), 48);
      }
    }
    for (; j < Np; j += 4) {
      const d0 = v128.load(dr + (<usize>j << 2));
      for (let t = 0; t < n; t++) {
        const o = out + (<usize>(load<i32>(idx + (<usize>t << 2)) * Np + j) << 2);
        v128.store(o, f32x4.add(v128.load(o), f32x4.mul(f32x4.splat(load<f32>(val + (<usize>t << 2))), d0)));
      }
    }
  }
}

/** out [M, K] = D·Wᵀ for D [M, Np], W [K, Np] (an input gradient). */
export function matmulNT(d: usize, w: usize, out: usize, M: i32, K: i32, Np: i32): void {
  for (let m = 0; m < M; m++) {
    const dr = d + (<usize>(m * Np) << 2);
    for (let k = 0; k < K; k++) {
      const wr = w + (<usize>(k * Np) << 2);
      let acc = f32x4.splat(0);
      for (let j = 0; j < Np; j += 4) {
        const b = <usize>j << 2;
        acc = f32x4.add(acc, f32x4.mul(v128.load(dr + b), v128.load(wr + b)));
      }
      store<f32>(out + (<usize>(m * K + k) << 2), hsum(acc));
    }
  }
}

/** Ohmic power per example: P_b = Σ_i V_bi²·Σ_j G_ij (G ≥ 0, zero in the padding); the row sums go to rowSum [R]. */
export function ohmicPower(v: usize, g: usize, rowSum: usize, power: usize, B: i32, R: i32, Cp: i32): void {
  for (let i = 0; i < R; i++) {
    const gr = g + (<usize>(i * Cp) << 2);
    let acc = f32x4.splat(0);
    for (let j = 0; j < Cp; j += 4) acc = f32x4.add(acc, v128.load(gr + (<usize>j << 2)));
    store<f32>(rowSum + (<usize>i << 2), hsum(acc));
  }
  for (let bb = 0; bb < B; bb++) {
    let p: f32 = 0;
    for (let i = 0; i < R; i++) {
      const x = load<f32>(v + (<usize>(bb * R + i) << 2));
      if (x == 0) continue;
      p += x * x * load<f32>(rowSum + (<usize>i << 2));
    }
    store<f32>(power + (<usize>bb << 2), p);
  }
}

/**
 * A signed DAC over a batch x [B][R] (the last column the bias input, 1): v = unit·x rounded to the
 * nearest multiple of `step` (half up, lib/tile/periphery's rule; step 0: no rounding) and clipped to
 * ±range. `unit` [B] receives the volts per input unit of each row: kV, or range/max(1, max|x|) when
 * `managed` (noise management). `pass` [B][R] receives 1 inside the range, 0 where clipped. Returns
 * how many inputs clipped.
 */
export function dacEncode(x: usize, v: usize, pass: usize, unit: usize, B: i32, R: i32, kV: f32, range: f32, step: f32, managed: bool): i32 {
  let clipped = 0;
  for (let bb = 0; bb < B; bb++) {
    const xr = x + (<usize>(bb * R) << 2), vr = v + (<usize>(bb * R) << 2), pr = pass + (<usize>(bb * R) << 2);
    let u1 = kV;
    let m: f32 = 1;
    if (managed) {
      for (let i = 0; i < R; i++) m = Mathf.max(m, Mathf.abs(load<f32>(xr + (<usize>i << 2))));
      u1 = range / m;
    }
    store<f32>(unit + (<usize>bb << 2), u1);
    for (let i = 0; i < R; i++) {
      const o = <usize>i << 2;
      // under noise management range·(x/m): the row's largest input lands exactly on ±range
      const u = managed ? range * (load<f32>(xr + o) / m) : u1 * load<f32>(xr + o);
      if (u > range || u < -range) {
        store<f32>(vr + o, u > range ? range : -range);
        store<f32>(pr + o, 0);
        clipped++;
        continue;
      }
      store<f32>(vr + o, step > 0 ? Mathf.min(range, Mathf.max(-range, Mathf.floor(u / step + 0.5) * step)) : u);
      store<f32>(pr + o, 1);
    }
  }
  return clipped;
}
