// SSE/SSE2 data movement: movups/movaps/movdqu/movdqa and their stores,
// movss/movsd, movlps/movhps/movlpd/movhpd/movhlps/movlhps, movd/movq,
// movnti, maskmovdqu, movmskps/movmskpd/pmovmskb, pextrw/pinsrw and the
// shuffles (pshufd/pshufhw/pshuflw, shufps/shufpd). Manual Vol. 2, the
// instruction pages of the same names.

import { isMem, ea, regOf, rmOf, opSize, immOf, argOf, addrMask, segBase } from '../insn';
import { getReg64, setReg64, getRegSized, setRegSized } from '../state';
import { FAULT, read16, read32, read64, checkWrite, writeSized, write8 } from '../mem';
import {
  RES, xmmPtr, vPtr, wPtr, wPtr32, wPtr64, store128, copy128,
} from '../xmm';

// ---- full-width moves ---------------------------------------------------------------

/** movups / movupd / movdqu xmm, xmm/m128 (no alignment requirement). */
export function MovupsVpsWps(d: usize): void {
  const s = wPtr(d, false);
  if (s == 0) return;
  copy128(vPtr(d), s);
}

/** movaps / movapd / movdqa xmm, xmm/m128: #GP if the memory operand is not 16-byte aligned. */
export function MovapsVpsWps(d: usize): void {
  const s = wPtr(d, true);
  if (s == 0) return;
  copy128(vPtr(d), s);
}

/** movups / movupd / movdqu xmm/m128, xmm. */
export function MovupsWpsVps(d: usize): void {
  if (isMem(d)) store128(ea(d), false, vPtr(d));
  else copy128(xmmPtr(rmOf(d)), vPtr(d));
}

/** movaps / movapd / movdqa / movntps / movntpd / movntdq xmm/m128, xmm (aligned). */
export function MovapsWpsVps(d: usize): void {
  if (isMem(d)) store128(ea(d), true, vPtr(d));
  else copy128(xmmPtr(rmOf(d)), vPtr(d));
}

// ---- scalar moves -------------------------------------------------------------------

/** movss xmm, xmm/m32: a register source replaces the low dword; a memory source zeroes the rest. */
export function MovssVssWss(d: usize): void {
  const dst = vPtr(d);
  if (isMem(d)) {
    const s = wPtr32(d);
    if (s == 0) return;
    copy128(dst, s);
  } else {
    store<u32>(dst, load<u32>(xmmPtr(rmOf(d))));
  }
}

/** movss xmm/m32, xmm. */
export function MovssWssVss(d: usize): void {
  const v = load<u32>(vPtr(d));
  if (isMem(d)) writeSized(ea(d), 4, v);
  else store<u32>(xmmPtr(rmOf(d)), v);
}

/** movsd xmm, xmm/m64 (F2 0F 10). */
export function MovsdVsdWsd(d: usize): void {
  const dst = vPtr(d);
  if (isMem(d)) {
    const s = wPtr64(d);
    if (s == 0) return;
    copy128(dst, s);
  } else {
    store<u64>(dst, load<u64>(xmmPtr(rmOf(d))));
  }
}

/** movsd xmm/m64, xmm. */
export function MovsdWsdVsd(d: usize): void {
  const v = load<u64>(vPtr(d));
  if (isMem(d)) writeSized(ea(d), 8, v);
  else store<u64>(xmmPtr(rmOf(d)), v);
}

// ---- half moves -------------------------------------------------------------------------

/** movlps / movlpd xmm, m64: loads the low quadword, keeps the high one. */
export function MovlpsVqMq(d: usize): void {
  const v = read64(ea(d));
  if (FAULT) return;
  store<u64>(vPtr(d), v);
}

/** movhps / movhpd xmm, m64: loads the high quadword, keeps the low one. */
export function MovhpsVqMq(d: usize): void {
  const v = read64(ea(d));
  if (FAULT) return;
  store<u64>(vPtr(d) + 8, v);
}

