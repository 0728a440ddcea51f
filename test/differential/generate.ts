// Differential cases generated from the opcode table, deterministically
// from a seed. Every row whose test kind the host can check gets cases;
// rows of kind 'none' and 'x87' are listed as skipped.
//
// What the table does not say (which registers an instruction uses
// implicitly, which inputs the manual leaves undefined) is keyed on the
// row's handler name, with the manual section that makes it necessary.

import type { OpcodeRow } from '../../emulator/table/index.js';
import { encodeInsn, fixRipDisp, immSize, le, type Encoded, type InsnChoice, type MemOperand } from './encode.js';
import { LAYOUT, type DiffCase, type Patch } from './layout.js';
import { Rng, hashString } from './rng.js';
import { mmxFrame } from './mmx-state.js';

export type DiffKind = 'alu' | 'div' | 'stack' | 'string' | 'branch' | 'sse' | 'mmx';
export const DIFF_KINDS: readonly string[] = ['alu', 'div', 'stack', 'string', 'branch', 'sse', 'mmx'];

export function testKind(row: OpcodeRow): string {
  return row.test ?? 'alu';
}

/** Readable and unique name of a row: mnemonic, opcode, form, handler. */
export function rowName(row: OpcodeRow, index: number): string {
  const op = (row.map ? row.map + ' ' : '') + row.op.toString(16).padStart(2, '0') + (row.plusR ? '+r' : '');
  const pfx = row.prefix && row.prefix !== 'none' ? row.prefix + ' ' : row.prefix === 'none' ? 'np ' : '';
  const form = row.rm !== undefined ? ` /${row.reg ?? 'r'} rm=${row.rm}` : row.reg !== undefined ? ` /${row.reg}` : row.modrm ? ' /r' : '';
  const mod = row.mod ? ` (${row.mod})` : '';
  const imm = row.imm ? ' ' + row.imm : '';
  return `${row.mnemonic} ${pfx}${op}${form}${mod}${imm} [${row.handler} #${index}]`;
}

/** A key that stays the same when rows are added elsewhere in the table. */
function rowKey(row: OpcodeRow): string {
  return [row.mnemonic, row.map, row.op, row.reg, row.rm, row.mod, row.prefix, row.handler, row.size, row.imm].join('|');
}

export interface GenerateOptions {
  seed: number;
  /** Cases for an ordinary row; arithmetic, shift, multiply and divide rows get three times as many. */
  casesPerRow: number;
}

export interface Generated {
  cases: DiffCase[];
  /** Rows not tested, by test kind, as row names. */
  skipped: Map<string, string[]>;
}

/** Default options, scaled by RSEQLAB_DIFF_CASES (cases per ordinary row) and RSEQLAB_DIFF_SEED. */
export function defaultOptions(): GenerateOptions {
  const n = Number(process.env.RSEQLAB_DIFF_CASES ?? '');
  const seed = Number(process.env.RSEQLAB_DIFF_SEED ?? '');
  return { casesPerRow: Number.isFinite(n) && n > 0 ? Math.floor(n) : 60, seed: Number.isFinite(seed) && seed > 0 ? seed : 1 };
}

const HEAVY_HANDLERS = /^(Alu|Shift|Shld|Mul|Imul|Div|Idiv|Neg|IncDec|Bt|Test|Cmpxchg|Xadd|Bsf|Bsr|Tzcnt|Lzcnt|Popcnt|Crc32|Round|Dpp|Ptest)/;
/** Rows whose imm8 selects among many modes get ten times the cases: pcmpXstrX (Vol. 2, 4.1). */
const MODE_HANDLERS = /^Pcmpstr/;

export function generateCases(table: readonly OpcodeRow[], opts: GenerateOptions, filter?: (row: OpcodeRow) => boolean): Generated {
  const cases: DiffCase[] = [];
  const skipped = new Map<string, string[]>();
  const ctx = new TableContext(table);
  table.forEach((row, index) => {
    if (filter && !filter(row)) return;
    const kind = testKind(row);
    if (!DIFF_KINDS.includes(kind)) {
      const list = skipped.get(kind) ?? [];
      list.push(rowName(row, index));
      skipped.set(kind, list);
      return;
    }
    const rng = new Rng(hashString(rowKey(row), opts.seed));
    // pcmpXstrX (MODE_HANDLERS) ten times as many, to reach every imm8 mode; MMX rows twice, since each case also checks the x87 side (mmx-state.ts).
    const n = MODE_HANDLERS.test(row.handler) ? opts.casesPerRow * 10 : HEAVY_HANDLERS.test(row.handler) ? opts.casesPerRow * 3 : kind === 'mmx' ? opts.casesPerRow * 2 : opts.casesPerRow;
    for (let i = 0; i < n; i++) {
      const b = new CaseBuilder(ctx, row, index, rng);
      b.caseIndex = i;
      cases.push(b.build(kind as DiffKind));
    }
  });
  return { cases, skipped };
}

/**
 * Cases whose memory operand has a non-canonical address, for the rows
 * with a ModRM memory operand that `pick` selects: hardware raises #GP
 * (SIGSEGV with si_code SI_KERNEL), not a page fault.
 */
export function nonCanonicalCases(table: readonly OpcodeRow[], seed: number, pick: (row: OpcodeRow) => boolean, perRow = 4): DiffCase[] {
  const ctx = new TableContext(table);
  const cases: DiffCase[] = [];
  table.forEach((row, index) => {
    if (!pick(row) || !row.modrm || row.mod === 'reg' || row.rm !== undefined) return;
    const kind = testKind(row);
    if (kind !== 'alu' && kind !== 'sse' && kind !== 'mmx' && kind !== 'stack') return;
    const rng = new Rng(hashString('noncanonical|' + rowKey(row), seed));
    for (let i = 0; i < perRow; i++) {
      const b = new CaseBuilder(ctx, row, index, rng);
      b.nonCanonical = true;
      cases.push(b.build(kind as DiffKind));
    }
  });
  return cases;
}

/** The flags each condition code reads (Vol. 1, Appendix B). */
const CC_FLAGS = ['OF', 'OF', 'CF', 'CF', 'ZF', 'ZF', 'CF ZF', 'CF ZF', 'SF', 'SF', 'PF', 'PF', 'SF OF', 'SF OF', 'ZF SF OF', 'ZF SF OF'];

/**
 * Cases where the next instruction consumes the flags the row's instruction
 * left (setcc into a byte register, or jcc over a marker): the flags must be
 * right when an instruction reads them, not only when RFLAGS is stored.
 * Conditions that read a flag the row leaves undefined are not used.
 */
