// The x87 FPU: register stack, status and control words, loads and stores,
// exchanges, classification, comparisons and the environment instructions
// (manual Vol. 1, chapter 8; Vol. 2, the F* pages). Arithmetic lives in
// x87arith.ts; the exact extended-precision soft-float in ../f80.ts.
//
// State, in the register file (../state.ts), laid out as FXSAVE stores it so
// fxsave/fxrstor can copy it: CTX_FPU_CW, CTX_FPU_SW (TOP in bits 11..13),
// CTX_FPU_TAG (abridged: bit i set = physical register i valid) and CTX_ST,
// eight physical registers of 16 bytes, each the 80-bit value in its low 10
// bytes (u64 significand, u16 sign|exponent). st(i) is physical (TOP + i) & 7.
//
// Exceptions are taken as masked (the Linux default, and what glibc runs
// with): the masked response is produced and the flag set. When the program
// unmasks one, ES and B are set and, for IE, DE and ZE, the destination is
// left unchanged (Vol. 1, 8.5), but no #MF is delivered.

import { R, CTX_FPU_CW, CTX_FPU_SW, CTX_FPU_TAG, CTX_ST, getReg64, setReg64, stopFault, STOP_X87_EXCEPTION } from '../state';
import { ea, rmOf, argOf, opSize } from '../insn';
import { FAULT, read16, read32, read64, write16, write32, write64, checkWrite, read8 } from '../mem';
import { setArithFlags, ZF, PF, CF, OF, SF, AF, condition } from '../flags';
import {
  IE, DE, ZE, EXC, UP, SIG, SE, setRounding, clearExceptions, classify, compare,
  K_ZERO, K_NORMAL, K_INF, K_QNAN, K_SNAN, K_UNSUPPORTED,
  CMP_LESS, CMP_EQUAL, CMP_UNORDERED, INDEFINITE_SIG, INDEFINITE_SE,
  fromF32, fromF64, fromI64, quietIfSignaling, toF32, toF64, toInt, RC, RC_NEAREST, RC_UP, raise, SRC_DENORMAL,
} from '../f80';

// ---- status word bits (Vol. 1, Figure 8-4) ------------------------------------
export const SW_SF: u32 = 0x40;
export const SW_ES: u32 = 0x80;
export const SW_C0: u32 = 0x100;
export const SW_C1: u32 = 0x200;
export const SW_C2: u32 = 0x400;
export const SW_C3: u32 = 0x4000;
export const SW_B: u32 = 0x8000;
const SW_TOP_SHIFT: u32 = 11;

/** Memory operand formats, the `arg` of the memory rows (low bits). */
export const FMT_M32: u32 = 0;
export const FMT_M64: u32 = 1;
export const FMT_I32: u32 = 2;
export const FMT_I16: u32 = 3;
export const FMT_M80: u32 = 4;
export const FMT_I64: u32 = 5;

// ---- register file access --------------------------------------------------------
@inline export function fpuCw(): u32 { return <u32>load<u16>(R + CTX_FPU_CW); }
@inline export function fpuSw(): u32 { return <u32>load<u16>(R + CTX_FPU_SW); }
@inline function setSw(v: u32): void { store<u16>(R + CTX_FPU_SW, <u16>v); }
/** Sets (v) or clears status word bits, e.g. one condition code. */
export function setSwBits(bits: u32, v: bool): void { setSw(v ? fpuSw() | bits : fpuSw() & ~bits); }
@inline function tagBits(): u32 { return <u32>load<u16>(R + CTX_FPU_TAG); }
@inline function setTagBits(v: u32): void { store<u16>(R + CTX_FPU_TAG, <u16>(v & 0xff)); }
@inline export function fpuTop(): u32 { return (fpuSw() >> SW_TOP_SHIFT) & 7; }
@inline function setTop(t: u32): void { setSw((fpuSw() & ~(<u32>7 << SW_TOP_SHIFT)) | ((t & 7) << SW_TOP_SHIFT)); }
@inline function physOf(i: u32): u32 { return (fpuTop() + i) & 7; }
@inline function physAddr(p: u32): usize { return R + CTX_ST + (<usize>p << 4); }

