// The x87 transcendental functions (manual Vol. 2: FSIN, FCOS, FSINCOS,
// FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1; Vol. 1, 8.3.10), with the special
// operands and flags of each page's tables as the host measures them.
//
// Accuracy: every finite result is computed in 128-bit working precision
// (f80-wide.ts; 192 bits for atan of a tiny y / x) and rounded once by RC,
// so it is correctly rounded except when the exact value lies within about
// 2^-120 of a rounding boundary; a correctly rounded result is never less
// accurate than the hardware's. The argument of fsin/fcos/fsincos/fptan is
// reduced modulo pi/2 exactly (a 256-bit pi/2), where the hardware reduces
// with a 66-bit pi (Vol. 1, 8.3.8; the AMD host does the same: fsin of the
// extended pi gives -2^-64) and so loses all accuracy near multiples of
// pi/2: there our results differ from the hardware's, being right. The
// hardware reports PE for every computed result, also the few exact ones
// (f2xm1 of +-1, fyl2x of a power of two): so do we. Where the manual
// leaves a result undefined (f2xm1 of |x| > 1, fyl2xp1 of x <= -1) we give
// what the host gives: x itself, with PE.
//
// Results go to SIG / SE (and TR_SIG2 / TR_SE2 for the second result of
// fsincos); flags to EXC; UP is C1 (rounded up). The precision control does
// not apply (Vol. 1, 8.1.5.2: only add, subtract, multiply, divide, sqrt).

import {
  PE, UE, ZE, DE, UP, SIG, SE, classify, isNaNClass, invalid, result, roundPack, propagateNaN, raise, setUp,
  K_ZERO, K_DENORMAL, K_INF, K_UNSUPPORTED,
} from './f80';
import {
  W_HI, W_LO, F_SIGN, F_HI, F_LO, F_EXP, F_ZERO, F_EXTRA, F_EXTRA_STICKY, F_LO_EXACT, ONE_HI, mulWide, mulQ, divSmall,
  subQ, addQ, shrJam, normalize, fmul, fadd, fdiv,
} from './f80-wide';

const BIAS: i32 = 16383;
const J: u64 = 0x8000000000000000;

// ---- constants (floor of the exact value; Q127 unless named otherwise) -------------
const PIO2_HI: u64 = 0xc90fdaa22168c234, PIO2_LO: u64 = 0xc4c6628b80dc1cd1;
/** pi in Q126 (the same bits as pi/2 in Q127). */
const PI_HI: u64 = 0xc90fdaa22168c234, PI_LO: u64 = 0xc4c6628b80dc1cd1;
const PIO4_HI: u64 = 0x6487ed5110b4611a, PIO4_LO: u64 = 0x62633145c06e0e68;
/** 3 pi / 4 in Q126. */
const PI3O4_HI: u64 = 0x96cbe3f9990e91a7, PI3O4_LO: u64 = 0x9394c9e8a0a5159c;
const TWO_OVER_PI_HI: u64 = 0x517cc1b727220a94, TWO_OVER_PI_LO: u64 = 0xfe13abe8fa9a6ee0;
/** ln 2 normalized: (hi:lo) / 2^127 * 2^-1. */
const LN2_HI: u64 = 0xb17217f7d1cf79ab, LN2_LO: u64 = 0xc9e3b39803f2f6ae;
/** log2(e) normalized: (hi:lo) / 2^127. */
const LOG2E_HI: u64 = 0xb8aa3b295c17f0bb, LOG2E_LO: u64 = 0xbe87fed0691d3e88;
/** sqrt(2) truncated to 64 bits (J at bit 63). */
const SQRT2_SIG: u64 = 0xb504f333f9de6484;
/** pi/2 with 255 fraction bits, little-endian limbs: the exact reduction. */
const PIO2_256: StaticArray<u64> = [0x020bbea63b139b22, 0x29024e088a67cc74, 0xc4c6628b80dc1cd1, 0xc90fdaa22168c234];
/** atan(j / 16), j = 0..16, Q127 (hi, lo pairs). */
const ATAN_J16: StaticArray<u64> = [
  0x0000000000000000, 0x0000000000000000, 0x07fd56edcb3f7a71, 0xb6593c96e071706a,
  0x0feadd4d5617b6e3, 0x2c897989f3e888ef, 0x17b97b4bce5b0226, 0x8f6169f103938e90,
  0x1f5b75f92c80dd62, 0xadb8f3debef442fc, 0x26c4ee6e0fd7979a, 0x716aed26349ebcca,
  0x2dec3283c9bde11c, 0xe2a8c848b73f9120, 0x34c9dd879847f96d, 0x909f257a40079c4d,
  0x3b58ce0ac3769ed1, 0x5bf9117b2f0ea340, 0x4195fa536cc33f15, 0x25b504e5b0d28ae0,
  0x47802eaf7bfacfcd, 0xae41af0b32e21ba3, 0x4d17c07338deed10, 0x21137c711027f9de,
  0x525e3e8c9a7b8492, 0x0cd43f9522bed64f, 0x5756261c5a6c6040, 0x0a392f179f290385,
  0x5c029f15e118cf39, 0xe596d2a90852221e, 0x606742dc56293320, 0x44eeb16237497d12,
  0x6487ed5110b4611a, 0x62633145c06e0e68,
];