export function flagConsumerCases(table: readonly OpcodeRow[], opts: GenerateOptions, filter: (row: OpcodeRow) => boolean): DiffCase[] {
  const ctx = new TableContext(table);
  const cases: DiffCase[] = [];
  table.forEach((row, index) => {
    if (!filter(row) || testKind(row) !== 'alu' || !row.writesFlags) return;
    const rng = new Rng(hashString('consumer|' + rowKey(row), opts.seed));
    for (let i = 0; i < opts.casesPerRow; i++) {
      const b = new CaseBuilder(ctx, row, index, rng);
      const c = b.build('alu');
      const undef = new Set(`${row.undefinedFlags ?? ''} ${c.extraUndefined?.flags ?? ''}`.split(/\s+/).filter(Boolean));
      const usable = CC_FLAGS.map((f, cc) => (f.split(' ').some((x) => undef.has(x)) ? -1 : cc)).filter((cc) => cc >= 0);
      if (usable.length === 0) continue;
      const cc = rng.pick(usable);
      let tail: number[];
      let form: string;
      if (rng.chance(0.5)) {
        tail = [0x0f, 0x90 + cc, 0xc0 | rng.int(4)]; // setcc al/cl/dl/bl
        form = 'setcc';
      } else {
        tail = [0x70 + cc, 6, 0x41, 0xbf, 0xa1, 0xa1, 0xa1, 0xa1]; // jcc over mov r15d, imm32
        form = 'jcc';
      }
      const code = new Uint8Array(c.code.length + tail.length);
      code.set(c.code);
      code.set(tail, c.code.length);
      cases.push({ ...c, code, form: `${c.form}+${form}`, note: `${c.note ? c.note + '; ' : ''}then ${form} cc=${cc} (reads ${CC_FLAGS[cc]})` });
    }
  });
  return cases;
}

/** Facts about the whole table that encoding one row needs. */
export class TableContext {
  /** (map, op) keys whose rows use a mandatory 66 / none prefix: 66 is not an operand-size prefix there. */
  private readonly no66 = new Set<string>();
  constructor(readonly table: readonly OpcodeRow[]) {
    for (const r of table) if (r.prefix === '66' || r.prefix === 'none') this.no66.add(r.map + ':' + r.op);
  }
  /** The operand sizes (bits) a row can be encoded with. */
  opsizes(row: OpcodeRow): number[] {
    // 66 is not an operand-size prefix for VEX rows (it would be #UD) or where it selects another row.
    const can16 = !row.vex && !this.no66.has(row.map + ':' + row.op) && testKind(row) !== 'sse' &&
      // crc32 r, r/m8 has no 16-bit form: 66 leaves the destination 32-bit (Vol. 2, CRC32).
      row.handler !== 'Crc32GyEb';
    switch (row.size) {
      case 'b': return [8];
      case 'w': return [16];
      case 'd': return [32];
      case 'q': case 'f64': return [64];
      case 'x': return [128];
      case 'v': return can16 ? [16, 32, 32, 64, 64] : [32, 64];
      case 'd64': return can16 ? [16, 64, 64, 64] : [64];
    }
  }
}

// ---- values -----------------------------------------------------------------------

const MASK64 = (1n << 64n) - 1n;
const mask = (bits: number) => (1n << BigInt(bits)) - 1n;

/** A value of `bits` bits with the edges of that width emphasised. */
export function edgeValue(rng: Rng, bits: number): bigint {
  const m = mask(bits);
  const half = 1n << BigInt(bits - 1);
  switch (rng.int(14)) {
    case 0: return 0n;
    case 1: return 1n;
    case 2: return m;
    case 3: return half - 1n;
    case 4: return half;
    case 5: return half + 1n;
    case 6: return m - 1n;
    case 7: return 1n << BigInt(rng.int(bits));
    case 8: return BigInt(rng.int(17));
    case 9: return (m - BigInt(rng.int(17))) & m;
    case 10: return (rng.u64() & rng.u64()) & m;
    default: return rng.u64() & m;
  }
}

/** A 64-bit register value: an edge of some width, with the upper bits random, zero, ones or sign copies. */
export function gprValue(rng: Rng): bigint {
  if (rng.chance(0.3)) return rng.u64();
  const bits = rng.pick([8, 16, 32, 64]);
  const v = edgeValue(rng, bits);
  if (bits === 64) return v;
  const upper = ~mask(bits) & MASK64;
  switch (rng.int(4)) {
    case 0: return v | (rng.u64() & upper);
    case 1: return v;
    case 2: return v | upper;
    default: return BigInt.asUintN(64, BigInt.asIntN(bits, v));
  }
}

/** Shift and rotate counts around the edges of a width. */
function shiftCount(rng: Rng, width: number): number {
  return rng.pick([0, 1, 1, 2, width - 1, width, width + 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 255, rng.int(256), rng.int(64), rng.int(32)]);
}

function randomFlags(rng: Rng): bigint {
  return rng.u64() & 0xcd5n;
}

const FLOAT_EDGES_32 = [0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0x00000001, 0x807fffff, 0x7f7fffff, 0x4f000000, 0xcf000000, 0x5f000000, 0x3f000000];
const FLOAT_EDGES_64 = [0n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff0000000000001n, 1n, 0x800fffffffffffffn, 0x7fefffffffffffffn, 0x41e0000000000000n, 0xc3e0000000000000n, 0x43e0000000000000n, 0x3fe0000000000000n];

/** 16 bytes for an xmm register: integer edges, float edges or random. */
function xmmValue(rng: Rng): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  switch (rng.int(5)) {
    case 0:
      for (let i = 0; i < 4; i++) dv.setUint32(i * 4, rng.chance(0.7) ? rng.pick(FLOAT_EDGES_32) : rng.u32(), true);
      break;
    case 1:
      for (let i = 0; i < 2; i++) dv.setBigUint64(i * 8, rng.chance(0.7) ? rng.pick(FLOAT_EDGES_64) : rng.u64(), true);
      break;
    case 2:
      for (let i = 0; i < 2; i++) dv.setBigUint64(i * 8, gprValue(rng), true);
      break;
    case 3:
      for (let i = 0; i < 8; i++) dv.setUint16(i * 2, Number(edgeValue(rng, 16)), true);
      break;
    default:
      out.set(rng.bytes(16));
  }
  return out;
}

/**
 * 16 bytes of string data for the pcmpXstrX rows: a small alphabet (so
 * elements match), bytes or words at the signed and unsigned edges, or
 * random bytes, often with zero elements inside (the implicit-length end).
 */
function stringValue(rng: Rng): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  switch (rng.int(4)) {
    case 0: for (let i = 0; i < 16; i++) out[i] = rng.pick([0x61, 0x62, 0x63, 0x61, 0x62, 0]); break;
    case 1: for (let i = 0; i < 16; i++) out[i] = rng.pick([0x00, 0x01, 0x41, 0x5a, 0x7f, 0x80, 0x81, 0xfe, 0xff]); break;
    case 2: for (let i = 0; i < 8; i++) dv.setUint16(i * 2, rng.pick([0, 1, 0x61, 0x62, 0x7fff, 0x8000, 0x8001, 0xffff, rng.int(0x10000)]), true); break;
    default: out.set(rng.bytes(16));
  }
  if (rng.chance(0.5)) {
    const p = rng.int(16);
    out[p] = 0;
    if (rng.chance(0.5)) out[p ^ 1] = 0;
  }
  return out;
}

