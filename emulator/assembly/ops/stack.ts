// Stack and control transfer: push, pop, pushf, popf, enter, leave, call,
// ret, jmp, jcc, loop, jrcxz (manual Vol. 2 and Vol. 1, 6.2-6.3).

import { opSize, argOf, immOf, rmOf, isMem, ea, addrMask } from '../insn';
import { readE } from '../operand';
import { getReg64, setReg64, getRegSized, setRegSized, RIP, jumpTo } from '../state';
import { FAULT, readSized, writeSized, read64, checkWrite } from '../mem';
import { condition, conditionOf, getFlags, setFlags, getZF, ARITH, TF, DF, AC, ID } from '../flags';

const RSP: u32 = 4;
const RBP: u32 = 5;
const RCX: u32 = 1;

/** Pushes `size` bytes; false (state unchanged) on a fault. */
@inline export function push(v: u64, size: u32): bool {
  const sp = getReg64(RSP) - size;
  writeSized(sp, size, v);
  if (FAULT) return false;
  setReg64(RSP, sp);
  return true;
}

@inline export function PushZvSpec(d: usize, arg: u32, size: u32, mem: bool): void { push(getRegSized(rmOf(d), size), size); }
export function PushZv(d: usize): void { PushZvSpec(d, 0, opSize(d), false); }
export function PushIz(d: usize): void { push(immOf(d), opSize(d)); }
export function PushEv(d: usize): void {
  const s = opSize(d);
  const v = readE(d, s);
  if (FAULT) return;
  push(v, s);
}

@inline export function PopZvSpec(d: usize, arg: u32, size: u32, mem: bool): void {
  const sp = getReg64(RSP);
  const v = readSized(sp, size);
  if (FAULT) return;
  setReg64(RSP, sp + size);
  setRegSized(rmOf(d), size, v); // pop rsp: rsp gets the popped value
}
export function PopZv(d: usize): void { PopZvSpec(d, 0, opSize(d), false); }

/** pop Ev: an rsp-based address is computed after rsp is incremented (Vol. 2, POP). */
export function PopEv(d: usize): void {
  const s = opSize(d);
  const sp = getReg64(RSP);
  const v = readSized(sp, s);
  if (FAULT) return;
  setReg64(RSP, sp + s);
  if (isMem(d)) {
    writeSized(ea(d), s, v);
    if (FAULT) setReg64(RSP, sp);
  } else {
    setRegSized(rmOf(d), s, v);
  }
}

/** RF and VM read as zero in the pushed image. */
export function Pushf(d: usize): void { push(getFlags() & ~<u64>0x30000, opSize(d)); }

/** In user mode popf may change only these flags: IF and IOPL stay (Vol. 2, POPF, CPL 3 with IOPL 0). */
const POPF_USER_MASK: u64 = ARITH | TF | DF | (1 << 14) | AC | ID;

export function Popf(d: usize): void {
  const s = opSize(d);
  const sp = getReg64(RSP);
  const v = readSized(sp, s);
  if (FAULT) return;
  setReg64(RSP, sp + s);
  const mask = s == 2 ? POPF_USER_MASK & 0xffff : POPF_USER_MASK;
  setFlags((getFlags() & ~mask) | (v & mask));
}

export function Leave(d: usize): void {
  const s = opSize(d);
  const bp = getReg64(RBP);
  const v = readSized(bp, s);
  if (FAULT) return;
  setReg64(RSP, bp + s);
  setRegSized(RBP, s, v);
}

/** enter: make a frame of imm16 bytes with nesting level imm8 & 31 (Vol. 2, ENTER). */
export function Enter(d: usize): void {
  const s = opSize(d);
  const alloc = immOf(d) & 0xffff;
  const level = (immOf(d) >> 16) & 31;
  const bp = getReg64(RBP);
  let sp = getReg64(RSP);
  const frameSpan: u64 = <u64>s * (level + 1);
  if (!checkWrite(sp - frameSpan, <u32>frameSpan)) return;
  sp -= s;
  writeSized(sp, s, bp);
  const frame = sp;
  if (level > 0) {
    let from = bp;
    for (let i: u64 = 1; i < level; i++) {
      from -= s;
      const v = readSized(from, s);
      if (FAULT) return;
      sp -= s;
      writeSized(sp, s, v);
    }
    sp -= s;
    writeSized(sp, s, frame);
  }
  // The processor then write-checks the final stack top; as observed on the
  // host, a #PF there comes after the frame words were stored, with the
  // registers unchanged.
  if (!checkWrite(sp - alloc, s)) return;
  setRegSized(RBP, s, frame);
  setReg64(RSP, sp - alloc);
}

// ---- branches ---------------------------------------------------------------------

export function JmpJz(d: usize): void { jumpTo(immOf(d)); }
@inline export function JccJzSpec(d: usize, arg: u32, size: u32, mem: bool): void { if (conditionOf(arg)) jumpTo(immOf(d)); }
export function JccJz(d: usize): void { if (condition(argOf(d))) jumpTo(immOf(d)); }

export function JmpEq(d: usize): void {
  const t = readE(d, 8);
  if (FAULT) return;
  jumpTo(t);
}

export function CallJz(d: usize): void {
  if (!push(RIP, 8)) return;
  jumpTo(immOf(d));
}

/** call Ev: the target is read before the push (it may be rsp-relative). */
export function CallEq(d: usize): void {
  const t = readE(d, 8);
  if (FAULT) return;
  if (!push(RIP, 8)) return;
  jumpTo(t);
}

export function Ret(d: usize): void {
  const sp = getReg64(RSP);
  const t = read64(sp);
  if (FAULT) return;
  setReg64(RSP, sp + 8);
  jumpTo(t);
}

export function RetIw(d: usize): void {
  const sp = getReg64(RSP);
  const t = read64(sp);
  if (FAULT) return;
  setReg64(RSP, sp + 8 + (immOf(d) & 0xffff));
  jumpTo(t);
}

/** loopne (0), loope (1), loop (2): decrement rcx (ecx with 67) without touching flags. */
export function Loop(d: usize): void {
  const m = addrMask(d);
  const c = (getReg64(RCX) - 1) & m;
  setReg64(RCX, c); // with 67 the upper half of rcx is zeroed, as for any 32-bit write
  const k = argOf(d);
  let take = c != 0;
  if (k == 0) take = take && !getZF();
  else if (k == 1) take = take && getZF();
  if (take) jumpTo(immOf(d));
}

export function Jrcxz(d: usize): void {
  if ((getReg64(RCX) & addrMask(d)) == 0) jumpTo(immOf(d));
}
