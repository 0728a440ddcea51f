// Operand accessors in the manual's notation: E = the ModRM r/m operand
// (register or memory), G = the ModRM reg operand, of the instruction's
// operand size. Memory reads leave FAULT set on failure; callers return
// before changing any state.

import { isMem, rmOf, regOf, ea, opSize } from './insn';
import { getRegSized, setRegSized } from './state';
import { readSized, writeSized, readForWrite } from './mem';

@inline export function readE(d: usize, size: u32): u64 { return readEM(d, size, isMem(d)); }

/** Reads E for a read-modify-write: a memory operand must also be writable. */
@inline export function readEForWrite(d: usize, size: u32): u64 { return readEForWriteM(d, size, isMem(d)); }

@inline export function writeE(d: usize, size: u32, v: u64): void { writeEM(d, size, isMem(d), v); }

// The same with the operand kind given (constant in specialised handlers, see scripts/gen-decoder.ts).
@inline export function readEM(d: usize, size: u32, mem: bool): u64 {
  if (mem) return readSized(ea(d), size);
  return getRegSized(rmOf(d), size);
}

@inline export function readEForWriteM(d: usize, size: u32, mem: bool): u64 {
  if (mem) return readForWrite(ea(d), size);
  return getRegSized(rmOf(d), size);
}

@inline export function writeEM(d: usize, size: u32, mem: bool, v: u64): void {
  if (mem) writeSized(ea(d), size, v);
  else setRegSized(rmOf(d), size, v);
}

@inline export function readG(d: usize, size: u32): u64 {
  return getRegSized(regOf(d), size);
}

@inline export function writeG(d: usize, size: u32, v: u64): void {
  setRegSized(regOf(d), size, v);
}

@inline export function sizeOf(d: usize): u32 { return opSize(d); }