/** Explicit lengths for pcmpestri/pcmpestrm in rax/rdx: in range, just out, negative, and extremes of 32 and 64 bits. */
function stringLength(rng: Rng): bigint {
  const v = rng.pick([
    BigInt(rng.int(17)), BigInt(rng.int(17)), BigInt(rng.int(9)), BigInt(rng.range(17, 40)), BigInt(-rng.range(1, 20)),
    0x7fffffffn, 0x80000000n, 0xffffffffn, 0x1_0000_0003n, 0x8000000000000000n, 0x7fffffffffffffffn, gprValue(rng),
  ]);
  // Garbage above bit 31 now and then: only REX.W forms read it.
  return BigInt.asUintN(64, rng.chance(0.2) ? v | (rng.u64() & ~0xffffffffn) : v);
}

// ---- one case -------------------------------------------------------------------------

const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;

/** Rows whose byte operands use the AH..BH coding: which fields. */
function byteFields(row: OpcodeRow): { reg: boolean; rm: boolean } {
  const b = row.byteRegs ?? (row.size === 'b' ? 'both' : 'none');
  return { reg: b === 'reg' || b === 'both', rm: b === 'rm' || b === 'both' };
}

/** The GPR that a register code names (AH..BH are parts of rax..rbx without REX). */
function gprOf(code: number, byteOperand: boolean, rex: boolean): number {
  return byteOperand && !rex && code >= 4 && code < 8 ? code - 4 : code;
}

class CaseBuilder {
  readonly gpr: bigint[];
  rflags: bigint;
  xmm = new Uint8Array(256);
  mxcsr = 0x1f80;
  readonly dataSeed: number;
  readonly patches: Patch[] = [];
  extraUndefined?: { flags: string; why: string };
  note?: string;
  access?: { addr: number; size: number };
  ignoreMemory?: { addr: number; size: number; why: string }[];

  /** Make the memory operand's address non-canonical. */
  nonCanonical = false;
  /** The case's number among its row's cases (lets a row step through its imm8 modes). */
  caseIndex = 0;

  constructor(private readonly ctx: TableContext, readonly row: OpcodeRow, readonly index: number, readonly rng: Rng) {
    this.gpr = Array.from({ length: 16 }, () => gprValue(rng));
    this.rflags = randomFlags(rng);
    this.dataSeed = (rng.u32() | 1) >>> 0;
  }

  build(kind: DiffKind): DiffCase {
    switch (kind) {
      case 'branch': return this.branchCase();
      case 'string': return this.stringCase();
      case 'div': return this.divCase();
      case 'stack': return this.stackCase();
      case 'sse': return this.sseCase();
      case 'mmx': return this.mmxCase();
      default: return this.aluCase();
    }
  }

  private finish(code: Uint8Array, form: string, insnOffset: number, insnLength: number): DiffCase {
    return {
      row: this.index, form, code, insnOffset, insnLength,
      gpr: this.gpr.map((v) => BigInt.asUintN(64, v)), rflags: this.rflags, xmm: this.xmm, mxcsr: this.mxcsr,
      dataSeed: this.dataSeed, patches: this.patches, extraUndefined: this.extraUndefined, note: this.note,
      access: this.access, ignoreMemory: this.ignoreMemory,
    };
  }

  /** Sets initial memory; bytes outside DATA and STACK (operands meant to fault) are left out. */
  private patch(addr: number, bytes: Uint8Array | number[]): void {
    const inside = (base: number, size: number) => addr >= base && addr + bytes.length <= base + size;
    if (!inside(LAYOUT.DATA, LAYOUT.DATA_SIZE) && !inside(LAYOUT.STACK, LAYOUT.STACK_SIZE)) return;
    this.patches.push({ addr, bytes: Uint8Array.from(bytes) });
  }

  private setLow(reg: number, bits: number, v: bigint): void {
    const m = mask(bits);
    this.gpr[reg] = (this.gpr[reg] & ~m & MASK64) | (v & m);
  }

  // ---- memory operands ----

  /**
   * A memory operand addressing `target`, with base/index registers not in
   * `avoid` set to make it so. Returns the operand and the legacy prefixes it
   * needs (67 for 32-bit addressing).
   */
  private memOperand(target: number, avoid: Set<number>, allowFar = true): { mem: MemOperand; prefixes: number[]; form: string } {
    const rng = this.rng;
    const free = [...Array(16).keys()].filter((r) => !avoid.has(r));
    const pickReg = (exclude: number[]) => {
      const c = free.filter((r) => !exclude.includes(r));
      return c.length ? rng.pick(c) : -1;
    };
    const t = BigInt(target);
    const roll = rng.int(100);
    if (roll < 12 && allowFar) {
      return { mem: { rip: true, base: -1, index: -1, scale: 0, disp: 0, dispSize: 4 }, prefixes: [], form: 'mem-rip' };
    }
    if (roll < 17 && allowFar) {
      return { mem: { base: -1, index: -1, scale: 0, disp: target, dispSize: 4 }, prefixes: [], form: 'mem-abs' };
    }
    const base = pickReg([]);
    if (base < 0) return { mem: { base: -1, index: -1, scale: 0, disp: target, dispSize: 4 }, prefixes: [], form: 'mem-abs' };
    const addr32 = rng.chance(0.1);
    const dispSize = rng.pick([0, 1, 1, 4] as const);
    const disp = dispSize === 0 ? 0 : dispSize === 1 ? rng.range(-128, 127) : rng.chance(0.5) ? rng.range(-4096, 4096) : (rng.u32() | 0);
    const useIndex = roll < 60 || base === RSP || base === 12 ? rng.chance(0.6) : false;
    const index = useIndex ? pickReg([base, RSP]) : -1;
    const scale = rng.int(4);
    if (index < 0 && roll >= 17 && roll < 22 && allowFar) {
      // [index*scale + disp32] with no base.
      const ix = pickReg([RSP]);
      if (ix >= 0) {
        const iv = BigInt(rng.int(64));
        const d = Number(t - (iv << BigInt(scale)));
        this.gpr[ix] = addr32 ? (rng.u64() & ~0xffffffffn) | iv : iv;
        return { mem: { base: -1, index: ix, scale, disp: d, dispSize: 4 }, prefixes: addr32 ? [0x67] : [], form: 'mem-index' };
      }
    }
    let ival = 0n;
    if (index >= 0) {
      ival = rng.chance(0.5) ? BigInt(rng.range(-64, 64)) : gprValue(rng);
      this.gpr[index] = BigInt.asUintN(64, ival);
    }
    if (addr32) {
      const contrib = (BigInt.asUintN(32, ival) << BigInt(scale)) & 0xffffffffn;
      const b32 = BigInt.asUintN(32, t - BigInt(disp) - contrib);
      this.gpr[base] = (rng.u64() & ~0xffffffffn) | b32;
    } else {
      this.gpr[base] = BigInt.asUintN(64, t - BigInt(disp) - (ival << BigInt(scale)));
    }
    // Segment overrides: gs (its base is 0 on both sides: Linux leaves it so and the harness
    // sets gsBase 0) and es/cs/ss/ds, which 64-bit mode ignores (Vol. 1, 3.3.7.1); fs holds
    // the runner's TLS, so it is not used.
    const seg = rng.chance(0.08) ? [rng.pick([0x65, 0x65, 0x26, 0x2e, 0x36, 0x3e])] : [];
    return {
      mem: { base, index, scale, disp, dispSize: dispSize as 0 | 1 | 4 },
      prefixes: [...seg, ...(addr32 ? [0x67] : [])],
      form: (index >= 0 ? 'mem-sib' : 'mem') + (addr32 ? '-a32' : ''),
    };
  }

