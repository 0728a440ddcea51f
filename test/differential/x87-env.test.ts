// The x87 environment and state images against the host CPU: fnstenv,
// fldenv, fnsave and frstor in their 32-bit protected-mode layouts (28 and
// 108 bytes) and, with a 66 prefix, their 16-bit ones (14 and 94 bytes;
// Vol. 1, 8.1.10, Figures 8-9 to 8-12). REX.W wins over 66 (32-bit layout);
// a 66 before REX leaves REX ignored (16-bit layout).
//
// Each case builds a random x87 state (eight loads of values of every
// class, some registers freed, TOP rotated, an operation that raises
// status flags, then a random control word), runs the instruction under
// test on [rsi] (or [rsi+disp8], now and then across the end of DATA into
// the unmapped page after it, and once for every number of bytes it can
// run past it), then stores the whole state with a 32-bit fnsave. The runner compares every byte written (the bytes a 16-bit form
// leaves alone keep DATA's random fill), the fault with its exact address
// and the registers.
//
// Not compared: the instruction and operand pointers (FIP, FCS, opcode,
// FDP, FDS), which the CPU does not model, and registers the dump finds
// empty after an fnsave's fninit (their contents are not architectural:
// the host kernel may hand back zeros).

import { beforeAll, describe, expect, it } from 'vitest';
import { OPCODE_TABLE } from '../../emulator/table/index.js';
import { LAYOUT, type DiffCase, type Patch } from './layout.js';
import { Rng, hashString } from './rng.js';
import { EmulatorRunner, formatMismatch, hostStop, runAndCompare } from './harness.js';
import { runNative } from './native.js';

const CASES = Number(process.env.RSEQLAB_DIFF_CASES ?? '') || 60;
const SEED = Number(process.env.RSEQLAB_DIFF_SEED ?? '') || 1;

type Op = 'fnstenv' | 'fldenv' | 'fnsave' | 'frstor';
const OPS: { op: Op; opcode: number; reg: number; handler: string }[] = [
  { op: 'fnstenv', opcode: 0xd9, reg: 6, handler: 'FnstenvM' },
  { op: 'fldenv', opcode: 0xd9, reg: 4, handler: 'FldenvM' },
  { op: 'fnsave', opcode: 0xdd, reg: 6, handler: 'FnsaveM' },
  { op: 'frstor', opcode: 0xdd, reg: 4, handler: 'FrstorM' },
];
/** Prefix variants and the layout they select. */
const VARIANTS: { prefixes: number[]; bits: 16 | 32; name: string }[] = [
  { prefixes: [], bits: 32, name: '32-bit' },
  { prefixes: [0x66], bits: 16, name: '66 (16-bit)' },
  { prefixes: [0x66, 0x48], bits: 32, name: '66 REX.W (32-bit)' },
  { prefixes: [0x48, 0x66], bits: 16, name: 'REX.W 66 (REX ignored: 16-bit)' },
];

const envSize = (bits: number) => (bits === 16 ? 14 : 28);
const stateSize = (op: Op, bits: number) => envSize(bits) + (op === 'fnsave' || op === 'frstor' ? 80 : 0);

// DATA layout: 0x000 u16 the loads' control word, 0x002 u16 the final one;
// 0x010 + 10 i the eight m80 values; 0x100.. the operand (elsewhere when it
// straddles the end of DATA); 0x300 the 108-byte dump.
const CW_LOADS = 0x00, CW_FINAL = 0x02, VALUES = 0x10, OPERAND = 0x100, DUMP = 0x300;
const RDI = 7, RSI = 6;

const J = 1n << 63n;

/** An 80-bit value of some class: normal, zero, denormal, infinity, QNaN, SNaN, indefinite, unsupported. */
function f80(r: Rng): Uint8Array {
  const sign = r.chance(0.5) ? 0x8000 : 0;
  let sig: bigint, exp: number;
  switch (r.int(12)) {
    case 0: sig = 0n; exp = 0; break;
    case 1: sig = r.u64() >> BigInt(1 + r.int(63)); exp = 0; break; // denormal
    case 2: sig = J | (r.u64() >> BigInt(1 + r.int(63))); exp = 0; break; // pseudo-denormal
    case 3: sig = J; exp = 0x7fff; break; // infinity
    case 4: sig = J | (1n << 62n) | (r.u64() >> 2n); exp = 0x7fff; break; // QNaN
    case 5: sig = J | ((r.u64() >> 2n) | 1n); exp = 0x7fff; break; // SNaN
    case 6: sig = r.u64() & ~J; exp = 1 + r.int(0x7ffe); break; // unnormal
    case 7: sig = r.chance(0.5) ? 0n : r.u64() >> 1n; exp = 0x7fff; break; // pseudo-infinity / pseudo-NaN
    default: sig = r.u64() | J; exp = r.chance(0.5) ? 0x3fff - 20 + r.int(40) : 1 + r.int(0x7ffe); break;
  }
  const out = new Uint8Array(10);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, sig, true);
  dv.setUint16(8, sign | exp, true);
  return out;
}