export function stEmpty(i: u32): bool { return (tagBits() & (<u32>1 << physOf(i))) == 0; }
export function stSig(i: u32): u64 { return load<u64>(physAddr(physOf(i))); }
export function stSe(i: u32): u32 { return <u32>load<u16>(physAddr(physOf(i)) + 8); }

/** Writes st(i) and marks it valid. */
export function setSt(i: u32, sig: u64, se: u32): void {
  const p = physOf(i);
  store<u64>(physAddr(p), sig);
  store<u16>(physAddr(p) + 8, <u16>se);
  setTagBits(tagBits() | (<u32>1 << p));
}

/** Marks st(0) empty and increments TOP (Vol. 1, 8.1.2). */
export function popSt(): void {
  setTagBits(tagBits() & ~(<u32>1 << fpuTop()));
  setTop(fpuTop() + 1);
}

// ---- instruction prologue and epilogue -----------------------------------------------

/** Takes RC and PC from the control word and clears the per-instruction flags. */
export function beginFpu(): void {
  const cw = fpuCw();
  const pc = (cw >> 8) & 3;
  setRounding((cw >> 10) & 3, pc == 0 ? 24 : pc == 2 ? 53 : 64);
  clearExceptions();
}

/**
 * The x87 reports an unmasked exception at the next waiting instruction,
 * not at the one that raised it (Vol. 1, 8.6 "x87 FPU Exception
 * Synchronization"): every x87 instruction but FNINIT, FNCLEX, FNSTSW,
 * FNSTCW, FNSTENV and FNSAVE, and WAIT/FWAIT, first checks for exception
 * flags the control word does not mask and raises #MF without executing.
 * Returns true when it stopped the CPU.
 */
export function x87ExceptionPending(): bool {
  if ((fpuSw() & ~fpuCw() & 0x3f) == 0) return false;
  stopFault(STOP_X87_EXCEPTION);
  return true;
}

/** WAIT / FWAIT (9B): only the check for a pending x87 exception. */
export function Fwait(d: usize): void {
  x87ExceptionPending();
}

/** The IE/DE/ZE raised so far are unmasked: the destination must stay unchanged. */
export function faultBlocks(): bool { return (EXC & ~fpuCw() & (IE | DE | ZE)) != 0; }

/** IE is masked: a masked stack fault or invalid operation writes the indefinite. */
@inline export function invalidMasked(): bool { return (fpuCw() & IE) != 0; }

function updateSummary(s: u32): u32 {
  return (s & 0x3f & ~fpuCw()) != 0 ? s | SW_ES | SW_B : s & ~(SW_ES | SW_B);
}

/** Records the flags raised by the instruction and sets C1 (Vol. 1, 8.1.3). */
export function finish(c1: bool): void {
  let s = (fpuSw() & ~SW_C1) | (EXC & 0x3f);
  if (c1) s |= SW_C1;
  setSw(updateSummary(s));
}

/** Also sets C0, C2, C3 (compares, fxam, fprem). */
export function finishCc(c1: bool, c0: bool, c2: bool, c3: bool): void {
  let s = fpuSw() & ~(SW_C0 | SW_C2 | SW_C3);
  if (c0) s |= SW_C0;
  if (c2) s |= SW_C2;
  if (c3) s |= SW_C3;
  setSw(s);
  finish(c1);
}

/** Stack underflow (an empty register read) or overflow (a push onto a full stack): IE, SF, C1. */
export function stackFault(overflow: bool): void {
  raise(IE);
  setSw(fpuSw() | SW_SF);
  finish(overflow);
}

/**
 * Pushes a value (Vol. 1, 8.1.2): on a full stack, a stack overflow, and when
 * masked the indefinite is pushed instead. Returns false on overflow.
 */
export function pushSt(sig: u64, se: u32): bool {
  const t = (fpuTop() - 1) & 7;
  if ((tagBits() & (<u32>1 << t)) != 0) {
    if (invalidMasked()) {
      setTop(t);
      setSt(0, INDEFINITE_SIG, INDEFINITE_SE);
    }
    return false;
  }
  setTop(t);
  setSt(0, sig, se);
  return true;
}