  /** A data address for an access of `size` bytes; now and then one that faults at the region's edge. */
  private dataTarget(size: number, align: number, faultOk = true): number {
    const rng = this.rng;
    if (this.nonCanonical) {
      // Bit 47 set with the bits above clear: not canonical, #GP (Vol. 1, 3.3.7.1).
      return 2 ** 47 + rng.int(0x1000);
    }
    if (faultOk && rng.chance(0.03)) {
      const edge = rng.int(3);
      if (edge === 0 && size > 1) return LAYOUT.DATA + LAYOUT.DATA_SIZE - rng.range(1, size - 1);
      if (edge === 1) return LAYOUT.DATA + LAYOUT.DATA_SIZE + rng.int(64);
      return LAYOUT.DATA - size - rng.int(64);
    }
    const off = rng.range(0, LAYOUT.DATA_SIZE - 32);
    return LAYOUT.DATA + (rng.chance(0.7) ? off - (off % align) : off);
  }

  // ---- the instruction under test ----

  /** Implicit register uses by handler (manual Vol. 2, each instruction's Operation). */
  private implicitRegs(): number[] {
    const h = this.row.handler;
    if (/^(Mul|Imul)E/.test(h)) return [RAX, RDX];
    if (/^(Div|Idiv)/.test(h)) return [RAX, RDX];
    if (/Cl$/.test(h)) return [RCX];
    if (/^Cmpxchg16b/.test(h)) return [RAX, RBX, RCX, RDX];
    if (/^Cmpxchg/.test(h)) return [RAX];
    return [];
  }