const le16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];

/** One case: random state, the instruction under test, the dump. */
function makeCase(r: Rng, row: number, op: (typeof OPS)[number], variant: (typeof VARIANTS)[number], past?: number): DiffCase {
  const patches: Patch[] = [];
  const patch = (off: number, bytes: Uint8Array | number[]) => patches.push({ addr: LAYOUT.DATA + off, bytes: Uint8Array.from(bytes) });
  const code: number[] = [];
  const notes: string[] = [];

  // fninit; fldcw [rdi]: exceptions masked for the loads, random PC and RC.
  patch(CW_LOADS, le16(0x7f | (r.int(4) << 8) | (r.int(4) << 10)));
  code.push(0xdb, 0xe3, 0xd9, 0x2f);
  // Eight loads (fld tbyte [rdi+disp8]): every register gets a defined content.
  for (let i = 0; i < 8; i++) {
    patch(VALUES + 10 * i, f80(r));
    code.push(0xdb, 0x6f, VALUES + 10 * i);
  }
  // Free some registers (ffree st(i)), rotate TOP (fincstp / fdecstp).
  const freed = Array.from({ length: 8 }, (_, i) => i).filter(() => r.chance(0.3));
  for (const i of freed) code.push(0xdd, 0xc0 + i);
  const rot = r.int(8);
  for (let i = 0; i < rot; i++) code.push(0xd9, r.chance(0.5) ? 0xf7 : 0xf6);
  // An operation that may raise flags and set C0-C3 (fadd, fdiv, fsqrt, fcom, fprem, fxam on whatever is there).
  if (r.chance(0.8)) {
    const ops = [[0xd8, 0xc1], [0xd8, 0xf1], [0xd8, 0xf9], [0xd9, 0xfa], [0xd8, 0xd1], [0xd9, 0xf8], [0xd9, 0xe5], [0xd9, 0xfc]];
    code.push(...r.pick(ops));
  }
  // A random control word (fldcw [rdi+2]): unmasking a raised flag makes an exception pending (ES, B).
  if (r.chance(0.7)) {
    const cw = r.chance(0.7) ? r.int(0x10000) : 0x7f | (r.int(4) << 8) | (r.int(4) << 10);
    patch(CW_FINAL, le16(cw));
    code.push(0xd9, 0x6f, CW_FINAL);
    notes.push(`cw ${cw.toString(16)}`);
  }

  // The operand: usually at OPERAND, sometimes across the end of DATA or just past it.
  const size = stateSize(op.op, variant.bits);
  let target = LAYOUT.DATA + OPERAND + r.int(64);
  const roll = r.int(100);
  if (past !== undefined) target = LAYOUT.DATA + LAYOUT.DATA_SIZE - size + past;
  else if (roll < 6) target = LAYOUT.DATA + LAYOUT.DATA_SIZE - r.range(1, size - 1);
  else if (roll < 8) target = LAYOUT.DATA + LAYOUT.DATA_SIZE + r.int(16);
  if (op.op === 'fldenv' || op.op === 'frstor') {
    // A random image: any control word, status word (TOP, flags, ES, B, C0-C3), tag word; random registers.
    const img = new Uint8Array(size);
    img.set(r.bytes(size));
    const dv = new DataView(img.buffer);
    const step = variant.bits === 16 ? 2 : 4;
    if (r.chance(0.5)) dv.setUint16(0, 0x7f | (r.int(4) << 8) | (r.int(4) << 10) | (r.chance(0.2) ? r.int(0x10000) & 0xe0c0 : 0), true);
    if (r.chance(0.5)) dv.setUint16(step, (r.int(8) << 11) | (r.int(0x10000) & 0x4700), true); // no flags, only TOP and C0-C3
    if (r.chance(0.3)) dv.setUint16(2 * step, r.pick([0xffff, 0, 0x5555, 0xaaaa]), true);
    if (op.op === 'frstor') for (let i = 0; i < 8; i++) img.set(f80(r), envSize(variant.bits) + 10 * i);
    const inside = img.subarray(0, Math.max(0, Math.min(size, LAYOUT.DATA + LAYOUT.DATA_SIZE - target)));
    if (inside.length) patches.push({ addr: target, bytes: inside.slice() });
  }
  const disp = target - (LAYOUT.DATA + OPERAND);
  const useDisp = r.chance(0.5) && disp >= -128 && disp < 128;
  const rsi = useDisp ? LAYOUT.DATA + OPERAND : target;
  const modrm = (useDisp ? 0x46 : 0x06) | (op.reg << 3);
  const insn = [...variant.prefixes, op.opcode, modrm, ...(useDisp ? [disp & 0xff] : [])];
  const insnOffset = code.length;
  code.push(...insn);
  // fnsave [rdi+DUMP] (32-bit layout): everything the instruction left.
  code.push(0xdd, 0xb7, ...[DUMP & 0xff, DUMP >> 8, 0, 0]);

  const gpr = Array.from({ length: 16 }, () => r.u64());
  gpr[RDI] = BigInt(LAYOUT.DATA);
  gpr[RSI] = BigInt(rsi);
  const ignore: { addr: number; size: number; why: string }[] = [];
  const pointers = (at: number, bits: number) =>
    ignore.push(bits === 16
      ? { addr: at + 6, size: 8, why: 'FIP, FCS, FDP, FDS of a 16-bit environment: not modelled' }
      : { addr: at + 12, size: 16, why: 'FIP, FCS, opcode, FDP, FDS of a 32-bit environment: not modelled' });
  pointers(LAYOUT.DATA + DUMP, 32);
  if (op.op === 'fnstenv' || op.op === 'fnsave') pointers(target, variant.bits);
  if (op.op === 'fnsave') {
    ignore.push({ addr: LAYOUT.DATA + DUMP + 28, size: 80, why: 'registers after fnsave\'s fninit are empty: their contents are not architectural' });
  }
  notes.push(`${op.op} ${variant.name} at 0x${target.toString(16)} (${size} bytes)`, `${freed.length} freed, TOP rotated ${rot}`);
  return {
    row, form: `${op.op}/${variant.bits}`, code: Uint8Array.from(code), insnOffset, insnLength: insn.length,
    gpr, rflags: r.u64() & 0xcd5n, xmm: new Uint8Array(256), mxcsr: 0x1f80,
    dataSeed: (r.u32() | 1) >>> 0, patches, note: notes.join('; '),
    access: { addr: target, size }, ignoreMemory: ignore,
  };
}