/** Below this exponent a series' correction term is computed apart (it would vanish in Q127). */
const SMALL_EXP: i32 = -40;

// ---- results ------------------------------------------------------------------------
/** fsincos: the sine (st(1)); SIG / SE hold the cosine. */
export let TR_SIG2: u64 = 0;
export let TR_SE2: u32 = 0;
/** fsin/fcos/fsincos/fptan: |x| >= 2^63, C2 set and the operand unchanged. */
export let TR_OUT_OF_RANGE: bool = false;

/**
 * DE is unmasked: a denormal operand stops the instruction before it
 * computes anything (no PE, no C1), as on the host (Vol. 1, 8.5).
 */
let STOP_ON_DE: bool = false;
export function setDenormalStops(v: bool): void { STOP_ON_DE = v; }

/** Raises DE for a denormal operand; true when that stops the instruction. */
function denormalStops(): bool {
  raise(DE);
  return STOP_ON_DE;
}

/** Rounds the float F_* once to the extended format (64 bits, RC) and reports PE. */
function roundFloat(exact: bool): void {
  let lo = F_LO;
  if (!exact) lo |= 1;
  roundPack(F_SIGN, F_EXP + BIAS, F_HI, lo, 64);
  // The hardware flags every computed result inexact, exact ones too; an
  // exact denormal result then also counts as an underflow.
  raise(PE);
  if (exact && (SE & 0x7fff) == 0 && SIG != 0) raise(UE);
}

/** A Q127 (or Q126, q126) fixed-point value as the float F_*. */
@inline function fixedToFloat(sign: u32, hi: u64, lo: u64, q126: bool): void {
  normalize(sign, hi, lo, q126 ? 1 : 0);
}

// Operand of the functions, unpacked: x = X_SIG * 2^(X_EXP - 63), X_SIG normalized.
let X_SIG: u64 = 0;
let X_EXP: i32 = 0;

function unpackOperand(sig: u64, se: u32): void {
  const e = <i32>(se & 0x7fff);
  if (e == 0) {
    const s = <i32>clz<u64>(sig);
    X_SIG = sig << <u64>s;
    X_EXP = 1 - s - BIAS;
  } else {
    X_SIG = sig;
    X_EXP = e - BIAS;
  }
}

// ---- argument reduction (fsin, fcos, fsincos, fptan) ---------------------------------
// r = x - k pi/2 for k the nearest integer to x / (pi/2), as the float R_*.
let R_SIGN: u32 = 0;
let R_HI: u64 = 0;
let R_LO: u64 = 0;
let R_EXP: i32 = 0;
let R_Q: u32 = 0;

// Two 320-bit numbers, five little-endian u64 limbs each (static data: no allocation).
const RED: usize = memory.data(40, 8);
const PROD: usize = memory.data(40, 8);
@inline function red(i: i32): u64 { return load<u64>(RED + (<usize>i << 3)); }
@inline function setRed(i: i32, v: u64): void { store<u64>(RED + (<usize>i << 3), v); }
@inline function prod(i: i32): u64 { return load<u64>(PROD + (<usize>i << 3)); }
@inline function setProd(i: i32, v: u64): void { store<u64>(PROD + (<usize>i << 3), v); }

/** The 64 bits of RED whose highest is bit `top`. */
function redWindow(top: i32): u64 {
  const low = top - 63;
  if (low < 0) return red(0) << <u64>(-low);
  const li = low >> 6, sh = low & 63;
  let v = red(li) >> <u64>sh;
  if (sh != 0 && li + 1 <= 4) v |= red(li + 1) << <u64>(64 - sh);
  return v;
}

