// SSE3 (manual Vol. 2, the instruction pages of the same names): the
// duplicating moves movsldup/movshdup/movddup and the horizontal and
// alternating arithmetic haddps/haddpd/hsubps/hsubpd/addsubps/addsubpd.
// lddqu is movdqu's handler (MovupsVpsWps). fisttp is in the x87 files.
//
// The arithmetic goes through sse-float.ts like addps: each lane is one
// IEEE operation under MXCSR, flags gathered, the result written unless an
// unmasked exception was raised (fpCommit). Legacy-SSE 128-bit memory
// operands must be 16-byte aligned (Vol. 1, 11.6.8); movddup reads m64.

import { argOf } from '../insn';
import { RES, vPtr, wPtr, wPtr64, copy128, fpBegin, fpCommit } from '../xmm';
import { fpAdd } from './sse-float';

/** movsldup (arg 0) / movshdup (arg 1) xmm, xmm/m128: even (odd) singles duplicated. */
export function MovsldupVpsWps(d: usize): void {
  const s = wPtr(d, true);
  if (s == 0) return;
  const o: usize = <usize>argOf(d) << 2;
  const lo = load<u32>(s + o), hi = load<u32>(s + 8 + o);
  const p = vPtr(d);
  store<u32>(p, lo); store<u32>(p + 4, lo);
  store<u32>(p + 8, hi); store<u32>(p + 12, hi);
}

/** movddup xmm, xmm/m64: the low double in both halves. */
export function MovddupVdqWq(d: usize): void {
  const s = wPtr64(d);
  if (s == 0) return;
  const v = load<u64>(s);
  const p = vPtr(d);
  store<u64>(p, v);
  store<u64>(p + 8, v);
}

/** haddps (arg 0) / hsubps (arg 1): pairs of xmm1, then pairs of xmm2/m128. */
export function HaddpsVpsWps(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  const neg = argOf(d);
  fpBegin();
  store<u32>(RES, <u32>fpAdd(false, load<u32>(a), load<u32>(a + 4), neg));
  store<u32>(RES + 4, <u32>fpAdd(false, load<u32>(a + 8), load<u32>(a + 12), neg));
  store<u32>(RES + 8, <u32>fpAdd(false, load<u32>(b), load<u32>(b + 4), neg));
  store<u32>(RES + 12, <u32>fpAdd(false, load<u32>(b + 8), load<u32>(b + 12), neg));
  if (fpCommit()) copy128(a, RES);
}

/** haddpd (arg 0) / hsubpd (arg 1): the pair of xmm1, then the pair of xmm2/m128. */
export function HaddpdVpdWpd(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  const neg = argOf(d);
  fpBegin();
  store<u64>(RES, fpAdd(true, load<u64>(a), load<u64>(a + 8), neg));
  store<u64>(RES + 8, fpAdd(true, load<u64>(b), load<u64>(b + 8), neg));
  if (fpCommit()) copy128(a, RES);
}

/** addsubps: lanes 0 and 2 subtract, lanes 1 and 3 add. */
export function AddsubpsVpsWps(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  fpBegin();
  for (let i: usize = 0; i < 16; i += 4) {
    store<u32>(RES + i, <u32>fpAdd(false, load<u32>(a + i), load<u32>(b + i), (i & 4) == 0 ? 1 : 0));
  }
  if (fpCommit()) copy128(a, RES);
}

/** addsubpd: the low double subtracts, the high one adds. */
export function AddsubpdVpdWpd(d: usize): void {
  const b = wPtr(d, true);
  if (b == 0) return;
  const a = vPtr(d);
  fpBegin();
  store<u64>(RES, fpAdd(true, load<u64>(a), load<u64>(b), 1));
  store<u64>(RES + 8, fpAdd(true, load<u64>(a + 8), load<u64>(b + 8), 0));
  if (fpCommit()) copy128(a, RES);
}