/** Writes the result of an operation whose operands were in the stack, then finishes. */
export function commitSt(i: u32, pop: bool, c1: bool): void {
  if (!faultBlocks()) {
    setSt(i, SIG, SE);
    if (pop) popSt();
  }
  finish(c1);
}

/** Stack underflow on an operation with destination st(i): indefinite when masked. */
export function underflowTo(i: u32, pop: bool): void {
  if (invalidMasked()) {
    setSt(i, INDEFINITE_SIG, INDEFINITE_SE);
    if (pop) popSt();
  }
  stackFault(false);
}

// ---- memory operands -------------------------------------------------------------------
export let MEM_SIG: u64 = 0;
export let MEM_SE: u32 = 0;

/**
 * Reads a memory operand of format fmt as an extended value (MEM_SIG/MEM_SE).
 * Single/double denormals mark the source denormal; SNaNs stay signaling.
 * Returns false after a fault (nothing changed).
 */
export function readOperand(addr: u64, fmt: u32): bool {
  switch (fmt) {
    case FMT_M32: { const v = read32(addr); if (FAULT) return false; fromF32(<u32>v); break; }
    case FMT_M64: { const v = read64(addr); if (FAULT) return false; fromF64(v); break; }
    case FMT_I16: { const v = read16(addr); if (FAULT) return false; fromI64(<i64><i16>v); break; }
    case FMT_I32: { const v = read32(addr); if (FAULT) return false; fromI64(<i64><i32>v); break; }
    case FMT_I64: { const v = read64(addr); if (FAULT) return false; fromI64(<i64>v); break; }
    default: {
      const sig = read64(addr);
      const se = read16(addr + 8);
      if (FAULT) return false;
      MEM_SIG = sig;
      MEM_SE = <u32>se;
      return true;
    }
  }
  MEM_SIG = SIG;
  MEM_SE = SE;
  return true;
}

// ---- loads (Vol. 2, FLD, FILD, FBLD, FLD1...) --------------------------------------------

/** fld m32/m64/m80: arg is the format. */
export function FldM(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const fmt = argOf(d);
  if (!readOperand(ea(d), fmt)) return;
  if (fmt != FMT_M80) {
    // Conversions to extended report DE for denormals and IE for SNaNs (quieted).
    quietIfSignaling();
    if (SRC_DENORMAL) raise(DE);
    loadCommon(SIG, SE);
  } else {
    loadCommon(MEM_SIG, MEM_SE);
  }
}

/** fild m16/m32/m64: arg is the format. */
export function FildM(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  if (!readOperand(ea(d), argOf(d))) return;
  loadCommon(MEM_SIG, MEM_SE);
}

function loadCommon(sig: u64, se: u32): void {
  if (faultBlocks()) { finish(false); return; }
  // A stack overflow outranks what the conversion raised (DE of a denormal single).
  if (!pushSt(sig, se)) { clearExceptions(); stackFault(true); return; }
  finish(false);
}

/** fld st(i): the value is read before the push. */
export function FldSti(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const i = rmOf(d) & 7;
  if (stEmpty(i)) {
    if (invalidMasked()) pushSt(INDEFINITE_SIG, INDEFINITE_SE);
    stackFault(false);
    return;
  }
  loadCommon(stSig(i), stSe(i));
}

// Constants (Vol. 2, FLD1/FLDL2T/FLDL2E/FLDPI/FLDLG2/FLDLN2/FLDZ): the
// significand truncated to 64 bits, and whether the exact value's next bit is
// one. The constants are inexact except 1 and 0; RC rounds them (no PE).
const CONST_SIG: StaticArray<u64> = [
  0x8000000000000000, // 1
  0xd49a784bcd1b8afe, // log2(10)
  0xb8aa3b295c17f0bb, // log2(e)
  0xc90fdaa22168c234, // pi
  0x9a209a84fbcff798, // log10(2)
  0xb17217f7d1cf79ab, // ln(2)
  0, //                  +0
];
const CONST_SE: StaticArray<u16> = [0x3fff, 0x4000, 0x3fff, 0x4000, 0x3ffd, 0x3ffe, 0];
const CONST_HALF_UP: StaticArray<u8> = [0, 0, 1, 1, 1, 1, 0];