/** Reduces x = sig * 2^(ex - 63) > 0, ex <= 62, exactly. */
function reduce(sig: u64, ex: i32): void {
  R_SIGN = 0;
  if (ex < -1) { R_HI = sig; R_LO = 0; R_EXP = ex; R_Q = 0; return; }
  // k = round(x * 2/pi) from a 128-bit 2/pi: off by one at worst, which only
  // leaves |r| a little over pi/4.
  mulWide(sig, TWO_OVER_PI_LO);
  const a1 = W_HI;
  mulWide(sig, TWO_OVER_PI_HI);
  const pr1 = W_LO + a1;
  const pr2 = W_HI + (pr1 < a1 ? 1 : 0);
  // x * 2/pi = (pr2:pr1:...) * 2^(ex - 190)
  const sh1 = 125 - ex;
  const q = sh1 >= 64 ? pr2 >> <u64>(sh1 - 64) : (pr2 << 1) | (pr1 >> 63);
  const k = (q + 1) >> 1;
  R_Q = <u32>(k & 3);
  // D = x * 2^255 - k * (pi/2 * 2^255), 320 bits.
  for (let i = 0; i < 5; i++) setRed(i, 0);
  const s = ex + 192;
  const li = s >> 6, bit = s & 63;
  setRed(li, sig << <u64>bit);
  if (bit != 0) setRed(li + 1, sig >> <u64>(64 - bit));
  let carry: u64 = 0;
  for (let i = 0; i < 4; i++) {
    mulWide(k, unchecked(PIO2_256[i]));
    const lo = W_LO + carry;
    setProd(i, lo);
    carry = W_HI + (lo < carry ? 1 : 0);
  }
  setProd(4, carry);
  let borrow: u64 = 0;
  for (let i = 0; i < 5; i++) {
    const a = red(i), b = prod(i);
    const d = a - b - borrow;
    borrow = a < b || (a == b && borrow != 0) ? 1 : 0;
    setRed(i, d);
  }
  if (borrow != 0) {
    // Negative: two's complement.
    R_SIGN = 1;
    let c: u64 = 1;
    for (let i = 0; i < 5; i++) {
      const v = ~red(i) + c;
      c = c != 0 && v == 0 ? 1 : 0;
      setRed(i, v);
    }
  }
  let top = -1;
  for (let i = 4; i >= 0; i--) {
    const v = red(i);
    if (v != 0) { top = i * 64 + 63 - <i32>clz<u64>(v); break; }
  }
  if (top < 0) { R_HI = 0; R_LO = 0; R_EXP = -1000; return; } // not reachable: pi/2 is irrational
  R_HI = redWindow(top);
  R_LO = top >= 64 ? redWindow(top - 64) : 0;
  R_EXP = top - 255;
}

// ---- series (Q127 Horner schemes) -------------------------------------------------

/** z = r^2 in Q127 for the float r = (hi:lo) * 2^(e - 127), e <= -1. */
function squareFixed(hi: u64, lo: u64, e: i32): void {
  fmul(0, hi, lo, e, 0, hi, lo, e);
  // F = r^2 with exponent F_EXP <= -1: Q127 is F >> -F_EXP.
  shrJam(F_HI, F_LO, -F_EXP);
}

/** sin r / r = 1 - z/(2*3) (1 - z/(4*5) (1 - ...)), z = r^2 <= 0.62: 17 terms reach 2^-140. */
function sinFactor(zh: u64, zl: u64): void {
  let ah = ONE_HI, al: u64 = 0;
  for (let n: u64 = 17; n >= 1; n--) {
    mulQ(zh, zl, ah, al);
    divSmall(W_HI, W_LO, (2 * n) * (2 * n + 1));
    subQ(ONE_HI, 0, W_HI, W_LO);
    ah = W_HI; al = W_LO;
  }
  W_HI = ah; W_LO = al;
}

/** cos r = 1 - z/(1*2) (1 - z/(3*4) (1 - ...)). */
function cosFactor(zh: u64, zl: u64): void {
  let ah = ONE_HI, al: u64 = 0;
  for (let n: u64 = 17; n >= 1; n--) {
    mulQ(zh, zl, ah, al);
    divSmall(W_HI, W_LO, (2 * n - 1) * (2 * n));
    subQ(ONE_HI, 0, W_HI, W_LO);
    ah = W_HI; al = W_LO;
  }
  W_HI = ah; W_LO = al;
}

/**
 * The odd-power series 1 -+ z/3 + z^2/5 -+ ... of `terms` terms, by Horner
 * from the last: atan(t) / t with alternating signs (z = t^2), atanh(s) / s
 * without (z = s^2).
 */
function oddPowerSeries(zh: u64, zl: u64, terms: i32, alternating: bool): void {
  divSmall(ONE_HI, 0, <u64>(2 * terms + 1));
  let ah = W_HI, al = W_LO;
  for (let n: i32 = terms - 1; n >= 0; n--) {
    mulQ(zh, zl, ah, al);
    const th = W_HI, tl = W_LO;
    divSmall(ONE_HI, 0, <u64>(2 * n + 1));
    if (alternating) subQ(W_HI, W_LO, th, tl);
    else addQ(W_HI, W_LO, th, tl);
    ah = W_HI; al = W_LO;
  }
  W_HI = ah; W_LO = al;
}

/** atan(t) / t = 1 - z/3 + z^2/5 - ..., z = t^2 <= 2^-10: 13 terms reach 2^-130. */
function atanFactor(zh: u64, zl: u64): void {
  oddPowerSeries(zh, zl, 13, true);
}

