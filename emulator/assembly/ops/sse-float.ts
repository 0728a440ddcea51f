// IEEE 754 binary32/binary64 arithmetic as SSE performs it (manual Vol. 1,
// 4.8 and 11.5), bit-exact under every MXCSR setting. No handlers here: the
// SSE handlers (sse-fp.ts, sse-convert.ts) call these functions.
//
// WebAssembly's own float arithmetic rounds to nearest only, does not say
// whether a result was inexact, and leaves NaN bits unspecified, so this
// file works like Berkeley SoftFloat: operands are unpacked into sign,
// exponent and a 63-bit significand (leading one at bit 62), the exact
// result is computed in integers with the bits below the rounding point
// folded into a sticky bit, and roundPack() rounds it once in the mode of
// MXCSR.RC, setting PE, UE, OE and applying FTZ. Tininess is detected after
// rounding, as x86 does. Operands see DAZ in unpack().
//
// NaN rules (Vol. 1, 4.8.3.5 and Table 4-7): a SNaN operand raises IE; the
// result is the first source operand's NaN if it is one, else the
// second's, made quiet; invalid operations return the default NaN
// (negative quiet NaN, "QNaN floating-point indefinite").

import {
  raise, roundingMode, daz, ftz, masked,
  MX_IE, MX_DE, MX_ZE, MX_OE, MX_UE, MX_PE, RC_NEAREST, RC_DOWN, RC_UP,
} from '../xmm';

export const CL_ZERO: u32 = 0;
export const CL_FINITE: u32 = 1; // normal, or denormal (normalized by unpack)
export const CL_INF: u32 = 2;
export const CL_NAN: u32 = 3;

const TOP: u64 = <u64>1 << 63;
const LEAD: u64 = <u64>1 << 62;

// ---- formats: dbl = binary64, else binary32 (the value in the low 32 bits) --------------

@inline function fracBits(dbl: bool): u32 { return dbl ? 52 : 23; }
@inline function bias(dbl: bool): i32 { return dbl ? 1023 : 127; }
@inline function expMax(dbl: bool): u64 { return dbl ? 0x7ff : 0xff; }
@inline function signShift(dbl: bool): u64 { return dbl ? 63 : 31; }
@inline function quietBit(dbl: bool): u64 { return dbl ? <u64>1 << 51 : <u64>1 << 22; }
@inline function fracMask(dbl: bool): u64 { return (<u64>1 << fracBits(dbl)) - 1; }

/** The default NaN ("QNaN floating-point indefinite"). */
@inline export function defaultNaN(dbl: bool): u64 { return dbl ? 0xfff8000000000000 : 0xffc00000; }
@inline export function packInf(dbl: bool, sign: u32): u64 { return (<u64>sign << signShift(dbl)) | (expMax(dbl) << fracBits(dbl)); }
@inline export function packZero(dbl: bool, sign: u32): u64 { return <u64>sign << signShift(dbl); }
@inline function packMax(dbl: bool, sign: u32): u64 { return packInf(dbl, sign) - 1; }

export function isNaNBits(dbl: bool, v: u64): bool {
  return ((v >> fracBits(dbl)) & expMax(dbl)) == expMax(dbl) && (v & fracMask(dbl)) != 0;
}
export function isSNaN(dbl: bool, v: u64): bool { return isNaNBits(dbl, v) && (v & quietBit(dbl)) == 0; }
@inline export function quiet(dbl: bool, v: u64): u64 { return v | quietBit(dbl); }

/** A denormal (exponent field 0, fraction not 0). */
export function isDenormal(dbl: bool, v: u64): bool {
  return ((v >> fracBits(dbl)) & expMax(dbl)) == 0 && (v & fracMask(dbl)) != 0;
}

// ---- unpacking ------------------------------------------------------------------------------------

// The last unpack(): sign, exponent (value = SIG / 2^62 * 2^EXP), significand, denormal operand.
export let U_SIGN: u32 = 0;
export let U_EXP: i32 = 0;
export let U_SIG: u64 = 0;
export let U_DEN: bool = false;

