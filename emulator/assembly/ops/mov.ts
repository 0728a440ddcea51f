// Data movement: mov, movzx/movsx/movsxd, lea, xchg, cmovcc, setcc, bswap,
// cbw/cwde/cdqe, cwd/cdq/cqo, moffs forms, xlat.

import { opSize, argOf, immOf, rmOf, regOf, eaOffset, segBase, isMem, addrMask } from '../insn';
import { readE, readEForWrite, writeE, readG, writeG, readEM, writeEM } from '../operand';
import { getReg64, setReg64, getRegSized, setRegSized, signExtend } from '../state';
import { FAULT, readSized, writeSized, read8 } from '../mem';
import { conditionOf } from '../flags';

// Handlers with an XSpec template are instantiated per operand size and
// kind (and condition code) by scripts/gen-decoder.ts; X is the generic form.

@inline export function MovEbGbSpec(d: usize, arg: u32, size: u32, mem: bool): void { writeEM(d, 1, mem, readG(d, 1)); }
@inline export function MovEvGvSpec(d: usize, arg: u32, size: u32, mem: bool): void { writeEM(d, size, mem, readG(d, size)); }
@inline export function MovGvEvSpec(d: usize, arg: u32, size: u32, mem: bool): void {
  const v = readEM(d, size, mem);
  if (mem && FAULT) return;
  writeG(d, size, v);
}
@inline export function MovGbEbSpec(d: usize, arg: u32, size: u32, mem: bool): void { MovGvEvSpec(d, arg, 1, mem); }
@inline export function MovEvIzSpec(d: usize, arg: u32, size: u32, mem: bool): void { writeEM(d, size, mem, immOf(d)); }
@inline export function MovEbIbSpec(d: usize, arg: u32, size: u32, mem: bool): void { writeEM(d, 1, mem, immOf(d)); }
@inline export function MovZvIvSpec(d: usize, arg: u32, size: u32, mem: bool): void { setRegSized(rmOf(d), size, immOf(d)); }

export function MovEbGb(d: usize): void { MovEbGbSpec(d, 0, 1, isMem(d)); }
export function MovEvGv(d: usize): void { MovEvGvSpec(d, 0, opSize(d), isMem(d)); }
export function MovGbEb(d: usize): void { MovGvEvSpec(d, 0, 1, isMem(d)); }
export function MovGvEv(d: usize): void { MovGvEvSpec(d, 0, opSize(d), isMem(d)); }
export function MovEbIb(d: usize): void { MovEbIbSpec(d, 0, 1, isMem(d)); }
export function MovEvIz(d: usize): void { MovEvIzSpec(d, 0, opSize(d), isMem(d)); }
export function MovZbIb(d: usize): void { setRegSized(rmOf(d), 1, immOf(d)); }
export function MovZvIv(d: usize): void { MovZvIvSpec(d, 0, opSize(d), false); }

/** lea computes the address without any segment base (Vol. 2, LEA). */
@inline export function LeaGvMSpec(d: usize, arg: u32, size: u32, mem: bool): void {
  setRegSized(regOf(d), size, eaOffset(d));
}
export function LeaGvM(d: usize): void { LeaGvMSpec(d, 0, opSize(d), true); }

/** movzx / movsx from `from` bytes (arg 0: zero-extend, 1: sign-extend). */
@inline function movx(d: usize, from: u32, signed: bool, size: u32, mem: bool): void {
  const v = readEM(d, from, mem);
  if (mem && FAULT) return;
  writeG(d, size, signed ? signExtend(v, from) : v);
}
@inline export function MovzxGvEbSpec(d: usize, arg: u32, size: u32, mem: bool): void { movx(d, 1, false, size, mem); }
@inline export function MovzxGvEwSpec(d: usize, arg: u32, size: u32, mem: bool): void { movx(d, 2, false, size, mem); }
@inline export function MovsxGvEbSpec(d: usize, arg: u32, size: u32, mem: bool): void { movx(d, 1, true, size, mem); }
@inline export function MovsxGvEwSpec(d: usize, arg: u32, size: u32, mem: bool): void { movx(d, 2, true, size, mem); }
export function MovzxGvEb(d: usize): void { MovzxGvEbSpec(d, 0, opSize(d), isMem(d)); }
export function MovzxGvEw(d: usize): void { MovzxGvEwSpec(d, 0, opSize(d), isMem(d)); }
export function MovsxGvEb(d: usize): void { MovsxGvEbSpec(d, 0, opSize(d), isMem(d)); }
export function MovsxGvEw(d: usize): void { MovsxGvEwSpec(d, 0, opSize(d), isMem(d)); }