/** atanh(s) / s = 1 + z/3 + z^2/5 + ..., z = s^2 <= 0.0295: 25 terms reach 2^-128. */
function atanhFactor(zh: u64, zl: u64): void {
  oddPowerSeries(zh, zl, 25, false);
}

/** (e^z - 1) / z = 1 + z/2 (1 + z/3 (1 + ...)), |z| <= ln 2: 32 terms reach 2^-139. */
function expm1Factor(zh: u64, zl: u64, negative: bool): void {
  let ah = ONE_HI, al: u64 = 0;
  for (let n: u64 = 32; n >= 2; n--) {
    mulQ(zh, zl, ah, al);
    divSmall(W_HI, W_LO, n);
    if (negative) subQ(ONE_HI, 0, W_HI, W_LO);
    else addQ(ONE_HI, 0, W_HI, W_LO);
    ah = W_HI; al = W_LO;
  }
  W_HI = ah; W_LO = al;
}

// Saved floats (the helpers all write F_*).
let S_SIGN: u32 = 0, S_HI: u64 = 0, S_LO: u64 = 0, S_EXP: i32 = 0;
@inline function save(): void { S_SIGN = F_SIGN; S_HI = F_HI; S_LO = F_LO; S_EXP = F_EXP; }

/** r + c r^3 (c = 1/3 or -1/6, as divisor d and sign) for a small r: the correction kept apart. */
function cubicCorrection(d: u64, negative: bool): void {
  fmul(0, R_HI, R_LO, R_EXP, 0, R_HI, R_LO, R_EXP);
  fmul(0, F_HI, F_LO, F_EXP, 0, R_HI, R_LO, R_EXP);
  const e = F_EXP;
  divSmall(F_HI, F_LO, d);
  normalize(0, W_HI, W_LO, e);
  fadd(R_SIGN, R_HI, R_LO, R_EXP, R_SIGN ^ (negative ? 1 : 0), F_HI, F_LO, F_EXP);
}

/** sin r as the float F_*. */
function sinReduced(): void {
  if (R_EXP < SMALL_EXP) { cubicCorrection(6, true); return; }
  squareFixed(R_HI, R_LO, R_EXP);
  sinFactor(W_HI, W_LO);
  normalize(0, W_HI, W_LO, 0);
  fmul(R_SIGN, R_HI, R_LO, R_EXP, 0, F_HI, F_LO, F_EXP);
}

/** cos r as the float F_*. */
function cosReduced(): void {
  if (R_EXP < SMALL_EXP) {
    // 1 - r^2/2
    fmul(0, R_HI, R_LO, R_EXP, 0, R_HI, R_LO, R_EXP);
    fadd(0, ONE_HI, 0, 0, 1, F_HI, F_LO, F_EXP - 1);
    return;
  }
  squareFixed(R_HI, R_LO, R_EXP);
  cosFactor(W_HI, W_LO);
  normalize(0, W_HI, W_LO, 0);
}

/** tan r (odd: false) or -1/tan r (odd: true) as the float F_*. */
function tanReduced(odd: bool): void {
  if (!odd && R_EXP < SMALL_EXP) { cubicCorrection(3, false); return; }
  sinReduced();
  save();
  cosReduced();
  if (odd) fdiv(F_SIGN ^ 1, F_HI, F_LO, F_EXP, S_SIGN, S_HI, S_LO, S_EXP);
  else fdiv(S_SIGN, S_HI, S_LO, S_EXP, F_SIGN, F_HI, F_LO, F_EXP);
}

// ---- special operands --------------------------------------------------------------

/**
 * The checks of a one-operand function: unsupported and infinite operands
 * are invalid, NaNs propagate, a denormal raises DE. Returns true when SIG /
 * SE already hold the result.
 */
function unarySpecials(sig: u64, se: u32, k: u32): bool {
  if (k == K_UNSUPPORTED) { invalid(); return true; }
  if (isNaNClass(k)) { propagateNaN(sig, se, k, sig, se, k); return true; }
  return k == K_DENORMAL && denormalStops();
}

/** Whether |x| >= 2^63, the limit of fsin, fcos, fsincos and fptan (Vol. 2, FSIN). */
@inline function outOfRange(se: u32): bool { return <i32>(se & 0x7fff) - BIAS >= 63; }

// ---- fsin, fcos, fsincos, fptan -------------------------------------------------------

/** Which of sin and cos `sinCos` computes. */
export const WANT_SIN: u32 = 1;
export const WANT_COS: u32 = 2;

/**
 * sin x (SIG / SE) and / or cos x (fsincos: sin in TR_SIG2 / TR_SE2, cos in
 * SIG / SE; C1 is the sine's rounding, as on the host). Infinities are
 * invalid; |x| >= 2^63 sets TR_OUT_OF_RANGE.
 */
