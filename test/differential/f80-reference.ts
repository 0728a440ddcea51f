// A high-precision reference for the x87 transcendentals, in BigInt
// arithmetic independent of the emulator's (f80-transcendental.ts): every
// function returns the exact value to about 250 significant bits, so a
// result's error in units in the last place (ulps) of the 64-bit
// significand can be measured, and the correctly rounded result named.
//
// Values are binary fractions N / 2^S (S may be negative) with N a BigInt.
// Series are summed in fixed point at a scale chosen from the magnitude of
// the result, so tiny arguments keep their relative precision.

/**
 * N / 2^S; `exact` when it is the exact value, else `bits` is its relative
 * precision (default 200).
 */
export interface Fixed {
  n: bigint;
  s: number;
  exact?: boolean;
  bits?: number;
}

/** An 80-bit extended value: significand with the explicit J bit, sign and biased exponent. */
export interface F80 {
  sig: bigint;
  se: number;
}

/** Working precision in bits. */
const P = 300;

const shift = (n: bigint, k: number): bigint => (k >= 0 ? n << BigInt(k) : n >> BigInt(-k));
const abs = (n: bigint): bigint => (n < 0n ? -n : n);
const bitLength = (n: bigint): number => abs(n).toString(2).length - (n === 0n ? 1 : 0);

/** The exact value of a finite extended value (unsupported encodings excluded by the caller). */
export function f80Value(v: F80): Fixed {
  const e = v.se & 0x7fff;
  const n = v.se & 0x8000 ? -v.sig : v.sig;
  return { n, s: 16383 + 63 - (e === 0 ? 1 : e), exact: true };
}

/** a at scale s. */
function at(a: Fixed, s: number): bigint {
  return shift(a.n, s - a.s);
}

/** floor(log2 |a|) for a non-zero value. */
function ilog2(a: Fixed): number {
  return bitLength(a.n) - 1 - a.s;
}

/** Fixed-point multiply and divide at scale s. */
const mulAt = (a: bigint, b: bigint, s: number) => (a * b) / (1n << BigInt(s));
const divAt = (a: bigint, b: bigint, s: number) => (a << BigInt(s)) / b;

// ---- constants ------------------------------------------------------------------------

/** atan(1/k) at scale s for an integer k >= 2 (Machin's terms). */
function atanInv(k: bigint, s: number): bigint {
  let term = (1n << BigInt(s)) / k;
  let sum = term;
  const k2 = k * k;
  for (let n = 1n; term !== 0n; n++) {
    term /= k2;
    sum += (n & 1n ? -term : term) / (2n * n + 1n);
  }
  return sum;
}

const PI_SCALE = P + 400;
/** pi = 16 atan(1/5) - 4 atan(1/239) (Machin), to PI_SCALE bits. */
const PI: bigint = 16n * atanInv(5n, PI_SCALE + 8) - 4n * atanInv(239n, PI_SCALE + 8) >> 8n;
/** pi to about 700 bits. */
export function pi(): Fixed {
  return { n: PI, s: PI_SCALE };
}
/** ln 2 = 2 atanh(1/3). */
const LN2: bigint = (2n * atanhAt((1n << BigInt(P + 64)) / 3n, P + 64)) >> 64n;

// ---- series ---------------------------------------------------------------------------

/** atanh(x) at scale s for |x| <= 1/2 (x at scale s). */
function atanhAt(x: bigint, s: number): bigint {
  const x2 = mulAt(x, x, s);
  let term = x;
  let sum = x;
  for (let n = 1n; term !== 0n; n++) {
    term = mulAt(term, x2, s);
    sum += term / (2n * n + 1n);
  }
  return sum;
}

/** Scale giving P significant bits for a value of magnitude about 2^e. */
const scaleFor = (e: number) => P - Math.min(e, 0);

/** sin and cos of x, |x| <= 1, at scale s (x at scale s). */
function sinCosAt(x: bigint, s: number): { sin: bigint; cos: bigint } {
  const x2 = mulAt(x, x, s);
  let term = x;
  let sin = x;
  for (let n = 1n; term !== 0n; n++) {
    term = -mulAt(term, x2, s) / ((2n * n) * (2n * n + 1n));
    sin += term;
  }
  const one = 1n << BigInt(s);
  term = one;
  let cos = one;
  for (let n = 1n; term !== 0n; n++) {
    term = -mulAt(term, x2, s) / ((2n * n - 1n) * (2n * n));
    cos += term;
  }
  return { sin, cos };
}

// ---- the functions --------------------------------------------------------------------

