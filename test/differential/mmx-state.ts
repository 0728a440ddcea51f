// The x87 / MMX state around an MMX instruction under test (test kind
// 'mmx'): a prologue that sets every mm register (or the whole x87 stack),
// and an epilogue that dumps the x87 state to the stack region with fnsave,
// so the byte comparison of memory compares TOP, the tag word and the eight
// registers' 80 bits with the host (manual Vol. 1, 9.5 and Table 9-2: an
// MMX instruction sets TOP to 0 and every tag valid, a write sets bits
// 64..79 to ones, emms empties the tag word).
//
// Prologues (the state both sides start from is fully defined: fninit, then
// all eight registers written):
//   mm     eight movq mm, m64 loads of edge values;
//   x87    eight fld m80 of values of every class, some freed, TOP rotated:
//          the instruction reads registers x87 code left (mm i is R i, not st(i));
//   pending  mm, then an fld onto the full stack (IE) and an fldcw that
//          unmasks IE: the instruction must raise #MF before doing anything.
// Epilogues:
//   fnsave                     the 108-byte image;
//   fnstenv; fnsave            also the 28-byte environment;
//   fld m80; fnsave            x87 code after MMX code without emms (stack overflow);
//   emms; fld m80; fnsave      and with it;
//   emms; fnsave;
//   fxam or fadd st(0), st(i); fnsave   x87 code reading registers MMX code wrote;
//   fxsave; fnsave             the abridged tag word and the registers in FXSAVE's layout.
// Not compared: the instruction and operand pointers (FIP, FCS, opcode,
// FDP, FDS), which the CPU does not model, and the contents of registers
// the image shows empty after emms (not architectural: the kernel may hand
// back zeros for an x87 state in its initial configuration).

import { edgeValue, gprValue } from './generate.js';
import { LAYOUT, type Patch } from './layout.js';
import type { Rng } from './rng.js';

/** Where the prologue's values and the epilogue's images live: the stack region, which no MMX case uses otherwise. */
const MM_VALUES = LAYOUT.STACK + 0x100; // 8 x u64
const F80_VALUES = LAYOUT.STACK + 0x200; // 9 x 10 bytes
const CW_WORD = LAYOUT.STACK + 0x300; // u16
const ENV = LAYOUT.STACK + 0x1000; // 28 bytes
const DUMP = LAYOUT.STACK + 0x1100; // 108 bytes
const FXAREA = LAYOUT.STACK + 0x1200; // 512 bytes, 16-byte aligned

export interface MmxFrame {
  prologue: number[];
  epilogue: number[];
  patches: Patch[];
  ignore: { addr: number; size: number; why: string }[];
  note: string;
}

/** An instruction with a [disp32] absolute memory operand (ModRM mod 00 rm 100, SIB 25). */
const abs = (opcode: number[], reg: number, addr: number) => [...opcode, (reg << 3) | 4, 0x25, ...le32(addr)];
const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

const FNINIT = [0xdb, 0xe3];
const EMMS = [0x0f, 0x77];
const movqLoad = (mm: number, addr: number) => abs([0x0f, 0x6f], mm, addr);
const fldM80 = (addr: number) => abs([0xdb], 5, addr);
const fldcw = (addr: number) => abs([0xd9], 5, addr);
const fnstenv = (addr: number) => abs([0xd9], 6, addr);
const fnsave = (addr: number) => abs([0xdd], 6, addr);
const fxsave = (addr: number) => abs([0x0f, 0xae], 0, addr);

/** 64 bits for an mm register: lanes of byte, word or dword edges, small shift counts, or random. */
function mmValue(rng: Rng): bigint {
  const lanes = (bits: number) => {
    let v = 0n;
    for (let i = 0; i < 64 / bits; i++) v |= edgeValue(rng, bits) << BigInt(i * bits);
    return v;
  };
  switch (rng.int(7)) {
    case 0: return lanes(8);
    case 1: return lanes(16);
    case 2: return lanes(32);
    case 3: return BigInt(rng.int(70)); // shift counts around the lane widths
    case 4: return gprValue(rng);
    default: return rng.u64();
  }
}

/** An 80-bit value: normal, zero, denormal, infinity, NaN, unnormal, or random bits. */
function f80(rng: Rng): number[] {
  const J = 1n << 63n;
  let sig: bigint, se: number;
  const sign = rng.chance(0.5) ? 0x8000 : 0;
  switch (rng.int(8)) {
    case 0: sig = 0n; se = sign; break;
    case 1: sig = rng.u64() >> 1n; se = sign; break;
    case 2: sig = J; se = sign | 0x7fff; break;
    case 3: sig = J | rng.u64(); se = sign | 0x7fff; break;
    case 4: sig = rng.u64() & ~J; se = sign | (1 + rng.int(0x7ffe)); break;
    case 5: sig = rng.u64(); se = rng.int(0x10000); break;
    default: sig = J | rng.u64(); se = sign | (0x3fff - 40 + rng.int(80)); break;
  }
  const out: number[] = [];
  for (let i = 0n; i < 8n; i++) out.push(Number((sig >> (8n * i)) & 0xffn));
  out.push(se & 0xff, se >> 8);
  return out;
}

