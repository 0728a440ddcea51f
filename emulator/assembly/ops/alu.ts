// ALU instructions: add, or, adc, sbb, and, sub, xor, cmp (the /digit order
// of group 1, manual Vol. 2, Table A-6), test, inc, dec, neg, not.

import { opSize, argOf, immOf, isMem } from '../insn';
import { readEForWrite, writeE, readG, writeG, readEM, readEForWriteM, writeEM } from '../operand';
import { getRegSized, setRegSized } from '../state';
import { FAULT } from '../mem';
import {
  setLazy, materializeFlags, keepCarry, FLAGS, CF,
  LZ_ADD, LZ_SUB, LZ_ADC, LZ_SBB, LZ_LOGIC, LZ_INC, LZ_DEC,
} from '../flags';

const ALU_CMP: u32 = 7;

/** Computes ALU operation k on a and b and records its flags. */
export function alu(k: u32, size: u32, a: u64, b: u64): u64 { return aluOp(k, size, a, b); }

// The handlers below come in two forms: XSpec, a template the generator
// instantiates with a constant operation (arg), operand size and operand kind
// (scripts/gen-decoder.ts), and X, the generic form with run-time values.

@inline function aluOp(k: u32, size: u32, a: u64, b: u64): u64 {
  let r: u64;
  switch (k) {
    case 0: r = a + b; setLazy(LZ_ADD, size, a, b, r); break;
    case 1: r = a | b; setLazy(LZ_LOGIC, size, a, b, r); break;
    case 2: {
      materializeFlags();
      r = a + b + (FLAGS & CF);
      setLazy(LZ_ADC, size, a, b, r);
      break;
    }
    case 3: {
      materializeFlags();
      r = a - b - (FLAGS & CF);
      setLazy(LZ_SBB, size, a, b, r);
      break;
    }
    case 4: r = a & b; setLazy(LZ_LOGIC, size, a, b, r); break;
    case 6: r = a ^ b; setLazy(LZ_LOGIC, size, a, b, r); break;
    default: r = a - b; setLazy(LZ_SUB, size, a, b, r); break; // sub, cmp
  }
  return r;
}

/** op E, src: E is read-modify-written unless the operation is cmp. */
@inline function aluE(d: usize, k: u32, size: u32, mem: bool, src: u64): void {
  const a = k == ALU_CMP ? readEM(d, size, mem) : readEForWriteM(d, size, mem);
  if (mem && FAULT) return;
  const r = aluOp(k, size, a, src);
  if (k != ALU_CMP) writeEM(d, size, mem, r);
}

@inline function aluG(d: usize, k: u32, size: u32, mem: bool): void {
  const b = readEM(d, size, mem);
  if (mem && FAULT) return;
  const r = aluOp(k, size, readG(d, size), b);
  if (k != ALU_CMP) writeG(d, size, r);
}

@inline export function AluEbGbSpec(d: usize, arg: u32, size: u32, mem: bool): void { aluE(d, arg, 1, mem, readG(d, 1)); }
@inline export function AluEvGvSpec(d: usize, arg: u32, size: u32, mem: bool): void { aluE(d, arg, size, mem, readG(d, size)); }
@inline export function AluGbEbSpec(d: usize, arg: u32, size: u32, mem: bool): void { aluG(d, arg, 1, mem); }
@inline export function AluGvEvSpec(d: usize, arg: u32, size: u32, mem: bool): void { aluG(d, arg, size, mem); }
@inline export function AluEbIbSpec(d: usize, arg: u32, size: u32, mem: bool): void { aluE(d, arg, 1, mem, immOf(d)); }
@inline export function AluEvIzSpec(d: usize, arg: u32, size: u32, mem: bool): void { aluE(d, arg, size, mem, immOf(d)); }
@inline export function AluRaxIzSpec(d: usize, arg: u32, size: u32, mem: bool): void {
  const r = aluOp(arg, size, getRegSized(0, size), immOf(d));
  if (arg != ALU_CMP) setRegSized(0, size, r);
}

