// SSE4.2 packed string compares pcmpestri, pcmpestrm, pcmpistri, pcmpistrm
// (66 0F 3A 60-63), following manual Vol. 2, section 4.1 "Imm8 Control
// Byte Operation for PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM":
//
//   imm8[1:0] source data format (4.1.2): unsigned bytes, unsigned words,
//             signed bytes, signed words (16 or 8 elements);
//   imm8[3:2] aggregation (4.1.5): equal any, ranges, equal each, equal
//             ordered, over the comparisons of every element pair with the
//             override for invalid elements of Table 4-3;
//   imm8[5:4] polarity (4.1.6): +, negate, +, masked negate (only the
//             elements valid in xmm2/m128);
//   imm8[6]   output selection (4.1.7): least or most significant index
//             into ECX (…stri; none set gives the element count), or a bit
//             mask zero-extended / an element mask expanded into xmm0 (…strm).
//
// Lengths (4.1.3): explicit forms take them from EAX (xmm1) and EDX
// (xmm2/m128), or RAX and RDX with REX.W, as absolute values saturated to
// the element count; implicit forms end each operand at its first zero
// element. Flags (4.1.8): CF = result != 0, ZF = xmm2/m128 shorter than
// the element count, SF = xmm1 shorter, OF = bit 0 of the result; AF and
// PF are cleared. The memory operand needs no alignment.

import { argOf, immOf, opSize } from '../insn';
import { getReg64, setReg64 } from '../state';
import { vPtr, wPtr, xmmPtr } from '../xmm';
import { setArithFlags, ARITH, CF, ZF, SF, OF } from '../flags';

/** The elements of both operands, widened: A = xmm1, B = xmm2/m128. */
const A: usize = memory.data(64, 16);
const B: usize = memory.data(64, 16);

@inline function elem(p: usize, i: u32, words: bool, signed: bool): i32 {
  if (words) return signed ? <i32>load<i16>(p + (<usize>i << 1)) : <i32>load<u16>(p + (<usize>i << 1));
  return signed ? <i32>load<i8>(p + <usize>i) : <i32>load<u8>(p + <usize>i);
}

/** An explicit length: |reg| of 32 or 64 bits, saturated to n. */
function explicitLength(reg: u64, size: u32, n: u32): u32 {
  let v: i64 = size == 8 ? <i64>reg : <i64><i32>reg;
  if (v < 0) v = -v; // -2^63 stays negative: saturated below
  return v < 0 || v > <i64>n ? n : <u32>v;
}

/** An implicit length: the index of the first zero element, or n. */
function implicitLength(p: usize, n: u32): u32 {
  for (let i: u32 = 0; i < n; i++) if (load<i32>(p + (<usize>i << 2)) == 0) return i;
  return n;
}

/** IntRes1 of aggregation agg over la elements of A and lb of B (4.1.5, with Table 4-3's overrides). */
function aggregate(agg: u32, n: u32, la: u32, lb: u32): u32 {
  let res: u32 = 0;
  if (agg == 0) {
    // Equal any: element j of B is one of the valid elements of A.
    for (let j: u32 = 0; j < lb; j++) {
      const y = load<i32>(B + (<usize>j << 2));
      for (let i: u32 = 0; i < la; i++) {
        if (load<i32>(A + (<usize>i << 2)) == y) { res |= 1 << j; break; }
      }
    }
  } else if (agg == 1) {
    // Ranges: element j of B lies in a range [A[i], A[i+1]] of valid pairs.
    for (let j: u32 = 0; j < lb; j++) {
      const y = load<i32>(B + (<usize>j << 2));
      for (let i: u32 = 0; i + 1 < la; i += 2) {
        if (y >= load<i32>(A + (<usize>i << 2)) && y <= load<i32>(A + (<usize>(i + 1) << 2))) { res |= 1 << j; break; }
      }
    }
  } else if (agg == 2) {
    // Equal each: both valid and equal, or both invalid.
    for (let i: u32 = 0; i < n; i++) {
      const va = i < la, vb = i < lb;
      const eq = va && vb ? load<i32>(A + (<usize>i << 2)) == load<i32>(B + (<usize>i << 2)) : !va && !vb;
      if (eq) res |= 1 << i;
    }
  } else {
    // Equal ordered: A (up to its length) occurs in B at element j; an
    // invalid A element matches anything, a valid one never an invalid B.
    for (let j: u32 = 0; j < n; j++) {
      let m = true;
      for (let i: u32 = 0; i < n - j && m; i++) {
        const k = i + j;
        if (i >= la) break;
        m = k < lb && load<i32>(A + (<usize>i << 2)) == load<i32>(B + (<usize>k << 2));
      }
      if (m) res |= 1 << j;
    }
  }
  return res;
}

/** pcmpestrm (arg 0), pcmpestri (1), pcmpistrm (2), pcmpistri (3) xmm1, xmm2/m128, imm8. */
export function PcmpstrVdqWdqIb(d: usize): void {
  const b = wPtr(d, false);
  if (b == 0) return;
  const a = vPtr(d);
  const imm = <u32>immOf(d);
  const k = argOf(d);
  const words = (imm & 1) != 0;
  const signed = (imm & 2) != 0;
  const n: u32 = words ? 8 : 16;
  for (let i: u32 = 0; i < n; i++) {
    store<i32>(A + (<usize>i << 2), elem(a, i, words, signed));
    store<i32>(B + (<usize>i << 2), elem(b, i, words, signed));
  }
  let la: u32, lb: u32;
  if ((k & 2) != 0) {
    la = implicitLength(A, n);
    lb = implicitLength(B, n);
  } else {
    la = explicitLength(getReg64(0), opSize(d), n);
    lb = explicitLength(getReg64(2), opSize(d), n);
  }
  const all: u32 = (1 << n) - 1;
  let res = aggregate((imm >> 2) & 3, n, la, lb);
  const polarity = (imm >> 4) & 3;
  if (polarity == 1) res = ~res & all;
  else if (polarity == 3) res ^= (1 << lb) - 1;
  if ((k & 1) != 0) {
    // Index: least (imm8[6] = 0) or most significant set bit, n if none.
    const idx: u32 = res == 0 ? n : (imm & 0x40) != 0 ? 31 - clz(res) : ctz(res);
    setReg64(1, idx);
  } else {
    const x = xmmPtr(0);
    if ((imm & 0x40) == 0) {
      store<u64>(x, res);
      store<u64>(x + 8, 0);
    } else {
      for (let i: u32 = 0; i < n; i++) {
        const v: u32 = ((res >> i) & 1) != 0 ? 0xffff : 0;
        if (words) store<u16>(x + (<usize>i << 1), <u16>v);
        else store<u8>(x + <usize>i, <u8>v);
      }
    }
  }
  setArithFlags(ARITH, (res != 0 ? CF : 0) | (lb < n ? ZF : 0) | (la < n ? SF : 0) | ((res & 1) != 0 ? OF : 0));
}