/** fld1, fldl2t, fldl2e, fldpi, fldlg2, fldln2, fldz: arg 0..6. */
export function FldConst(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const k = argOf(d);
  let sig = unchecked(CONST_SIG[k]);
  const exact = k == 0 || k == 6;
  if (!exact && (RC == RC_UP || (RC == RC_NEAREST && unchecked(CONST_HALF_UP[k]) != 0))) sig += 1;
  if (!pushSt(sig, <u32>unchecked(CONST_SE[k]))) { stackFault(true); return; }
  finish(false);
}

/** fbld m80bcd: 18 packed BCD digits and a sign byte (Vol. 2, FBLD). */
export function FbldM(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const addr = ea(d);
  const lo = read64(addr);
  const hi = read16(addr + 8);
  if (FAULT) return;
  let v: i64 = 0;
  for (let k = 8; k >= 0; k--) {
    const byte = k == 8 ? <u32>(hi & 0xff) : <u32>(lo >> (<u64>k << 3)) & 0xff;
    v = v * 100 + <i64>((byte >> 4) * 10 + (byte & 15));
  }
  fromI64(v);
  let se = SE;
  if ((hi & 0x8000) != 0) se |= 0x8000;
  loadCommon(SIG, se);
}

// ---- stores (Vol. 2, FST/FSTP, FIST/FISTP, FISTTP, FBSTP) -------------------------------

/** fst/fstp m32/m64/m80: arg bits 0..2 format, bit 3 pop. */
export function FstM(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const fmt = argOf(d) & 7;
  const pop = (argOf(d) & 8) != 0;
  const addr = ea(d);
  if (!checkWrite(addr, fmt == FMT_M32 ? 4 : fmt == FMT_M64 ? 8 : 10)) return;
  const empty = stEmpty(0);
  if (empty && !invalidMasked()) { stackFault(false); return; }
  const sig = empty ? INDEFINITE_SIG : stSig(0);
  const se = empty ? INDEFINITE_SE : stSe(0);
  if (fmt == FMT_M32) {
    const v = toF32(sig, se);
    if (faultBlocks()) { finish(false); return; }
    write32(addr, <u64>v);
  } else if (fmt == FMT_M64) {
    const v = toF64(sig, se);
    if (faultBlocks()) { finish(false); return; }
    write64(addr, v);
  } else {
    write64(addr, sig);
    write16(addr + 8, <u64>se);
  }
  if (pop) popSt();
  if (empty) { stackFault(false); return; }
  finish(UP);
}

/**
 * fist/fistp m16/m32/m64, and fisttp (SSE3: truncates whatever RC says;
 * Vol. 2, FISTTP): arg bits 0..2 format, bit 3 pop, bit 4 truncate.
 */
export function FistM(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const fmt = argOf(d) & 7;
  const pop = (argOf(d) & 8) != 0;
  const truncate = (argOf(d) & 16) != 0;
  const bits: u32 = fmt == FMT_I16 ? 16 : fmt == FMT_I32 ? 32 : 64;
  const addr = ea(d);
  if (!checkWrite(addr, bits >> 3)) return;
  let v: u64;
  let underflow = false;
  if (stEmpty(0)) {
    underflow = true;
    raise(IE);
    v = <u64>1 << <u64>(bits - 1);
  } else {
    v = toInt(stSig(0), stSe(0), bits, truncate);
  }
  if (faultBlocks()) {
    if (underflow) stackFault(false);
    else finish(false);
    return;
  }
  if (bits == 16) write16(addr, v);
  else if (bits == 32) write32(addr, v);
  else write64(addr, v);
  if (pop) popSt();
  if (underflow) { stackFault(false); return; }
  finish(UP);
}