/** Unpacks v into U_*, returning its class. DAZ turns denormals into zeros (without DE). */
export function unpack(dbl: bool, v: u64): u32 {
  const fb = fracBits(dbl);
  U_SIGN = <u32>((v >> signShift(dbl)) & 1);
  U_DEN = false;
  const e = (v >> fb) & expMax(dbl);
  const m = v & fracMask(dbl);
  if (e == expMax(dbl)) return m == 0 ? CL_INF : CL_NAN;
  if (e == 0) {
    if (m == 0 || daz()) return CL_ZERO;
    const s = <i32>clz<u64>(m) - 1;
    U_SIG = m << <u64>s;
    U_EXP = 1 - bias(dbl) - <i32>fb + 62 - s;
    U_DEN = true;
    return CL_FINITE;
  }
  U_SIG = (m | (<u64>1 << fb)) << <u64>(62 - fb);
  U_EXP = <i32>e - bias(dbl);
  return CL_FINITE;
}

// ---- rounding -----------------------------------------------------------------------------------------

@inline export function shiftRightJam(v: u64, n: i32): u64 {
  if (n <= 0) return v;
  if (n >= 64) return v != 0 ? 1 : 0;
  return (v >> <u64>n) | ((v & ((<u64>1 << <u64>n) - 1)) != 0 ? 1 : 0);
}

/** sig rounded at bit sh (the bits below cleared) in mode rc; the result may carry to 2^63. */
function roundSig(sig: u64, sh: u64, rc: u32, sign: u32): u64 {
  const unit = <u64>1 << sh;
  const low = sig & (unit - 1);
  let r = sig & ~(unit - 1);
  if (low == 0) return r;
  if (rc == RC_NEAREST) {
    const half = unit >> 1;
    if (low > half || (low == half && (r & unit) != 0)) r += unit;
  } else if (rc == RC_DOWN) {
    if (sign != 0) r += unit;
  } else if (rc == RC_UP) {
    if (sign == 0) r += unit;
  }
  return r;
}

/**
 * Rounds the exact value (-1)^sign * sig / 2^62 * 2^exp (sig in [2^62, 2^63),
 * anything below its last bit folded into bit 0) to the format, with the
 * rounding mode, FTZ and the PE/UE/OE flags of MXCSR (Vol. 1, 4.9.1.4-6).
 */
export function roundPack(dbl: bool, sign: u32, exp: i32, sig: u64): u64 {
  const p: u64 = dbl ? 53 : 24;
  const sh: u64 = 63 - p;
  const b = bias(dbl);
  const emin = 1 - b;
  const rc = roundingMode();
  const signBits = <u64>sign << signShift(dbl);
  let tiny = false;
  if (exp < emin) {
    // Tiny after rounding: the value rounded to p bits with an unbounded exponent is below 2^emin.
    tiny = exp < emin - 1 || roundSig(sig, sh, rc, sign) < TOP;
    sig = shiftRightJam(sig, emin - exp);
    exp = emin;
  }
  const inexact = (sig & ((<u64>1 << sh) - 1)) != 0;
  if (tiny && ftz() && masked(MX_UE)) {
    // Flush to zero (Vol. 1, 10.2.3.3): a zero of the result's sign, with UE and PE.
    raise(MX_UE | MX_PE);
    return signBits;
  }
  if (tiny && (inexact || !masked(MX_UE))) raise(MX_UE);
  const r = roundSig(sig, sh, rc, sign) >> sh;
  const bits = (<u64>(exp + b - 1) << (p - 1)) + r;
  if ((bits >> (p - 1)) >= expMax(dbl)) {
    raise(MX_OE | MX_PE);
    const toInf = rc == RC_NEAREST || (rc == RC_UP && sign == 0) || (rc == RC_DOWN && sign != 0);
    return toInf ? packInf(dbl, sign) : packMax(dbl, sign);
  }
  if (inexact) raise(MX_PE);
  return signBits | bits;
}