  /**
   * Chooses an encoding of the row with random registers and a memory or
   * register operand, and sets the inputs the handler needs.
   */
  private instruction(opts: { stack?: boolean; sse?: boolean } = {}): Insn {
    const { row, rng } = this;
    const h = row.handler;
    let opsizes = this.ctx.opsizes(row);
    // BSWAP of a 16-bit register is undefined (Vol. 2, BSWAP); CMPXCHG16B has no 16-bit form.
    if (h === 'BswapZv' || h === 'Cmpxchg16b') opsizes = opsizes.filter((s) => s !== 16);
    const opsize = rng.pick(opsizes);
    const width = row.size === 'b' ? 8 : opsize;
    const bf = byteFields(row);
    const forceRex = (bf.reg || bf.rm) ? rng.chance(0.4) : rng.chance(0.05);
    const choice: InsnChoice = { opsize, reg: rng.int(16), rm: { kind: 'reg', reg: rng.int(16) }, forceRex, prefixes: [] };
    if (row.plusR) choice.plusReg = rng.int(16);
    if (row.vex) {
      choice.vvvv = rng.int(16);
      choice.vex2 = rng.chance(0.5);
    }
    if (row.size === 'd64' && opsize === 64 && rng.chance(0.2)) choice.rexW = true;

    let form = row.modrm ? 'reg' : row.plusR ? 'opreg' : 'noarg';
    let memTarget = -1;
    let memSize = opsize / 8;
    let ripTarget: number | undefined;
    // 0F 0D with a register operand is #UD on AMD but a reserved NOP on Intel (whose
    // CPUID the emulator reports): a vendor difference, so only memory forms are compared.
    const vendorMemOnly = row.map === '0f' && row.op === 0x0d;
    const useMem = row.modrm && row.rm === undefined && (row.mod === 'mem' || vendorMemOnly || this.nonCanonical || (row.mod !== 'reg' && rng.chance(0.5)));
    if (useMem) {
      const avoid = new Set<number>(this.implicitRegs());
      const rex = !!forceRex || choice.reg >= 8;
      const regGpr = gprOf(choice.reg, bf.reg, rex);
      const mustAvoidReg = h === 'BtEvGv';
      if (row.reg === undefined && (mustAvoidReg || rng.chance(0.9))) avoid.add(regGpr);
      if (opts.stack) avoid.add(RSP);
      let align = memSize;
      let faultOk = true;
      if (opts.sse) { memSize = 16; align = rng.chance(0.85) ? 16 : 1; }
      if (h === 'Cmpxchg16b') { memSize = opsize === 64 ? 16 : 8; align = rng.chance(0.9) ? memSize : 1; }
      // FXSAVE/FXRSTOR move a 512-byte area that must be 16-byte aligned (Vol. 2, FXSAVE).
      if (/^Fx(save|rstor)/.test(h)) { memSize = 512; align = rng.chance(0.9) ? 16 : 1; }
      memTarget = this.dataTarget(memSize, align, faultOk);
      if (h === 'BtEvGv') {
        // The bit offset in Gv reaches outside the operand (Vol. 2, BT: bit string addressing); keep it near.
        memTarget = LAYOUT.DATA + rng.range(1536, 2560);
        this.setLow(regGpr, width, BigInt.asUintN(width, BigInt(rng.range(-8000, 8000))));
        faultOk = false;
      }
      // pop/push [rsp+disp]: rsp-relative operands of stack instructions (pop computes the address after the pop).
      if (opts.stack && !this.nonCanonical && rng.chance(0.25)) {
        const disp = rng.range(-64, 64) & ~7;
        choice.rm = { kind: 'mem', mem: { base: RSP, index: -1, scale: 0, disp, dispSize: 1 } };
        memTarget = Number(this.gpr[RSP]) + disp;
        form = 'mem-rsp';
      } else {
        const m = this.memOperand(memTarget, avoid, !this.nonCanonical);
        choice.rm = { kind: 'mem', mem: m.mem };
        choice.prefixes!.push(...m.prefixes);
        form = m.form;
        if (m.mem.rip) ripTarget = memTarget;
      }
      const inData = memTarget >= LAYOUT.DATA && memTarget + memSize <= LAYOUT.DATA + LAYOUT.DATA_SIZE;
      // MXCSR images: valid (reserved bits clear), or with a reserved bit from 18 up set, which
      // is #GP everywhere; bit 17 (MM) is valid on AMD parts only, so it is left alone.
      const mxcsrImage = () => (rng.chance(0.8) ? rng.u32() & 0xffff : ((rng.u32() & 0xffff) | (1 << rng.range(18, 31))) >>> 0);
      if (h === 'LdmxcsrMd') {
        this.patch(memTarget, le(mxcsrImage(), 4));
      } else if (h === 'FxrstorM' && inData) {
        // Random registers with an MXCSR at +24 (Vol. 2, FXSAVE, Table 3-43).
        const img = rng.bytes(512);
        img.set(le(mxcsrImage(), 4), 24);
        this.patch(memTarget, img);
      } else if (rng.chance(0.7) && inData) {
        if (opts.sse) this.patch(memTarget, this.sseValue());
        else this.patch(memTarget, le(edgeValue(rng, Math.min(64, memSize * 8)), Math.min(8, memSize)));
      }
      if (row.lock && rng.chance(0.25)) choice.prefixes!.unshift(0xf0);
      this.access = { addr: memTarget, size: memSize };
      if (h === 'FxsaveM') {
        // MXCSR_MASK (+28) says which MXCSR bits the CPU supports: 0x2ffff on AMD parts with
        // misaligned-SSE mode, 0xffff on Intel. A vendor difference, not compared.
        this.ignoreMemory = [{ addr: memTarget + 28, size: 4, why: 'FXSAVE MXCSR_MASK is model-specific' }];
      }
    }
    if (/^Maskmov/.test(h)) {
      // MASKMOVDQU stores to [rdi] (Vol. 2, MASKMOVDQU). Whether masked-off bytes on an
      // inaccessible page fault, and which address a fault names, is implementation-specific
      // (the AMD host faults on them), so the 16 bytes stay inside DATA.
      const t = this.dataTarget(16, rng.chance(0.5) ? 16 : 1, false);
      this.gpr[RDI] = BigInt(t);
      this.access = { addr: t, size: 16 };
    }

    // Immediates.
    if (row.imm) {
      const n = immSize(row, opsize);
      let v: bigint = edgeValue(rng, n * 8);
      if (/^Shift/.test(h) || /^Shld/.test(h)) v = BigInt(shiftCount(rng, width));
      // pcmpXstrX: imm8[6:0] steps through all 128 modes (Vol. 2, 4.1); bit 7 is ignored, random.
      if (/^Pcmpstr/.test(h)) v = BigInt((this.caseIndex & 0x7f) | (rng.chance(0.5) ? 0x80 : 0));
      // palignr mm: every other case steps imm8 through 0..17, each shift of the 16-byte mm1:mm2
      // concatenation and past it (Vol. 2, PALIGNR: the result is zero from 16 up).
      if (h === 'PalignrPqQqIb' && this.caseIndex % 2 === 0) v = BigInt((this.caseIndex >> 1) % 18);
      choice.imm = Uint8Array.from(le(v, n));
    }

    // Handler-specific inputs.
    let count = -1;
    if (/^Shift.*Cl$/.test(h) || h === 'ShldEvGvCl') {
      count = shiftCount(rng, width);
      this.setLow(RCX, 8, BigInt(count));
    } else if (/^Shift.*Ib$/.test(h) || h === 'ShldEvGvIb') {
      count = choice.imm![0];
    }
    if (h === 'ShldEvGvIb' || h === 'ShldEvGvCl') {
      // "If the count is greater than the operand size, the result is undefined" (Vol. 2, SHLD/SHRD).
      if (width === 16 && (count & 31) > 16) {
        count = rng.int(17) | (count & ~31 & 0xff);
        if (h === 'ShldEvGvCl') this.setLow(RCX, 8, BigInt(count));
        else choice.imm![0] = count;
      }
    }
    if (/^Shift/.test(h) && count >= 0 && (row.arg === 4 || row.arg === 5 || row.arg === 6) && width < 32 && (count & 31) >= width) {
      // "CF is undefined for SHL and SHR where the count is >= the operand size" (Vol. 2, SAL/SAR/SHL/SHR).
      this.extraUndefined = { flags: 'CF', why: 'SHL/SHR count >= operand size leaves CF undefined (Vol. 2, SAL/SAR/SHL/SHR)' };
    }
    if (h === 'Cmpxchg16b' && rng.chance(0.5) && memTarget >= LAYOUT.DATA && memTarget + 16 <= LAYOUT.DATA + LAYOUT.DATA_SIZE) {
      const half = opsize === 64 ? 64 : 32;
      const lo = edgeValue(rng, half), hi = edgeValue(rng, half);
      this.patch(memTarget, [...le(lo, half / 8), ...le(hi, half / 8)]);
      this.setLow(RAX, half, lo);
      this.setLow(RDX, half, hi);
    }
    if (h === 'Xlat') this.xlatInputs(choice);
    const enc = encodeInsn(row, choice);
    if ((h === 'CmpxchgEbGb' || h === 'CmpxchgEvGv') && rng.chance(0.5)) {
      // Make the comparison succeed: rax = destination.
      const dest = choice.rm.kind === 'reg' ? this.readOperand(choice.rm.reg, bf.rm, enc.rex, width) : undefined;
      if (dest !== undefined) this.setLow(RAX, width, dest);
      else if (memTarget >= 0) {
        const v = edgeValue(rng, width);
        this.patch(memTarget, le(v, width / 8));
        this.setLow(RAX, width, v);
      }
    }
    return { bytes: enc.bytes, form: `${form}/${opsize}`, ripTarget, enc, opsize };
  }

  /**
   * xlat reads the byte at [rbx + zero-extended al] (Vol. 2, XLAT/XLATB):
   * rbx and al are chosen so it lies in DATA (now and then just outside, a
   * page fault). With 67 the offset is ebx + al modulo 2^32, so the upper
   * half of rbx is random and sometimes the sum wraps past 2^32 (to an
   * unmapped low address). Segment overrides: gs (base 0 on both sides) and
   * the ignored es/cs/ss/ds; fs holds the runner's TLS (test/emulator covers
   * fs and gs bases). REX.W changes nothing.
   */
  private xlatInputs(choice: InsnChoice): void {
    const rng = this.rng;
    const addr32 = rng.chance(0.3);
    if (addr32) choice.prefixes!.push(0x67);
    if (rng.chance(0.2)) choice.prefixes!.push(rng.pick([0x65, 0x26, 0x2e, 0x36, 0x3e]));
    if (rng.chance(0.5)) choice.prefixes!.reverse();
    if (rng.chance(0.2)) choice.rexW = true;
    const al = Number(edgeValue(rng, 8));
    this.setLow(RAX, 8, BigInt(al));
    const wrap = addr32 && al > 0 && rng.chance(0.1);
    const target = wrap ? rng.int(al) : this.dataTarget(1, 1);
    let rbx = BigInt.asUintN(64, BigInt(target - al));
    if (addr32) rbx = (rng.u64() & ~0xffffffffn) | (rbx & 0xffffffffn);
    this.gpr[RBX] = rbx;
    this.access = { addr: target, size: 1 };
    this.note = `xlat al=0x${al.toString(16)} rbx=0x${rbx.toString(16)}${addr32 ? ' addr32' : ''}${wrap ? ' (ebx + al wraps)' : ''}`;
  }