/** fbstp m80bcd: rounds by RC to an 18-digit integer (Vol. 2, FBSTP). */
export function FbstpM(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const addr = ea(d);
  if (!checkWrite(addr, 10)) return;
  let lo: u64 = 0, hi: u64 = 0;
  let c1 = false;
  let underflow = false;
  if (stEmpty(0)) underflow = true;
  let invalid = underflow;
  let negative = false;
  if (!underflow) {
    const v = toInt(stSig(0), stSe(0), 64, false);
    c1 = UP;
    negative = (stSe(0) & 0x8000) != 0;
    const mag: u64 = <i64>v < 0 ? <u64>0 - v : v;
    if ((EXC & IE) != 0 || mag > 999999999999999999) invalid = true;
    else {
      let m = mag;
      for (let j: u32 = 0; j < 9; j++) {
        const two = m % 100;
        m /= 100;
        const byte: u64 = ((two / 10) << 4) | (two % 10);
        if (j < 8) lo |= byte << (<u64>j << 3);
        else hi = byte;
      }
      if (negative) hi |= 0x8000;
    }
  }
  if (invalid) {
    // Out of range: IE alone (an inexact conversion does not also report PE).
    clearExceptions();
    raise(IE);
    c1 = false;
    if (!invalidMasked()) { if (underflow) stackFault(false); else finish(false); return; }
    // The packed BCD indefinite (Vol. 1, 4.7).
    lo = 0xc000000000000000;
    hi = 0xffff;
  }
  write64(addr, lo);
  write16(addr + 8, hi);
  popSt();
  if (underflow) { stackFault(false); return; }
  finish(c1);
}

/** fst/fstp st(i) (and the fstp1/fstp8/fstp9 aliases): arg 1 pops. */
export function FstSti(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const i = rmOf(d) & 7;
  const pop = argOf(d) != 0;
  if (stEmpty(0)) { underflowTo(i, pop); return; }
  setSt(i, stSig(0), stSe(0));
  if (pop) popSt();
  finish(false);
}

// ---- moves and stack control -------------------------------------------------------------

/** fxch st(i) (Vol. 2, FXCH): an empty operand is replaced by the indefinite first. */
export function FxchSti(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const i = rmOf(d) & 7;
  const e0 = stEmpty(0), ei = stEmpty(i);
  if (e0 || ei) {
    if (!invalidMasked()) { stackFault(false); return; }
    if (e0) setSt(0, INDEFINITE_SIG, INDEFINITE_SE);
    if (ei) setSt(i, INDEFINITE_SIG, INDEFINITE_SE);
  }
  const sig = stSig(0), se = stSe(0);
  setSt(0, stSig(i), stSe(i));
  setSt(i, sig, se);
  if (e0 || ei) { stackFault(false); return; }
  finish(false);
}

/** fcmovcc st(0), st(i): arg = condition (0 b, 1 e, 2 be, 3 u; bit 3 negates). */
export function FcmovSti(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const i = rmOf(d) & 7;
  const a = argOf(d);
  let c: bool;
  switch (a & 3) {
    case 0: c = condition(2); break; //  b: CF
    case 1: c = condition(4); break; //  e: ZF
    case 2: c = condition(6); break; //  be: CF or ZF
    default: c = condition(10); break; // u: PF
  }
  if ((a & 8) != 0) c = !c;
  if (stEmpty(0) || stEmpty(i)) {
    if (invalidMasked()) setSt(0, INDEFINITE_SIG, INDEFINITE_SE);
    stackFault(false);
    return;
  }
  if (c) setSt(0, stSig(i), stSe(i));
  finish(false);
}

/** ffree st(i); ffreep st(i) also pops (arg 1). */
export function FfreeSti(d: usize): void {
  if (x87ExceptionPending()) return;
  const p = physOf(rmOf(d) & 7);
  setTagBits(tagBits() & ~(<u32>1 << p));
  if (argOf(d) != 0) setTop(fpuTop() + 1);
}

/** fincstp / fdecstp: arg +1 or 7 (-1); C1 cleared. */
export function FaddTop(d: usize): void {
  if (x87ExceptionPending()) return;
  setTop(fpuTop() + argOf(d));
  setSw(fpuSw() & ~SW_C1);
}