/** movlps / movlpd m64, xmm. */
export function MovlpsMqVq(d: usize): void { writeSized(ea(d), 8, load<u64>(vPtr(d))); }

/** movhps / movhpd m64, xmm. */
export function MovhpsMqVq(d: usize): void { writeSized(ea(d), 8, load<u64>(vPtr(d) + 8)); }

/** movhlps xmm1, xmm2: xmm1[63:0] = xmm2[127:64]. */
export function MovhlpsVqUq(d: usize): void { store<u64>(vPtr(d), load<u64>(xmmPtr(rmOf(d)) + 8)); }

/** movlhps xmm1, xmm2: xmm1[127:64] = xmm2[63:0]. */
export function MovlhpsVqUq(d: usize): void { store<u64>(vPtr(d) + 8, load<u64>(xmmPtr(rmOf(d)))); }

// ---- moves between xmm and general registers --------------------------------------------

/** movd / movq xmm, r/m32 / r/m64 (66 [REX.W] 0F 6E): zero-extends to 128 bits. */
export function MovdVdqEy(d: usize): void {
  const s = opSize(d);
  let v: u64;
  if (isMem(d)) {
    v = s == 8 ? read64(ea(d)) : read32(ea(d));
    if (FAULT) return;
  } else {
    v = getRegSized(rmOf(d), s);
  }
  const p = vPtr(d);
  store<u64>(p, v);
  store<u64>(p + 8, 0);
}

/** movd / movq r/m32 / r/m64, xmm (66 [REX.W] 0F 7E). */
export function MovdEyVdq(d: usize): void {
  const s = opSize(d);
  const v = load<u64>(vPtr(d));
  if (isMem(d)) writeSized(ea(d), s, v);
  else setRegSized(rmOf(d), s, v);
}

/** movq xmm, xmm/m64 (F3 0F 7E): zeroes the high quadword. */
export function MovqVqWq(d: usize): void {
  const s = wPtr64(d);
  if (s == 0) return;
  const v = load<u64>(s);
  const p = vPtr(d);
  store<u64>(p, v);
  store<u64>(p + 8, 0);
}

/** movq xmm/m64, xmm (66 0F D6): a register destination gets a zero high quadword. */
export function MovqWqVq(d: usize): void {
  const v = load<u64>(vPtr(d));
  if (isMem(d)) {
    writeSized(ea(d), 8, v);
  } else {
    const p = xmmPtr(rmOf(d));
    store<u64>(p, v);
    store<u64>(p + 8, 0);
  }
}

/** movnti m32/m64, r32/r64 (0F C3): a plain store here (the non-temporal hint has no effect). */
export function MovntiMyGy(d: usize): void {
  const s = opSize(d);
  writeSized(ea(d), s, getRegSized(regOf(d), s));
}

/**
 * maskmovdqu xmm1, xmm2: stores the bytes of xmm1 whose mask byte in xmm2
 * has its top bit set to [rdi] (ds:rdi, with an fs/gs override). Every
 * selected byte is checked writable before any is written.
 */
export function MaskmovdquVdqUdq(d: usize): void {
  const src = vPtr(d);
  const mask = xmmPtr(rmOf(d));
  const base = (getReg64(7) & addrMask(d)) + segBase(d);
  for (let i: u32 = 0; i < 16; i++) {
    if ((load<u8>(mask + i) & 0x80) != 0 && !checkWrite(base + i, 1)) return;
  }
  for (let i: u32 = 0; i < 16; i++) {
    if ((load<u8>(mask + i) & 0x80) != 0) write8(base + i, <u64>load<u8>(src + i));
  }
}

// ---- sign masks -------------------------------------------------------------------------

/** movmskps r32, xmm: the sign bits of the four singles. */
export function MovmskpsGdUps(d: usize): void {
  const p = xmmPtr(rmOf(d));
  let m: u64 = 0;
  for (let i: u32 = 0; i < 4; i++) m |= <u64>(load<u32>(p + (i << 2)) >> 31) << i;
  setReg64(regOf(d), m);
}