export function sinCos(sig: u64, se: u32, want: u32): void {
  UP_RESET();
  TR_OUT_OF_RANGE = false;
  const k = classify(sig, se);
  if (k == K_INF) { invalid(); copyToSecond(); return; }
  if (unarySpecials(sig, se, k)) { copyToSecond(); return; }
  if (k == K_ZERO) {
    // sin(+-0) = +-0, cos(+-0) = 1, exactly.
    if (want == WANT_SIN) { result(sig, se); return; }
    TR_SIG2 = sig; TR_SE2 = se;
    result(J, <u32>BIAS);
    return;
  }
  if (outOfRange(se)) { TR_OUT_OF_RANGE = true; return; }
  const negative = (se >> 15) != 0;
  unpackOperand(sig, se);
  reduce(X_SIG, X_EXP);
  const q = R_Q;
  let up = false;
  if ((want & WANT_SIN) != 0) {
    // sin(r + q pi/2): sin r, cos r, -sin r, -cos r
    if ((q & 1) == 0) sinReduced(); else cosReduced();
    if ((q & 2) != 0) F_SIGN ^= 1;
    if (negative) F_SIGN ^= 1;
    roundFloat(false);
    up = UP;
    TR_SIG2 = SIG; TR_SE2 = SE;
  }
  if ((want & WANT_COS) != 0) {
    // cos(r + q pi/2): cos r, -sin r, -cos r, sin r
    if ((q & 1) == 0) cosReduced(); else sinReduced();
    if (q == 1 || q == 2) F_SIGN ^= 1;
    roundFloat(false);
  }
  if (want == WANT_SIN) result(TR_SIG2, TR_SE2);
  else if (want == (WANT_SIN | WANT_COS)) setUp(up);
}

/** fsincos and fptan push a copy of a NaN or indefinite result. */
function copyToSecond(): void { TR_SIG2 = SIG; TR_SE2 = SE; }

/** tan x (fptan), and in TR_SIG2 / TR_SE2 what fptan pushes: 1.0, or a copy of a NaN result. */
export function tan(sig: u64, se: u32): void {
  UP_RESET();
  TR_OUT_OF_RANGE = false;
  TR_SIG2 = J;
  TR_SE2 = <u32>BIAS;
  const k = classify(sig, se);
  if (k == K_INF) { invalid(); copyToSecond(); return; }
  if (unarySpecials(sig, se, k)) { copyToSecond(); return; }
  if (k == K_ZERO) { result(sig, se); return; }
  if (outOfRange(se)) { TR_OUT_OF_RANGE = true; return; }
  const negative = (se >> 15) != 0;
  unpackOperand(sig, se);
  reduce(X_SIG, X_EXP);
  tanReduced((R_Q & 1) != 0);
  if (negative) F_SIGN ^= 1;
  roundFloat(false);
}

// ---- f2xm1 ------------------------------------------------------------------------------

/**
 * 2^x - 1 (Vol. 2, F2XM1, defined for -1 <= x <= +1). Outside that range the
 * host returns x itself with PE; 2^(+inf) - 1 = +inf, 2^(-inf) - 1 = -1.
 */
export function exp2m1(sig: u64, se: u32): void {
  UP_RESET();
  const k = classify(sig, se);
  if (unarySpecials(sig, se, k)) return;
  const negative = (se >> 15) != 0;
  if (k == K_INF) { result(negative ? J : sig, negative ? 0xbfff : se); return; }
  if (k == K_ZERO) { result(sig, se); return; }
  const e = <i32>(se & 0x7fff) - BIAS;
  if (e > 0 || (e == 0 && sig != J)) { result(sig, se); raise(PE); return; }
  if (e == 0) {
    // 2^1 - 1 = 1, 2^-1 - 1 = -1/2: exact.
    normalize(negative ? 1 : 0, J, 0, negative ? -1 : 0);
    roundFloat(true);
    return;
  }
  unpackOperand(sig, se);
  // z = x ln 2, |z| < ln 2.
  fmul(negative ? 1 : 0, X_SIG, 0, X_EXP, 0, LN2_HI, LN2_LO, -1);
  save();
  shrJam(F_HI, F_LO, -F_EXP);
  expm1Factor(W_HI, W_LO, negative);
  normalize(0, W_HI, W_LO, 0);
  fmul(S_SIGN, S_HI, S_LO, S_EXP, 0, F_HI, F_LO, F_EXP);
  roundFloat(false);
}

// ---- logarithms ----------------------------------------------------------------------------
let L_EXACT: bool = false;

/**
 * 2 atanh(s) log2(e) = log2((1 + s) / (1 - s)) for the float s (|s| <= 0.172)
 * in S_*, as the float F_*.
 */