  /** The current value of a register operand (width bits), honouring AH..BH. */
  private readOperand(code: number, byteOperand: boolean, rex: boolean, width: number): bigint {
    if (byteOperand && !rex && code >= 4 && code < 8) return (this.gpr[code - 4] >> 8n) & 0xffn;
    return this.gpr[code] & mask(width);
  }

  /** Places one instruction at CODE, resolving a rip-relative operand. */
  private single(ins: Insn): DiffCase {
    if (ins.ripTarget !== undefined) fixRipDisp(ins.bytes, ins.enc, LAYOUT.CODE, ins.ripTarget);
    return this.finish(ins.bytes, ins.form, 0, ins.bytes.length);
  }

  aluCase(): DiffCase {
    return this.single(this.instruction());
  }

  /** Values for xmm registers and 128-bit memory operands of this row. */
  private sseValue: () => Uint8Array = () => xmmValue(this.rng);

  sseCase(): DiffCase {
    const h = this.row.handler;
    if (/^Pcmpstr/.test(h)) {
      this.sseValue = () => stringValue(this.rng);
      this.gpr[RAX] = stringLength(this.rng);
      this.gpr[RDX] = stringLength(this.rng);
    } else if (['ptest', 'pcmpeqq', 'pcmpgtq'].includes(this.row.mnemonic)) {
      // A few related values, so that ptest's ZF/CF and equal quadwords happen.
      const v = xmmValue(this.rng), m = this.rng.bytes(16);
      const pool = [v, v.map((x) => ~x & 0xff), v.map((x, i) => x & m[i]), new Uint8Array(16), new Uint8Array(16).fill(0xff), xmmValue(this.rng)];
      this.sseValue = () => this.rng.pick(pool).slice();
    }
    for (let i = 0; i < 16; i++) this.xmm.set(this.sseValue(), i * 16);
    // Rounding modes, FTZ and DAZ; exceptions stay masked.
    if (this.rng.chance(0.3)) this.mxcsr = 0x1f80 | (this.rng.int(4) << 13) | (this.rng.chance(0.3) ? 0x8000 : 0) | (this.rng.chance(0.3) ? 0x40 : 0);
    return this.single(this.instruction({ sse: true }));
  }

  /** An MMX instruction between a prologue that sets the x87 / mm state and an epilogue that dumps it (mmx-state.ts). */
  mmxCase(): DiffCase {
    for (let i = 0; i < 16; i++) this.xmm.set(xmmValue(this.rng), i * 16);
    if (this.rng.chance(0.3)) this.mxcsr = 0x1f80 | (this.rng.int(4) << 13) | (this.rng.chance(0.3) ? 0x8000 : 0) | (this.rng.chance(0.3) ? 0x40 : 0);
    const frame = mmxFrame(this.rng, this.row.handler === 'Emms');
    const ins = this.instruction({ sse: true });
    const at = frame.prologue.length;
    if (ins.ripTarget !== undefined) fixRipDisp(ins.bytes, ins.enc, LAYOUT.CODE + at, ins.ripTarget);
    this.patches.push(...frame.patches);
    this.ignoreMemory = [...(this.ignoreMemory ?? []), ...frame.ignore];
    this.note = [this.note, frame.note].filter(Boolean).join('; ');
    const code = Uint8Array.from([...frame.prologue, ...ins.bytes, ...frame.epilogue]);
    return this.finish(code, ins.form, at, ins.bytes.length);
  }

  divCase(): DiffCase {
    const { row, rng } = this;
    const signed = row.mnemonic === 'idiv';
    const ins = this.instruction();
    // Recover the width and the divisor operand from what instruction() chose.
    const width = row.size === 'b' ? 8 : ins.opsize;
    const w = BigInt(width);
    const modrm = ins.bytes[ins.enc.modrmOffset!];
    const isMem = modrm >> 6 !== 3;
    const rex = ins.enc.rex ? 0x40 | ins.enc.rexBits : 0;
    const rmCode = (modrm & 7) | ((rex & 1) << 3);
    const mode = rng.int(100) < 84 ? 'ok' : rng.chance(0.5) ? 'zero' : 'overflow';
    let d: bigint, dividend: bigint;
    const smin = -(1n << (w - 1n)), smax = (1n << (w - 1n)) - 1n;
    if (mode === 'zero') {
      d = 0n;
      dividend = BigInt.asUintN(2 * width, rng.u64() << 64n | rng.u64());
    } else if (mode === 'overflow') {
      if (signed) {
        d = -1n;
        dividend = smin;
      } else {
        d = edgeValue(rng, width) || 1n;
        dividend = ((d + BigInt(rng.int(4))) << w) | (rng.u64() & mask(width));
      }
    } else if (signed) {
      do d = BigInt.asIntN(width, edgeValue(rng, width)); while (d === 0n);
      const q = BigInt.asIntN(width, edgeValue(rng, width));
      const absd = d < 0n ? -d : d;
      const m = BigInt.asUintN(64, rng.u64()) % absd;
      const qd = q * d;
      const sign = qd > 0n ? 1n : qd < 0n ? -1n : rng.chance(0.5) ? 1n : -1n;
      dividend = qd + sign * m;
      if (q < smin || q > smax) dividend = 0n;
    } else {
      do d = edgeValue(rng, width); while (d === 0n);
      const q = edgeValue(rng, width);
      dividend = q * d + (BigInt.asUintN(64, rng.u64()) % d);
    }
    const dv = BigInt.asUintN(2 * width, dividend);
    if (width === 8) {
      this.setLow(RAX, 16, dv);
    } else {
      this.setLow(RAX, width, dv & mask(width));
      this.setLow(RDX, width, dv >> w);
    }
    this.note = `${signed ? 'idiv' : 'div'} ${mode}: dividend ${dividend} divisor ${BigInt.asIntN(width, d)}`;
    const dBits = BigInt.asUintN(width, d);
    if (isMem) {
      const target = this.memTargetOf(ins);
      if (target !== undefined) this.patch(target, le(dBits, width / 8));
    } else {
      const byteOp = row.size === 'b';
      const g = gprOf(rmCode, byteOp, rex !== 0);
      if (g === RAX || g === RDX) {
        this.note += ' (divisor register overlaps the dividend: values as they fall)';
      } else if (byteOp && rex === 0 && rmCode >= 4 && rmCode < 8) {
        this.gpr[g] = (this.gpr[g] & ~0xff00n) | (dBits << 8n);
      } else {
        this.setLow(rmCode, width, dBits);
      }
    }
    return this.single(ins);
  }

  /** The data address a memory operand of `ins` refers to, computed from the registers as set. */
  private memTargetOf(ins: Insn): number | undefined {
    if (ins.ripTarget !== undefined) return ins.ripTarget;
    const a = effectiveAddress(ins.bytes, ins.enc, this.gpr);
    if (a === undefined) return undefined;
    return a >= LAYOUT.DATA && a + 8 <= LAYOUT.DATA + LAYOUT.DATA_SIZE ? a : undefined;
  }

