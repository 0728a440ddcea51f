// RFLAGS with lazily evaluated arithmetic flags.
//
// Most flag results are never read: an add is followed by another add that
// overwrites them. So arithmetic instructions record their operands and
// result (the "lazy" state), and CF, PF, AF, ZF, SF and OF are derived only
// when something reads them (jcc, setcc, cmovcc, adc, pushf, the TS side).

import { R, CTX_RFLAGS, sizeMask, signBit } from './state';

export const CF: u64 = 1 << 0;
export const PF: u64 = 1 << 2;
export const AF: u64 = 1 << 4;
export const ZF: u64 = 1 << 6;
export const SF: u64 = 1 << 7;
export const TF: u64 = 1 << 8;
export const IF: u64 = 1 << 9;
export const DF: u64 = 1 << 10;
export const OF: u64 = 1 << 11;
export const AC: u64 = 1 << 18;
export const ID: u64 = 1 << 21;
export const ARITH: u64 = CF | PF | AF | ZF | SF | OF;

/** Which operation produced the lazy flags. */
export const LZ_NONE: u32 = 0; //  all flags are in FLAGS
export const LZ_ADD: u32 = 1; //   res = a + b
export const LZ_SUB: u32 = 2; //   res = a - b (also cmp, neg with a = 0)
export const LZ_ADC: u32 = 3; //   res = a + b + carry-in (carry-in kept in CF of FLAGS)
export const LZ_SBB: u32 = 4; //   res = a - b - borrow-in
export const LZ_LOGIC: u32 = 5; // and/or/xor/test: CF = OF = 0, AF = 0 (undefined by the manual)
export const LZ_INC: u32 = 6; //   res = a + 1, CF kept from FLAGS
export const LZ_DEC: u32 = 7; //   res = a - 1, CF kept from FLAGS

/** The non-lazy part of RFLAGS (and every flag when LZ_KIND is LZ_NONE). */
export let FLAGS: u64 = 0x202;
export let LZ_KIND: u32 = LZ_NONE;
export let LZ_SIZE: u32 = 8;
export let LZ_A: u64 = 0;
export let LZ_B: u64 = 0;
export let LZ_RES: u64 = 0;

@inline export function setLazy(kind: u32, size: u32, a: u64, b: u64, res: u64): void {
  LZ_KIND = kind;
  LZ_SIZE = size;
  LZ_A = a;
  LZ_B = b;
  LZ_RES = res;
}

/** Parity of the low byte: PF is set when it has an even number of ones. */
@inline export function parityFlag(v: u64): u64 {
  return (popcnt<u32>(<u32>v & 0xff) & 1) == 0 ? PF : 0;
}

/** SF, ZF and PF of a result of `size` bytes. */
@inline export function szpFlags(res: u64, size: u32): u64 {
  let f: u64 = parityFlag(res);
  if ((res & sizeMask(size)) == 0) f |= ZF;
  if ((res & signBit(size)) != 0) f |= SF;
  return f;
}

/** Evaluates the six arithmetic flags from the lazy state. */
function lazyArith(): u64 {
  const size = LZ_SIZE;
  const m = sizeMask(size);
  const sign = signBit(size);
  const a = LZ_A & m;
  const b = LZ_B & m;
  const res = LZ_RES & m;
  let f = szpFlags(res, size);
  switch (LZ_KIND) {
    case LZ_ADD: {
      if (res < a) f |= CF;
      if (((a ^ res) & (b ^ res) & sign) != 0) f |= OF;
      f |= (a ^ b ^ res) & AF;
      break;
    }
    case LZ_SUB: {
      if (a < b) f |= CF;
      if (((a ^ b) & (a ^ res) & sign) != 0) f |= OF;
      f |= (a ^ b ^ res) & AF;
      break;
    }
    case LZ_ADC: {
      const carryIn = (FLAGS & CF) != 0;
      if (res < a || (carryIn && res == a)) f |= CF;
      if (((a ^ res) & (b ^ res) & sign) != 0) f |= OF;
      f |= (a ^ b ^ res) & AF;
      break;
    }
    case LZ_SBB: {
      const borrowIn = (FLAGS & CF) != 0;
      if (a < b || (borrowIn && a == b)) f |= CF;
      if (((a ^ b) & (a ^ res) & sign) != 0) f |= OF;
      f |= (a ^ b ^ res) & AF;
      break;
    }
    case LZ_LOGIC:
      break;
    case LZ_INC: {
      f |= FLAGS & CF;
      if (res == sign) f |= OF;
      f |= (a ^ res) & AF;
      break;
    }
    case LZ_DEC: {
      f |= FLAGS & CF;
      if (a == sign) f |= OF;
      f |= (a ^ res) & AF;
      break;
    }
  }
  return f;
}