function log2FromAtanh(): void {
  fmul(0, S_HI, S_LO, S_EXP, 0, S_HI, S_LO, S_EXP);
  shrJam(F_HI, F_LO, -F_EXP);
  atanhFactor(W_HI, W_LO);
  normalize(0, W_HI, W_LO, 0);
  fmul(S_SIGN, S_HI, S_LO, S_EXP + 1, 0, F_HI, F_LO, F_EXP);
  fmul(F_SIGN, F_HI, F_LO, F_EXP, 0, LOG2E_HI, LOG2E_LO, 0);
}

/**
 * log2 of the positive float m = (hi:lo) * 2^(e - 127) as the float F_*;
 * L_EXACT when m is a power of two (F_ZERO when it is 1).
 */
function log2Float(hi: u64, lo: u64, e: i32): void {
  let k = e;
  // m in [sqrt(1/2), sqrt(2)): m - 1 and m + 1 in Q127 / Q126.
  let mh = hi, ml = lo;
  if (hi > SQRT2_SIG) { shrJam(hi, lo, 1); mh = W_HI; ml = W_LO; k++; }
  let ns: u32 = 0;
  let nh: u64, nl: u64;
  if (mh >= ONE_HI) { subQ(mh, ml, ONE_HI, 0); nh = W_HI; nl = W_LO; }
  else { subQ(ONE_HI, 0, mh, ml); nh = W_HI; nl = W_LO; ns = 1; }
  L_EXACT = (nh | nl) == 0;
  if (L_EXACT) {
    if (k == 0) { normalize(0, 0, 0, 0); return; }
    const a: u64 = k < 0 ? <u64>(-k) : <u64>k;
    normalize(k < 0 ? 1 : 0, a, 0, 63);
    return;
  }
  // s = (m - 1) / (m + 1)
  shrJam(mh, ml, 1);
  addQ(W_HI, W_LO, ONE_HI >> 1, 0);
  const dh = W_HI, dl = W_LO;
  normalize(0, dh, dl, 1);
  const de = F_EXP, dH = F_HI, dL = F_LO;
  normalize(ns, nh, nl, 0);
  fdiv(F_SIGN, F_HI, F_LO, F_EXP, 0, dH, dL, de);
  save();
  log2FromAtanh();
  if (k != 0) {
    const fs = F_SIGN, fh = F_HI, fl = F_LO, fe = F_EXP;
    const a: u64 = k < 0 ? <u64>(-k) : <u64>k;
    normalize(k < 0 ? 1 : 0, a, 0, 63);
    fadd(F_SIGN, F_HI, F_LO, F_EXP, fs, fh, fl, fe);
  }
}

/** Sign of log2 x for a positive finite x other than 1: 1 when x < 1. */
@inline function logSign(se: u32): u32 { return <i32>(se & 0x7fff) < BIAS ? 1 : 0; }

/**
 * y log2 x (Vol. 2, FYL2X and its table of special operands): x < 0 is
 * invalid, x = +-0 divides by zero, 0 * inf and inf * 0 are invalid.
 */
export function ylog2x(ySig: u64, ySe: u32, xSig: u64, xSe: u32): void {
  UP_RESET();
  const kx = classify(xSig, xSe), ky = classify(ySig, ySe);
  if (kx == K_UNSUPPORTED || ky == K_UNSUPPORTED) { invalid(); return; }
  if (isNaNClass(kx) || isNaNClass(ky)) { propagateNaN(xSig, xSe, kx, ySig, ySe, ky); return; }
  const xNeg = (xSe >> 15) != 0, ys = ySe >> 15;
  if (xNeg && kx != K_ZERO) { invalid(); return; }
  if (kx == K_ZERO) {
    if (ky == K_ZERO) { invalid(); return; }
    // log2(0) = -inf: y finite raises ZE (a denormal y no DE).
    if (ky != K_INF) raise(ZE);
    result(J, ((ys ^ 1) << 15) | 0x7fff);
    return;
  }
  if ((kx == K_DENORMAL || ky == K_DENORMAL) && denormalStops()) return;
  const isOne = xSig == J && (xSe & 0x7fff) == <u32>BIAS;
  if (kx == K_INF) {
    if (ky == K_ZERO) { invalid(); return; }
    result(J, (ys << 15) | 0x7fff);
    return;
  }
  if (ky == K_INF) {
    if (isOne) { invalid(); return; }
    result(J, ((ys ^ logSign(xSe)) << 15) | 0x7fff);
    return;
  }
  if (ky == K_ZERO || isOne) {
    result(0, (ys ^ (isOne ? 0 : logSign(xSe))) << 15);
    return;
  }
  unpackOperand(xSig, xSe);
  log2Float(X_SIG, 0, X_EXP);
  multiplyByY(ySig, ySe);
}

/** F_* times y, rounded (exact when the logarithm was). */
function multiplyByY(ySig: u64, ySe: u32): void {
  const fs = F_SIGN, fh = F_HI, fl = F_LO, fe = F_EXP;
  const exact = L_EXACT;
  unpackOperand(ySig, ySe);
  fmul(ySe >> 15, X_SIG, 0, X_EXP, fs, fh, fl, fe);
  roundFloat(exact);
}