  stackCase(): DiffCase {
    const { row, rng } = this;
    const h = row.handler;
    let rsp = LAYOUT.STACK_TOP - 8 * rng.int(16);
    if (rng.chance(0.1)) rsp -= rng.range(1, 7);
    this.gpr[RSP] = BigInt(rsp);
    this.patch(rsp - 256, rng.bytes(512));
    if (h === 'Enter' || h === 'Leave') {
      this.gpr[RBP] = BigInt(LAYOUT.STACK_TOP - 8 * rng.range(-16, 16) - (rng.chance(0.1) ? rng.range(1, 7) : 0));
    }
    if (h === 'Popf') {
      // Only the arithmetic flags and DF: TF would trap, AC would enable alignment checks.
      this.patch(rsp, le((rng.u64() & 0xcd5n) | 2n, 8));
    }
    const ins = this.instruction({ stack: true });
    if (h === 'Enter') {
      const size = rng.pick([0, 8, 16, 24, 0x100, 0xfff8, rng.int(0x10000)]);
      const level = rng.pick([0, 0, 1, 1, 2, 3, 4, rng.int(32), 32 + rng.int(8)]);
      ins.bytes.set([size & 0xff, size >> 8, level], ins.bytes.length - 3);
      this.note = `enter ${size}, ${level}`;
    }
    return this.single(ins);
  }

  stringCase(): DiffCase {
    const { row, rng } = this;
    const opsize = rng.pick(this.ctx.opsizes(row));
    const size = row.size === 'b' ? 1 : opsize / 8;
    const compares = /^(Cmps|Scas)$/.test(row.handler) || row.mnemonic.startsWith('cmps') || row.mnemonic.startsWith('scas');
    const rep = rng.pick(compares ? [0, 0xf3, 0xf3, 0xf2, 0xf2] : [0, 0xf3, 0xf3]);
    const addr32 = rng.chance(0.15);
    const df = rng.chance(0.5);
    this.rflags = (this.rflags & ~0x400n) | (df ? 0x400n : 0n);
    const count = rng.pick([0, 1, 2, 3, rng.int(41), rng.int(41), rng.int(41)]);
    const span = 41 * 8 + 8;
    const start = () => LAYOUT.DATA + (df ? rng.range(span, LAYOUT.DATA_SIZE - 8) : rng.range(0, LAYOUT.DATA_SIZE - span));
    const si = start(), di = rng.chance(0.2) ? si + rng.range(-16, 16) : start();
    const upper = () => (addr32 ? rng.u64() & ~0xffffffffn : 0n);
    this.gpr[RSI] = BigInt(si) | upper();
    this.gpr[RDI] = BigInt(di) | upper();
    this.gpr[RCX] = rep ? BigInt(count) | upper() : this.gpr[RCX];
    if (compares && rep) {
      // Runs of equal (repe) or different (repne) elements, with maybe one
      // exception where the repetition stops early.
      const n = Math.max(count, 1);
      const lowAddr = (a: number) => (df ? a - (n - 1) * size : a);
      const stopAt = rng.chance(0.6) ? rng.int(n) : -1;
      const scas = row.handler === 'Scas' || row.mnemonic.startsWith('scas');
      const elem = le(this.gpr[RAX], size);
      const src = Array.from({ length: n * size }, (_, i) => (scas ? elem[i % size] : rng.int(256)));
      const dst = src.slice();
      for (let i = 0; i < n; i++) {
        const equal = (rep === 0xf3) !== (i === stopAt);
        const k = df ? n - 1 - i : i;
        if (!equal) dst[k * size + rng.int(size)] ^= 1 << rng.int(8);
      }
      const inData = (a: number, len: number) => a >= LAYOUT.DATA && a + len <= LAYOUT.DATA + LAYOUT.DATA_SIZE;
      const sLow = lowAddr(si), dLow = lowAddr(di);
      if (!scas && inData(sLow, src.length)) this.patch(sLow, src);
      if (inData(dLow, dst.length)) this.patch(dLow, dst);
    }
    const choice: InsnChoice = { opsize, reg: 0, rm: { kind: 'reg', reg: 0 }, prefixes: [], forceRex: rng.chance(0.1) };
    if (addr32) choice.prefixes!.push(0x67);
    if (rep) choice.prefixes!.push(rep);
    if (rng.chance(0.5)) choice.prefixes!.reverse();
    const enc = encodeInsn(row, choice);
    this.note = `${rep === 0xf3 ? 'rep ' : rep === 0xf2 ? 'repne ' : ''}count ${count} DF=${df ? 1 : 0}${addr32 ? ' addr32' : ''}`;
    return this.finish(enc.bytes, `${rep ? 'rep' : 'once'}/${opsize}${addr32 ? '-a32' : ''}`, 0, enc.bytes.length);
  }

  // ---- branches ----

