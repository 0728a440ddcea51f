// Atomic read-modify-write instructions: xadd, cmpxchg, cmpxchg16b. One
// vCPU executes at a time and instructions are never split, so LOCK needs
// no extra work; these follow the manual's operation sections exactly
// (Vol. 2, XADD, CMPXCHG, CMPXCHG8B/CMPXCHG16B).

import { opSize, isMem, ea } from '../insn';
import { readEForWrite, writeE, readG, writeG } from '../operand';
import { getReg64, setReg64, getRegSized, setRegSized, stopFault, STOP_GENERAL_PROTECTION } from '../state';
import { FAULT, read64, write64, checkWrite, readForWrite, writeSized } from '../mem';
import { setLazy, LZ_ADD, LZ_SUB, ZF, setArithFlags } from '../flags';

/**
 * xadd: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP. The memory address is
 * computed once: writing SRC first may change a register the address uses.
 */
function xadd(d: usize, size: u32): void {
  const b = readG(d, size);
  if (isMem(d)) {
    const addr = ea(d);
    const a = readForWrite(addr, size);
    if (FAULT) return;
    const r = a + b;
    setLazy(LZ_ADD, size, a, b, r);
    writeSized(addr, size, r);
    writeG(d, size, a);
  } else {
    const a = readEForWrite(d, size);
    const r = a + b;
    setLazy(LZ_ADD, size, a, b, r);
    writeG(d, size, a);
    writeE(d, size, r); // when E and G are the same register, E (the sum) wins
  }
}
export function XaddEbGb(d: usize): void { xadd(d, 1); }
export function XaddEvGv(d: usize): void { xadd(d, opSize(d)); }

/**
 * cmpxchg: compare rax with E; equal: E = G, else rax = E. The destination
 * is written in both cases (the processor writes back the old value), and
 * rax is written only on failure (a 32-bit rax write zero-extends).
 */
function cmpxchg(d: usize, size: u32): void {
  const dest = readEForWrite(d, size);
  if (FAULT) return;
  const acc = getRegSized(0, size);
  setLazy(LZ_SUB, size, acc, dest, acc - dest);
  const m = size == 8 ? 0xffffffffffffffff : ((<u64>1 << (<u64>size << 3)) - 1);
  if ((acc & m) == (dest & m)) {
    writeE(d, size, readG(d, size));
  } else {
    if (isMem(d)) writeE(d, size, dest);
    setRegSized(0, size, dest);
  }
}
export function CmpxchgEbGb(d: usize): void { cmpxchg(d, 1); }
export function CmpxchgEvGv(d: usize): void { cmpxchg(d, opSize(d)); }

/** cmpxchg16b (REX.W) / cmpxchg8b: compare rdx:rax with m128 (edx:eax with m64). */
export function Cmpxchg16b(d: usize): void {
  const a = ea(d);
  if (opSize(d) == 8) {
    // The operand must be 16-byte aligned, else #GP (Vol. 2, CMPXCHG16B).
    if ((a & 15) != 0) { stopFault(STOP_GENERAL_PROTECTION); return; }
    if (!checkWrite(a, 8) || !checkWrite(a + 8, 8)) return;
    const lo = read64(a);
    const hi = read64(a + 8);
    if (lo == getReg64(0) && hi == getReg64(2)) {
      write64(a, getReg64(3));
      write64(a + 8, getReg64(1));
      setArithFlags(ZF, ZF);
    } else {
      write64(a, lo);
      write64(a + 8, hi);
      setReg64(0, lo);
      setReg64(2, hi);
      setArithFlags(ZF, 0);
    }
  } else {
    if (!checkWrite(a, 8)) return;
    const v = read64(a);
    const expected = (getReg64(2) << 32) | (getReg64(0) & 0xffffffff);
    if (v == expected) {
      write64(a, (getReg64(1) << 32) | (getReg64(3) & 0xffffffff));
      setArithFlags(ZF, ZF);
    } else {
      write64(a, v);
      setReg64(0, v & 0xffffffff);
      setReg64(2, v >> 32);
      setArithFlags(ZF, 0);
    }
  }
}
