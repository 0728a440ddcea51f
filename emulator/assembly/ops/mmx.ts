// MMX instructions on mm registers (manual Vol. 1, chapter 9; Vol. 2, the
// P* and MOVD/MOVQ/EMMS pages), the mm forms SSE, SSE2 and SSSE3 added, and
// the conversions between mm and xmm. Rows: emulator/table/mmx.ts.
//
// Operands in the manual's notation: P = mm in ModRM.reg, Q = mm or memory
// in ModRM.r/m, N = mm in ModRM.r/m (register form only), E/G general
// registers, V/W/U xmm. The decoder already dropped REX.R/REX.B from mm
// fields. Each handler starts with mmxBegin() (a pending x87 exception is
// #MF), reads its operands (a fault changes nothing), then calls mmxEnter()
// as it retires (../mm.ts: TOP = 0, all tags valid). Memory operands need no
// alignment, except cvtpd2pi's m128 (Vol. 1, 11.6.8).
//
// The packed integer operations are the xmm ones (ops/sse-int.ts pint) on
// the low 64 bits, the operands laid out so the low 64 bits of the 128-bit
// result are the mm result. The SSSE3 ones are ops/ssse3.ts's on 8 bytes.

import { argOf, immOf, isMem, ea, regOf, rmOf, opSize, addrMask, segBase } from '../insn';
import { FAULT, read16, read32, read64, write8, write64, writeSized, checkWrite } from '../mem';
import { getReg64, setReg64, getRegSized } from '../state';
import { mmGet, mmSet, mmxBegin, mmxEnter, mmxLeave } from '../mm';
import { RES, vPtr, wPtr, wPtr64, xmmPtr, fpBegin, fpCommit } from '../xmm';
import { pint, shift, PUNPCKLBW, PUNPCKHBW, PUNPCKHDQ, PACKSSWB, PACKSSDW } from './sse-int';
import { byteSigns } from './sse-move';
import { intToFloat, floatToInt } from './sse-float';
import { ssse3, palignr } from './ssse3';

/** Two 16-byte operand buffers for the 128-bit integer operations. */
const OPA: usize = memory.data(16, 16);
const OPB: usize = memory.data(16, 16);

/**
 * Packed integer operation k (PINT_OPS) on 64-bit operands. punpckh* of mm
 * interleave the high dwords, which are the low dwords of a >> 32 and
 * b >> 32; pack* put a's lanes then b's in one quadword, which the 128-bit
 * form does with b as the upper half of its first source.
 */
function pint64(k: u32, a: u64, b: u64): u64 {
  let hi: u64 = 0;
  if (k >= PUNPCKHBW && k <= PUNPCKHDQ) {
    a >>= 32;
    b >>= 32;
    k -= PUNPCKHBW - PUNPCKLBW;
  } else if (k >= PACKSSWB && k <= PACKSSDW) {
    hi = b;
  }
  store<u64>(OPA, a);
  store<u64>(OPA + 8, hi);
  store<u64>(OPB, b);
  store<u64>(OPB + 8, 0);
  pint(k, OPA, OPB);
  return load<u64>(RES);
}

/** The Q operand: mm r/m or m64; check FAULT after. */
@inline function readQ(d: usize): u64 {
  return isMem(d) ? read64(ea(d)) : mmGet(rmOf(d));
}

/** Packed integer operation mm, mm/m64 (0F 63-76, D1-FE); arg is the PINT_OPS number. */
export function PintPqQq(d: usize): void {
  if (!mmxBegin()) return;
  const b = readQ(d);
  if (FAULT) return;
  const r = regOf(d);
  const v = pint64(argOf(d), mmGet(r), b);
  mmxEnter();
  mmSet(r, v);
}

/** punpcklbw/wd/dq mm, mm/m32 (0F 60-62): a memory source is 32 bits. */
export function PintPqQd(d: usize): void {
  if (!mmxBegin()) return;
  const b = isMem(d) ? read32(ea(d)) : mmGet(rmOf(d));
  if (FAULT) return;
  const r = regOf(d);
  const v = pint64(argOf(d), mmGet(r), b);
  mmxEnter();
  mmSet(r, v);
}

/** Shift groups 0F 71/72/73 (/2 /4 /6): mm, imm8. */
export function PshiftNqIb(d: usize): void {
  if (!mmxBegin()) return;
  const r = rmOf(d);
  store<u64>(OPA, mmGet(r));
  store<u64>(OPA + 8, 0);
  shift(argOf(d), OPA, immOf(d) & 0xff);
  mmxEnter();
  mmSet(r, load<u64>(RES));
}

// ---- SSSE3 (Vol. 2, PSHUFB, PHADDW/PHADDD, PHADDSW, PMADDUBSW, PHSUBW/PHSUBD, PHSUBSW,
// PSIGNB/PSIGNW/PSIGND, PMULHRSW, PABSB/PABSW/PABSD, PALIGNR: the 64-bit forms) ------------

