// String instructions with rep / repe / repne (manual Vol. 2, MOVS, STOS,
// LODS, CMPS, SCAS, REP/REPE/REPNE). A rep instruction runs all its
// iterations as one retired instruction; a fault in the middle leaves
// rcx/rsi/rdi describing the finished iterations and rip on the
// instruction, so it resumes where it stopped, as on hardware.

import { opSize, hasRep, hasRepne, addrMask, segBase } from '../insn';
import { getReg64, setReg64, getRegSized, setRegSized } from '../state';
import { FAULT, readSized, writeSized } from '../mem';
import { FLAGS, DF, setLazy, LZ_SUB, getZF } from '../flags';

const RCX: u32 = 1;
const RSI: u32 = 6;
const RDI: u32 = 7;

@inline function step(size: u32): u64 {
  return (FLAGS & DF) != 0 ? <u64>0 - size : <u64>size;
}

/** Steps rsi/rdi/rcx; with a 67 prefix the 32-bit result is zero-extended. */
@inline function advance(r: u32, delta: u64, m: u64): void {
  setReg64(r, (getReg64(r) + delta) & m);
}

export function Movs(d: usize): void {
  const s = opSize(d);
  const m = addrMask(d);
  const delta = step(s);
  const seg = segBase(d);
  const rep = hasRep(d) || hasRepne(d);
  while (true) {
    if (rep && (getReg64(RCX) & m) == 0) return;
    const v = readSized(seg + (getReg64(RSI) & m), s);
    if (FAULT) return;
    writeSized(getReg64(RDI) & m, s, v);
    if (FAULT) return;
    advance(RSI, delta, m);
    advance(RDI, delta, m);
    if (!rep) return;
    advance(RCX, <u64>-1, m);
  }
}

export function Stos(d: usize): void {
  const s = opSize(d);
  const m = addrMask(d);
  const delta = step(s);
  const v = getRegSized(0, s);
  const rep = hasRep(d) || hasRepne(d);
  while (true) {
    if (rep && (getReg64(RCX) & m) == 0) return;
    writeSized(getReg64(RDI) & m, s, v);
    if (FAULT) return;
    advance(RDI, delta, m);
    if (!rep) return;
    advance(RCX, <u64>-1, m);
  }
}

export function Lods(d: usize): void {
  const s = opSize(d);
  const m = addrMask(d);
  const delta = step(s);
  const seg = segBase(d);
  const rep = hasRep(d) || hasRepne(d);
  while (true) {
    if (rep && (getReg64(RCX) & m) == 0) return;
    const v = readSized(seg + (getReg64(RSI) & m), s);
    if (FAULT) return;
    setRegSized(0, s, v);
    advance(RSI, delta, m);
    if (!rep) return;
    advance(RCX, <u64>-1, m);
  }
}

/**
 * cmps compares [rsi] with [rdi]; scas compares rax with [rdi]. Under repe
 * the loop stops on a difference, under repne on equality.
 */
@inline function compareString(d: usize, withRsi: bool): void {
  const s = opSize(d);
  const m = addrMask(d);
  const delta = step(s);
  const seg = segBase(d);
  const repe = hasRep(d);
  const repne = hasRepne(d);
  while (true) {
    if ((repe || repne) && (getReg64(RCX) & m) == 0) return;
    let a: u64;
    if (withRsi) {
      a = readSized(seg + (getReg64(RSI) & m), s);
      if (FAULT) return;
    } else {
      a = getRegSized(0, s);
    }
    const b = readSized(getReg64(RDI) & m, s);
    if (FAULT) return;
    setLazy(LZ_SUB, s, a, b, a - b);
    if (withRsi) advance(RSI, delta, m);
    advance(RDI, delta, m);
    if (!repe && !repne) return;
    advance(RCX, <u64>-1, m);
    if (repe && !getZF()) return;
    if (repne && getZF()) return;
  }
}

export function Cmps(d: usize): void { compareString(d, true); }
export function Scas(d: usize): void { compareString(d, false); }
