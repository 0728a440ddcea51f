// SSSE3 (manual Vol. 2, the instruction pages of the same names): pshufb,
// the horizontal adds and subtracts, pmaddubsw, psign, pmulhrsw, pabs and
// palignr. The row's arg picks the operation; the numbering is SSSE3_OPS in
// emulator/table/sse4.ts.
//
// The operations (ssse3, palignr) take the operand width in bytes: 16 for
// the xmm forms here (66 0F 38 00-0B, 1C-1E, 66 0F 3A 0F), 8 for the mm
// forms (NP, rows in emulator/table/mmx.ts, handlers in ops/mmx.ts). The
// manual's 64-bit Operation sections are the 128-bit ones on half the
// lanes: pshufb mm uses index bits 2:0 (and bit 7 to zero), palignr mm
// shifts the 16-byte concatenation of two 8-byte operands.
//
// Legacy-SSE forms with a 128-bit memory operand require 16-byte alignment
// (#GP otherwise), Vol. 1, 11.6.8.

import { argOf, immOf } from '../insn';
import { RES, vPtr, wPtr, copy128 } from '../xmm';

// Operation numbers (arg of the table rows); keep in step with SSSE3_OPS.
const PSHUFB: u32 = 0, PHADDW: u32 = 1, PHADDD: u32 = 2, PHADDSW: u32 = 3, PMADDUBSW: u32 = 4;
const PHSUBW: u32 = 5, PHSUBD: u32 = 6, PHSUBSW: u32 = 7;
const PSIGNB: u32 = 8, PSIGNW: u32 = 9, PSIGND: u32 = 10, PMULHRSW: u32 = 11;
const PABSB: u32 = 12, PABSW: u32 = 13, PABSD: u32 = 14;

@inline function satS16(v: i32): u32 { return <u32>(v < -32768 ? -32768 : v > 32767 ? 32767 : v) & 0xffff; }

/**
 * The horizontal operations on n-byte operands: element pairs of a fill the
 * low half of the result, pairs of b the high half; w is the element size
 * (2 or 4), sub subtracts the odd element from the even one, sat saturates
 * words.
 */
function horizontal(a: usize, b: usize, n: usize, w: usize, sub: bool, sat: bool): void {
  const half = n >> 1;
  for (let src: usize = 0; src < 2; src++) {
    const s = src == 0 ? a : b;
    for (let i: usize = 0; i < half / w; i++) {
      const o = RES + src * half + i * w;
      if (w == 4) {
        const x = load<u32>(s + 2 * i * w), y = load<u32>(s + 2 * i * w + w);
        store<u32>(o, sub ? x - y : x + y);
      } else {
        const x = <i32>load<i16>(s + 2 * i * w), y = <i32>load<i16>(s + 2 * i * w + w);
        const r = sub ? x - y : x + y;
        store<u16>(o, <u16>(sat ? satS16(r) : <u32>r));
      }
    }
  }
}

/**
 * Computes SSSE3 operation k of a (destination) and b (source), n bytes
 * each (16 for xmm, 8 for mm), into the low n bytes of RES.
 */
export function ssse3(k: u32, a: usize, b: usize, n: usize): void {
  switch (k) {
    case PSHUFB: {
      // Each byte of b picks a byte of a by its low four (xmm) or three (mm) bits, or zero if bit 7 is set.
      const index = <u8>(n - 1);
      for (let i: usize = 0; i < n; i++) {
        const c = load<u8>(b + i);
        store<u8>(RES + i, (c & 0x80) != 0 ? 0 : load<u8>(a + <usize>(c & index)));
      }
      break;
    }
    case PHADDW: horizontal(a, b, n, 2, false, false); break;
    case PHADDD: horizontal(a, b, n, 4, false, false); break;
    case PHADDSW: horizontal(a, b, n, 2, false, true); break;
    case PHSUBW: horizontal(a, b, n, 2, true, false); break;
    case PHSUBD: horizontal(a, b, n, 4, true, false); break;
    case PHSUBSW: horizontal(a, b, n, 2, true, true); break;
    case PMADDUBSW:
      // Unsigned bytes of the destination times signed bytes of the source, pairs summed with saturation.
      for (let i: usize = 0; i < n; i += 2) {
        const p = <i32>load<u8>(a + i) * <i32>load<i8>(b + i) + <i32>load<u8>(a + i + 1) * <i32>load<i8>(b + i + 1);
        store<u16>(RES + i, <u16>satS16(p));
      }
      break;
    case PSIGNB:
      for (let i: usize = 0; i < n; i++) {
        const s = load<i8>(b + i), x = load<u8>(a + i);
        store<u8>(RES + i, s < 0 ? <u8>(0 - x) : s == 0 ? 0 : x);
      }
      break;
    case PSIGNW:
      for (let i: usize = 0; i < n; i += 2) {
        const s = load<i16>(b + i), x = load<u16>(a + i);
        store<u16>(RES + i, s < 0 ? <u16>(0 - x) : s == 0 ? 0 : x);
      }
      break;
    case PSIGND:
      for (let i: usize = 0; i < n; i += 4) {
        const s = load<i32>(b + i), x = load<u32>(a + i);
        store<u32>(RES + i, s < 0 ? 0 - x : s == 0 ? 0 : x);
      }
      break;
    case PMULHRSW:
      // ((a * b >> 14) + 1) >> 1: the high word of the product, rounded.
      for (let i: usize = 0; i < n; i += 2) {
        const p = (<i32>load<i16>(a + i) * <i32>load<i16>(b + i)) >> 14;
        store<u16>(RES + i, <u16>((p + 1) >> 1));
      }
      break;
    case PABSB: for (let i: usize = 0; i < n; i++) { const x = load<i8>(b + i); store<u8>(RES + i, <u8>(x < 0 ? -x : x)); } break;
    case PABSW: for (let i: usize = 0; i < n; i += 2) { const x = load<i16>(b + i); store<u16>(RES + i, <u16>(x < 0 ? -x : x)); } break;
    case PABSD: for (let i: usize = 0; i < n; i += 4) { const x = load<i32>(b + i); store<u32>(RES + i, <u32>(x < 0 ? -x : x)); } break;
  }
}

/** SSSE3 operation xmm1, xmm2/m128 (66 0F 38 ...). */
export function Ssse3VdqWdq(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  ssse3(argOf(d), a, b, 16);
  copy128(a, RES);
}

/**
 * palignr of n-byte operands into the low n bytes of RES: the 2n-byte
 * concatenation a:b (b low) shifted right by `shift` bytes, zeros coming in.
 */
export function palignr(a: usize, b: usize, n: usize, shift: usize): void {
  for (let i: usize = 0; i < n; i++) {
    const j = i + shift;
    store<u8>(RES + i, j < n ? load<u8>(b + j) : j < 2 * n ? load<u8>(a + j - n) : 0);
  }
}

/** palignr xmm1, xmm2/m128, imm8: (xmm1:xmm2) shifted right by imm8 bytes, the low 16 kept. */
export function PalignrVdqWdqIb(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  palignr(a, b, 16, <usize>(immOf(d) & 0xff));
  copy128(a, RES);
}