export function AluEbGb(d: usize): void { AluEbGbSpec(d, argOf(d), 1, isMem(d)); }
export function AluEvGv(d: usize): void { AluEvGvSpec(d, argOf(d), opSize(d), isMem(d)); }
export function AluGbEb(d: usize): void { AluGbEbSpec(d, argOf(d), 1, isMem(d)); }
export function AluGvEv(d: usize): void { AluGvEvSpec(d, argOf(d), opSize(d), isMem(d)); }
export function AluEbIb(d: usize): void { AluEbIbSpec(d, argOf(d), 1, isMem(d)); }
export function AluEvIz(d: usize): void { AluEvIzSpec(d, argOf(d), opSize(d), isMem(d)); }
@inline export function AluAlIbSpec(d: usize, arg: u32, size: u32, mem: bool): void { AluRaxIzSpec(d, arg, 1, false); }
export function AluAlIb(d: usize): void { AluRaxIzSpec(d, argOf(d), 1, false); }
export function AluRaxIz(d: usize): void { AluRaxIzSpec(d, argOf(d), opSize(d), false); }

// ---- test ---------------------------------------------------------------------

@inline function test(size: u32, a: u64, b: u64): void {
  setLazy(LZ_LOGIC, size, a, b, a & b);
}

@inline export function TestEvGvSpec(d: usize, arg: u32, size: u32, mem: bool): void {
  const a = readEM(d, size, mem);
  if (mem && FAULT) return;
  test(size, a, readG(d, size));
}
@inline export function TestEvISpec(d: usize, arg: u32, size: u32, mem: bool): void {
  const a = readEM(d, size, mem);
  if (mem && FAULT) return;
  test(size, a, immOf(d));
}
@inline export function TestRaxIzSpec(d: usize, arg: u32, size: u32, mem: bool): void { test(size, getRegSized(0, size), immOf(d)); }

@inline export function TestEbGbSpec(d: usize, arg: u32, size: u32, mem: bool): void { TestEvGvSpec(d, arg, 1, mem); }
@inline export function TestEbISpec(d: usize, arg: u32, size: u32, mem: bool): void { TestEvISpec(d, arg, 1, mem); }
@inline export function TestAlIbSpec(d: usize, arg: u32, size: u32, mem: bool): void { TestRaxIzSpec(d, arg, 1, false); }

export function TestEbGb(d: usize): void { TestEvGvSpec(d, 0, 1, isMem(d)); }
export function TestEvGv(d: usize): void { TestEvGvSpec(d, 0, opSize(d), isMem(d)); }
export function TestEbI(d: usize): void { TestEvISpec(d, 0, 1, isMem(d)); }
export function TestEvI(d: usize): void { TestEvISpec(d, 0, opSize(d), isMem(d)); }
export function TestAlIb(d: usize): void { TestRaxIzSpec(d, 0, 1, false); }
export function TestRaxIz(d: usize): void { TestRaxIzSpec(d, 0, opSize(d), false); }

// ---- inc, dec (CF unchanged), neg, not ------------------------------------------

@inline export function IncDecEvSpec(d: usize, arg: u32, size: u32, mem: bool): void {
  const a = readEForWriteM(d, size, mem);
  if (mem && FAULT) return;
  keepCarry(); // CF survives inc/dec
  const dec = arg != 0;
  const r = dec ? a - 1 : a + 1;
  setLazy(dec ? LZ_DEC : LZ_INC, size, a, 1, r);
  writeEM(d, size, mem, r);
}
@inline export function IncDecEbSpec(d: usize, arg: u32, size: u32, mem: bool): void { IncDecEvSpec(d, arg, 1, mem); }
export function IncDecEb(d: usize): void { IncDecEvSpec(d, argOf(d), 1, isMem(d)); }
export function IncDecEv(d: usize): void { IncDecEvSpec(d, argOf(d), opSize(d), isMem(d)); }

@inline function neg(d: usize, size: u32): void {
  const a = readEForWrite(d, size);
  if (FAULT) return;
  const r = <u64>0 - a;
  setLazy(LZ_SUB, size, 0, a, r); // flags of 0 - a (Vol. 2, NEG: CF = source != 0)
  writeE(d, size, r);
}
export function NegEb(d: usize): void { neg(d, 1); }
export function NegEv(d: usize): void { neg(d, opSize(d)); }

@inline function not(d: usize, size: u32): void {
  const a = readEForWrite(d, size);
  if (FAULT) return;
  writeE(d, size, ~a);
}
export function NotEb(d: usize): void { not(d, 1); }
export function NotEv(d: usize): void { not(d, opSize(d)); }
