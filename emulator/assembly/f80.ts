// An exact soft-float for the x87 80-bit extended format (manual Vol. 1,
// 4.2.2 and 8.2): a u64 significand with an explicit integer bit (J, bit
// 63) and a u16 holding the sign (bit 15) and the biased exponent (bias
// 16383). Every operation rounds once, from an exact 128-bit intermediate
// (or a 64-bit one plus guard and sticky bits), by the rounding control RC
// and to the precision PC, and records the exceptions it raises.
//
// Results go to the globals SIG / SE; exceptions accumulate in EXC (the
// status-word bit positions IE..PE); UP tells whether the last rounding
// increased the magnitude (the x87 reports it in C1). The caller sets RC and
// PC from the control word and clears EXC before an instruction.

// ---- exception bits (status word bits 0..5, Vol. 1, 8.1.3.1) ----------------
export const IE: u32 = 1;
export const DE: u32 = 2;
export const ZE: u32 = 4;
export const OE: u32 = 8;
export const UE: u32 = 16;
export const PE: u32 = 32;

// ---- rounding control (control word bits 10..11, Vol. 1, 4.8.4) -------------
export const RC_NEAREST: u32 = 0;
export const RC_DOWN: u32 = 1;
export const RC_UP: u32 = 2;
export const RC_ZERO: u32 = 3;

export let RC: u32 = RC_NEAREST;
/** Significand bits results are rounded to: 24, 53 or 64 (precision control). */
export let PC: u32 = 64;
export let EXC: u32 = 0;
export let UP: bool = false;
export let SIG: u64 = 0;
export let SE: u32 = 0;
/**
 * Set by the memory-operand conversions when a single or double operand was
 * denormal: it becomes a normal extended value, but the instruction still
 * reports DE (unless a NaN or invalid operand takes precedence).
 */
export let SRC_DENORMAL: bool = false;

export function setRounding(rc: u32, pc: u32): void { RC = rc; PC = pc; }
export function clearExceptions(): void { EXC = 0; UP = false; SRC_DENORMAL = false; }
/** Sets UP (C1) for operations that round more than once and report one of the roundings. */
export function setUp(v: bool): void { UP = v; }
/** Raises exception flags from outside the soft-float (stack faults, conversions). */
export function raise(bits: u32): void { EXC |= bits; }

const J: u64 = 0x8000000000000000;
const QUIET: u64 = 0x4000000000000000;
const BIAS: i32 = 16383;
const MAX_EXP: u32 = 0x7fff;

/** The real indefinite: the default QNaN of masked invalid operations (Vol. 1, 4.8.3.7). */
export const INDEFINITE_SIG: u64 = 0xc000000000000000;
export const INDEFINITE_SE: u32 = 0xffff;

// ---- operand classes (Vol. 1, 8.2.2 and Table 8-3) --------------------------
export const K_ZERO: u32 = 0;
/** Denormal or pseudo-denormal (exponent 0, significand not zero). */
export const K_DENORMAL: u32 = 1;
export const K_NORMAL: u32 = 2;
export const K_INF: u32 = 3;
export const K_QNAN: u32 = 4;
export const K_SNAN: u32 = 5;
/** Unnormal, pseudo-infinity, pseudo-NaN: J clear with a non-zero exponent (invalid operands). */
export const K_UNSUPPORTED: u32 = 6;

export function classify(sig: u64, se: u32): u32 {
  const e = se & MAX_EXP;
  if (e == 0) return sig == 0 ? K_ZERO : K_DENORMAL;
  if ((sig & J) == 0) return K_UNSUPPORTED;
  if (e == MAX_EXP) {
    if ((sig << 1) == 0) return K_INF;
    return (sig & QUIET) != 0 ? K_QNAN : K_SNAN;
  }
  return K_NORMAL;
}

@inline export function isNaNClass(k: u32): bool { return k == K_QNAN || k == K_SNAN; }

/** Sets the result SIG / SE. */
@inline export function result(sig: u64, se: u32): void { SIG = sig; SE = se; }

/** A masked invalid operation: IE and the real indefinite. */
export function invalid(): void {
  EXC |= IE;
  result(INDEFINITE_SIG, INDEFINITE_SE);
}

// ---- normalization: finite non-zero operands as (exponent, significand with J set)
// Denormals get exponent 1 - shift, so pseudo-denormals (J set) land on 1.
let NE: i32 = 0;
let NS: u64 = 0;

function unpack(sig: u64, se: u32): void {
  const e = <i32>(se & MAX_EXP);
  if (e == 0) {
    const s = <i32>clz<u64>(sig);
    NS = sig << <u64>s;
    NE = 1 - s;
  } else {
    NS = sig;
    NE = e;
  }
}

