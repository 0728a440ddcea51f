// ALU instructions: add, or, adc, sbb, and, sub, xor, cmp (the /digit order
// of group 1, manual Vol. 2, Table A-6), test, inc, dec, neg, not.

import { opSize, argOf, immOf } from '../insn';
import { readE, readEForWrite, writeE, readG, writeG } from '../operand';
import { getRegSized, setRegSized } from '../state';
import { FAULT } from '../mem';
import {
  setLazy, materializeFlags, keepCarry, FLAGS, CF,
  LZ_ADD, LZ_SUB, LZ_ADC, LZ_SBB, LZ_LOGIC, LZ_INC, LZ_DEC,
} from '../flags';

const ALU_CMP: u32 = 7;

/** Computes ALU operation k on a and b and records its flags. */
export function alu(k: u32, size: u32, a: u64, b: u64): u64 {
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
@inline function aluE(d: usize, size: u32, src: u64): void {
  const k = argOf(d);
  const a = k == ALU_CMP ? readE(d, size) : readEForWrite(d, size);
  if (FAULT) return;
  const r = alu(k, size, a, src);
  if (k != ALU_CMP) writeE(d, size, r);
}

@inline function aluG(d: usize, size: u32): void {
  const b = readE(d, size);
  if (FAULT) return;
  const k = argOf(d);
  const r = alu(k, size, readG(d, size), b);
  if (k != ALU_CMP) writeG(d, size, r);
}

export function AluEbGb(d: usize): void { aluE(d, 1, readG(d, 1)); }
export function AluEvGv(d: usize): void { const s = opSize(d); aluE(d, s, readG(d, s)); }
export function AluGbEb(d: usize): void { aluG(d, 1); }
export function AluGvEv(d: usize): void { aluG(d, opSize(d)); }
export function AluEbIb(d: usize): void { aluE(d, 1, immOf(d)); }
export function AluEvIz(d: usize): void { aluE(d, opSize(d), immOf(d)); }

export function AluAlIb(d: usize): void {
  const k = argOf(d);
  const r = alu(k, 1, getRegSized(0, 1), immOf(d));
  if (k != ALU_CMP) setRegSized(0, 1, r);
}

export function AluRaxIz(d: usize): void {
  const s = opSize(d);
  const k = argOf(d);
  const r = alu(k, s, getRegSized(0, s), immOf(d));
  if (k != ALU_CMP) setRegSized(0, s, r);
}

// ---- test ---------------------------------------------------------------------

@inline function test(size: u32, a: u64, b: u64): void {
  setLazy(LZ_LOGIC, size, a, b, a & b);
}

export function TestEbGb(d: usize): void { const a = readE(d, 1); if (FAULT) return; test(1, a, readG(d, 1)); }
export function TestEvGv(d: usize): void { const s = opSize(d); const a = readE(d, s); if (FAULT) return; test(s, a, readG(d, s)); }
export function TestEbI(d: usize): void { const a = readE(d, 1); if (FAULT) return; test(1, a, immOf(d)); }
export function TestEvI(d: usize): void { const s = opSize(d); const a = readE(d, s); if (FAULT) return; test(s, a, immOf(d)); }
export function TestAlIb(d: usize): void { test(1, getRegSized(0, 1), immOf(d)); }
export function TestRaxIz(d: usize): void { const s = opSize(d); test(s, getRegSized(0, s), immOf(d)); }

// ---- inc, dec (CF unchanged), neg, not ------------------------------------------

@inline function incDec(d: usize, size: u32): void {
  const a = readEForWrite(d, size);
  if (FAULT) return;
  keepCarry(); // CF survives inc/dec
  const dec = argOf(d) != 0;
  const r = dec ? a - 1 : a + 1;
  setLazy(dec ? LZ_DEC : LZ_INC, size, a, 1, r);
  writeE(d, size, r);
}
export function IncDecEb(d: usize): void { incDec(d, 1); }
export function IncDecEv(d: usize): void { incDec(d, opSize(d)); }

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