/** movsxd: sign-extends a dword; without REX.W it is a plain 32- or 16-bit move. */
@inline export function MovsxdGvEdSpec(d: usize, arg: u32, size: u32, mem: bool): void {
  const v = readEM(d, size == 8 ? 4 : size, mem);
  if (mem && FAULT) return;
  writeG(d, size, size == 8 ? signExtend(v, 4) : v);
}
export function MovsxdGvEd(d: usize): void { MovsxdGvEdSpec(d, 0, opSize(d), isMem(d)); }

/** cmovcc reads its source even when the condition is false, and a 32-bit form always zero-extends (Vol. 2, CMOVcc). */
@inline export function CmovGvEvSpec(d: usize, arg: u32, size: u32, mem: bool): void {
  const v = readEM(d, size, mem);
  if (mem && FAULT) return;
  if (conditionOf(arg)) writeG(d, size, v);
  else if (size == 4) writeG(d, 4, readG(d, 4));
}
export function CmovGvEv(d: usize): void { CmovGvEvSpec(d, argOf(d), opSize(d), isMem(d)); }

@inline export function SetccEbSpec(d: usize, arg: u32, size: u32, mem: bool): void { writeEM(d, 1, mem, conditionOf(arg) ? 1 : 0); }
export function SetccEb(d: usize): void { SetccEbSpec(d, argOf(d), 1, isMem(d)); }

export function XchgEbGb(d: usize): void {
  const a = readEForWrite(d, 1);
  if (FAULT) return;
  const b = readG(d, 1);
  writeE(d, 1, b);
  writeG(d, 1, a);
}

export function XchgEvGv(d: usize): void {
  const s = opSize(d);
  const a = readEForWrite(d, s);
  if (FAULT) return;
  const b = readG(d, s);
  writeE(d, s, b);
  writeG(d, s, a);
}

/** 90+r: xchg r, rax. Plain 90 (and F3 90, pause) is nop: it does not zero rax's upper half. */
export function XchgZvRax(d: usize): void {
  const r = rmOf(d);
  if (r == 0) return;
  const s = opSize(d);
  const a = getRegSized(r, s);
  setRegSized(r, s, getRegSized(0, s));
  setRegSized(0, s, a);
}

export function Nop(d: usize): void {}

/** cbw / cwde / cdqe: sign-extend the lower half of rax into the operand size. */
export function Cbw(d: usize): void {
  const s = opSize(d);
  const half = s >> 1;
  setRegSized(0, s, signExtend(getRegSized(0, half), half));
}

/** cwd / cdq / cqo: fill rdx with the sign of rax. */
export function Cwd(d: usize): void {
  const s = opSize(d);
  const v = getRegSized(0, s);
  const sign = (v >> ((<u64>s << 3) - 1)) & 1;
  setRegSized(2, s, sign != 0 ? 0xffffffffffffffff : 0);
}

export function BswapZv(d: usize): void {
  const r = rmOf(d);
  const s = opSize(d);
  if (s == 8) setReg64(r, bswap<u64>(getReg64(r)));
  else if (s == 4) setReg64(r, <u64>bswap<u32>(<u32>getReg64(r)));
  else setRegSized(r, 2, 0); // bswap of a 16-bit register is undefined; Intel and AMD give 0
}

// moffs forms: A0-A3 address absolute memory, with fs/gs overrides.
export function MovAlOb(d: usize): void { const v = readSized(immOf(d) + segBase(d), 1); if (FAULT) return; setRegSized(0, 1, v); }
export function MovRaxOv(d: usize): void { const s = opSize(d); const v = readSized(immOf(d) + segBase(d), s); if (FAULT) return; setRegSized(0, s, v); }
export function MovObAl(d: usize): void { writeSized(immOf(d) + segBase(d), 1, getRegSized(0, 1)); }
export function MovOvRax(d: usize): void { const s = opSize(d); writeSized(immOf(d) + segBase(d), s, getRegSized(0, s)); }

/**
 * xlat / xlatb (D7): al = the byte at [rbx + zero-extended al] (Vol. 2,
 * XLAT/XLATB). With 67 the offset is ebx + al taken modulo 2^32; an fs/gs
 * override adds that segment's base; REX.W changes nothing.
 */
export function Xlat(d: usize): void {
  const off = (getReg64(3) + (getReg64(0) & 0xff)) & addrMask(d);
  const v = read8(segBase(d) + off);
  if (FAULT) return;
  setRegSized(0, 1, v);
}