/** SSSE3 operation mm, mm/m64 (NP 0F 38 00-0B, 1C-1E); arg is the SSSE3_OPS number. */
export function Ssse3PqQq(d: usize): void {
  if (!mmxBegin()) return;
  const b = readQ(d);
  if (FAULT) return;
  const r = regOf(d);
  store<u64>(OPA, mmGet(r));
  store<u64>(OPB, b);
  ssse3(argOf(d), OPA, OPB, 8);
  mmxEnter();
  mmSet(r, load<u64>(RES));
}

/** palignr mm1, mm2/m64, imm8 (NP 0F 3A 0F): (mm1:mm2) shifted right by imm8 bytes, the low 8 kept. */
export function PalignrPqQqIb(d: usize): void {
  if (!mmxBegin()) return;
  const b = readQ(d);
  if (FAULT) return;
  const r = regOf(d);
  store<u64>(OPA, mmGet(r));
  store<u64>(OPB, b);
  palignr(OPA, OPB, 8, <usize>(immOf(d) & 0xff));
  mmxEnter();
  mmSet(r, load<u64>(RES));
}

// ---- moves (Vol. 2, MOVD/MOVQ, MOVNTQ, MASKMOVQ, MOVQ2DQ, MOVDQ2Q) -----------------------

/** movd mm, r/m32 (zero-extended) / movq mm, r/m64 (REX.W): 0F 6E. */
export function MovdPqEy(d: usize): void {
  if (!mmxBegin()) return;
  const s = opSize(d);
  const v = isMem(d) ? (s == 8 ? read64(ea(d)) : read32(ea(d))) : getRegSized(rmOf(d), s);
  if (FAULT) return;
  mmxEnter();
  mmSet(regOf(d), v);
}

/** movd r/m32, mm / movq r/m64, mm (REX.W): 0F 7E; a 32-bit register is zero-extended. */
export function MovdEyPq(d: usize): void {
  if (!mmxBegin()) return;
  const s = opSize(d);
  const v = mmGet(regOf(d));
  if (isMem(d)) {
    writeSized(ea(d), s, v);
    if (FAULT) return;
  } else {
    setReg64(rmOf(d), s == 8 ? v : v & 0xffffffff);
  }
  mmxEnter();
}

/** movq mm, mm/m64 (0F 6F). */
export function MovqPqQq(d: usize): void {
  if (!mmxBegin()) return;
  const v = readQ(d);
  if (FAULT) return;
  mmxEnter();
  mmSet(regOf(d), v);
}

/** movq mm/m64, mm (0F 7F); movntq m64, mm (0F E7, a non-temporal hint only). */
export function MovqQqPq(d: usize): void {
  if (!mmxBegin()) return;
  const v = mmGet(regOf(d));
  if (isMem(d)) {
    write64(ea(d), v);
    if (FAULT) return;
    mmxEnter();
  } else {
    mmxEnter();
    mmSet(rmOf(d), v);
  }
}

/**
 * maskmovq mm1, mm2 (0F F7): the bytes of mm1 whose byte in mm2 has its top
 * bit set go to [rdi] (edi with 67; ds or a segment override). Every
 * selected byte is checked before any is written.
 */
export function MaskmovqPqNq(d: usize): void {
  if (!mmxBegin()) return;
  const src = mmGet(regOf(d));
  const mask = mmGet(rmOf(d));
  const base = (getReg64(7) & addrMask(d)) + segBase(d);
  for (let i: u32 = 0; i < 8; i++) {
    if (((mask >> (<u64>i * 8 + 7)) & 1) != 0 && !checkWrite(base + i, 1)) return;
  }
  for (let i: u32 = 0; i < 8; i++) {
    if (((mask >> (<u64>i * 8 + 7)) & 1) != 0) write8(base + i, src >> (<u64>i * 8));
  }
  mmxEnter();
}

/** movq2dq xmm, mm (F3 0F D6): the high quadword is zeroed. */
export function Movq2dqVdqNq(d: usize): void {
  if (!mmxBegin()) return;
  const p = vPtr(d);
  store<u64>(p, mmGet(rmOf(d)));
  store<u64>(p + 8, 0);
  mmxEnter();
}

/** movdq2q mm, xmm (F2 0F D6): the low quadword. */
export function Movdq2qPqUq(d: usize): void {
  if (!mmxBegin()) return;
  const v = load<u64>(xmmPtr(rmOf(d)));
  mmxEnter();
  mmSet(regOf(d), v);
}

// ---- shuffles, words and masks (Vol. 2, PSHUFW, PINSRW, PEXTRW, PMOVMSKB) -------------------