/**
 * y log2(x + 1) (Vol. 2, FYL2XP1, defined for |x| < 1 - sqrt(2)/2; the host
 * computes it for every x > -1 and returns x itself, with PE, for x <= -1).
 */
export function ylog2xp1(ySig: u64, ySe: u32, xSig: u64, xSe: u32): void {
  UP_RESET();
  const kx = classify(xSig, xSe), ky = classify(ySig, ySe);
  if (kx == K_UNSUPPORTED || ky == K_UNSUPPORTED) { invalid(); return; }
  if (isNaNClass(kx) || isNaNClass(ky)) { propagateNaN(xSig, xSe, kx, ySig, ySe, ky); return; }
  const xs = xSe >> 15, ys = ySe >> 15;
  if (kx == K_INF && xs != 0) { invalid(); return; }
  if ((kx == K_DENORMAL || ky == K_DENORMAL) && denormalStops()) return;
  if (kx == K_ZERO) {
    if (ky == K_INF) { invalid(); return; }
    result(0, (xs ^ ys) << 15);
    return;
  }
  if (kx == K_INF) {
    if (ky == K_ZERO) { invalid(); return; }
    result(J, (ys << 15) | 0x7fff);
    return;
  }
  if (ky == K_INF) { result(J, ((xs ^ ys) << 15) | 0x7fff); return; }
  if (ky == K_ZERO) { result(0, (xs ^ ys) << 15); return; }
  const xe = <i32>(xSe & 0x7fff) - BIAS;
  if (xs != 0 && xe >= 0) { result(xSig, xSe); raise(PE); return; } // x <= -1
  unpackOperand(xSig, xSe);
  if (X_EXP <= -3) {
    // |x| < 1/4: s = x / (2 + x), log2(1 + x) = 2 atanh(s) log2(e).
    const xh = X_SIG, xe2 = X_EXP;
    fadd(0, ONE_HI, 0, 1, xs, xh, 0, xe2);
    fdiv(xs, xh, 0, xe2, 0, F_HI, F_LO, F_EXP);
    save();
    log2FromAtanh();
    L_EXACT = false;
  } else {
    fadd(0, ONE_HI, 0, 0, xs, X_SIG, 0, X_EXP);
    log2Float(F_HI, F_LO, F_EXP);
  }
  multiplyByY(ySig, ySe);
}

// ---- fpatan -------------------------------------------------------------------------------

/** k pi/4 (k = 1, 2, 3, 4) with the sign s, rounded. */
function piQuarters(k: u32, s: u32): void {
  if (k == 1) fixedToFloat(s, PIO4_HI, PIO4_LO, false);
  else if (k == 2) fixedToFloat(s, PIO2_HI, PIO2_LO, false);
  else if (k == 3) fixedToFloat(s, PI3O4_HI, PI3O4_LO, true);
  else fixedToFloat(s, PI_HI, PI_LO, true);
  roundFloat(false);
}

/**
 * atan(y / x) in the quadrant of (x, y), the angle of the point (Vol. 2,
 * FPATAN and its table of special operands).
 */
export function atan2(ySig: u64, ySe: u32, xSig: u64, xSe: u32): void {
  UP_RESET();
  const kx = classify(xSig, xSe), ky = classify(ySig, ySe);
  if (kx == K_UNSUPPORTED || ky == K_UNSUPPORTED) { invalid(); return; }
  if (isNaNClass(kx) || isNaNClass(ky)) { propagateNaN(xSig, xSe, kx, ySig, ySe, ky); return; }
  if ((kx == K_DENORMAL || ky == K_DENORMAL) && denormalStops()) return;
  const xs = xSe >> 15, ys = ySe >> 15;
  if (ky == K_ZERO) {
    if (xs == 0) result(0, ys << 15);
    else piQuarters(4, ys);
    return;
  }
  if (kx == K_ZERO) { piQuarters(2, ys); return; }
  if (ky == K_INF) { piQuarters(kx != K_INF ? 2 : xs == 0 ? 1 : 3, ys); return; }
  if (kx == K_INF) {
    if (xs == 0) result(0, ys << 15);
    else piQuarters(4, ys);
    return;
  }
  unpackOperand(ySig, ySe);
  const yh = X_SIG, ye = X_EXP;
  unpackOperand(xSig, xSe);
  const xh = X_SIG, xe = X_EXP;
  const swap = ye > xe || (ye == xe && yh > xh);
  // t = min / max in (0, 1]
  if (swap) fdiv(0, xh, 0, xe, 0, yh, 0, ye, true);
  else fdiv(0, yh, 0, ye, 0, xh, 0, xe, true);
  const th = F_HI, tl = F_LO, te = F_EXP;
  if (!swap && xs == 0 && te < SMALL_EXP) { atanTiny(); F_SIGN = ys; roundFloat(false); return; }
  atanUnit(th, tl, te);
  // F_* is atan(t) >= 0.
  if (!swap && xs == 0) { F_SIGN = ys; roundFloat(false); return; }
  shrJam(F_HI, F_LO, -F_EXP);
  let ah = W_HI, al = W_LO;
  if (swap) { subQ(PIO2_HI, PIO2_LO, ah, al); ah = W_HI; al = W_LO; }
  if (xs != 0) {
    shrJam(ah, al, 1);
    subQ(PI_HI, PI_LO, W_HI, W_LO);
    fixedToFloat(ys, W_HI, W_LO, true);
  } else {
    fixedToFloat(ys, ah, al, false);
  }
  roundFloat(false);
}