/** sin, cos and tan of a finite x with |x| < 2^63: exact reduction by pi/2. */
export function trig(x: Fixed): { sin: Fixed; cos: Fixed; tan: Fixed } {
  const negative = x.n < 0n;
  const e = ilog2(x);
  // r = |x| - k pi/2 at a scale with P bits below the smallest possible |r|
  // (about 2^-80), and for a tiny x P bits below x^3 (the first correction).
  const s = P + 90 + 3 * Math.max(0, -e);
  const halfPi = shift(PI, s - PI_SCALE) >> 1n;
  const xs = abs(at(x, s));
  const k = (2n * xs + halfPi) / (2n * halfPi);
  const r = xs - k * halfPi;
  const { sin: sr, cos: cr } = sinCosAt(r, s);
  const q = Number(k % 4n);
  const sin = [sr, cr, -sr, -cr][q];
  const cos = [cr, -sr, -cr, sr][q];
  const sign = negative ? -1n : 1n;
  const bits = 200 + 2 * Math.max(0, -e);
  return { sin: { n: sign * sin, s, bits }, cos: { n: cos, s, bits }, tan: { n: sign * divAt(sin, cos, s), s, bits } };
}

/** atan(t) for t >= 0 at scale s: halving t = t / (1 + sqrt(1 + t^2)) until small, then the series. */
function atanAt(t: bigint, s: number): bigint {
  const one = 1n << BigInt(s);
  let halvings = 0n;
  while (t > one >> 4n) {
    const root = sqrt(one * one + t * t);
    t = divAt(t, one + root, s);
    halvings++;
  }
  const t2 = mulAt(t, t, s);
  let term = t;
  let sum = t;
  for (let n = 1n; term !== 0n; n++) {
    term = -mulAt(term, t2, s);
    sum += term / (2n * n + 1n);
  }
  return sum << halvings;
}

function sqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** atan2(y, x): the angle of the point (x, y), for finite non-zero x and y. */
export function atan2(y: Fixed, x: Fixed): Fixed {
  const ey = ilog2(y), ex = ilog2(x);
  const common = Math.max(y.s, x.s);
  const swap = ey > ex || (ey === ex && abs(at(y, common)) > abs(at(x, common)));
  const absY = { n: abs(y.n), s: y.s }, absX = { n: abs(x.n), s: x.s };
  const [num, den] = swap ? [absX, absY] : [absY, absX];
  const et = ilog2(num) - ilog2(den);
  // P bits below t^3, atan's first correction.
  const s = P + 10 + 3 * Math.max(0, 1 - et);
  // t = num / den at scale s, computed exactly at a common scale.
  const t = (at(num, common) << BigInt(s)) / at(den, common);
  let a = atanAt(t, s);
  const halfPi = shift(PI, s - PI_SCALE) >> 1n;
  if (swap) a = halfPi - a;
  if (x.n < 0n) a = 2n * halfPi - a;
  return { n: y.n < 0n ? -a : a, s, bits: 200 + (swap || x.n < 0n ? 0 : 2 * Math.max(0, -et)) };
}

/** ln of a positive rational num / den with a relative precision of about P bits. */
function lnRatio(num: bigint, den: bigint): Fixed {
  // ln(q) = k ln 2 + 2 atanh((m - 1) / (m + 1)), m = q / 2^k in [0.75, 1.5).
  let k = bitLength(num) - bitLength(den);
  const inRange = (kk: number) => ({ n: kk < 0 ? num << BigInt(-kk) : num, d: kk > 0 ? den << BigInt(kk) : den });
  let { n, d } = inRange(k);
  while (4n * n >= 6n * d) { k++; ({ n, d } = inRange(k)); }
  while (4n * n < 3n * d) { k--; ({ n, d } = inRange(k)); }
  // s = (n - d) / (n + d), exact rational; scale from its magnitude.
  const sn = n - d, sd = n + d;
  const es = sn === 0n ? 0 : bitLength(sn) - bitLength(sd);
  const s = scaleFor(Math.min(es, 0) - 2) + 10;
  const atanh = sn === 0n ? 0n : atanhAt((sn << BigInt(s)) / sd, s);
  const ln2 = shift(LN2, s - P);
  return { n: 2n * atanh + BigInt(k) * ln2, s };
}

/** log2 of a positive finite x; exact (an integer) when x is a power of two. */
export function log2(x: Fixed): Fixed {
  const [num, den] = x.s >= 0 ? [x.n, 1n << BigInt(x.s)] : [x.n << BigInt(-x.s), 1n];
  if ((num & (num - 1n)) === 0n && (den & (den - 1n)) === 0n) {
    return { n: BigInt(bitLength(num) - bitLength(den)), s: 0, exact: true };
  }
  return divideByLn2(lnRatio(num, den));
}

/** log2(1 + x) for x > -1. */
export function log2p1(x: Fixed): Fixed {
  const den = x.s >= 0 ? 1n << BigInt(x.s) : 1n;
  const num = (x.s >= 0 ? x.n : x.n << BigInt(-x.s)) + den;
  if ((num & (num - 1n)) === 0n && (den & (den - 1n)) === 0n) {
    return { n: BigInt(bitLength(num) - bitLength(den)), s: 0, exact: true };
  }
  return divideByLn2(lnRatio(num, den));
}