/** fnop and the 8087-era fneni/fndisi/fnsetpm, which the 387 and later ignore. */
export function Fnop(d: usize): void {
  x87ExceptionPending();
}

// ---- sign operations and classification ---------------------------------------------------

/** fchs (arg 0), fabs (arg 1): only the sign changes; C1 cleared. */
export function FsignOp(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  if (stEmpty(0)) { underflowTo(0, false); return; }
  const se = stSe(0);
  setSt(0, stSig(0), argOf(d) == 0 ? se ^ 0x8000 : se & 0x7fff);
  finish(false);
}

/**
 * fxam (Vol. 2, FXAM): C1 = sign; C3 C2 C0 = 000 unsupported, 001 NaN,
 * 010 normal, 011 infinity, 100 zero, 101 empty, 110 denormal.
 */
export function Fxam(d: usize): void {
  if (x87ExceptionPending()) return;
  const se = stSe(0);
  let c3 = false, c2 = false, c0 = false;
  // C1 is the sign bit of the register, empty or not (Vol. 2, FXAM: the
  // host reports the sign of what a freed register still holds).
  const sign = (se & 0x8000) != 0;
  if (stEmpty(0)) { c3 = true; c0 = true; }
  else {
    switch (classify(stSig(0), se)) {
      case K_UNSUPPORTED: break;
      case K_QNAN: case K_SNAN: c0 = true; break;
      case K_NORMAL: c2 = true; break;
      case K_INF: c2 = true; c0 = true; break;
      case K_ZERO: c3 = true; break;
      default: c3 = true; c2 = true; break; // denormal
    }
  }
  let s = fpuSw() & ~(SW_C0 | SW_C1 | SW_C2 | SW_C3);
  if (c0) s |= SW_C0;
  if (sign) s |= SW_C1;
  if (c2) s |= SW_C2;
  if (c3) s |= SW_C3;
  setSw(s);
}

// ---- comparisons (Vol. 2, FCOM/FUCOM, FCOMI/FUCOMI, FTST) ----------------------------------

/** Condition codes of a compare: C3 C2 C0 = 000 >, 001 <, 100 =, 111 unordered. */
export function finishCompare(r: i32): void {
  finishCc(false, r == CMP_LESS || r == CMP_UNORDERED, r == CMP_UNORDERED, r == CMP_EQUAL || r == CMP_UNORDERED);
}

/** Pops after a compare unless an unmasked invalid operation stopped it. */
function popAfterCompare(pops: u32): void {
  if ((EXC & IE & ~fpuCw()) != 0) return;
  for (let k: u32 = 0; k < pops; k++) popSt();
}

/** fcom/fcomp/fcompp/fucom/fucomp/fucompp st(i): arg bits 0..1 pops, bit 2 unordered (fucom). */
export function FcomSti(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const i = rmOf(d) & 7;
  const pops = argOf(d) & 3;
  if (stEmpty(0) || stEmpty(i)) {
    raise(IE);
    setSw(fpuSw() | SW_SF);
    finishCc(false, true, true, true);
    if (invalidMasked()) for (let k: u32 = 0; k < pops; k++) popSt();
    return;
  }
  const r = compare(stSig(0), stSe(0), stSig(i), stSe(i), (argOf(d) & 4) == 0);
  finishCompare(r);
  popAfterCompare(pops);
}

/** ftst: compares st(0) with +0.0. */
export function Ftst(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  if (stEmpty(0)) {
    raise(IE);
    setSw(fpuSw() | SW_SF);
    finishCc(false, true, true, true);
    return;
  }
  finishCompare(compare(stSig(0), stSe(0), 0, 0, true));
}