/** pshufw mm, mm/m64, imm8: word i of the result is word imm8[2i+1:2i] of the source. */
export function PshufwPqQqIb(d: usize): void {
  if (!mmxBegin()) return;
  const s = readQ(d);
  if (FAULT) return;
  const order = <u32>immOf(d);
  let v: u64 = 0;
  for (let i: u32 = 0; i < 4; i++) {
    const w = (s >> (<u64>((order >> (i << 1)) & 3) << 4)) & 0xffff;
    v |= w << (<u64>i << 4);
  }
  mmxEnter();
  mmSet(regOf(d), v);
}

/** pinsrw mm, r32/m16, imm8: replaces word imm8[1:0]. */
export function PinsrwPqEwIb(d: usize): void {
  if (!mmxBegin()) return;
  const w = isMem(d) ? read16(ea(d)) : getReg64(rmOf(d)) & 0xffff;
  if (FAULT) return;
  const r = regOf(d);
  const at = (immOf(d) & 3) << 4;
  const v = (mmGet(r) & ~(<u64>0xffff << at)) | (w << at);
  mmxEnter();
  mmSet(r, v);
}

/** pextrw r32, mm, imm8: word imm8[1:0], zero-extended. */
export function PextrwGdNqIb(d: usize): void {
  if (!mmxBegin()) return;
  const at = (immOf(d) & 3) << 4;
  setReg64(regOf(d), (mmGet(rmOf(d)) >> at) & 0xffff);
  mmxEnter();
}

/** pmovmskb r32, mm: the top bit of each byte. */
export function PmovmskbGdNq(d: usize): void {
  if (!mmxBegin()) return;
  setReg64(regOf(d), byteSigns(mmGet(rmOf(d))));
  mmxEnter();
}

// ---- state (Vol. 2, EMMS) ---------------------------------------------------------------------

/** emms: empties the x87 tag word so x87 code can use the registers again. */
export function Emms(d: usize): void {
  if (!mmxBegin()) return;
  mmxLeave();
}

// ---- conversions (Vol. 2, CVTPI2PS, CVTPI2PD, CVTPS2PI, CVTTPS2PI, CVTPD2PI, CVTTPD2PI) -------
// Rounding by MXCSR.RC (truncation for cvtt*), exceptions as the xmm forms
// (fpCommit: an unmasked one is #XM and nothing changes, x87 state included).
// cvtpi2ps/cvtpi2pd are MMX instructions only with an mm source: from m64
// they neither take a pending x87 exception nor touch TOP or the tags (Vol.
// 2, CVTPI2PS/CVTPI2PD; the host agrees, test/differential/mmx.test.ts).

/** cvtpi2ps xmm, mm/m64: two dwords to the low two singles; the high quadword is kept. */
export function Cvtpi2psVpsQq(d: usize): void {
  const mm = !isMem(d);
  if (mm && !mmxBegin()) return;
  const s = readQ(d);
  if (FAULT) return;
  fpBegin();
  const lo = intToFloat(false, <i64><i32>s);
  const hi = intToFloat(false, <i64><i32>(s >> 32));
  if (!fpCommit()) return;
  store<u64>(vPtr(d), (lo & 0xffffffff) | (hi << 32));
  if (mm) mmxEnter();
}

/** cvtpi2pd xmm, mm/m64: two dwords to two doubles (exact). */
export function Cvtpi2pdVpdQq(d: usize): void {
  const mm = !isMem(d);
  if (mm && !mmxBegin()) return;
  const s = readQ(d);
  if (FAULT) return;
  const p = vPtr(d);
  store<u64>(p, intToFloat(true, <i64><i32>s));
  store<u64>(p + 8, intToFloat(true, <i64><i32>(s >> 32)));
  if (mm) mmxEnter();
}

/** cvtps2pi (arg 0) / cvttps2pi (arg 1) mm, xmm/m64: the low two singles to dwords. */
export function Cvtps2piPqWps(d: usize): void {
  if (!mmxBegin()) return;
  const b = wPtr64(d);
  if (b == 0) return;
  const t = argOf(d) != 0;
  fpBegin();
  const lo = floatToInt(false, <u64>load<u32>(b), t, false);
  const hi = floatToInt(false, <u64>load<u32>(b + 4), t, false);
  if (!fpCommit()) return;
  mmxEnter();
  mmSet(regOf(d), (lo & 0xffffffff) | (hi << 32));
}

/** cvtpd2pi (arg 0) / cvttpd2pi (arg 1) mm, xmm/m128 (16-byte aligned): two doubles to dwords. */
export function Cvtpd2piPqWpd(d: usize): void {
  if (!mmxBegin()) return;
  const b = wPtr(d, true);
  if (b == 0) return;
  const t = argOf(d) != 0;
  fpBegin();
  const lo = floatToInt(true, load<u64>(b), t, false);
  const hi = floatToInt(true, load<u64>(b + 8), t, false);
  if (!fpCommit()) return;
  mmxEnter();
  mmSet(regOf(d), (lo & 0xffffffff) | (hi << 32));
}