// ---- 128-bit helpers on (hi, lo) pairs; results in H / L ----------------------
let H: u64 = 0;
let L: u64 = 0;

/** (hi, lo) >> n, with every bit shifted out ORed into bit 0 of the result ("jamming"). */
function shr128Jam(hi: u64, lo: u64, n: i32): void {
  if (n <= 0) { H = hi; L = lo; return; }
  if (n < 64) {
    const out = lo << <u64>(64 - n);
    L = (lo >> <u64>n) | (hi << <u64>(64 - n)) | (out != 0 ? 1 : 0);
    H = hi >> <u64>n;
  } else if (n == 64) {
    L = hi | (lo != 0 ? 1 : 0);
    H = 0;
  } else if (n < 128) {
    const out = (hi << <u64>(128 - n)) | lo;
    L = (hi >> <u64>(n - 64)) | (out != 0 ? 1 : 0);
    H = 0;
  } else {
    L = (hi | lo) != 0 ? 1 : 0;
    H = 0;
  }
}

/** The 128-bit product a * b. */
function mul64(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32;
  const b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  L = (p00 & 0xffffffff) | (mid << 32);
  H = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

// ---- rounding -----------------------------------------------------------------
// R_SIG / R_EXP: a rounded significand (J at bit 63 for normals) and biased exponent.
let R_SIG: u64 = 0;
let R_EXP: i32 = 0;
let R_OVERFLOW: bool = false;

/**
 * Rounds the exact value (hi:lo) * 2^(exp - bias - 63), hi normalized (J set),
 * to `bits` significant bits of a format whose largest biased exponent is
 * maxExp and whose denormals sit at biased exponent 0 (the same shape for
 * extended, double and single: the rounding unit of a denormal is then fixed,
 * Vol. 1, 4.8.3.2). Tininess is detected after rounding (as measured on the host).
 */
function roundTo(sign: u32, exp: i32, hi: u64, lo: u64, bits: u32, maxExp: i32): void {
  let tiny = false;
  const denormalized = exp < 1;
  if (denormalized) {
    // Tininess after rounding: tiny unless rounding with an unbounded exponent
    // carries into the smallest normal exponent.
    tiny = exp < 0 || !carriesOut(sign, hi, lo, bits);
    shr128Jam(hi, lo, 1 - exp);
    hi = H; lo = L;
    exp = 0;
  }
  let inc = false;
  let inexact: bool;
  if (bits == 64) {
    inexact = lo != 0;
    if (RC == RC_NEAREST) inc = lo > J || (lo == J && (hi & 1) != 0);
    else if (RC == RC_UP) inc = inexact && sign == 0;
    else if (RC == RC_DOWN) inc = inexact && sign != 0;
    if (inc) {
      hi += 1;
      if (hi == 0) { hi = J; exp++; }
    }
  } else {
    const unit: u64 = <u64>1 << <u64>(64 - bits);
    const mask = unit - 1;
    const half = unit >> 1;
    const r = (hi & mask) | (lo != 0 ? 1 : 0);
    inexact = r != 0;
    if (RC == RC_NEAREST) inc = r > half || (r == half && (hi & unit) != 0);
    else if (RC == RC_UP) inc = inexact && sign == 0;
    else if (RC == RC_DOWN) inc = inexact && sign != 0;
    hi &= ~mask;
    if (inc) {
      hi += unit;
      if (hi == 0) { hi = J; exp++; }
    }
  }
  // A denormal that rounded up to the smallest normal.
  if (denormalized && (hi & J) != 0) exp = 1;
  R_OVERFLOW = false;
  if (exp > maxExp) {
    // Masked overflow: infinity or the largest finite value, by RC (Vol. 1, 4.9.1.4).
    EXC |= OE | PE;
    R_OVERFLOW = true;
    const toInf = RC == RC_NEAREST || (RC == RC_UP && sign == 0) || (RC == RC_DOWN && sign != 0);
    if (toInf) {
      R_EXP = maxExp + 1;
      R_SIG = J;
      UP = true;
    } else {
      R_EXP = maxExp;
      R_SIG = bits == 64 ? 0xffffffffffffffff : ~((<u64>1 << <u64>(64 - bits)) - 1);
      UP = false;
    }
    return;
  }
  if (inexact) {
    EXC |= PE;
    if (tiny) EXC |= UE;
  }
  UP = inc;
  if (hi == 0) exp = 0;
  R_SIG = hi;
  R_EXP = exp;
}

/** Whether rounding the normalized (hi:lo) to `bits` bits overflows the significand. */
function carriesOut(sign: u32, hi: u64, lo: u64, bits: u32): bool {
  const unit: u64 = bits == 64 ? 1 : <u64>1 << <u64>(64 - bits);
  if ((hi | (unit - 1)) != 0xffffffffffffffff) return false;
  let r: u64, half: u64;
  if (bits == 64) { r = lo; half = J; }
  else { r = (hi & (unit - 1)) | (lo != 0 ? 1 : 0); half = unit >> 1; }
  if (r == 0) return false;
  if (RC == RC_NEAREST) return r >= half; // the last kept bit is one, so a tie rounds up
  if (RC == RC_UP) return sign == 0;
  if (RC == RC_DOWN) return sign != 0;
  return false;
}

/** Rounds to the extended format at precision `bits` and makes it the result. */
export function roundPack(sign: u32, exp: i32, hi: u64, lo: u64, bits: u32): void {
  roundTo(sign, exp, hi, lo, bits, 0x7ffe);
  result(R_SIG, (sign << 15) | <u32>R_EXP);
}

/** Normalizes a non-zero 128-bit value and rounds it. */
function normRoundPack(sign: u32, exp: i32, hi: u64, lo: u64, bits: u32): void {
  let s: i32;
  if (hi != 0) {
    s = <i32>clz<u64>(hi);
    if (s != 0) {
      hi = (hi << <u64>s) | (lo >> <u64>(64 - s));
      lo <<= <u64>s;
    }
  } else {
    s = 64 + <i32>clz<u64>(lo);
    hi = lo << <u64>(s - 64);
    lo = 0;
  }
  roundPack(sign, exp - s, hi, lo, bits);
}

// ---- NaN operands (Vol. 1, 4.8.3.5 and Table 4-7, x87 column) ------------------

/** The result of an operation with at least one NaN operand. */
export function propagateNaN(aSig: u64, aSe: u32, ka: u32, bSig: u64, bSe: u32, kb: u32): void {
  if (ka == K_SNAN || kb == K_SNAN) EXC |= IE;
  let pickA: bool;
  if (isNaNClass(ka) && isNaNClass(kb)) {
    if (ka != kb) {
      pickA = ka == K_QNAN; // an SNaN and a QNaN: the QNaN
    } else {
      // Two of the same kind: the larger significand; on a tie, the positive one.
      if (aSig != bSig) pickA = aSig > bSig;
      else pickA = (aSe & 0x8000) == 0 || (bSe & 0x8000) != 0;
    }
  } else {
    pickA = isNaNClass(ka);
  }
  if (pickA) result(aSig | QUIET, aSe);
  else result(bSig | QUIET, bSe);
}

/**
 * The checks every two-operand arithmetic instruction starts with: invalid
 * (unsupported) operands, then NaNs, then denormal operands (the priority of
 * Vol. 1, 4.9.2). Returns true when the result is already decided.
 */
function specials2(aSig: u64, aSe: u32, ka: u32, bSig: u64, bSe: u32, kb: u32): bool {
  if (ka == K_UNSUPPORTED || kb == K_UNSUPPORTED) { invalid(); return true; }
  if (isNaNClass(ka) || isNaNClass(kb)) { propagateNaN(aSig, aSe, ka, bSig, bSe, kb); return true; }
  if (ka == K_DENORMAL || kb == K_DENORMAL || SRC_DENORMAL) EXC |= DE;
  return false;
}

@inline function zeroSignOfExactDifference(): u32 { return RC == RC_DOWN ? 1 : 0; }

// ---- arithmetic -----------------------------------------------------------------

/** a + b, or a - b when `negateB` (Vol. 2, FADD/FSUB). */
export function add(aSig: u64, aSe: u32, bSig: u64, bSe: u32, negateB: bool): void {
  UP = false;
  const ka = classify(aSig, aSe), kb = classify(bSig, bSe);
  if (specials2(aSig, aSe, ka, bSig, bSe, kb)) return;
  let sa = aSe >> 15;
  let sb = (bSe >> 15) ^ (negateB ? 1 : 0);
  if (ka == K_INF || kb == K_INF) {
    if (ka == K_INF && kb == K_INF && sa != sb) { invalid(); return; }
    result(J, ((ka == K_INF ? sa : sb) << 15) | MAX_EXP);
    return;
  }
  if (ka == K_ZERO && kb == K_ZERO) {
    result(0, (sa == sb ? sa : zeroSignOfExactDifference()) << 15);
    return;
  }
  if (kb == K_ZERO) { unpack(aSig, aSe); roundPack(sa, NE, NS, 0, PC); return; }
  if (ka == K_ZERO) { unpack(bSig, bSe); roundPack(sb, NE, NS, 0, PC); return; }
  unpack(aSig, aSe);
  let ea = NE, ma = NS;
  unpack(bSig, bSe);
  let eb = NE, mb = NS;
  if (eb > ea || (eb == ea && mb > ma)) {
    const te = ea; ea = eb; eb = te;
    const tm = ma; ma = mb; mb = tm;
    const ts = sa; sa = sb; sb = ts;
  }
  shr128Jam(mb, 0, ea - eb);
  const bh = H, bl = L;
  if (sa == sb) {
    let hi = ma + bh;
    let lo = bl;
    if (hi < ma) {
      lo = (lo >> 1) | (hi << 63) | (lo & 1);
      hi = (hi >> 1) | J;
      ea++;
    }
    roundPack(sa, ea, hi, lo, PC);
  } else {
    const lo = <u64>0 - bl;
    const hi = ma - bh - (bl != 0 ? 1 : 0);
    if (hi == 0 && lo == 0) { result(0, zeroSignOfExactDifference() << 15); return; }
    normRoundPack(sa, ea, hi, lo, PC);
  }
}

/** a * b (Vol. 2, FMUL). */
export function mul(aSig: u64, aSe: u32, bSig: u64, bSe: u32): void {
  UP = false;
  const ka = classify(aSig, aSe), kb = classify(bSig, bSe);
  if (specials2(aSig, aSe, ka, bSig, bSe, kb)) return;
  const sign = (aSe ^ bSe) >> 15;
  if (ka == K_INF || kb == K_INF) {
    if (ka == K_ZERO || kb == K_ZERO) { invalid(); return; }
    result(J, (sign << 15) | MAX_EXP);
    return;
  }
  if (ka == K_ZERO || kb == K_ZERO) { result(0, sign << 15); return; }
  unpack(aSig, aSe);
  const ea = NE, ma = NS;
  unpack(bSig, bSe);
  mul64(ma, NS);
  let exp = ea + NE - BIAS + 1;
  let hi = H, lo = L;
  if ((hi & J) == 0) {
    hi = (hi << 1) | (lo >> 63);
    lo <<= 1;
    exp--;
  }
  roundPack(sign, exp, hi, lo, PC);
}

/** a / b (Vol. 2, FDIV): restoring long division to 66 quotient bits and a sticky bit. */
export function div(aSig: u64, aSe: u32, bSig: u64, bSe: u32): void {
  UP = false;
  const ka = classify(aSig, aSe), kb = classify(bSig, bSe);
  if (ka == K_UNSUPPORTED || kb == K_UNSUPPORTED) { invalid(); return; }
  if (isNaNClass(ka) || isNaNClass(kb)) { propagateNaN(aSig, aSe, ka, bSig, bSe, kb); return; }
  const sign = (aSe ^ bSe) >> 15;
  if (ka == K_INF) {
    if (kb == K_INF) { invalid(); return; }
    if (kb == K_DENORMAL || SRC_DENORMAL) EXC |= DE;
    result(J, (sign << 15) | MAX_EXP);
    return;
  }
  if (kb == K_INF) {
    if (ka == K_DENORMAL || SRC_DENORMAL) EXC |= DE;
    result(0, sign << 15);
    return;
  }
  if (kb == K_ZERO) {
    if (ka == K_ZERO) { invalid(); return; }
    // Division by zero outranks a denormal dividend: ZE only.
    EXC |= ZE;
    result(J, (sign << 15) | MAX_EXP);
    return;
  }
  if (ka == K_DENORMAL || kb == K_DENORMAL || SRC_DENORMAL) EXC |= DE;
  if (ka == K_ZERO) { result(0, sign << 15); return; }
  unpack(aSig, aSe);
  const ea = NE, ma = NS;
  unpack(bSig, bSe);
  const mb = NS;
  let exp = ea - NE + BIAS;
  // The remainder is kept as a 65-bit value (carry:rem).
  let rem = ma;
  let carry: u64 = 0;
  if (ma < mb) {
    carry = rem >> 63;
    rem <<= 1;
    exp--;
  }
  let q: u64 = 0;
  for (let i = 0; i < 64; i++) {
    q <<= 1;
    if (carry != 0 || rem >= mb) { rem -= mb; q |= 1; }
    carry = rem >> 63;
    rem <<= 1;
  }
  let lo: u64 = 0;
  for (let i = 0; i < 2; i++) {
    if (carry != 0 || rem >= mb) { rem -= mb; lo |= <u64>1 << <u64>(63 - i); }
    carry = rem >> 63;
    rem <<= 1;
  }
  if ((carry | rem) != 0) lo |= 1;
  roundPack(sign, exp, q, lo, PC);
}

/** Square root (Vol. 2, FSQRT): bit-by-bit integer root of a 128-bit radicand. */
export function sqrt(aSig: u64, aSe: u32): void {
  UP = false;
  const ka = classify(aSig, aSe);
  if (ka == K_UNSUPPORTED) { invalid(); return; }
  if (isNaNClass(ka)) { propagateNaN(aSig, aSe, ka, aSig, aSe, ka); return; }
  const sign = aSe >> 15;
  if (ka == K_ZERO) { result(0, aSe); return; }
  if (sign != 0) { invalid(); return; }
  if (ka == K_INF) { result(J, MAX_EXP); return; }
  if (ka == K_DENORMAL) EXC |= DE;
  unpack(aSig, aSe);
  const e = NE - BIAS;
  // radicand N = sig << 63 (e even) or sig << 64 (e odd): N in [2^126, 2^128).
  let nHi: u64, nLo: u64;
  let rexp: i32;
  if ((e & 1) == 0) { nHi = NS >> 1; nLo = NS << 63; rexp = e >> 1; }
  else { nHi = NS; nLo = 0; rexp = (e - 1) >> 1; }
  let root: u64 = 0;
  let remHi: u64 = 0, remLo: u64 = 0;
  for (let i = 63; i >= 0; i--) {
    // rem = rem * 4 + next two radicand bits
    const two = i >= 32 ? (nHi >> <u64>((i - 32) * 2)) & 3 : (nLo >> <u64>(i * 2)) & 3;
    remHi = (remHi << 2) | (remLo >> 62);
    remLo = (remLo << 2) | two;
    // trial = root * 4 + 1
    const tHi = root >> 62;
    const tLo = (root << 2) | 1;
    root <<= 1;
    if (remHi > tHi || (remHi == tHi && remLo >= tLo)) {
      const borrow: u64 = remLo < tLo ? 1 : 0;
      remLo -= tLo;
      remHi = remHi - tHi - borrow;
      root |= 1;
    }
  }
  // Round bit: (root + 1/2)^2 <= N  <=>  rem > root (no exact halfway case exists).
  let lo: u64 = 0;
  if (remHi != 0 || remLo > root) lo = J | 1;
  else if (remLo != 0) lo = 1;
  roundPack(0, rexp + BIAS, root, lo, PC);
}

// ---- comparison -------------------------------------------------------------------
export const CMP_LESS: i32 = -1;
export const CMP_EQUAL: i32 = 0;
export const CMP_GREATER: i32 = 1;
export const CMP_UNORDERED: i32 = 2;

/**
 * Compares a with b (Vol. 2, FCOM/FUCOM). NaN operands compare unordered; a
 * QNaN raises IE only when `signalQuiet` (fcom, not fucom).
 */
export function compare(aSig: u64, aSe: u32, bSig: u64, bSe: u32, signalQuiet: bool): i32 {
  const ka = classify(aSig, aSe), kb = classify(bSig, bSe);
  if (ka == K_UNSUPPORTED || kb == K_UNSUPPORTED || ka == K_SNAN || kb == K_SNAN) { EXC |= IE; return CMP_UNORDERED; }
  if (ka == K_QNAN || kb == K_QNAN) {
    if (signalQuiet) EXC |= IE;
    return CMP_UNORDERED;
  }
  if (ka == K_DENORMAL || kb == K_DENORMAL || SRC_DENORMAL) EXC |= DE;
  if (ka == K_ZERO && kb == K_ZERO) return CMP_EQUAL;
  const sa = aSe >> 15, sb = bSe >> 15;
  if (ka == K_ZERO) return sb != 0 ? CMP_GREATER : CMP_LESS;
  if (kb == K_ZERO) return sa != 0 ? CMP_LESS : CMP_GREATER;
  if (sa != sb) return sa != 0 ? CMP_LESS : CMP_GREATER;
  unpack(aSig, aSe);
  const ea = NE, ma = NS;
  unpack(bSig, bSe);
  let c: i32;
  if (ka == K_INF || kb == K_INF) c = ka == kb ? CMP_EQUAL : ka == K_INF ? CMP_GREATER : CMP_LESS;
  else if (ea != NE) c = ea > NE ? CMP_GREATER : CMP_LESS;
  else c = ma == NS ? CMP_EQUAL : ma > NS ? CMP_GREATER : CMP_LESS;
  return sa != 0 ? -c : c;
}

// ---- conversions in -----------------------------------------------------------------

/**
 * A single or double (`fracBits` 23 or 52, `expBits` 8 or 11) as an extended
 * value: exact. SNaNs stay signaling (the instruction decides); denormals set
 * SRC_DENORMAL.
 */
function fromBinary(bits: u64, fracBits: u32, expBits: u32): void {
  const sign = <u32>(bits >> <u64>(fracBits + expBits)) & 1;
  const emax: u32 = (1 << expBits) - 1;
  const e = <u32>(bits >> <u64>fracBits) & emax;
  const frac = bits & ((<u64>1 << <u64>fracBits) - 1);
  const bias: i32 = (1 << (expBits - 1)) - 1;
  if (e == emax) {
    result(J | (frac << <u64>(63 - fracBits)), (sign << 15) | MAX_EXP);
  } else if (e == 0) {
    if (frac == 0) { result(0, sign << 15); return; }
    SRC_DENORMAL = true;
    const s = <i32>clz<u64>(frac);
    // value = frac * 2^(1 - bias - fracBits)
    const exp = 1 - bias - <i32>fracBits + (63 - s) + BIAS;
    result(frac << <u64>s, (sign << 15) | <u32>exp);
  } else {
    result(J | (frac << <u64>(63 - fracBits)), (sign << 15) | <u32>(<i32>e - bias + BIAS));
  }
}

export function fromF32(bits: u32): void { fromBinary(<u64>bits, 23, 8); }
export function fromF64(bits: u64): void { fromBinary(bits, 52, 11); }

/** A signed 64-bit integer as an extended value (exact). */
export function fromI64(v: i64): void {
  if (v == 0) { result(0, 0); return; }
  const sign: u32 = v < 0 ? 1 : 0;
  const m: u64 = v < 0 ? <u64>0 - <u64>v : <u64>v;
  const s = <u32>clz<u64>(m);
  result(m << <u64>s, (sign << 15) | (<u32>BIAS + 63 - s));
}

/** fld of a single or double: an SNaN raises IE and is quieted (Vol. 2, FLD). */
export function quietIfSignaling(): void {
  if (classify(SIG, SE) == K_SNAN) { EXC |= IE; SIG |= QUIET; }
}

// ---- conversions out ------------------------------------------------------------------

/**
 * An extended value as a single or double, rounded by RC (not PC) with the
 * target's exponent range (Vol. 2, FST). Returns the raw bits.
 */
function toBinary(sig: u64, se: u32, fracBits: u32, expBits: u32): u64 {
  UP = false;
  const k = classify(sig, se);
  const sign = se >> 15;
  const signBit = <u64>sign << <u64>(fracBits + expBits);
  const emax: u64 = (<u64>1 << <u64>expBits) - 1;
  const fracMask = (<u64>1 << <u64>fracBits) - 1;
  const quiet = <u64>1 << <u64>(fracBits - 1);
  if (k == K_UNSUPPORTED) { EXC |= IE; return (<u64>1 << <u64>(fracBits + expBits)) | (emax << <u64>fracBits) | quiet; }
  if (isNaNClass(k)) {
    if (k == K_SNAN) EXC |= IE;
    return signBit | (emax << <u64>fracBits) | ((sig >> <u64>(63 - fracBits)) & fracMask) | quiet;
  }
  if (k == K_INF) return signBit | (emax << <u64>fracBits);
  if (k == K_ZERO) return signBit;
  // A denormal source raises no DE here (measured on the host).
  unpack(sig, se);
  const bias: i32 = (1 << (expBits - 1)) - 1;
  roundTo(sign, NE - BIAS + bias, NS, 0, fracBits + 1, <i32>emax - 1);
  return signBit | (<u64>R_EXP << <u64>fracBits) | ((R_SIG >> <u64>(63 - fracBits)) & fracMask);
}

export function toF32(sig: u64, se: u32): u32 { return <u32>toBinary(sig, se, 23, 8); }
export function toF64(sig: u64, se: u32): u64 { return toBinary(sig, se, 52, 11); }

/**
 * An extended value as a signed integer of `bits` (16, 32, 64), rounded by RC
 * or truncated (fisttp). Out of range, NaN or infinity: IE and the integer
 * indefinite, 1 << (bits - 1) (Vol. 2, FIST).
 */
export function toInt(sig: u64, se: u32, bits: u32, truncate: bool): u64 {
  UP = false;
  const indefinite = <u64>1 << <u64>(bits - 1);
  const k = classify(sig, se);
  if (k == K_UNSUPPORTED || k == K_INF || isNaNClass(k)) { EXC |= IE; return indefinite; }
  if (k == K_ZERO) return 0;
  const sign = se >> 15;
  unpack(sig, se);
  const e = NE - BIAS;
  if (e > 63) { EXC |= IE; return indefinite; }
  let iv: u64, frac: u64;
  if (e >= 0) {
    iv = e == 63 ? NS : NS >> <u64>(63 - e);
    frac = e == 63 ? 0 : NS << <u64>(e + 1);
  } else {
    iv = 0;
    shr128Jam(NS, 0, -e - 1);
    frac = H | (L != 0 ? 1 : 0);
  }
  let inc = false;
  if (!truncate) {
    if (RC == RC_NEAREST) inc = frac > J || (frac == J && (iv & 1) != 0);
    else if (RC == RC_UP) inc = frac != 0 && sign == 0;
    else if (RC == RC_DOWN) inc = frac != 0 && sign != 0;
  }
  if (inc) {
    iv += 1;
    if (iv == 0) { EXC |= IE; return indefinite; }
  }
  if (sign == 0 ? iv >= indefinite : iv > indefinite) { EXC |= IE; return indefinite; }
  if (frac != 0) EXC |= PE;
  UP = inc;
  const mask = bits == 64 ? <u64>0xffffffffffffffff : (<u64>1 << <u64>bits) - 1;
  return (sign != 0 ? <u64>0 - iv : iv) & mask;
}

// ---- other operations ------------------------------------------------------------------

/** Rounds to an integral value by RC (Vol. 2, FRNDINT). */
export function roundToInt(sig: u64, se: u32): void {
  UP = false;
  const k = classify(sig, se);
  if (k == K_UNSUPPORTED) { invalid(); return; }
  if (isNaNClass(k)) { propagateNaN(sig, se, k, sig, se, k); return; }
  if (k == K_ZERO || k == K_INF) { result(sig, se); return; }
  if (k == K_DENORMAL) EXC |= DE;
  const sign = se >> 15;
  unpack(sig, se);
  const e = NE - BIAS;
  if (e >= 63) { result(sig, se); return; }
  let iv: u64, frac: u64;
  if (e >= 0) {
    iv = NS >> <u64>(63 - e);
    frac = NS << <u64>(e + 1);
  } else {
    iv = 0;
    shr128Jam(NS, 0, -e - 1);
    frac = H | (L != 0 ? 1 : 0);
  }
  let inc = false;
  if (RC == RC_NEAREST) inc = frac > J || (frac == J && (iv & 1) != 0);
  else if (RC == RC_UP) inc = frac != 0 && sign == 0;
  else if (RC == RC_DOWN) inc = frac != 0 && sign != 0;
  if (frac != 0) EXC |= PE;
  UP = inc;
  if (inc) iv += 1;
  if (iv == 0) { result(0, sign << 15); return; }
  // iv < 2^63 + 1 fits; renormalize
  const s = <u32>clz<u64>(iv);
  result(iv << <u64>s, (sign << 15) | (<u32>BIAS + 63 - s));
}

/** a * 2^trunc(b) (Vol. 2, FSCALE). */
export function scale(aSig: u64, aSe: u32, bSig: u64, bSe: u32): void {
  UP = false;
  const ka = classify(aSig, aSe), kb = classify(bSig, bSe);
  if (specials2(aSig, aSe, ka, bSig, bSe, kb)) return;
  const sb = bSe >> 15;
  if (kb == K_INF) {
    if (sb == 0) {
      if (ka == K_ZERO) { invalid(); return; }
      result(J, (aSe & 0x8000) | MAX_EXP);
    } else {
      if (ka == K_INF) { invalid(); return; }
      result(0, aSe & 0x8000);
    }
    return;
  }
  if (ka == K_ZERO || ka == K_INF) { result(aSig, aSe); return; }
  // n = trunc(b), clamped well beyond any exponent the result can reach.
  let n: i32 = 0;
  if (kb != K_ZERO) {
    unpack(bSig, bSe);
    const e = NE - BIAS;
    if (e >= 20) n = 1 << 20;
    else if (e >= 0) n = <i32>(NS >> <u64>(63 - e));
    if (sb != 0) n = -n;
  }
  unpack(aSig, aSe);
  roundPack(aSe >> 15, NE + n, NS, 0, 64);
}

/** Exponent and significand (Vol. 2, FXTRACT): results EXP_* and SIG/SE. */
export let XT_EXP_SIG: u64 = 0;
export let XT_EXP_SE: u32 = 0;

export function extract(sig: u64, se: u32): void {
  UP = false;
  const k = classify(sig, se);
  if (k == K_UNSUPPORTED) { invalid(); XT_EXP_SIG = SIG; XT_EXP_SE = SE; return; }
  if (isNaNClass(k)) {
    propagateNaN(sig, se, k, sig, se, k);
    XT_EXP_SIG = SIG; XT_EXP_SE = SE;
    return;
  }
  if (k == K_ZERO) {
    EXC |= ZE;
    XT_EXP_SIG = J; XT_EXP_SE = 0xffff;
    result(sig, se);
    return;
  }
  if (k == K_INF) {
    XT_EXP_SIG = J; XT_EXP_SE = MAX_EXP;
    result(sig, se);
    return;
  }
  if (k == K_DENORMAL) EXC |= DE;
  unpack(sig, se);
  fromI64(<i64>(NE - BIAS));
  XT_EXP_SIG = SIG; XT_EXP_SE = SE;
  result(NS, (se & 0x8000) | <u32>BIAS);
}

/** Quotient bits Q2, Q1, Q0 and completeness of the last partial remainder. */
export let REM_Q: u32 = 0;
export let REM_INCOMPLETE: bool = false;

/**
 * Partial remainder a rem b (Vol. 2, FPREM and FPREM1): exact. `nearest`
 * rounds the quotient to nearest-even (fprem1), else truncates. When the
 * exponents differ by 64 or more only part of the reduction is done.
 */
export function remainder(aSig: u64, aSe: u32, bSig: u64, bSe: u32, nearest: bool): void {
  UP = false;
  REM_Q = 0;
  REM_INCOMPLETE = false;
  const ka = classify(aSig, aSe), kb = classify(bSig, bSe);
  if (ka == K_UNSUPPORTED || kb == K_UNSUPPORTED) { invalid(); return; }
  if (isNaNClass(ka) || isNaNClass(kb)) { propagateNaN(aSig, aSe, ka, bSig, bSe, kb); return; }
  if (ka == K_INF || kb == K_ZERO) { invalid(); return; }
  if (ka == K_DENORMAL || kb == K_DENORMAL) EXC |= DE;
  if (ka == K_ZERO || kb == K_INF) { roundPackSame(aSig, aSe, ka); return; }
  const sa = aSe >> 15;
  unpack(aSig, aSe);
  const ea = NE, ma = NS;
  unpack(bSig, bSe);
  const eb = NE, mb = NS;
  const d = ea - eb;
  if (d < 0) {
    if (!nearest || d < -1 || ma <= mb) { roundPackSame(aSig, aSe, ka); return; }
    // |a| in (|b|/2, |b|): the quotient rounds to 1.
    REM_Q = 1;
    normRoundPack(sa ^ 1, eb - 1, (mb << 1) - ma, 0, 64);
    return;
  }
  let steps = d;
  let partial = false;
  if (d >= 64) {
    // The manual leaves the reduction per step to the implementation (32..63
    // quotient bits); this choice matches the host's results bit for bit.
    partial = true;
    steps = (d & 31) | 32;
  }
  // q = floor(ma * 2^steps / mb), rem = the rest; the remainder has b's scale, times 2^(d - steps).
  let rem = ma;
  let q: u64 = 0;
  if (rem >= mb) { rem -= mb; q = 1; }
  for (let i = 0; i < steps; i++) {
    const carry = rem >> 63;
    rem <<= 1;
    q <<= 1;
    if (carry != 0 || rem >= mb) { rem -= mb; q |= 1; }
  }
  let sign = sa;
  if (!partial && nearest) {
    // Round the quotient to nearest-even: 2 rem > mb, or a tie with q odd.
    const twice = rem >> 63 != 0 || (rem << 1) > mb;
    const tie = rem >> 63 == 0 && (rem << 1) == mb;
    if (twice || (tie && (q & 1) != 0)) {
      rem = mb - rem;
      q += 1;
      sign ^= 1;
    }
  }
  REM_Q = <u32>(q & 7);
  REM_INCOMPLETE = partial;
  if (rem == 0) { result(0, sa << 15); return; }
  normRoundPack(sign, eb + (d - steps), rem, 0, 64);
}

/** A finite or zero operand passed through unchanged except for denormal normalization. */
function roundPackSame(sig: u64, se: u32, k: u32): void {
  if (k == K_DENORMAL) {
    unpack(sig, se);
    roundPack(se >> 15, NE, NS, 0, 64);
  } else {
    result(sig, se);
  }
}