/** movmskpd r32, xmm: the sign bits of the two doubles. */
export function MovmskpdGdUpd(d: usize): void {
  const p = xmmPtr(rmOf(d));
  setReg64(regOf(d), (load<u64>(p) >> 63) | ((load<u64>(p + 8) >> 63) << 1));
}

/** Gathers the top bit of each byte of v into 8 bits (bit i from byte i). */
@inline export function byteSigns(v: u64): u64 {
  return (((v >> 7) & 0x0101010101010101) * 0x0102040810204080) >> 56;
}

/** pmovmskb r32, xmm: the top bit of each of the 16 bytes. */
export function PmovmskbGdUdq(d: usize): void {
  const p = xmmPtr(rmOf(d));
  setReg64(regOf(d), byteSigns(load<u64>(p)) | (byteSigns(load<u64>(p + 8)) << 8));
}

// ---- word insert/extract ----------------------------------------------------------------

/** pextrw r32, xmm, imm8: zero-extended word imm8[2:0]. */
export function PextrwGdUdqIb(d: usize): void {
  const i = <usize>(immOf(d) & 7);
  setReg64(regOf(d), <u64>load<u16>(xmmPtr(rmOf(d)) + (i << 1)));
}

/** pinsrw xmm, r32/m16, imm8: replaces word imm8[2:0]. */
export function PinsrwVdqEwIb(d: usize): void {
  let v: u64;
  if (isMem(d)) {
    v = read16(ea(d));
    if (FAULT) return;
  } else {
    v = getReg64(rmOf(d));
  }
  const i = <usize>(immOf(d) & 7);
  store<u16>(vPtr(d) + (i << 1), <u16>v);
}

// ---- shuffles ---------------------------------------------------------------------------

/** pshufd (arg 0), pshufhw (arg 1), pshuflw (arg 2) xmm, xmm/m128, imm8. */
export function PshufdVdqWdqIb(d: usize): void {
  const s = wPtr(d, true);
  if (s == 0) return;
  const imm = <u32>immOf(d) & 0xff;
  const k = argOf(d);
  if (k == 0) {
    for (let i: u32 = 0; i < 4; i++) store<u32>(RES + (i << 2), load<u32>(s + (((imm >> (i << 1)) & 3) << 2)));
  } else {
    // Shuffle the words of one half, copy the other half.
    const half: usize = k == 1 ? 8 : 0;
    const other: usize = 8 - half;
    store<u64>(RES + other, load<u64>(s + other));
    for (let i: u32 = 0; i < 4; i++) {
      store<u16>(RES + half + (i << 1), load<u16>(s + half + (((imm >> (i << 1)) & 3) << 1)));
    }
  }
  copy128(vPtr(d), RES);
}

/** shufps xmm1, xmm2/m128, imm8: two dwords from xmm1, two from the source. */
export function ShufpsVpsWpsIb(d: usize): void {
  const s = wPtr(d, true);
  if (s == 0) return;
  const a = vPtr(d);
  const imm = <u32>immOf(d) & 0xff;
  store<u32>(RES, load<u32>(a + ((imm & 3) << 2)));
  store<u32>(RES + 4, load<u32>(a + (((imm >> 2) & 3) << 2)));
  store<u32>(RES + 8, load<u32>(s + (((imm >> 4) & 3) << 2)));
  store<u32>(RES + 12, load<u32>(s + (((imm >> 6) & 3) << 2)));
  copy128(a, RES);
}

/** shufpd xmm1, xmm2/m128, imm8. */
export function ShufpdVpdWpdIb(d: usize): void {
  const s = wPtr(d, true);
  if (s == 0) return;
  const a = vPtr(d);
  const imm = <u32>immOf(d);
  const lo = load<u64>(a + ((imm & 1) << 3));
  const hi = load<u64>(s + (((imm >> 1) & 1) << 3));
  store<u64>(a, lo);
  store<u64>(a + 8, hi);
}