/** Packs an exact finite value that may still need FTZ (a denormal result). */
@inline function packExact(dbl: bool, sign: u32, exp: i32, sig: u64): u64 { return roundPack(dbl, sign, exp, sig); }

// ---- NaN operands ---------------------------------------------------------------------------------------

/** The result of an operation with a NaN operand: a (first source) before b, quieted; IE for a SNaN. */
export function propagateNaN(dbl: bool, a: u64, b: u64): u64 {
  if (isSNaN(dbl, a) || isSNaN(dbl, b)) raise(MX_IE);
  return isNaNBits(dbl, a) ? quiet(dbl, a) : quiet(dbl, b);
}

// ---- the arithmetic ---------------------------------------------------------------------------------------

export const OP_ADD: u32 = 0;
export const OP_MUL: u32 = 1;
export const OP_SUB: u32 = 4;
export const OP_MIN: u32 = 5;
export const OP_DIV: u32 = 6;
export const OP_MAX: u32 = 7;
export const OP_SQRT: u32 = 8;

/** a op b for the opcodes 0F 58 (add) .. 0F 5F (max), arg = opcode - 0x58; OP_SQRT takes b. */
export function fpArith(dbl: bool, op: u32, a: u64, b: u64): u64 {
  switch (op) {
    case OP_ADD: return fpAdd(dbl, a, b, 0);
    case OP_SUB: return fpAdd(dbl, a, b, 1);
    case OP_MUL: return fpMul(dbl, a, b);
    case OP_DIV: return fpDiv(dbl, a, b);
    case OP_MIN: return fpMinMax(dbl, a, b, false);
    case OP_MAX: return fpMinMax(dbl, a, b, true);
    default: return fpSqrt(dbl, b);
  }
}

export function fpAdd(dbl: bool, a: u64, b: u64, negateB: u32): u64 {
  const ca = unpack(dbl, a);
  const sa = U_SIGN, ea = U_EXP, ma = U_SIG, da = U_DEN;
  const cb = unpack(dbl, b);
  const sb = U_SIGN ^ negateB, eb = U_EXP, mb = U_SIG, db = U_DEN;
  if (ca == CL_NAN || cb == CL_NAN) return propagateNaN(dbl, a, b);
  if (ca == CL_INF || cb == CL_INF) {
    if (ca == CL_INF && cb == CL_INF && sa != sb) { raise(MX_IE); return defaultNaN(dbl); }
    if (da || db) raise(MX_DE);
    return ca == CL_INF ? packInf(dbl, sa) : packInf(dbl, sb);
  }
  if (da || db) raise(MX_DE);
  if (ca == CL_ZERO && cb == CL_ZERO) {
    // x + (-x) is +0, or -0 when rounding down (IEEE 754, 6.3).
    return packZero(dbl, sa == sb ? sa : roundingMode() == RC_DOWN ? 1 : 0);
  }
  if (ca == CL_ZERO) return packExact(dbl, sb, eb, mb);
  if (cb == CL_ZERO) return packExact(dbl, sa, ea, ma);
  return addSig(dbl, sa, ea, ma, sb, eb, mb);
}

function addSig(dbl: bool, sa: u32, ea: i32, ma: u64, sb: u32, eb: i32, mb: u64): u64 {
  if (ea < eb || (ea == eb && ma < mb)) {
    const ts = sa; sa = sb; sb = ts;
    const te = ea; ea = eb; eb = te;
    const tm = ma; ma = mb; mb = tm;
  }
  mb = shiftRightJam(mb, ea - eb);
  if (sa == sb) {
    let s = ma + mb;
    let e = ea;
    if (s >= TOP) { s = (s >> 1) | (s & 1); e++; }
    return roundPack(dbl, sa, e, s);
  }
  let s = ma - mb;
  if (s == 0) return packZero(dbl, roundingMode() == RC_DOWN ? 1 : 0);
  const lz = <i32>clz<u64>(s) - 1;
  s <<= <u64>lz;
  return roundPack(dbl, sa, ea - lz, s);
}