function divideByLn2(ln: Fixed): Fixed {
  const ln2 = shift(LN2, ln.s - P);
  return { n: divAt(ln.n, ln2, ln.s), s: ln.s };
}

/** 2^x - 1 for |x| <= 1; exact at x = +-1. */
export function exp2m1(x: Fixed): Fixed {
  const xs = at(x, 200);
  if (xs === 1n << 200n) return { n: 1n, s: 0, exact: true };
  if (xs === -(1n << 200n)) return { n: -1n, s: 1, exact: true };
  const s = scaleFor(ilog2(x)) + 10;
  const z = mulAt(at(x, s), shift(LN2, s - P), s);
  let term = z;
  let sum = z;
  for (let n = 2n; term !== 0n; n++) {
    term = mulAt(term, z, s) / n;
    sum += term;
  }
  return { n: sum, s };
}

/** a * b. */
export function multiply(a: Fixed, b: Fixed): Fixed {
  return { n: a.n * b.n, s: a.s + b.s, exact: a.exact && b.exact, bits: Math.min(a.bits ?? (a.exact ? 1e9 : 200), b.bits ?? (b.exact ? 1e9 : 200)) };
}

// ---- comparing results ---------------------------------------------------------------

/** The ulp of the extended format at the magnitude of a non-zero value (denormals: 2^-16445). */
function ulpExponent(v: Fixed): number {
  return Math.max(ilog2(v), -16382) - 63;
}

/** (value - ref) in ulps of ref's binade, as a double. */
export function ulpError(value: F80, ref: Fixed): number {
  const v = f80Value(value);
  const u = ulpExponent(ref);
  const s = Math.max(v.s, ref.s, -u) + 8;
  const diff = at(v, s) - at(ref, s);
  // diff / 2^s / 2^u
  const k = s + u;
  const scaled = shift(diff, 60 - k);
  return Number(scaled) / 2 ** 60;
}

/** Whether ref is (numerically) exactly the value of v. */
export function sameValue(v: F80, ref: Fixed): boolean {
  const a = f80Value(v);
  const s = Math.max(a.s, ref.s);
  return at(a, s) === at(ref, s);
}

/**
 * The extended values a correct rounding of ref by RC (0 nearest, 1 down,
 * 2 up, 3 toward zero) may give: one, or both neighbours when ref is within
 * its own uncertainty (2^-bits, relative) of a rounding boundary.
 */
export function correctRoundings(ref: Fixed, rc: number): F80[] {
  if (ref.exact) return [roundTo(ref, rc)];
  const out: F80[] = [];
  const slack = ref.n === 0n ? 0n : 1n << BigInt(Math.max(0, bitLength(ref.n) - (ref.bits ?? 200)));
  for (const d of slack === 0n ? [0n] : [-slack, slack]) {
    const r = roundTo({ n: ref.n + d, s: ref.s }, rc);
    if (!out.some((o) => o.sig === r.sig && o.se === r.se)) out.push(r);
  }
  return out;
}

/** Rounds a non-zero value to the extended format (64-bit significand, denormals, overflow to infinity or max). */
export function roundTo(v: Fixed, rc: number): F80 {
  const neg = v.n < 0n;
  const mag = abs(v.n);
  const u = ulpExponent(v);
  // value / 2^u = integer part q and a remainder
  const k = v.s + u; // value / 2^u = mag / 2^k
  let q = shift(mag, -k);
  const exact = shift(q, k) === mag;
  const rem2 = k > 0 ? (mag - (q << BigInt(k))) * 2n : 0n; // compare with 2^k
  const half = k > 0 ? 1n << BigInt(k) : 1n;
  let up = false;
  if (!exact) {
    if (rc === 0) up = rem2 > half || (rem2 === half && (q & 1n) === 1n);
    else if (rc === 1) up = neg;
    else if (rc === 2) up = !neg;
  }
  if (up) q += 1n;
  let e = u + 63 + 16383; // biased exponent when q has 64 bits
  if (q >= 1n << 64n) { q >>= 1n; e++; }
  if (q < 1n << 63n) e = 0; // denormal (only when u is the denormal ulp)
  if (e >= 0x7fff) {
    const toInf = rc === 0 || (rc === 1 && neg) || (rc === 2 && !neg);
    return toInf ? { sig: 1n << 63n, se: (neg ? 0x8000 : 0) | 0x7fff } : { sig: (1n << 64n) - 1n, se: (neg ? 0x8000 : 0) | 0x7ffe };
  }
  return { sig: q, se: (neg ? 0x8000 : 0) | e };
}

/** Whether the magnitude of v exceeds that of ref (the x87's C1 "rounded up"). */
export function roundedUp(v: F80, ref: Fixed): boolean {
  const a = f80Value(v);
  const s = Math.max(a.s, ref.s);
  return abs(at(a, s)) > abs(at(ref, s));
}
