// SSE2 integer instructions on xmm registers (66 0F 60-FE): packed add,
// subtract (wrapping and saturating), compares, min/max, averages,
// multiplies, psadbw, logic, unpacks, packs and shifts. The row's arg picks
// the operation; the numbering is PINT_OPS in emulator/table/sse.ts.
//
// Legacy-SSE forms with a 128-bit memory operand require 16-byte alignment
// (#GP otherwise), Vol. 1, 11.6.8.

import { argOf, immOf, rmOf } from '../insn';
import { RES, vPtr, wPtr, xmmPtr, copy128 } from '../xmm';

// Operation numbers (arg of the table rows); keep in step with PINT_OPS in emulator/table/sse.ts.
const PADDB: u32 = 0, PADDW: u32 = 1, PADDD: u32 = 2, PADDQ: u32 = 3;
const PSUBB: u32 = 4, PSUBW: u32 = 5, PSUBD: u32 = 6, PSUBQ: u32 = 7;
const PADDSB: u32 = 8, PADDSW: u32 = 9, PADDUSB: u32 = 10, PADDUSW: u32 = 11;
const PSUBSB: u32 = 12, PSUBSW: u32 = 13, PSUBUSB: u32 = 14, PSUBUSW: u32 = 15;
const PCMPEQB: u32 = 16, PCMPEQW: u32 = 17, PCMPEQD: u32 = 18;
const PCMPGTB: u32 = 19, PCMPGTW: u32 = 20, PCMPGTD: u32 = 21;
const PMINUB: u32 = 22, PMAXUB: u32 = 23, PMINSW: u32 = 24, PMAXSW: u32 = 25;
const PAVGB: u32 = 26, PAVGW: u32 = 27;
const PMULLW: u32 = 28, PMULHW: u32 = 29, PMULHUW: u32 = 30, PMULUDQ: u32 = 31, PMADDWD: u32 = 32, PSADBW: u32 = 33;
const PAND: u32 = 34, PANDN: u32 = 35, POR: u32 = 36, PXOR: u32 = 37;
export const PUNPCKLBW: u32 = 38, PUNPCKLWD: u32 = 39, PUNPCKLDQ: u32 = 40, PUNPCKLQDQ: u32 = 41;
export const PUNPCKHBW: u32 = 42, PUNPCKHWD: u32 = 43, PUNPCKHDQ: u32 = 44, PUNPCKHQDQ: u32 = 45;
export const PACKSSWB: u32 = 46, PACKUSWB: u32 = 47, PACKSSDW: u32 = 48;
// Shifts: by an xmm/m128 count (66 0F D1.. F3) or by imm8 (66 0F 71-73).
const PSRLW: u32 = 49, PSRLD: u32 = 50, PSRLQ: u32 = 51, PSRAW: u32 = 52, PSRAD: u32 = 53;
const PSLLW: u32 = 54, PSLLD: u32 = 55, PSLLQ: u32 = 56, PSRLDQ: u32 = 57, PSLLDQ: u32 = 58;

@inline function satS8(v: i32): u32 { return <u32>(v < -128 ? -128 : v > 127 ? 127 : v) & 0xff; }
@inline function satS16(v: i32): u32 { return <u32>(v < -32768 ? -32768 : v > 32767 ? 32767 : v) & 0xffff; }
@inline function satU8(v: i32): u32 { return <u32>(v < 0 ? 0 : v > 255 ? 255 : v); }
@inline function satU16(v: i32): u32 { return <u32>(v < 0 ? 0 : v > 65535 ? 65535 : v); }

/** Bytes of x that are zero become 0xff, others 0x00 (SWAR, no carries between bytes). */
@inline function zeroBytes(x: u64): u64 {
  const t = ((x & 0x7f7f7f7f7f7f7f7f) + 0x7f7f7f7f7f7f7f7f) | x;
  return ((~t & 0x8080808080808080) >> 7) * 0xff;
}