export function fpMul(dbl: bool, a: u64, b: u64): u64 {
  const ca = unpack(dbl, a);
  const sa = U_SIGN, ea = U_EXP, ma = U_SIG, da = U_DEN;
  const cb = unpack(dbl, b);
  const sb = U_SIGN, eb = U_EXP, mb = U_SIG, db = U_DEN;
  if (ca == CL_NAN || cb == CL_NAN) return propagateNaN(dbl, a, b);
  const s = sa ^ sb;
  if (ca == CL_INF || cb == CL_INF) {
    if (ca == CL_ZERO || cb == CL_ZERO) { raise(MX_IE); return defaultNaN(dbl); }
    if (da || db) raise(MX_DE);
    return packInf(dbl, s);
  }
  if (da || db) raise(MX_DE);
  if (ca == CL_ZERO || cb == CL_ZERO) return packZero(dbl, s);
  // 126-bit product of the significands, condensed to 63 bits and a sticky bit.
  const a0 = ma & 0xffffffff, a1 = ma >> 32, b0 = mb & 0xffffffff, b1 = mb >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  const lo = (p00 & 0xffffffff) | (mid << 32);
  const hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
  let sig = (hi << 2) | (lo >> 62);
  let sticky: u64 = (lo & (LEAD - 1)) != 0 ? 1 : 0;
  let e = ea + eb;
  if (sig >= TOP) { sticky |= sig & 1; sig >>= 1; e++; }
  return roundPack(dbl, s, e, sig | sticky);
}

export function fpDiv(dbl: bool, a: u64, b: u64): u64 {
  const ca = unpack(dbl, a);
  const sa = U_SIGN, ea = U_EXP, ma = U_SIG, da = U_DEN;
  const cb = unpack(dbl, b);
  const sb = U_SIGN, eb = U_EXP, mb = U_SIG, db = U_DEN;
  if (ca == CL_NAN || cb == CL_NAN) return propagateNaN(dbl, a, b);
  const s = sa ^ sb;
  if ((ca == CL_INF && cb == CL_INF) || (ca == CL_ZERO && cb == CL_ZERO)) { raise(MX_IE); return defaultNaN(dbl); }
  if (cb == CL_ZERO) {
    if (ca == CL_INF) return packInf(dbl, s);
    raise(MX_ZE);
    return packInf(dbl, s);
  }
  if (da || db) raise(MX_DE);
  if (ca == CL_INF) return packInf(dbl, s);
  if (cb == CL_INF || ca == CL_ZERO) return packZero(dbl, s);
  // Long division on the 53-bit significands, 11 quotient bits per native
  // 64-bit division (the remainder stays below 2^53): 63 quotient bits with
  // the leading one at bit 62, and the final remainder as the sticky bit.
  let e = ea - eb;
  let x = ma >> 10;
  const y = mb >> 10;
  if (x < y) { x <<= 1; e--; }
  let q: u64 = 1;
  let r = x - y;
  for (let i = 0; i < 5; i++) {
    r <<= 11;
    const t = r / y;
    q = (q << 11) | t;
    r -= t * y;
  }
  r <<= 7;
  const t = r / y;
  q = (q << 7) | t;
  r -= t * y;
  return roundPack(dbl, s, e, q | (r != 0 ? 1 : 0));
}

