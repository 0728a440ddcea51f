// Shifts and rotates: group 2 (rol, ror, rcl, rcr, shl, shr, sal, sar) and
// shld/shrd (manual Vol. 2, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD).
// Flags are computed eagerly: shifts are rare next to adds and compares.

import { opSize, argOf, immOf } from '../insn';
import { readEForWrite, writeE, readG } from '../operand';
import { getRegSized, sizeMask, signBit } from '../state';
import { FAULT } from '../mem';
import { materializeFlags, FLAGS, CF, OF, AF, ARITH, szpFlags, setArithFlags } from '../flags';

/** Applies group-2 operation k to E with the given raw count. */
function shift(d: usize, size: u32, rawCount: u64): void {
  const bits = <u64>size << 3;
  // The count is masked to 5 bits, or 6 for 64-bit operands.
  const count = rawCount & (size == 8 ? 63 : 31);
  const a = readEForWrite(d, size);
  if (FAULT) return;
  if (count == 0) {
    // No flags change; the 32-bit register form still zero-extends.
    writeE(d, size, a);
    return;
  }
  const m = sizeMask(size);
  const sign = signBit(size);
  const k = argOf(d);
  materializeFlags();
  const cfIn = (FLAGS & CF) != 0 ? <u64>1 : 0;
  let r: u64 = 0;
  let flags: u64 = 0;
  let mask: u64 = CF | OF;
  switch (k) {
    case 0: { // rol
      const c = count % bits;
      r = c == 0 ? a : ((a << c) | ((a & m) >> (bits - c))) & m;
      const cf = r & 1;
      flags = (cf != 0 ? CF : 0) | ((((r & sign) != 0 ? 1 : 0) ^ cf) != 0 ? OF : 0);
      break;
    }
    case 1: { // ror
      const c = count % bits;
      r = c == 0 ? a & m : (((a & m) >> c) | (a << (bits - c))) & m;
      const msb = (r & sign) != 0 ? <u64>1 : 0;
      const msb1 = (r & (sign >> 1)) != 0 ? <u64>1 : 0;
      flags = (msb != 0 ? CF : 0) | ((msb ^ msb1) != 0 ? OF : 0);
      break;
    }
    case 2: { // rcl: a (bits+1)-bit rotation through CF
      const c = count % (bits + 1);
      let v = a & m;
      let cf = cfIn;
      for (let i: u64 = 0; i < c; i++) {
        const out = (v & sign) != 0 ? <u64>1 : 0;
        v = ((v << 1) | cf) & m;
        cf = out;
      }
      r = v;
      flags = (cf != 0 ? CF : 0) | (((((r & sign) != 0) ? 1 : 0) ^ <i32>cf) != 0 ? OF : 0);
      if (c == 0) flags = (cfIn != 0 ? CF : 0) | (FLAGS & OF);
      break;
    }
    case 3: { // rcr
      const c = count % (bits + 1);
      let v = a & m;
      let cf = cfIn;
      const ofBefore = ((((v & sign) != 0) ? 1 : 0) ^ <i32>cfIn) != 0;
      for (let i: u64 = 0; i < c; i++) {
        const out = v & 1;
        v = (v >> 1) | (cf != 0 ? sign : 0);
        cf = out;
      }
      r = v;
      flags = (cf != 0 ? CF : 0) | (ofBefore ? OF : 0);
      if (c == 0) flags = (cfIn != 0 ? CF : 0) | (FLAGS & OF);
      break;
    }
    case 4: case 6: { // shl / sal
      r = count >= bits ? 0 : (a << count) & m;
      const cf = count > bits ? 0 : ((a >> (bits - count)) & 1);
      flags = szpFlags(r, size) | (cf != 0 ? CF : 0) | (((((r & sign) != 0) ? 1 : 0) ^ <i32>cf) != 0 ? OF : 0);
      mask = ARITH;
      break;
    }
    case 5: { // shr
      const v = a & m;
      r = count >= bits ? 0 : v >> count;
      const cf = count > bits ? 0 : ((v >> (count - 1)) & 1);
      flags = szpFlags(r, size) | (cf != 0 ? CF : 0) | ((v & sign) != 0 ? OF : 0);
      mask = ARITH;
      break;
    }
    default: { // sar
      const v = <i64>(a << (64 - bits)) >> <i64>(64 - bits);
      const c = count >= bits ? bits - 1 : count;
      r = <u64>(v >> <i64>c) & m;
      const cf = <u64>(v >> <i64>(count >= bits ? bits - 1 : count - 1)) & 1;
      flags = szpFlags(r, size) | (cf != 0 ? CF : 0);
      mask = ARITH;
      break;
    }
  }
  // AF is undefined after shifts; Intel clears it.
  if (mask == ARITH) flags &= ~AF;
  setArithFlags(mask, flags);
  writeE(d, size, r);
}

export function ShiftEbIb(d: usize): void { shift(d, 1, immOf(d)); }
export function ShiftEvIb(d: usize): void { shift(d, opSize(d), immOf(d)); }
export function ShiftEb1(d: usize): void { shift(d, 1, 1); }
export function ShiftEv1(d: usize): void { shift(d, opSize(d), 1); }
export function ShiftEbCl(d: usize): void { shift(d, 1, getRegSized(1, 1)); }
export function ShiftEvCl(d: usize): void { shift(d, opSize(d), getRegSized(1, 1)); }

/** shld (arg 0) / shrd (arg 1): shift E, filling from G. */
function doubleShift(d: usize, rawCount: u64): void {
  const size = opSize(d);
  const bits = <u64>size << 3;
  const count = rawCount & (size == 8 ? 63 : 31);
  const a = readEForWrite(d, size);
  if (FAULT) return;
  if (count == 0) { writeE(d, size, a); return; }
  const m = sizeMask(size);
  const sign = signBit(size);
  const src = readG(d, size) & m;
  const dst = a & m;
  let r: u64;
  let cf: u64;
  if (argOf(d) == 0) {
    // shld: for 16-bit operands with counts above 16 the result is undefined;
    // we shift through the 32-bit concatenation src:dst:src as Intel does.
    if (size == 2) {
      const wide = (dst << 32) | (src << 16) | src;
      r = (wide << count >> 32) & m;
      cf = (wide >> (48 - count)) & 1;
    } else {
      r = ((dst << count) | (count == bits ? 0 : src >> (bits - count))) & m;
      cf = (dst >> (bits - count)) & 1;
    }
  } else {
    if (size == 2) {
      const wide = (src << 32) | (src << 16) | dst;
      r = (wide >> count) & m;
      cf = (wide >> (count - 1)) & 1;
    } else {
      r = ((dst >> count) | (count == bits ? 0 : src << (bits - count))) & m;
      cf = (dst >> (count - 1)) & 1;
    }
  }
  const overflow = ((r ^ dst) & sign) != 0 ? OF : 0;
  setArithFlags(ARITH, szpFlags(r, size) | (cf != 0 ? CF : 0) | overflow);
  writeE(d, size, r);
}

export function ShldEvGvIb(d: usize): void { doubleShift(d, immOf(d)); }
export function ShldEvGvCl(d: usize): void { doubleShift(d, getRegSized(1, 1)); }