const groups = OPS.flatMap((op) => VARIANTS.map((variant) => ({ op, variant })));
const rowOf = (handler: string) => OPCODE_TABLE.findIndex((r) => r.handler === handler && r.mod === 'mem');
const cases = new Map<string, DiffCase[]>();
for (const { op, variant } of groups) {
  const r = new Rng(hashString(`x87-env|${op.op}|${variant.name}`, SEED));
  const n = variant.prefixes.length === 2 ? Math.ceil(CASES / 2) : CASES * 2;
  const list = Array.from({ length: n }, () => makeCase(r, rowOf(op.handler), op, variant));
  // Every way the operand can run past the end of DATA into the unmapped page: 1 .. size + 1 bytes.
  const size = stateSize(op.op, variant.bits);
  for (let past = 1; past <= size + 1; past++) list.push(makeCase(r, rowOf(op.handler), op, variant, past));
  cases.set(`${op.op} ${variant.name}`, list);
}

interface GroupResult {
  cases: number;
  failed: number;
  reports: string[];
}
let results: Map<string, GroupResult>;
beforeAll(async () => {
  results = new Map();
  const all = [...cases.values()].flat();
  const [host, emu] = await Promise.all([runNative(all), EmulatorRunner.create()]);
  const stops = new Map<string, number>();
  let k = 0;
  for (const [name, list] of cases) {
    const r: GroupResult = { cases: 0, failed: 0, reports: [] };
    for (const c of list) {
      const h = host[k++];
      stops.set(hostStop(h), (stops.get(hostStop(h)) ?? 0) + 1);
      const row = OPCODE_TABLE[c.row];
      // The fault address exactly, also for the operands over 16 bytes compare() lets name any of their bytes.
      const ms = runAndCompare(emu, c, h, (e) => h.fault && e.fault && hostStop(h) === 'page-fault' && h.fault.address !== e.fault.address
        ? [{ field: 'fault address (exact)', host: '0x' + h.fault.address.toString(16), emulator: '0x' + e.fault.address.toString(16) }]
        : []);
      r.cases++;
      if (ms.length) {
        r.failed++;
        if (r.reports.length < 3) r.reports.push(formatMismatch(row, c, ms));
      }
    }
    results.set(name, r);
  }
  console.log(`x87 environment differential: ${all.length} cases in ${cases.size} groups; host outcomes: ${[...stops].map(([s, n]) => `${s} ${n}`).join(', ')}`);
}, 300_000);

describe('x87 environment and state images agree with the host CPU (14/28 and 94/108 bytes)', () => {
  for (const name of cases.keys()) {
    it(name, () => {
      const r = results.get(name);
      expect(r && r.cases > 0).toBe(true);
      if (r!.failed > 0) throw new Error(`${name}: ${r!.failed} of ${r!.cases} cases differ from the host CPU\n\n${r!.reports.join('\n\n')}`);
    });
  }
  it('every instruction is a row of the table', () => {
    for (const o of OPS) expect(rowOf(o.handler), o.handler).toBeGreaterThanOrEqual(0);
  });
});