export function fpSqrt(dbl: bool, b: u64): u64 {
  const cb = unpack(dbl, b);
  const sb = U_SIGN, eb = U_EXP, mb = U_SIG, db = U_DEN;
  if (cb == CL_NAN) return propagateNaN(dbl, b, b);
  if (cb == CL_ZERO) return packZero(dbl, sb);
  if (sb != 0) { raise(MX_IE); return defaultNaN(dbl); }
  if (cb == CL_INF) return packInf(dbl, 0);
  if (db) raise(MX_DE);
  // value = mb * 2^k with k = eb - 62; make k even, then take the integer square
  // root of the radicand shifted to 114 bits: a 57-bit root and a remainder.
  let k = eb - 62;
  let hi: u64, lo: u64; // radicand = N0 << 50 as a 128-bit number
  let n0 = mb;
  let n0top: u64 = 0; // bit 64 of N0 when mb is doubled
  if ((k & 1) != 0) { n0top = n0 >> 63; n0 <<= 1; k -= 1; }
  hi = (n0top << 50) | (n0 >> 14);
  lo = n0 << 50;
  let r: u64 = 0;
  let rem: u64 = 0;
  for (let i = 56; i >= 0; i--) {
    const pos = <u64>(2 * i);
    const two = pos >= 64 ? (hi >> (pos - 64)) & 3 : (lo >> pos) & 3;
    rem = (rem << 2) | two;
    const t = (r << 2) | 1;
    r <<= 1;
    if (rem >= t) { rem -= t; r |= 1; }
  }
  // r in [2^56, 2^57): the root is r * 2^((k - 50) / 2) = (r << 6) / 2^62 * 2^(56 + (k - 50) / 2).
  return roundPack(dbl, 0, 56 + (k - 50) / 2, (r << 6) | (rem != 0 ? 1 : 0));
}

/** Set by orderKey() when it met a denormal operand (DE unless DAZ). */
let ORDER_DEN_PENDING = false;

/**
 * minps/maxps and the scalar forms (Vol. 2, MINPS): if either operand is a
 * NaN (IE, even for a QNaN) or both are zeros, the second operand is
 * returned as it is; otherwise the smaller (larger) one.
 */
export function fpMinMax(dbl: bool, a: u64, b: u64, max: bool): u64 {
  // With DAZ the returned operand is the zero a denormal was read as.
  if (daz()) {
    if (isDenormal(dbl, a)) a &= <u64>1 << signShift(dbl);
    if (isDenormal(dbl, b)) b &= <u64>1 << signShift(dbl);
  }
  if (isNaNBits(dbl, a) || isNaNBits(dbl, b)) { raise(MX_IE); return b; }
  ORDER_DEN_PENDING = false;
  const ka = orderKey(dbl, a);
  const kb = orderKey(dbl, b);
  if (ORDER_DEN_PENDING) raise(MX_DE);
  if (max ? ka > kb : ka < kb) return a;
  return b;
}

/** A signed integer that orders non-NaN values as numbers (both zeros equal); DAZ applies. */
function orderKey(dbl: bool, v: u64): i64 {
  const sign = (v >> signShift(dbl)) & 1;
  let mag = v & ~(<u64>1 << signShift(dbl));
  if (!dbl) mag &= 0x7fffffff;
  if (isDenormal(dbl, v)) {
    if (daz()) mag = 0;
    else ORDER_DEN_PENDING = true;
  }
  return sign != 0 ? -<i64>mag : <i64>mag;
}

/** Compare results: less, equal, greater, unordered. */
export const CMP_LT: u32 = 0;
export const CMP_EQ: u32 = 1;
export const CMP_GT: u32 = 2;
export const CMP_UN: u32 = 3;

/**
 * Compares a with b. signaling: IE for any NaN operand (comiss, the LT/LE/
 * NLT/NLE predicates); otherwise only for a SNaN (ucomiss, EQ/UNORD/NEQ/ORD).
 */
export function fpCompare(dbl: bool, a: u64, b: u64, signaling: bool): u32 {
  if (isNaNBits(dbl, a) || isNaNBits(dbl, b)) {
    if (signaling || isSNaN(dbl, a) || isSNaN(dbl, b)) raise(MX_IE);
    return CMP_UN;
  }
  ORDER_DEN_PENDING = false;
  const ka = orderKey(dbl, a);
  const kb = orderKey(dbl, b);
  if (ORDER_DEN_PENDING) raise(MX_DE);
  return ka < kb ? CMP_LT : ka > kb ? CMP_GT : CMP_EQ;
}

// ---- conversions ------------------------------------------------------------------------------------------

