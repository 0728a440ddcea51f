// The 0F AE group as the SSE baseline uses it (Vol. 2, FXSAVE, FXRSTOR,
// LDMXCSR, STMXCSR, LFENCE, MFENCE, SFENCE, CLFLUSH).
//
// fxsave/fxrstor use the 64-bit-mode layout of Vol. 1, Table 10-2 (REX.W
// only changes how FPU IP/DP are stored, and this CPU keeps no last
// instruction or data pointer: they are stored as zero either way):
//   0 FCW, 2 FSW, 4 abridged FTW, 6 FOP, 8 FIP, 16 FDP, 24 MXCSR,
//   28 MXCSR_MASK, 32 + 16*i ST(i) (80 bits, stack order), 160 + 16*i XMMi,
//   416..511 reserved / available to software: not written.
// The x87 state lives in the register file as ops/x87.ts describes it:
// physical registers, st(i) = physical (TOP + i) & 7.

import { ea } from '../insn';
import { R, CTX_FPU_CW, CTX_FPU_SW, CTX_FPU_TAG, CTX_ST, CTX_XMM, stopFault, STOP_GENERAL_PROTECTION } from '../state';
import { FAULT, read8, read32, read64, write32, write64, checkWrite } from '../mem';
import { checkAlign16, getMxcsr, setMxcsr, MXCSR_MASK } from '../xmm';

const FX_SIZE: u32 = 512;
const FX_USED: u32 = 416; // bytes 0..415 hold state
/** An fxrstor image is read here completely before any state changes. */
const FXBUF: usize = memory.data(512, 16);

@inline function stPhysAddr(i: u32): usize {
  const top = (<u32>load<u16>(R + CTX_FPU_SW) >> 11) & 7;
  return R + CTX_ST + (<usize>((top + i) & 7) << 4);
}

/** fxsave m512: #GP unless 16-byte aligned; the whole area is checked writable first. */
export function FxsaveM(d: usize): void {
  const a = ea(d);
  if (!checkAlign16(a)) return;
  if (!checkWrite(a, FX_SIZE)) return;
  // Build the image in FXBUF, then copy it out.
  memory.fill(FXBUF, 0, FX_USED);
  store<u16>(FXBUF, load<u16>(R + CTX_FPU_CW));
  store<u16>(FXBUF + 2, load<u16>(R + CTX_FPU_SW));
  store<u8>(FXBUF + 4, <u8>load<u16>(R + CTX_FPU_TAG));
  store<u32>(FXBUF + 24, getMxcsr());
  store<u32>(FXBUF + 28, MXCSR_MASK);
  for (let i: u32 = 0; i < 8; i++) {
    const src = stPhysAddr(i);
    const dst = FXBUF + 32 + (<usize>i << 4);
    store<u64>(dst, load<u64>(src));
    store<u16>(dst + 8, load<u16>(src + 8));
  }
  memory.copy(FXBUF + 160, R + CTX_XMM, 256);
  for (let off: u32 = 0; off < FX_USED; off += 8) write64(a + off, load<u64>(FXBUF + off));
}

/** fxrstor m512: #GP unless aligned or if the MXCSR image sets reserved bits. */
export function FxrstorM(d: usize): void {
  const a = ea(d);
  if (!checkAlign16(a)) return;
  for (let off: u32 = 0; off < FX_SIZE; off += 8) {
    const v = read64(a + off);
    if (FAULT) return;
    store<u64>(FXBUF + off, v);
  }
  const mxcsr = load<u32>(FXBUF + 24);
  if ((mxcsr & ~MXCSR_MASK) != 0) { stopFault(STOP_GENERAL_PROTECTION); return; }
  store<u16>(R + CTX_FPU_CW, load<u16>(FXBUF));
  store<u16>(R + CTX_FPU_SW, load<u16>(FXBUF + 2));
  store<u16>(R + CTX_FPU_TAG, <u16>load<u8>(FXBUF + 4));
  setMxcsr(mxcsr);
  // ST(i) is relative to the TOP just restored.
  for (let i: u32 = 0; i < 8; i++) {
    const dst = stPhysAddr(i);
    const src = FXBUF + 32 + (<usize>i << 4);
    store<u64>(dst, load<u64>(src));
    store<u16>(dst + 8, load<u16>(src + 8));
    memory.fill(dst + 10, 0, 6);
  }
  memory.copy(R + CTX_XMM, FXBUF + 160, 256);
}

/** ldmxcsr m32: #GP if a reserved bit (outside MXCSR_MASK) is set. */
export function LdmxcsrMd(d: usize): void {
  const v = <u32>read32(ea(d));
  if (FAULT) return;
  if ((v & ~MXCSR_MASK) != 0) { stopFault(STOP_GENERAL_PROTECTION); return; }
  setMxcsr(v);
}

/** stmxcsr m32. */
export function StmxcsrMd(d: usize): void { write32(ea(d), getMxcsr()); }

/** clflush m8: nothing to flush here, but the address must be valid (a read check). */
export function ClflushMb(d: usize): void { read8(ea(d)); }

/**
 * lfence / mfence / sfence: they order memory accesses; one CPU running one
 * instruction at a time, with no write buffers, has nothing to order.
 */
export function Fence(d: usize): void {}