/** Computes integer operation k of a (first source, destination) and b into RES. */
export function pint(k: u32, a: usize, b: usize): void {
  switch (k) {
    case PADDB: for (let i: usize = 0; i < 16; i++) store<u8>(RES + i, load<u8>(a + i) + load<u8>(b + i)); break;
    case PADDW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, load<u16>(a + i) + load<u16>(b + i)); break;
    case PADDD: for (let i: usize = 0; i < 16; i += 4) store<u32>(RES + i, load<u32>(a + i) + load<u32>(b + i)); break;
    case PADDQ: for (let i: usize = 0; i < 16; i += 8) store<u64>(RES + i, load<u64>(a + i) + load<u64>(b + i)); break;
    case PSUBB: for (let i: usize = 0; i < 16; i++) store<u8>(RES + i, load<u8>(a + i) - load<u8>(b + i)); break;
    case PSUBW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, load<u16>(a + i) - load<u16>(b + i)); break;
    case PSUBD: for (let i: usize = 0; i < 16; i += 4) store<u32>(RES + i, load<u32>(a + i) - load<u32>(b + i)); break;
    case PSUBQ: for (let i: usize = 0; i < 16; i += 8) store<u64>(RES + i, load<u64>(a + i) - load<u64>(b + i)); break;
    case PADDSB: for (let i: usize = 0; i < 16; i++) store<u8>(RES + i, satS8(<i32>load<i8>(a + i) + <i32>load<i8>(b + i))); break;
    case PADDSW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, satS16(<i32>load<i16>(a + i) + <i32>load<i16>(b + i))); break;
    case PADDUSB: for (let i: usize = 0; i < 16; i++) store<u8>(RES + i, satU8(<i32>load<u8>(a + i) + <i32>load<u8>(b + i))); break;
    case PADDUSW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, satU16(<i32>load<u16>(a + i) + <i32>load<u16>(b + i))); break;
    case PSUBSB: for (let i: usize = 0; i < 16; i++) store<u8>(RES + i, satS8(<i32>load<i8>(a + i) - <i32>load<i8>(b + i))); break;
    case PSUBSW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, satS16(<i32>load<i16>(a + i) - <i32>load<i16>(b + i))); break;
    case PSUBUSB: for (let i: usize = 0; i < 16; i++) store<u8>(RES + i, satU8(<i32>load<u8>(a + i) - <i32>load<u8>(b + i))); break;
    case PSUBUSW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, satU16(<i32>load<u16>(a + i) - <i32>load<u16>(b + i))); break;
    case PCMPEQB:
      store<u64>(RES, zeroBytes(load<u64>(a) ^ load<u64>(b)));
      store<u64>(RES + 8, zeroBytes(load<u64>(a + 8) ^ load<u64>(b + 8)));
      break;
    case PCMPEQW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, load<u16>(a + i) == load<u16>(b + i) ? 0xffff : 0); break;
    case PCMPEQD: for (let i: usize = 0; i < 16; i += 4) store<u32>(RES + i, load<u32>(a + i) == load<u32>(b + i) ? 0xffffffff : 0); break;
    case PCMPGTB: for (let i: usize = 0; i < 16; i++) store<u8>(RES + i, load<i8>(a + i) > load<i8>(b + i) ? 0xff : 0); break;
    case PCMPGTW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, load<i16>(a + i) > load<i16>(b + i) ? 0xffff : 0); break;
    case PCMPGTD: for (let i: usize = 0; i < 16; i += 4) store<u32>(RES + i, load<i32>(a + i) > load<i32>(b + i) ? 0xffffffff : 0); break;
    case PMINUB: for (let i: usize = 0; i < 16; i++) { const x = load<u8>(a + i), y = load<u8>(b + i); store<u8>(RES + i, x < y ? x : y); } break;
    case PMAXUB: for (let i: usize = 0; i < 16; i++) { const x = load<u8>(a + i), y = load<u8>(b + i); store<u8>(RES + i, x > y ? x : y); } break;
    case PMINSW: for (let i: usize = 0; i < 16; i += 2) { const x = load<i16>(a + i), y = load<i16>(b + i); store<i16>(RES + i, x < y ? x : y); } break;
    case PMAXSW: for (let i: usize = 0; i < 16; i += 2) { const x = load<i16>(a + i), y = load<i16>(b + i); store<i16>(RES + i, x > y ? x : y); } break;
    case PAVGB: for (let i: usize = 0; i < 16; i++) store<u8>(RES + i, (<u32>load<u8>(a + i) + <u32>load<u8>(b + i) + 1) >> 1); break;
    case PAVGW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, (<u32>load<u16>(a + i) + <u32>load<u16>(b + i) + 1) >> 1); break;
    case PMULLW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, <u32>load<u16>(a + i) * <u32>load<u16>(b + i)); break;
    case PMULHW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, <u32>((<i32>load<i16>(a + i) * <i32>load<i16>(b + i)) >> 16)); break;
    case PMULHUW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, (<u32>load<u16>(a + i) * <u32>load<u16>(b + i)) >> 16); break;
    case PMULUDQ:
      store<u64>(RES, <u64>load<u32>(a) * <u64>load<u32>(b));
      store<u64>(RES + 8, <u64>load<u32>(a + 8) * <u64>load<u32>(b + 8));
      break;
    case PMADDWD:
      for (let i: usize = 0; i < 16; i += 4) {
        // Only -32768 * -32768 twice overflows; it wraps to 0x80000000 as the hardware does.
        const p = <i64>load<i16>(a + i) * <i64>load<i16>(b + i) + <i64>load<i16>(a + i + 2) * <i64>load<i16>(b + i + 2);
        store<u32>(RES + i, <u32>p);
      }
      break;
    case PSADBW:
      for (let h: usize = 0; h < 16; h += 8) {
        let sum: u32 = 0;
        for (let i: usize = 0; i < 8; i++) {
          const x = <i32>load<u8>(a + h + i), y = <i32>load<u8>(b + h + i);
          sum += <u32>(x > y ? x - y : y - x);
        }
        store<u64>(RES + h, sum);
      }
      break;
    case PAND: store<u64>(RES, load<u64>(a) & load<u64>(b)); store<u64>(RES + 8, load<u64>(a + 8) & load<u64>(b + 8)); break;
    case PANDN: store<u64>(RES, ~load<u64>(a) & load<u64>(b)); store<u64>(RES + 8, ~load<u64>(a + 8) & load<u64>(b + 8)); break;
    case POR: store<u64>(RES, load<u64>(a) | load<u64>(b)); store<u64>(RES + 8, load<u64>(a + 8) | load<u64>(b + 8)); break;
    case PXOR: store<u64>(RES, load<u64>(a) ^ load<u64>(b)); store<u64>(RES + 8, load<u64>(a + 8) ^ load<u64>(b + 8)); break;
    case PUNPCKLBW: for (let i: usize = 0; i < 8; i++) { store<u8>(RES + 2 * i, load<u8>(a + i)); store<u8>(RES + 2 * i + 1, load<u8>(b + i)); } break;
    case PUNPCKLWD: for (let i: usize = 0; i < 4; i++) { store<u16>(RES + 4 * i, load<u16>(a + 2 * i)); store<u16>(RES + 4 * i + 2, load<u16>(b + 2 * i)); } break;
    case PUNPCKLDQ: for (let i: usize = 0; i < 2; i++) { store<u32>(RES + 8 * i, load<u32>(a + 4 * i)); store<u32>(RES + 8 * i + 4, load<u32>(b + 4 * i)); } break;
    case PUNPCKLQDQ: store<u64>(RES, load<u64>(a)); store<u64>(RES + 8, load<u64>(b)); break;
    case PUNPCKHBW: for (let i: usize = 0; i < 8; i++) { store<u8>(RES + 2 * i, load<u8>(a + 8 + i)); store<u8>(RES + 2 * i + 1, load<u8>(b + 8 + i)); } break;
    case PUNPCKHWD: for (let i: usize = 0; i < 4; i++) { store<u16>(RES + 4 * i, load<u16>(a + 8 + 2 * i)); store<u16>(RES + 4 * i + 2, load<u16>(b + 8 + 2 * i)); } break;
    case PUNPCKHDQ: for (let i: usize = 0; i < 2; i++) { store<u32>(RES + 8 * i, load<u32>(a + 8 + 4 * i)); store<u32>(RES + 8 * i + 4, load<u32>(b + 8 + 4 * i)); } break;
    case PUNPCKHQDQ: store<u64>(RES, load<u64>(a + 8)); store<u64>(RES + 8, load<u64>(b + 8)); break;
    case PACKSSWB:
      for (let i: usize = 0; i < 8; i++) {
        store<u8>(RES + i, satS8(<i32>load<i16>(a + 2 * i)));
        store<u8>(RES + 8 + i, satS8(<i32>load<i16>(b + 2 * i)));
      }
      break;
    case PACKUSWB:
      for (let i: usize = 0; i < 8; i++) {
        store<u8>(RES + i, satU8(<i32>load<i16>(a + 2 * i)));
        store<u8>(RES + 8 + i, satU8(<i32>load<i16>(b + 2 * i)));
      }
      break;
    case PACKSSDW:
      for (let i: usize = 0; i < 4; i++) {
        store<u16>(RES + 2 * i, satS16(load<i32>(a + 4 * i)));
        store<u16>(RES + 8 + 2 * i, satS16(load<i32>(b + 4 * i)));
      }
      break;
    default:
      // Shifts by the count in the source's low quadword; larger counts clear
      // (or fill with the sign) as the manual says (PSLLW/PSRLW/PSRAW...).
      shift(k, a, load<u64>(b));
      break;
  }
}

