// The working precision of the x87 transcendentals (f80-transcendental.ts):
// 128-bit unsigned fixed-point numbers and 128-bit floats, twice the
// extended format's 64-bit significand, so that a result rounded once to
// 64 bits is correctly rounded except when the exact value lies within
// about 2^-120 (relative) of a rounding boundary.
//
// Fixed point: (hi:lo) / 2^127, "Q127", values in [0, 2); a few constants
// are Q126 ([0, 4)). A float is sign, (hi:lo) with bit 127 set, and an
// exponent e: (hi:lo) / 2^127 * 2^e. Bit 0 of lo may be a sticky bit (some
// non-zero value below it was dropped). Results go to globals (no
// allocation): W_HI / W_LO for fixed-point results, F_* for floats.

export let W_HI: u64 = 0;
export let W_LO: u64 = 0;

export let F_SIGN: u32 = 0;
export let F_HI: u64 = 0;
export let F_LO: u64 = 0;
export let F_EXP: i32 = 0;
/** The last float operation produced exactly zero. */
export let F_ZERO: bool = false;

export const ONE_HI: u64 = 0x8000000000000000;

// ---- 64 x 64 -> 128 -----------------------------------------------------------
let MH: u64 = 0;
let ML: u64 = 0;

@inline function mul64(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32;
  const b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  ML = (p00 & 0xffffffff) | (mid << 32);
  MH = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/** 64 x 64 -> 128 for callers: high word in W_HI, low in W_LO. */
export function mulWide(a: u64, b: u64): void {
  mul64(a, b);
  W_HI = MH;
  W_LO = ML;
}

// ---- 128 x 128 -> 256 ---------------------------------------------------------
let P3: u64 = 0, P2: u64 = 0, P1: u64 = 0, P0: u64 = 0;

function mul128(ah: u64, al: u64, bh: u64, bl: u64): void {
  mul64(al, bl);
  P0 = ML;
  let c1 = MH;
  mul64(al, bh);
  const xl = ML, xh = MH;
  mul64(ah, bl);
  const yl = ML, yh = MH;
  mul64(ah, bh);
  const zl = ML, zh = MH;
  // P1 = c1 + xl + yl; carries into P2
  let p1 = c1 + xl;
  let carry: u64 = p1 < xl ? 1 : 0;
  const p1b = p1 + yl;
  carry += p1b < yl ? 1 : 0;
  P1 = p1b;
  // P2 = xh + yh + zl + carry; carries into P3
  let p2 = xh + yh;
  let c2: u64 = p2 < yh ? 1 : 0;
  const p2b = p2 + zl;
  c2 += p2b < zl ? 1 : 0;
  const p2c = p2b + carry;
  c2 += p2c < carry ? 1 : 0;
  P2 = p2c;
  P3 = zh + c2;
}

/** Q127 product a * b (one operand may be Q126: the result then is too). */
export function mulQ(ah: u64, al: u64, bh: u64, bl: u64): void {
  mul128(ah, al, bh, bl);
  W_HI = (P3 << 1) | (P2 >> 63);
  W_LO = (P2 << 1) | (P1 >> 63);
}

/** (hi:lo) / d for 0 < d < 2^32, truncated. */
export function divSmall(hi: u64, lo: u64, d: u64): void {
  let r: u64 = 0;
  let q3 = ((r << 32) | (hi >> 32)); r = q3 % d; q3 /= d;
  let q2 = ((r << 32) | (hi & 0xffffffff)); r = q2 % d; q2 /= d;
  let q1 = ((r << 32) | (lo >> 32)); r = q1 % d; q1 /= d;
  let q0 = ((r << 32) | (lo & 0xffffffff)); q0 /= d;
  W_HI = (q3 << 32) | q2;
  W_LO = (q1 << 32) | q0;
}

/** a - b (a >= b). */
export function subQ(ah: u64, al: u64, bh: u64, bl: u64): void {
  W_LO = al - bl;
  W_HI = ah - bh - (al < bl ? 1 : 0);
}

/** a + b (no overflow). */
export function addQ(ah: u64, al: u64, bh: u64, bl: u64): void {
  W_LO = al + bl;
  W_HI = ah + bh + (W_LO < al ? 1 : 0);
}

/** (hi:lo) >> n, every bit shifted out ORed into bit 0 (sticky). */
export function shrJam(hi: u64, lo: u64, n: i32): void {
  if (n <= 0) { W_HI = hi; W_LO = lo; return; }
  if (n < 64) {
    const out = lo << <u64>(64 - n);
    W_LO = (lo >> <u64>n) | (hi << <u64>(64 - n)) | (out != 0 ? 1 : 0);
    W_HI = hi >> <u64>n;
  } else if (n < 128) {
    const out = n == 64 ? lo : (hi << <u64>(128 - n)) | lo;
    W_LO = (n == 64 ? hi : hi >> <u64>(n - 64)) | (out != 0 ? 1 : 0);
    W_HI = 0;
  } else {
    W_LO = (hi | lo) != 0 ? 1 : 0;
    W_HI = 0;
  }
}

@inline function lessThan(ah: u64, al: u64, bh: u64, bl: u64): bool {
  return ah < bh || (ah == bh && al < bl);
}

// ---- floats ------------------------------------------------------------------------

/** Makes (sign, hi:lo * 2^e in Q127) a float; zero sets F_ZERO. */
export function normalize(sign: u32, hi: u64, lo: u64, e: i32): void {
  F_SIGN = sign;
  F_ZERO = (hi | lo) == 0;
  if (F_ZERO) { F_HI = 0; F_LO = 0; F_EXP = 0; return; }
  let s: i32;
  if (hi != 0) {
    s = <i32>clz<u64>(hi);
    if (s != 0) { hi = (hi << <u64>s) | (lo >> <u64>(64 - s)); lo <<= <u64>s; }
  } else {
    s = 64 + <i32>clz<u64>(lo);
    hi = lo << <u64>(s - 64);
    lo = 0;
  }
  F_HI = hi;
  F_LO = lo;
  F_EXP = e - s;
}

/** Float product (truncated, sticky kept). */
export function fmul(sa: u32, ah: u64, al: u64, ea: i32, sb: u32, bh: u64, bl: u64, eb: i32): void {
  mul128(ah, al, bh, bl);
  const sticky: u64 = P1 | P0;
  F_SIGN = sa ^ sb;
  F_ZERO = false;
  if ((P3 >> 63) != 0) {
    F_HI = P3; F_LO = P2 | (sticky != 0 ? <u64>1 : 0); F_EXP = ea + eb + 1;
  } else {
    F_HI = (P3 << 1) | (P2 >> 63); F_LO = (P2 << 1) | (P1 >> 63) | (((P1 << 1) | P0) != 0 ? <u64>1 : 0); F_EXP = ea + eb;
  }
}

/** Float sum a + b with sticky alignment (the 64 extra bits make the sticky exact enough for 64-bit rounding). */
export function fadd(sa: u32, ah: u64, al: u64, ea: i32, sb: u32, bh: u64, bl: u64, eb: i32): void {
  if (ea < eb || (ea == eb && lessThan(ah, al, bh, bl))) {
    const ts = sa; sa = sb; sb = ts;
    const th = ah; ah = bh; bh = th;
    const tl = al; al = bl; bl = tl;
    const te = ea; ea = eb; eb = te;
  }
  // |a| >= |b|; b aligned to a with one extra guard bit below (shift a and b right by 1).
  shrJam(ah, al, 1);
  const gh = W_HI, gl = W_LO;
  shrJam(bh, bl, ea - eb + 1);
  if (sa == sb) {
    addQ(gh, gl, W_HI, W_LO);
    normalize(sa, W_HI, W_LO, ea + 1);
  } else {
    subQ(gh, gl, W_HI, W_LO);
    normalize(sa, W_HI, W_LO, ea + 1);
  }
}

/** fdiv with `extra`: the next 64 quotient bits, and whether a remainder is left after them. */
export let F_EXTRA: u64 = 0;
export let F_EXTRA_STICKY: bool = false;
/** fdiv with `extra`: F_LO as computed, without the sticky bit ORed in. */
export let F_LO_EXACT: u64 = 0;

/**
 * The quotient of two floats' significands: floor(a * 2^127 / b) with a
 * sticky bit, as a float with exponent ea - eb; with `extra`, 64 more
 * quotient bits in F_EXTRA (for results that sit within 2^-128 of a
 * rounding boundary: atan of a tiny y / x).
 */
export function fdiv(sa: u32, ah: u64, al: u64, ea: i32, sb: u32, bh: u64, bl: u64, eb: i32, extra: bool = false): void {
  // Remainder (carry:rh:rl), 129 bits.
  let rh = ah, rl = al;
  let carry: u64 = 0;
  let e = ea - eb;
  if (lessThan(ah, al, bh, bl)) {
    carry = rh >> 63;
    rh = (rh << 1) | (rl >> 63);
    rl <<= 1;
    e--;
  }
  let qh: u64 = 0, ql: u64 = 0, qx: u64 = 0;
  const bits = extra ? 192 : 128;
  for (let i = 0; i < bits; i++) {
    qh = (qh << 1) | (ql >> 63);
    ql = (ql << 1) | (qx >> 63);
    qx <<= 1;
    if (carry != 0 || !lessThan(rh, rl, bh, bl)) {
      const borrow: u64 = rl < bl ? 1 : 0;
      rl -= bl;
      rh = rh - bh - borrow;
      qx |= 1;
    }
    carry = rh >> 63;
    rh = (rh << 1) | (rl >> 63);
    rl <<= 1;
  }
  const rest = (carry | rh | rl) != 0;
  if (!extra) { qh = ql; ql = qx; qx = 0; }
  F_EXTRA = qx;
  F_EXTRA_STICKY = rest;
  F_LO_EXACT = ql;
  F_SIGN = sa ^ sb;
  F_ZERO = false;
  F_HI = qh;
  F_LO = ql | (rest || qx != 0 ? <u64>1 : 0);
  F_EXP = e;
}