/** The full architectural RFLAGS. */
export function getFlags(): u64 {
  if (LZ_KIND == LZ_NONE) return FLAGS;
  return (FLAGS & ~ARITH) | lazyArith();
}

/** Folds the lazy flags into FLAGS (before a partial update of flags). */
export function materializeFlags(): void {
  if (LZ_KIND != LZ_NONE) {
    FLAGS = getFlags();
    LZ_KIND = LZ_NONE;
  }
}

/** Before inc/dec: they keep CF, so CF moves into FLAGS (the lazy kind INC/DEC reads it there). */
@inline export function keepCarry(): void {
  const k = LZ_KIND;
  if (k != LZ_NONE && k != LZ_INC && k != LZ_DEC) FLAGS = (FLAGS & ~CF) | (getCF() ? CF : 0);
}

/** Replaces RFLAGS; bit 1 always reads as one. */
export function setFlags(v: u64): void {
  FLAGS = v | 2;
  LZ_KIND = LZ_NONE;
}

/** Sets the arithmetic flags in `mask` to `values`, leaving the others as they are. */
export function setArithFlags(mask: u64, values: u64): void {
  materializeFlags();
  FLAGS = (FLAGS & ~mask) | (values & mask);
}

@inline export function getCF(): bool {
  if (LZ_KIND == LZ_NONE) return (FLAGS & CF) != 0;
  const m = sizeMask(LZ_SIZE);
  switch (LZ_KIND) {
    case LZ_ADD: return (LZ_RES & m) < (LZ_A & m);
    case LZ_SUB: return (LZ_A & m) < (LZ_B & m);
    case LZ_LOGIC: return false;
    case LZ_INC: case LZ_DEC: return (FLAGS & CF) != 0;
    default: return (getFlags() & CF) != 0;
  }
}

@inline export function getZF(): bool {
  if (LZ_KIND == LZ_NONE) return (FLAGS & ZF) != 0;
  return (LZ_RES & sizeMask(LZ_SIZE)) == 0;
}

@inline export function getSF(): bool {
  if (LZ_KIND == LZ_NONE) return (FLAGS & SF) != 0;
  return (LZ_RES & signBit(LZ_SIZE)) != 0;
}

@inline export function getOF(): bool {
  const k = LZ_KIND;
  if (k == LZ_LOGIC) return false;
  if (k == LZ_ADD) return ((LZ_A ^ LZ_RES) & (LZ_B ^ LZ_RES) & signBit(LZ_SIZE)) != 0;
  if (k == LZ_SUB) return ((LZ_A ^ LZ_B) & (LZ_A ^ LZ_RES) & signBit(LZ_SIZE)) != 0;
  return (getFlags() & OF) != 0;
}

@inline export function getPF(): bool {
  if (LZ_KIND == LZ_NONE) return (FLAGS & PF) != 0;
  return parityFlag(LZ_RES) != 0;
}

/**
 * Evaluates condition code cc (the low nibble of jcc/setcc/cmovcc, manual
 * Vol. 1, Appendix B): O, NO, B, AE, E, NE, BE, A, S, NS, P, NP, L, GE, LE, G.
 */
export function condition(cc: u32): bool { return conditionOf(cc); }

/** condition() for inlining where cc is a constant (specialised handlers). */
@inline export function conditionOf(cc: u32): bool {
  let r: bool;
  switch (cc >> 1) {
    case 0: r = getOF(); break;
    case 1: r = getCF(); break;
    case 2: r = getZF(); break;
    case 3: r = getCF() || getZF(); break;
    case 4: r = getSF(); break;
    case 5: r = getPF(); break;
    case 6: r = getSF() != getOF(); break;
    default: r = getZF() || (getSF() != getOF()); break;
  }
  return (cc & 1) != 0 ? !r : r;
}

/** Loads the flag state of a register file into the globals (run entry). */
export function loadFlags(ctx: usize): void {
  FLAGS = load<u64>(ctx + CTX_RFLAGS) | 2;
  LZ_KIND = LZ_NONE;
}

/** Stores the architectural RFLAGS into a register file (run exit). */
export function saveFlags(ctx: usize): void {
  store<u64>(ctx + CTX_RFLAGS, getFlags());
}

export function activeCtx(): usize { return R; }