/** fcomi/fcomip/fucomi/fucomip: ZF PF CF (OF SF AF cleared); arg bit 0 pops, bit 1 unordered. */
export function FcomiSti(d: usize): void {
  if (x87ExceptionPending()) return;
  beginFpu();
  const i = rmOf(d) & 7;
  let r: i32;
  if (stEmpty(0) || stEmpty(i)) {
    raise(IE);
    setSw(fpuSw() | SW_SF);
    r = CMP_UNORDERED;
  } else {
    r = compare(stSig(0), stSe(0), stSig(i), stSe(i), (argOf(d) & 2) == 0);
  }
  let f: u64 = 0;
  if (r == CMP_LESS) f = CF;
  else if (r == CMP_EQUAL) f = ZF;
  else if (r == CMP_UNORDERED) f = ZF | PF | CF;
  setArithFlags(ZF | PF | CF | OF | SF | AF, f);
  finish(false);
  if ((argOf(d) & 1) != 0) popAfterCompare(1);
}

// ---- control and status (Vol. 2, FLDCW, FNSTCW, FNSTSW, FNCLEX, FNINIT) ---------------------

/** The control word as stored: bit 6 reads as one, bits 13..15 as zero. */
function normalizeCw(v: u32): u32 { return (v & 0x1f3f) | 0x40; }

export function FldcwM(d: usize): void {
  if (x87ExceptionPending()) return;
  const v = read16(ea(d));
  if (FAULT) return;
  store<u16>(R + CTX_FPU_CW, <u16>normalizeCw(<u32>v));
  setSw(updateSummary(fpuSw()));
}

export function FnstcwM(d: usize): void { write16(ea(d), <u64>fpuCw()); }
export function FnstswM(d: usize): void { write16(ea(d), <u64>fpuSw()); }
export function FnstswAx(d: usize): void { setReg64(0, (getReg64(0) & ~<u64>0xffff) | <u64>fpuSw()); }

export function Fnclex(d: usize): void { setSw(fpuSw() & ~<u32>0x80ff); }

function initFpu(): void {
  store<u16>(R + CTX_FPU_CW, 0x37f);
  setSw(0);
  setTagBits(0);
}

export function Fninit(d: usize): void { initFpu(); }

// ---- environment (Vol. 1, 8.1.10, Figures 8-9 to 8-12: protected-mode formats) -----------------
//
// The 32-bit layout (28 bytes; fnsave/frstor 108): FCW, FSW, FTW in the low
// halves of three dwords whose high halves read as ones, then FIP, FCS and
// the opcode, FDP, FDS. With a 66 prefix (and no REX.W, which wins) the
// 16-bit layout (14 bytes; 94): FCW, FSW, FTW, FIP, FCS, FDP, FDS as words.
// The registers follow the environment, st(0) first, 10 bytes each. The
// pointers are not tracked: stored as zero (the 32-bit FDS dword as
// 0xffff0000), ignored on loads. Nothing past the layout's end is touched.

/** The full tag word: 00 valid, 01 zero, 10 special, 11 empty, for physical registers 0..7. */
export function fullTagWord(): u32 {
  let tw: u32 = 0;
  const bits = tagBits();
  for (let p: u32 = 0; p < 8; p++) {
    let t: u32 = 3;
    if ((bits & (<u32>1 << p)) != 0) {
      const k = classify(load<u64>(physAddr(p)), <u32>load<u16>(physAddr(p) + 8));
      t = k == K_ZERO ? 1 : k == K_NORMAL ? 0 : 2;
    }
    tw |= t << (p << 1);
  }
  return tw;
}

/** Abridged tag bits from a full tag word. */
function abridgedTag(tw: u32): u32 {
  let bits: u32 = 0;
  for (let p: u32 = 0; p < 8; p++) if (((tw >> (p << 1)) & 3) != 3) bits |= <u32>1 << p;
  return bits;
}

/** Bytes of the environment for this instruction: 14 in the 16-bit layout (66 without REX.W), else 28. */
@inline function envBytes(d: usize): u32 { return opSize(d) == 2 ? 14 : 28; }

/** Writes the environment in the layout of `bytes` (14 or 28); the caller checked the whole range. */
function storeEnv(addr: u64, bytes: u32): void {
  if (bytes == 14) {
    write16(addr, <u64>fpuCw());
    write16(addr + 2, <u64>fpuSw());
    write16(addr + 4, <u64>fullTagWord());
    write32(addr + 6, 0);
    write32(addr + 10, 0);
    return;
  }
  write32(addr, 0xffff0000 | <u64>fpuCw());
  write32(addr + 4, 0xffff0000 | <u64>fpuSw());
  write32(addr + 8, 0xffff0000 | <u64>fullTagWord());
  write32(addr + 12, 0);
  write32(addr + 16, 0);
  write32(addr + 20, 0);
  write32(addr + 24, 0xffff0000);
}