/**
 * atan(t) = t - t^3/3 for the tiny quotient t that fdiv (with `extra`)
 * left in F_*: in 192 bits, because t = y / x may lie within 2^-128 of a
 * rounding boundary with t^3/3 as small as that distance (y = 1,
 * x = 2^63 - 1/2).
 */
function atanTiny(): void {
  const th = F_HI, tl = F_LO_EXACT, tx = F_EXTRA | (F_EXTRA_STICKY ? <u64>1 : 0), te = F_EXP;
  fmul(0, F_HI, F_LO, te, 0, F_HI, F_LO, te);
  fmul(0, F_HI, F_LO, F_EXP, 0, th, tl, te);
  const ce = F_EXP;
  divSmall(F_HI, F_LO, 3);
  normalize(0, W_HI, W_LO, ce);
  // t^3/3 is below t by 2^-80 or more: aligned into the two lower words.
  shrJam(F_HI, F_LO, te - F_EXP - 64);
  const x = tx - W_LO;
  const b1: u64 = tx < W_LO ? 1 : 0;
  const l = tl - W_HI - b1;
  const b2: u64 = tl < W_HI || (tl == W_HI && b1 != 0) ? 1 : 0;
  let h = th - b2, lo = l, xx = x, e = te;
  if ((h >> 63) == 0) {
    h = (h << 1) | (lo >> 63);
    lo = (lo << 1) | (xx >> 63);
    xx <<= 1;
    e--;
  }
  normalize(0, h, lo | (xx != 0 ? <u64>1 : 0), e);
}

/** atan(t) for the float t in (0, 1] as the float F_* (positive). */
function atanUnit(th: u64, tl: u64, te: i32): void {
  if (te < SMALL_EXP) {
    R_SIGN = 0; R_HI = th; R_LO = tl; R_EXP = te;
    cubicCorrection(3, true);
    return;
  }
  if (te < -5) {
    squareFixed(th, tl, te);
    atanFactor(W_HI, W_LO);
    normalize(0, W_HI, W_LO, 0);
    fmul(0, th, tl, te, 0, F_HI, F_LO, F_EXP);
    return;
  }
  // t in [1/32, 1]: atan t = atan(c) + atan(u), c = j/16 nearest t, u = (t - c) / (1 + t c).
  shrJam(th, tl, -te);
  const fh = W_HI, fl = W_LO;
  const j = <i32>(((fh >> 58) + 1) >> 1);
  const ch: u64 = <u64>j << 59;
  let us: u32 = 0;
  if (fh >= ch) subQ(fh, fl, ch, 0);
  else { subQ(ch, 0, fh, fl); us = 1; }
  const nh = W_HI, nl = W_LO;
  const jh = unchecked(ATAN_J16[2 * j]), jl = unchecked(ATAN_J16[2 * j + 1]);
  if ((nh | nl) == 0) { normalize(0, jh, jl, 0); return; }
  mulQ(fh, fl, ch, 0);
  // 1 + t c in Q126
  shrJam(W_HI, W_LO, 1);
  addQ(W_HI, W_LO, ONE_HI >> 1, 0);
  normalize(0, W_HI, W_LO, 1);
  const dh = F_HI, dl = F_LO, de = F_EXP;
  normalize(us, nh, nl, 0);
  fdiv(us, F_HI, F_LO, F_EXP, 0, dh, dl, de);
  // atan(u) = u A(u^2), |u| <= 1/32
  const uh = F_HI, ul = F_LO, ue = F_EXP;
  squareFixed(uh, ul, ue);
  atanFactor(W_HI, W_LO);
  normalize(0, W_HI, W_LO, 0);
  fmul(us, uh, ul, ue, 0, F_HI, F_LO, F_EXP);
  shrJam(F_HI, F_LO, -F_EXP);
  if (us != 0) subQ(jh, jl, W_HI, W_LO);
  else addQ(jh, jl, W_HI, W_LO);
  normalize(0, W_HI, W_LO, 0);
}

// UP (C1) lives in f80.ts; each function leaves it as its reported rounding set it.
@inline function UP_RESET(): void { setUp(false); }