  branchCase(): DiffCase {
    const { row, rng } = this;
    const h = row.handler;
    // Two markers: mov r15d, imm32 on the fall-through path, mov r14d, imm32 on the taken path.
    const MA = [0x41, 0xbf, 0xa1, 0xa1, 0xa1, 0xa1];
    const MB = [0x41, 0xbe, 0xb2, 0xb2, 0xb2, 0xb2];
    const prefixes: number[] = [];
    if (h === 'Loop' || h === 'Jrcxz') {
      const addr32 = rng.chance(0.2);
      if (addr32) prefixes.push(0x67);
      const c = rng.pick([0n, 0n, 1n, 2n, 3n, 0x100000000n, 0x100000001n, 0xffffffffn, MASK64, gprValue(rng)]);
      this.gpr[RCX] = c;
      this.note = `rcx=${c.toString(16)}${addr32 ? ' addr32' : ''}`;
    }
    if ((h === 'JccJz' || h === 'JmpEq' || h === 'CallEq') && rng.chance(0.1)) prefixes.push(rng.pick([0x2e, 0x3e]));
    const backward = (h === 'JccJz' || h === 'Loop' || h === 'Jrcxz' || h === 'JmpJz' || h === 'CallJz') && rng.chance(0.3);
    const pad = rng.chance(0.3) ? 0 : rng.int(row.imm === 'Jz' ? 300 : 40);
    let stackTop = LAYOUT.STACK_TOP - 8 * rng.int(8);
    if (rng.chance(0.05)) stackTop -= rng.range(1, 7);
    this.gpr[RSP] = BigInt(stackTop);
    this.patch(stackTop - 128, rng.bytes(256));
    // Branching to an unmapped or non-executable address (not reachable with rel8).
    const badTarget = row.imm !== 'Jb' && rng.chance(0.05) ? rng.pick([0x4000_0000, LAYOUT.DATA + 64, LAYOUT.CODE + LAYOUT.CODE_SIZE]) : undefined;

    // Build the instruction with a placeholder target, then lay out the sequence.
    const build = (insnAddr: number, target: number): Uint8Array => {
      if (row.imm === 'Jb' || row.imm === 'Jz') {
        const enc = encodeInsn(row, { opsize: 64, reg: 0, rm: { kind: 'reg', reg: 0 }, prefixes, imm: new Uint8Array(row.imm === 'Jb' ? 1 : 4) });
        const rel = target - (insnAddr + enc.bytes.length);
        enc.bytes.set(le(rel, row.imm === 'Jb' ? 1 : 4), enc.bytes.length - (row.imm === 'Jb' ? 1 : 4));
        return enc.bytes;
      }
      return this.lastIndirect!(insnAddr, target);
    };
    if (h === 'CallEq' || h === 'JmpEq') this.prepareIndirect(prefixes);
    if (h === 'Ret' || h === 'RetIw') this.prepareRet();

    // Sizes are independent of the target (Jb/Jz widths are fixed), so measure once.
    const insnLen = build(LAYOUT.CODE, LAYOUT.CODE).length;
    // jmp to the end: rel8 when it reaches, else rel32.
    const JE = (n: number) => (n <= 127 ? [0xeb, n] : [0xe9, ...le(n, 4)]);
    const padding = new Array(pad).fill(0xcc);
    let code: number[];
    let insnOffset: number;
    let target: number;
    let takenOffset: number;
    if (!backward) {
      // I; MA; jmp END; pad; T: MB; END
      insnOffset = 0;
      const je = JE(pad + MB.length);
      takenOffset = insnLen + MA.length + je.length + pad;
      target = LAYOUT.CODE + takenOffset;
      code = [...build(LAYOUT.CODE, badTarget ?? target), ...MA, ...je, ...padding, ...MB];
    } else {
      // jmp I; T: MB; jmp END; pad; I; MA; END
      const endJump = JE(pad + insnLen + MA.length);
      const head = JE(MB.length + endJump.length + pad);
      takenOffset = head.length;
      target = LAYOUT.CODE + takenOffset;
      insnOffset = head.length + MB.length + endJump.length + pad;
      code = [...head, ...MB, ...endJump, ...padding, ...build(LAYOUT.CODE + insnOffset, badTarget ?? target), ...MA];
    }
    if (h === 'Ret' || h === 'RetIw') {
      const ret = badTarget ?? (rng.chance(0.5) ? target : LAYOUT.CODE + insnOffset + insnLen);
      this.patch(stackTop, le(ret, 8));
      if (h === 'RetIw') {
        const n = rng.pick([0, 8, 16, 0x100, 0xfff8, rng.int(0x10000)]);
        code[insnOffset + 1] = n & 0xff;
        code[insnOffset + 2] = n >> 8;
      }
    }
    this.note = (this.note ? this.note + '; ' : '') + `${backward ? 'backward' : 'forward'} layout, taken target +0x${takenOffset.toString(16)}${badTarget !== undefined ? `, bad target 0x${badTarget.toString(16)}` : ''}`;
    return this.finish(Uint8Array.from(code), (backward ? 'backward' : 'forward') + (this.indirectForm ? '-' + this.indirectForm : ''), insnOffset, insnLen);
  }

  private lastIndirect?: (insnAddr: number, target: number) => Uint8Array;
  private indirectForm?: string;

  /** call/jmp through a register or a pointer in DATA. */
  private prepareIndirect(prefixes: number[]): void {
    const { row, rng } = this;
    const useMem = rng.chance(0.5);
    // call through rsp would push into the code page; jmp through rsp is fine.
    const reg = row.handler === 'CallEq' ? rng.pick([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]) : rng.int(16);
    if (!useMem) {
      this.indirectForm = 'reg';
      const rex = rng.chance(0.1);
      this.lastIndirect = (_addr, target) => {
        this.gpr[reg] = BigInt(target);
        return encodeInsn(row, { opsize: 64, reg: 0, rm: { kind: 'reg', reg }, prefixes, rexW: rex }).bytes;
      };
      return;
    }
    const slot = LAYOUT.DATA + (rng.range(0, LAYOUT.DATA_SIZE - 16) & ~(rng.chance(0.8) ? 7 : 0));
    const avoid = new Set<number>([RSP]);
    const m = this.memOperand(slot, avoid);
    this.indirectForm = m.form;
    this.lastIndirect = (addr, target) => {
      const enc = encodeInsn(row, { opsize: 64, reg: 0, rm: { kind: 'mem', mem: m.mem }, prefixes: [...prefixes, ...m.prefixes] });
      if (m.mem.rip) fixRipDisp(enc.bytes, enc, addr, slot);
      this.patch(slot, le(target, 8));
      return enc.bytes;
    };
  }

  private prepareRet(): void {
    const row = this.row;
    this.lastIndirect = () => encodeInsn(row, { opsize: 64, reg: 0, rm: { kind: 'reg', reg: 0 }, imm: row.imm === 'Iw' ? new Uint8Array(2) : undefined }).bytes;
  }
}

// ---- reading back our own encodings ----------------------------------------------------

/** An encoded instruction under test with what the generator chose. */
interface Insn {
  bytes: Uint8Array;
  form: string;
  /** Data address a rip-relative operand must reach (its disp32 is fixed once placed). */
  ripTarget?: number;
  enc: Encoded;
  opsize: number;
}

/** The address a ModRM memory operand of our encoding names, from the given registers. */
function effectiveAddress(bytes: Uint8Array, enc: Encoded, gpr: bigint[]): number | undefined {
  const at = enc.modrmOffset;
  if (at === undefined) return undefined;
  const modrm = bytes[at];
  const mod = modrm >> 6;
  if (mod === 3) return undefined;
  const rex = enc.rexBits;
  const addr32 = bytes.subarray(0, at).includes(0x67);
  let p = at + 1;
  let a = 0n;
  if ((modrm & 7) === 4) {
    const sib = bytes[p++];
    const idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
    const base = (sib & 7) | ((rex & 1) << 3);
    if (idx !== 4) a += (addr32 ? gpr[idx] & 0xffffffffn : gpr[idx]) << BigInt(sib >> 6);
    if ((sib & 7) === 5 && mod === 0) {
      a += BigInt(new DataView(bytes.buffer, bytes.byteOffset + p, 4).getInt32(0, true));
      p += 4;
    } else {
      a += addr32 ? gpr[base] & 0xffffffffn : gpr[base];
    }
  } else if ((modrm & 7) === 5 && mod === 0) {
    return undefined; // rip-relative: the caller knows the target
  } else {
    const base = (modrm & 7) | ((rex & 1) << 3);
    a += addr32 ? gpr[base] & 0xffffffffn : gpr[base];
  }
  if (mod === 1) a += BigInt(new DataView(bytes.buffer, bytes.byteOffset + p, 1).getInt8(0));
  if (mod === 2) a += BigInt(new DataView(bytes.buffer, bytes.byteOffset + p, 4).getInt32(0, true));
  a = addr32 ? a & 0xffffffffn : BigInt.asUintN(64, a);
  return a < 0x8000_0000_0000n ? Number(a) : undefined;
}