// The whole operand is checked before anything is read or written, in the
// order the host's microcode accesses it: the first field (the control word:
// a word in the 16-bit layout, a dword in the 32-bit one), then the last
// byte. A fault names the first byte of that field it cannot access, else
// the operand's last byte (measured on the host for every straddle).

function checkWriteEnds(addr: u64, n: u32, first: u32): bool {
  return checkWrite(addr, first) && checkWrite(addr + <u64>(n - 1), 1);
}

let ENV_CW: u32 = 0, ENV_SW: u32 = 0, ENV_TW: u32 = 0;
/**
 * Reads the control, status and tag words of an environment of `bytes`
 * into ENV_CW / ENV_SW / ENV_TW, once every byte of the operandBytes-byte
 * operand proved readable.
 */
function readEnv(addr: u64, bytes: u32, operandBytes: u32): bool {
  if (bytes == 14) read16(addr);
  else read32(addr);
  if (FAULT) return false;
  read8(addr + <u64>(operandBytes - 1));
  if (FAULT) return false;
  const step: u64 = bytes == 14 ? 2 : 4;
  ENV_CW = <u32>read16(addr);
  ENV_SW = <u32>read16(addr + step);
  ENV_TW = <u32>read16(addr + 2 * step);
  return !FAULT;
}

/** fnstenv m14/m28: stores the environment, then masks every exception (Vol. 2, FSTENV). */
export function FnstenvM(d: usize): void {
  const addr = ea(d);
  const n = envBytes(d);
  if (!checkWriteEnds(addr, n, n == 14 ? 2 : 4)) return;
  storeEnv(addr, n);
  store<u16>(R + CTX_FPU_CW, <u16>(fpuCw() | 0x3f));
  setSw(updateSummary(fpuSw()));
}

/** fldenv m14/m28: control word, status word (with TOP) and tags. */
export function FldenvM(d: usize): void {
  if (x87ExceptionPending()) return;
  const addr = ea(d);
  const n = envBytes(d);
  if (!readEnv(addr, n, n)) return;
  store<u16>(R + CTX_FPU_CW, <u16>normalizeCw(ENV_CW));
  setTagBits(abridgedTag(ENV_TW));
  setSw(updateSummary(ENV_SW));
}

/** fnsave m94/m108: the environment and st(0)..st(7), then fninit (Vol. 2, FSAVE). */
export function FnsaveM(d: usize): void {
  const addr = ea(d);
  const n = envBytes(d);
  if (!checkWriteEnds(addr, n + 80, n == 14 ? 2 : 4)) return;
  storeEnv(addr, n);
  for (let i: u32 = 0; i < 8; i++) {
    const p = physAddr(physOf(i));
    write64(addr + <u64>(n + i * 10), load<u64>(p));
    write16(addr + <u64>(n + 8 + i * 10), <u64>load<u16>(p + 8));
  }
  initFpu();
}

/** frstor m94/m108. */
export function FrstorM(d: usize): void {
  if (x87ExceptionPending()) return;
  const addr = ea(d);
  const n = envBytes(d);
  // Every byte first, so a fault leaves the state unchanged.
  if (!readEnv(addr, n, n + 80)) return;
  store<u16>(R + CTX_FPU_CW, <u16>normalizeCw(ENV_CW));
  setTagBits(abridgedTag(ENV_TW));
  setSw(ENV_SW);
  for (let i: u32 = 0; i < 8; i++) {
    const p = physAddr(physOf(i));
    store<u64>(p, read64(addr + <u64>(n + i * 10)));
    store<u16>(p + 8, <u16>read16(addr + <u64>(n + 8 + i * 10)));
  }
  setSw(updateSummary(fpuSw()));
}