/** Shift operation k of the lanes at a by count c (any 64-bit value) into RES. */
export function shift(k: u32, a: usize, c: u64): void {
  switch (k) {
    case PSRLW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, c > 15 ? 0 : <u32>load<u16>(a + i) >> <u32>c); break;
    case PSRLD: for (let i: usize = 0; i < 16; i += 4) store<u32>(RES + i, c > 31 ? 0 : load<u32>(a + i) >> <u32>c); break;
    case PSRLQ: for (let i: usize = 0; i < 16; i += 8) store<u64>(RES + i, c > 63 ? 0 : load<u64>(a + i) >> c); break;
    case PSRAW: for (let i: usize = 0; i < 16; i += 2) store<i16>(RES + i, <i16>(<i32>load<i16>(a + i) >> (c > 15 ? 15 : <i32>c))); break;
    case PSRAD: for (let i: usize = 0; i < 16; i += 4) store<i32>(RES + i, load<i32>(a + i) >> (c > 31 ? 31 : <i32>c)); break;
    case PSLLW: for (let i: usize = 0; i < 16; i += 2) store<u16>(RES + i, c > 15 ? 0 : <u32>load<u16>(a + i) << <u32>c); break;
    case PSLLD: for (let i: usize = 0; i < 16; i += 4) store<u32>(RES + i, c > 31 ? 0 : load<u32>(a + i) << <u32>c); break;
    case PSLLQ: for (let i: usize = 0; i < 16; i += 8) store<u64>(RES + i, c > 63 ? 0 : load<u64>(a + i) << c); break;
    case PSRLDQ: {
      const n: usize = c > 16 ? 16 : <usize>c;
      for (let i: usize = 0; i < 16; i++) store<u8>(RES + i, i + n < 16 ? load<u8>(a + i + n) : 0);
      break;
    }
    case PSLLDQ: {
      const n: usize = c > 16 ? 16 : <usize>c;
      for (let i: usize = 0; i < 16; i++) store<u8>(RES + i, i >= n ? load<u8>(a + i - n) : 0);
      break;
    }
  }
}

/** Packed integer operation xmm1, xmm2/m128 (66 0F ...); also andps/orps/unpcklps and friends. */
export function PintVdqWdq(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  pint(argOf(d), a, b);
  copy128(a, RES);
}

/** Shift groups 66 0F 71/72/73 (/2 /4 /6, and /3 /7 for psrldq/pslldq): xmm, imm8. */
export function PshiftUdqIb(d: usize): void {
  const a = xmmPtr(rmOf(d));
  shift(argOf(d), a, immOf(d) & 0xff);
  copy128(a, RES);
}
