// SSE4.1 integer and data-movement instructions on xmm registers (manual
// Vol. 2, the instruction pages of the same names): the packed operations
// of 66 0F 38 28-40 (with SSE4.2's pcmpgtq, the same shape), blends,
// ptest, pmovsx/pmovzx, phminposuw, pextr*/extractps, pinsr*, mpsadbw.
// The floating-point ones (round, dpps/dppd, insertps) are in sse41-fp.ts.
//
// Legacy-SSE forms with a 128-bit memory operand require 16-byte alignment
// (#GP otherwise), Vol. 1, 11.6.8; pmovsx/pmovzx read 16, 32 or 64 bits at
// any alignment.

import { argOf, immOf, isMem, ea, rmOf, opSize } from '../insn';
import { getReg64, setReg64 } from '../state';
import { FAULT, read8, read16, read32, read64, writeSized } from '../mem';
import { RES, MEMBUF, vPtr, wPtr, xmmPtr, copy128 } from '../xmm';
import { setArithFlags, ARITH, CF, ZF } from '../flags';

// Operation numbers (arg of Sse41VdqWdq rows); keep in step with SSE41_OPS in emulator/table/sse4.ts.
const PMULDQ: u32 = 0, PCMPEQQ: u32 = 1, PACKUSDW: u32 = 2, PCMPGTQ: u32 = 3;
const PMINSB: u32 = 4, PMINSD: u32 = 5, PMINUW: u32 = 6, PMINUD: u32 = 7;
const PMAXSB: u32 = 8, PMAXSD: u32 = 9, PMAXUW: u32 = 10, PMAXUD: u32 = 11, PMULLD: u32 = 12;

@inline function satU16(v: i32): u32 { return <u32>(v < 0 ? 0 : v > 65535 ? 65535 : v); }

function sse41(k: u32, a: usize, b: usize): void {
  switch (k) {
    case PMULDQ:
      store<i64>(RES, <i64>load<i32>(a) * <i64>load<i32>(b));
      store<i64>(RES + 8, <i64>load<i32>(a + 8) * <i64>load<i32>(b + 8));
      break;
    case PCMPEQQ: for (let i: usize = 0; i < 16; i += 8) store<u64>(RES + i, load<u64>(a + i) == load<u64>(b + i) ? -1 : 0); break;
    case PCMPGTQ: for (let i: usize = 0; i < 16; i += 8) store<u64>(RES + i, load<i64>(a + i) > load<i64>(b + i) ? -1 : 0); break;
    case PACKUSDW:
      for (let i: usize = 0; i < 4; i++) {
        store<u16>(RES + 2 * i, <u16>satU16(load<i32>(a + 4 * i)));
        store<u16>(RES + 8 + 2 * i, <u16>satU16(load<i32>(b + 4 * i)));
      }
      break;
    case PMINSB: for (let i: usize = 0; i < 16; i++) { const x = load<i8>(a + i), y = load<i8>(b + i); store<i8>(RES + i, x < y ? x : y); } break;
    case PMAXSB: for (let i: usize = 0; i < 16; i++) { const x = load<i8>(a + i), y = load<i8>(b + i); store<i8>(RES + i, x > y ? x : y); } break;
    case PMINUW: for (let i: usize = 0; i < 16; i += 2) { const x = load<u16>(a + i), y = load<u16>(b + i); store<u16>(RES + i, x < y ? x : y); } break;
    case PMAXUW: for (let i: usize = 0; i < 16; i += 2) { const x = load<u16>(a + i), y = load<u16>(b + i); store<u16>(RES + i, x > y ? x : y); } break;
    case PMINSD: for (let i: usize = 0; i < 16; i += 4) { const x = load<i32>(a + i), y = load<i32>(b + i); store<i32>(RES + i, x < y ? x : y); } break;
    case PMAXSD: for (let i: usize = 0; i < 16; i += 4) { const x = load<i32>(a + i), y = load<i32>(b + i); store<i32>(RES + i, x > y ? x : y); } break;
    case PMINUD: for (let i: usize = 0; i < 16; i += 4) { const x = load<u32>(a + i), y = load<u32>(b + i); store<u32>(RES + i, x < y ? x : y); } break;
    case PMAXUD: for (let i: usize = 0; i < 16; i += 4) { const x = load<u32>(a + i), y = load<u32>(b + i); store<u32>(RES + i, x > y ? x : y); } break;
    case PMULLD: for (let i: usize = 0; i < 16; i += 4) store<u32>(RES + i, load<u32>(a + i) * load<u32>(b + i)); break;
  }
}

/** Packed operation xmm1, xmm2/m128 (66 0F 38 28-40). */
export function Sse41VdqWdq(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  sse41(argOf(d), a, b);
  copy128(a, RES);
}

/** Element i (of size w) takes the source where its mask bit is set, else keeps the destination. */
@inline function blendLane(a: usize, b: usize, i: usize, w: usize, take: bool): void {
  if (!take) return;
  if (w == 1) store<u8>(a + i, load<u8>(b + i));
  else if (w == 2) store<u16>(a + i, load<u16>(b + i));
  else if (w == 4) store<u32>(a + i, load<u32>(b + i));
  else store<u64>(a + i, load<u64>(b + i));
}

/** pblendvb / blendvps / blendvpd xmm1, xmm2/m128, <xmm0>: the sign bit of each xmm0 element selects the source. */
export function BlendvVdqWdq(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  const w = <usize>argOf(d);
  const m = xmmPtr(0);
  copy128(RES, m); // xmm0 may also be the destination
  for (let i: usize = 0; i < 16; i += w) blendLane(a, b, i, w, (load<u8>(RES + i + w - 1) & 0x80) != 0);
}

