// The MMX registers and their aliasing with the x87 FPU (manual Vol. 1,
// 9.5 "Compatibility with x87 FPU Architecture" and Table 9-2 "Effects of
// MMX Instructions on x87 FPU State"). This file is the one place those
// rules live.
//
// - mm i is bits 0..63 of the physical x87 data register R i (not of
//   st(i): TOP plays no part), stored at CTX_ST + 16 i (ops/x87.ts).
// - Every MMX instruction first takes a pending unmasked x87 exception
//   (#MF, each MMX instruction's "Protected Mode Exceptions" in Vol. 2),
//   then sets TOP to 0 and every tag to valid (00), read or write.
// - Writing mm i also sets bits 64..79 (sign and exponent) to ones, so an
//   x87 instruction sees a NaN or infinity there.
// - EMMS sets every tag to empty (11) and TOP to 0.
// Other x87 state (control word, the rest of the status word) is unchanged.

import { R, CTX_FPU_SW, CTX_FPU_TAG, CTX_ST } from './state';
import { x87ExceptionPending } from './ops/x87';

const SW_TOP: u16 = 0x3800; // status word bits 11..13
const TAG_ALL_VALID: u16 = 0xff; // abridged tag word: bit i set = R i not empty

@inline function mmPtr(r: u32): usize { return R + CTX_ST + (<usize>r << 4); }

/** mm r (0..7). */
@inline export function mmGet(r: u32): u64 { return load<u64>(mmPtr(r)); }

/** Writes mm r: the 64 bits, and ones in the sign and exponent above them. */
@inline export function mmSet(r: u32, v: u64): void {
  const p = mmPtr(r);
  store<u64>(p, v);
  store<u16>(p + 8, 0xffff);
}

/**
 * The start of an MMX instruction: true to go on, false when a pending x87
 * exception stopped the CPU (#MF) before anything changed.
 */
@inline export function mmxBegin(): bool { return !x87ExceptionPending(); }

/** The x87 side of an MMX instruction that retires: TOP = 0, all tags valid. */
@inline export function mmxEnter(): void {
  store<u16>(R + CTX_FPU_TAG, TAG_ALL_VALID);
  store<u16>(R + CTX_FPU_SW, load<u16>(R + CTX_FPU_SW) & ~SW_TOP);
}

/** EMMS: TOP = 0, all tags empty. */
export function mmxLeave(): void {
  store<u16>(R + CTX_FPU_TAG, 0);
  store<u16>(R + CTX_FPU_SW, load<u16>(R + CTX_FPU_SW) & ~SW_TOP);
}