const qwordBytes = (v: bigint) => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));

/**
 * A prologue and epilogue for one case. `emmsUnderTest`: the instruction
 * under test is emms itself (its image shows every register empty).
 */
export function mmxFrame(rng: Rng, emmsUnderTest: boolean): MmxFrame {
  const patches: Patch[] = [];
  const ignore: MmxFrame['ignore'] = [];
  const notes: string[] = [];
  const prologue: number[] = [...FNINIT];

  const mm = Array.from({ length: 8 }, () => mmValue(rng));
  patches.push({ addr: MM_VALUES, bytes: Uint8Array.from(mm.flatMap(qwordBytes)) });
  const values = Array.from({ length: 9 }, () => f80(rng));
  patches.push({ addr: F80_VALUES, bytes: Uint8Array.from(values.flat()) });

  const roll = rng.int(100);
  if (roll < 25) {
    for (let i = 0; i < 8; i++) prologue.push(...fldM80(F80_VALUES + 10 * i));
    const freed = [0, 1, 2, 3, 4, 5, 6, 7].filter(() => rng.chance(0.3));
    for (const i of freed) prologue.push(0xdd, 0xc0 + i); // ffree st(i)
    const rot = rng.int(8);
    for (let i = 0; i < rot; i++) prologue.push(0xd9, rng.chance(0.5) ? 0xf7 : 0xf6); // fincstp / fdecstp
    notes.push(`x87 prologue: 8 fld m80, ${freed.length} freed, TOP rotated ${rot}`);
  } else {
    const order = [0, 1, 2, 3, 4, 5, 6, 7];
    for (let i = 7; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const i of order) prologue.push(...movqLoad(i, MM_VALUES + 8 * i));
    notes.push('mm prologue');
    if (roll < 32) {
      // fld onto the full stack: a masked stack overflow sets IE; unmasking it leaves #MF pending.
      prologue.push(...fldM80(F80_VALUES + 80), ...fldcw(CW_WORD));
      patches.push({ addr: CW_WORD, bytes: Uint8Array.from([0x7e, 0x03]) });
      notes.push('x87 exception pending (IE unmasked)');
    }
  }

  const epilogue: number[] = [];
  let emptied = emmsUnderTest;
  let pushed = false;
  const e = rng.int(100);
  if (e < 10) {
    epilogue.push(...fnstenv(ENV));
    ignore.push({ addr: ENV + 12, size: 16, why: 'FIP, FCS, opcode, FDP, FDS: not modelled' });
    notes.push('then fnstenv');
  } else if (e < 25) {
    epilogue.push(...fldM80(F80_VALUES + 80));
    pushed = true;
    notes.push('then fld m80');
  } else if (e < 35) {
    epilogue.push(...EMMS, ...fldM80(F80_VALUES + 80));
    emptied = true;
    pushed = true;
    notes.push('then emms; fld m80');
  } else if (e < 45) {
    epilogue.push(...EMMS);
    emptied = true;
    notes.push('then emms');
  } else if (e < 52) {
    epilogue.push(0xd9, 0xe5); // fxam: st(0) is R0, NaN, infinity or unsupported after an MMX write
    notes.push('then fxam');
  } else if (e < 59) {
    epilogue.push(0xd8, 0xc0 + rng.int(8)); // fadd st(0), st(i) on what MMX left
    notes.push('then fadd st(0), st(i)');
  } else if (e < 67) {
    // The abridged tag word and the registers in 16-byte slots (Vol. 2, FXSAVE, Table 3-43).
    epilogue.push(...fxsave(FXAREA));
    ignore.push({ addr: FXAREA + 6, size: 18, why: 'FOP, FIP, FDP: not modelled' });
    ignore.push({ addr: FXAREA + 28, size: 4, why: 'MXCSR_MASK is model-specific' });
    notes.push('then fxsave');
  }
  epilogue.push(...fnsave(DUMP));
  ignore.push({ addr: DUMP + 12, size: 16, why: 'FIP, FCS, opcode, FDP, FDS: not modelled' });
  if (emptied) {
    // After emms every register is empty but st(0) when something was pushed since.
    const from = pushed ? 1 : 0;
    ignore.push({ addr: DUMP + 28 + 10 * from, size: 10 * (8 - from), why: 'empty registers after emms: contents not architectural' });
  }
  return { prologue, epilogue, patches, ignore, note: notes.join(', ') };
}