/** blendps / blendpd / pblendw xmm1, xmm2/m128, imm8: bit i of imm8 selects element i of the source. */
export function BlendVdqWdqIb(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  const w = <usize>argOf(d);
  const imm = <u32>immOf(d);
  for (let i: usize = 0; i < 16; i += w) blendLane(a, b, i, w, ((imm >> <u32>(i / w)) & 1) != 0);
}

/** ptest xmm1, xmm2/m128: ZF = (src & dest) == 0, CF = (src & ~dest) == 0; AF OF PF SF cleared. */
export function PtestVdqWdq(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  const and = (load<u64>(a) & load<u64>(b)) | (load<u64>(a + 8) & load<u64>(b + 8));
  const andn = (~load<u64>(a) & load<u64>(b)) | (~load<u64>(a + 8) & load<u64>(b + 8));
  setArithFlags(ARITH, (and == 0 ? ZF : 0) | (andn == 0 ? CF : 0));
}

/**
 * pmovsx / pmovzx xmm1, xmm2/mN: arg & 7 is bw bd bq wd wq dq (0-5), arg & 8
 * zero-extends. The source is the low 16 >> (log2 of the widening) bytes.
 */
export function PmovxVdqWx(d: usize): void {
  const k = argOf(d) & 7;
  const zero = (argOf(d) & 8) != 0;
  // Source and destination element sizes in bytes.
  const from: usize = k < 3 ? 1 : k < 5 ? 2 : 4;
  const to: usize = k == 0 ? 2 : k == 1 || k == 3 ? 4 : 8;
  const n: usize = 16 / to;
  const bytes = <u32>(n * from);
  let s: usize;
  if (isMem(d)) {
    const addr = ea(d);
    const v = bytes == 8 ? read64(addr) : bytes == 4 ? read32(addr) : read16(addr);
    if (FAULT) return;
    store<u64>(MEMBUF, v);
    s = MEMBUF;
  } else {
    s = xmmPtr(rmOf(d));
  }
  for (let i: usize = 0; i < n; i++) {
    let v: u64;
    if (from == 1) v = zero ? <u64>load<u8>(s + i) : <u64>load<i8>(s + i);
    else if (from == 2) v = zero ? <u64>load<u16>(s + 2 * i) : <u64>load<i16>(s + 2 * i);
    else v = zero ? <u64>load<u32>(s + 4 * i) : <u64>load<i32>(s + 4 * i);
    if (to == 2) store<u16>(RES + 2 * i, <u16>v);
    else if (to == 4) store<u32>(RES + 4 * i, <u32>v);
    else store<u64>(RES + 8 * i, v);
  }
  copy128(vPtr(d), RES);
}

/** phminposuw xmm1, xmm2/m128: the least unsigned word (lowest index on ties) and its index; the rest zero. */
export function PhminposuwVdqWdq(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  let min = <u32>load<u16>(b), at: u32 = 0;
  for (let i: u32 = 1; i < 8; i++) {
    const x = <u32>load<u16>(b + (<usize>i << 1));
    if (x < min) { min = x; at = i; }
  }
  const p = vPtr(d);
  store<u64>(p, <u64>(min | (at << 16)));
  store<u64>(p + 8, 0);
}

/**
 * pextrb / pextrw / pextrd / pextrq / extractps r/m, xmm, imm8 (66 0F 3A
 * 14-17): arg is the element size, 0 for dword or qword by REX.W. A register
 * destination gets the element zero-extended; memory gets the element.
 */
export function PextrEyVdqIb(d: usize): void {
  let w = argOf(d);
  if (w == 0) w = opSize(d);
  const imm = <u32>immOf(d);
  const count = 16 / w;
  const src = vPtr(d) + <usize>((imm & (count - 1)) * w);
  const v: u64 = w == 1 ? <u64>load<u8>(src) : w == 2 ? <u64>load<u16>(src) : w == 4 ? <u64>load<u32>(src) : load<u64>(src);
  if (isMem(d)) writeSized(ea(d), w, v);
  else setReg64(rmOf(d), v);
}

/** pinsrb / pinsrd / pinsrq xmm, r/m, imm8 (66 0F 3A 20, 22): arg is the element size, 0 for dword or qword by REX.W. */
export function PinsrVdqEyIb(d: usize): void {
  let w = argOf(d);
  if (w == 0) w = opSize(d);
  let v: u64;
  if (isMem(d)) {
    const addr = ea(d);
    v = w == 1 ? read8(addr) : w == 4 ? read32(addr) : read64(addr);
    if (FAULT) return;
  } else {
    v = getReg64(rmOf(d));
  }
  const imm = <u32>immOf(d);
  const dst = vPtr(d) + <usize>((imm & (16 / w - 1)) * w);
  if (w == 1) store<u8>(dst, <u8>v);
  else if (w == 4) store<u32>(dst, <u32>v);
  else store<u64>(dst, v);
}

/**
 * mpsadbw xmm1, xmm2/m128, imm8: eight sums of absolute differences of four
 * bytes; the source block is dword imm8[1:0] of xmm2/m128, the destination
 * windows start at byte 4 * imm8[2] of xmm1 and step by one.
 */
export function MpsadbwVdqWdqIb(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  const imm = <u32>immOf(d);
  const sOff = <usize>(imm & 3) << 2;
  const dOff = <usize>((imm >> 2) & 1) << 2;
  for (let i: usize = 0; i < 8; i++) {
    let sum: u32 = 0;
    for (let j: usize = 0; j < 4; j++) {
      const x = <i32>load<u8>(a + dOff + i + j), y = <i32>load<u8>(b + sOff + j);
      sum += <u32>(x > y ? x - y : y - x);
    }
    store<u16>(RES + 2 * i, <u16>sum);
  }
  copy128(a, RES);
}