/** binary32 -> binary64 (cvtss2sd, cvtps2pd): exact; SNaN is IE, denormals DE. */
export function f32ToF64(v: u64): u64 {
  const c = unpack(false, v);
  const s = U_SIGN;
  if (c == CL_NAN) {
    if (isSNaN(false, v)) raise(MX_IE);
    return (<u64>s << 63) | 0x7ff8000000000000 | ((v & 0x3fffff) << 29);
  }
  if (c == CL_INF) return packInf(true, s);
  if (c == CL_ZERO) return packZero(true, s);
  if (U_DEN) raise(MX_DE);
  return roundPack(true, s, U_EXP, U_SIG);
}

/** binary64 -> binary32 (cvtsd2ss, cvtpd2ps): rounded per MXCSR. */
export function f64ToF32(v: u64): u64 {
  const c = unpack(true, v);
  const s = U_SIGN;
  if (c == CL_NAN) {
    if (isSNaN(true, v)) raise(MX_IE);
    return (<u64>s << 31) | 0x7fc00000 | ((v >> 29) & 0x3fffff);
  }
  if (c == CL_INF) return packInf(false, s);
  if (c == CL_ZERO) return packZero(false, s);
  if (U_DEN) raise(MX_DE);
  return roundPack(false, s, U_EXP, U_SIG);
}

/** A signed integer (i64; an i32 sign-extended) to a float, rounded per MXCSR (cvtsi2ss, cvtdq2ps, ...). */
export function intToFloat(dbl: bool, v: i64): u64 {
  if (v == 0) return 0;
  const sign: u32 = v < 0 ? 1 : 0;
  const mag: u64 = v < 0 ? <u64>(0 - v) : <u64>v;
  const lz = <i32>clz<u64>(mag);
  if (lz == 0) return roundPack(dbl, sign, 63, (mag >> 1) | (mag & 1));
  return roundPack(dbl, sign, 63 - lz, mag << <u64>(lz - 1));
}

/**
 * A float to a signed 32- or 64-bit integer, rounded per MXCSR or truncated
 * (cvtss2si / cvttss2si ...). NaN, infinity and out-of-range values raise IE
 * and give the "integer indefinite" 0x80000000 / 0x8000000000000000. No DE:
 * these conversions do not report denormal operands (Vol. 2, CVTSS2SI).
 */
export function floatToInt(dbl: bool, v: u64, truncate: bool, is64: bool): u64 {
  const indefinite: u64 = is64 ? 0x8000000000000000 : 0x80000000;
  const c = unpack(dbl, v);
  if (c == CL_NAN || c == CL_INF) { raise(MX_IE); return indefinite; }
  if (c == CL_ZERO) return 0;
  const sign = U_SIGN;
  const e = U_EXP;
  const sig = U_SIG;
  if (e >= 63) {
    // |v| >= 2^63: only -2^63 itself fits (and only in 64 bits).
    if (is64 && sign != 0 && e == 63 && sig == LEAD) return indefinite;
    raise(MX_IE);
    return indefinite;
  }
  // value = sig * 2^(e - 62): integer part ip, fraction rem as a 64-bit binary fraction.
  const sh = 62 - e;
  let ip: u64, rem: u64;
  if (sh == 0) { ip = sig; rem = 0; }
  else if (sh < 64) { ip = sig >> <u64>sh; rem = sig << <u64>(64 - sh); }
  else if (sh == 64) { ip = 0; rem = sig; }
  else { ip = 0; rem = 1; }
  const rc = truncate ? 3 : roundingMode();
  let inc = false;
  if (rem != 0) {
    if (rc == RC_NEAREST) inc = rem > TOP || (rem == TOP && (ip & 1) != 0);
    else if (rc == RC_DOWN) inc = sign != 0;
    else if (rc == RC_UP) inc = sign == 0;
  }
  const m = ip + (inc ? 1 : 0);
  const limit: u64 = is64 ? TOP : 0x80000000;
  if (m > limit || (m == limit && sign == 0)) { raise(MX_IE); return indefinite; }
  if (rem != 0) raise(MX_PE);
  const r = sign != 0 ? 0 - m : m;
  return is64 ? r : r & 0xffffffff;
}
