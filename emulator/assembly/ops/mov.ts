// Data movement: mov, movzx/movsx/movsxd, lea, xchg, cmovcc, setcc, bswap,
// cbw/cwde/cdqe, cwd/cdq/cqo, moffs forms.

import { opSize, argOf, immOf, rmOf, regOf, eaOffset, segBase } from '../insn';
import { readE, readEForWrite, writeE, readG, writeG } from '../operand';
import { getReg64, setReg64, getRegSized, setRegSized, signExtend } from '../state';
import { FAULT, readSized, writeSized } from '../mem';
import { condition } from '../flags';

export function MovEbGb(d: usize): void { writeE(d, 1, readG(d, 1)); }
export function MovEvGv(d: usize): void { const s = opSize(d); writeE(d, s, readG(d, s)); }
export function MovGbEb(d: usize): void { const v = readE(d, 1); if (FAULT) return; writeG(d, 1, v); }
export function MovGvEv(d: usize): void { const s = opSize(d); const v = readE(d, s); if (FAULT) return; writeG(d, s, v); }
export function MovEbIb(d: usize): void { writeE(d, 1, immOf(d)); }
export function MovEvIz(d: usize): void { writeE(d, opSize(d), immOf(d)); }
export function MovZbIb(d: usize): void { setRegSized(rmOf(d), 1, immOf(d)); }
export function MovZvIv(d: usize): void { setRegSized(rmOf(d), opSize(d), immOf(d)); }

/** lea computes the address without any segment base (Vol. 2, LEA). */
export function LeaGvM(d: usize): void {
  setRegSized(regOf(d), opSize(d), eaOffset(d));
}

export function MovzxGvEb(d: usize): void { const v = readE(d, 1); if (FAULT) return; writeG(d, opSize(d), v); }
export function MovzxGvEw(d: usize): void { const v = readE(d, 2); if (FAULT) return; writeG(d, opSize(d), v); }
export function MovsxGvEb(d: usize): void { const v = readE(d, 1); if (FAULT) return; writeG(d, opSize(d), signExtend(v, 1)); }
export function MovsxGvEw(d: usize): void { const v = readE(d, 2); if (FAULT) return; writeG(d, opSize(d), signExtend(v, 2)); }

/** movsxd: sign-extends a dword; without REX.W it is a plain 32- or 16-bit move. */
export function MovsxdGvEd(d: usize): void {
  const s = opSize(d);
  const v = readE(d, s == 8 ? 4 : s);
  if (FAULT) return;
  writeG(d, s, s == 8 ? signExtend(v, 4) : v);
}

/** cmovcc reads its source even when the condition is false, and a 32-bit form always zero-extends (Vol. 2, CMOVcc). */
export function CmovGvEv(d: usize): void {
  const s = opSize(d);
  const v = readE(d, s);
  if (FAULT) return;
  if (condition(argOf(d))) writeG(d, s, v);
  else if (s == 4) writeG(d, 4, readG(d, 4));
}

export function SetccEb(d: usize): void { writeE(d, 1, condition(argOf(d)) ? 1 : 0); }

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
