// The x87 FPU against the host's: the same instruction bytes run natively (a
// small C helper built at test time executes them from an RWX page) and in
// the emulator, over random operands of every class (zeros, denormals,
// normals near the ends of the range, infinities, NaNs, unsupported
// encodings), in all four rounding modes and three precisions. Results,
// status words, control words and flags must be bit-identical.
//
// Each case is a code sequence and a 128-byte data block addressed by rdi:
//   0x00 u16 control word to load     0x02 u16 status word after the operation
//   0x04 u16 status word at the end   0x06 u16 control word after the operation
//   0x08 u64 rflags after the operation (arithmetic flags only are compared)
//   0x0f u8  ah for sahf before the operation (fcmov)
//   0x10 A (m80)   0x20 B (m80)   0x30 C (memory operand, up to 16 bytes)
//   0x40 0x50 0x60 st(0), st(1), st(2) after the operation (fstp m80)
//   0x70 memory destination of the operation (16 bytes)
//   0x80 28-byte environment (fnstenv, through rsi = rdi + 0x80)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpu, Reg, StopReason, type Cpu, type CpuContext } from '../../emulator/index.js';

const DATA_SIZE = 256;
const CODE_ADDR = 0x100000;
const DATA_ADDR = 0x200000;
const STACK_ADDR = 0x300000;

// ---- the native runner ----------------------------------------------------------------
const HELPER_C = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static int hexval(int c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; }
static size_t unhex(const char *s, unsigned char *out) {
  size_t n = 0;
  while (s[0] && s[1] && s[0] != ' ' && s[0] != '\n') { out[n++] = hexval(s[0]) << 4 | hexval(s[1]); s += 2; }
  return n;
}

int main(void) {
  unsigned char *page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) { perror("mmap"); return 1; }
  static char line[1 << 16];
  unsigned char data[${DATA_SIZE}];
  while (fgets(line, sizeof line, stdin)) {
    char *sp = strchr(line, ' ');
    if (!sp) continue;
    size_t n = unhex(line, page);
    page[n] = 0xc3; /* ret */
    memset(data, 0, sizeof data);
    unhex(sp + 1, data);
    __asm__ volatile("call *%0" : : "r"(page), "D"(data)
                     : "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc");
    for (size_t i = 0; i < sizeof data; i++) printf("%02x", data[i]);
    putchar('\n');
  }
  return 0;
}
`;

let helperDir = '';
let helper = '';

function runNative(cases: Case[]): Uint8Array[] {
  const input = cases.map((c) => `${hex(c.code)} ${hex(c.data)}\n`).join('');
  const out = execFileSync(helper, { input, maxBuffer: 1 << 30 }).toString();
  return out.trim().split('\n').map(unhexStr);
}

let cpu: Cpu;
let ctx: CpuContext;
let lastCode = '';

function runEmulated(cases: Case[]): Uint8Array[] {
  return cases.map((c) => {
    const codeHex = hex(c.code);
    if (codeHex !== lastCode) {
      cpu.write(CODE_ADDR, c.code);
      lastCode = codeHex;
    }
    cpu.write(DATA_ADDR, c.data);
    ctx.rip = BigInt(CODE_ADDR);
    ctx.gpr[Reg.RDI] = BigInt(DATA_ADDR);
    ctx.gpr[Reg.RSP] = BigInt(STACK_ADDR + 0x800);
    const stop = cpu.run(ctx, 1000, CODE_ADDR + c.code.length);
    if (stop.reason !== StopReason.Breakpoint) {
      throw new Error(`emulated run of ${codeHex} stopped with ${StopReason[stop.reason]} at 0x${stop.rip.toString(16)} (bytes ${stop.bytes ? hex(stop.bytes) : '?'})`);
    }
    return cpu.read(DATA_ADDR, DATA_SIZE);
  });
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
function unhexStr(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

// ---- code sequences ------------------------------------------------------------------
interface Case { code: Uint8Array; data: Uint8Array; label: string }

/** ModRM for [rdi + disp8] with a /reg field. */
const memRdi = (op: number, reg: number, disp: number) => [op, 0x47 | (reg << 3), disp];
const FNINIT = [0xdb, 0xe3];
const FLDCW = memRdi(0xd9, 5, 0x00);
const fldt = (disp: number) => memRdi(0xdb, 5, disp);
const fstpt = (disp: number) => memRdi(0xdb, 7, disp);
const fnstsw = (disp: number) => memRdi(0xdd, 7, disp);
const fnstcw = (disp: number) => memRdi(0xd9, 7, disp);
const SAHF_FROM_DATA = [0x8a, 0x67, 0x0f, 0x9e]; // mov ah, [rdi+0xf]; sahf
const SAVE_FLAGS = [0x9c, 0x58, 0x48, 0x89, 0x47, 0x08]; // pushfq; pop rax; mov [rdi+8], rax

/**
 * The standard frame: load B then A (so A is st(0), B st(1)), run `op`,
 * record the status word, control word and flags, store three stack slots
 * (an empty one stores the indefinite and flags a stack fault, alike on
 * both sides), record the final status word, reset.
 */
function frame(op: number[], loads = 2): Uint8Array {
  const pre = [...FNINIT, ...FLDCW, ...(loads >= 2 ? fldt(0x20) : []), ...(loads >= 1 ? fldt(0x10) : []), ...SAHF_FROM_DATA];
  const post = [...fnstsw(0x02), ...fnstcw(0x06), ...SAVE_FLAGS, ...fstpt(0x40), ...fstpt(0x50), ...fstpt(0x60), ...fnstsw(0x04), ...FNINIT];
  return Uint8Array.from([...pre, ...op, ...post]);
}

// ---- random operands ------------------------------------------------------------------
class Rng {
  private s: bigint;
  constructor(seed: number) { this.s = BigInt(seed) | 1n; }
  u64(): bigint {
    // xorshift64*
    let x = this.s;
    x ^= x >> 12n; x ^= (x << 25n) & 0xffffffffffffffffn; x ^= x >> 27n;
    this.s = x;
    return (x * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
  }
  int(n: number): number { return Number(this.u64() % BigInt(n)); }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]; }
  bool(): boolean { return (this.u64() & 1n) === 1n; }
}

const J = 1n << 63n;
const MASK64 = (1n << 64n) - 1n;

interface F80 { sig: bigint; se: number }

/** A significand with J set: fully random, or with few set bits (rounding ties and exact cases). */
function randomSig(r: Rng): bigint {
  switch (r.int(4)) {
    case 0: return r.u64() | J;
    case 1: return J | (r.u64() >> BigInt(r.int(64)) << BigInt(r.int(12))) & MASK64;
    case 2: { // a value that is exact or a tie at 24 or 53 bits
      const keep = r.pick([24, 53, 64, 25, 54, 23, 52]);
      let s = (r.u64() | J) & ~((1n << BigInt(64 - keep)) - 1n) & MASK64;
      if (r.bool() && keep < 64) s |= 1n << BigInt(63 - keep); // exactly half an ulp at keep-1 bits
      return s;
    }
    default: return r.bool() ? MASK64 : J | BigInt(r.int(4));
  }
}

function randomF80(r: Rng, near?: F80): F80 {
  const sign = r.bool() ? 0x8000 : 0;
  if (near && r.int(3) !== 0) {
    const e = (near.se & 0x7fff) + r.int(141) - 70;
    if (e > 0 && e < 0x7fff) return { sig: randomSig(r), se: sign | e };
  }
  switch (r.int(22)) {
    case 20: return { sig: J | (r.u64() >> BigInt(1 + r.int(63))), se: sign }; // pseudo-denormal
    case 21: return { sig: r.bool() ? 0n : r.u64() >> 1n, se: sign | 0x7fff }; // pseudo-infinity / pseudo-NaN
    case 0: return { sig: 0n, se: sign };
    case 1: return { sig: randomSig(r) >> BigInt(1 + r.int(63)), se: sign }; // denormal
    case 2: return { sig: J, se: sign | 0x7fff }; // infinity
    case 3: return { sig: J | (1n << 62n) | (r.u64() >> BigInt(2 + r.int(62))), se: sign | 0x7fff }; // QNaN
    case 4: return { sig: J | ((r.u64() >> 2n) | 1n), se: sign | 0x7fff }; // SNaN
    case 5: return { sig: 0xc000000000000000n, se: 0xffff }; // indefinite
    case 6: return { sig: randomSig(r), se: sign | (0x7fff - 1 - r.int(40)) }; // near overflow
    case 7: return { sig: randomSig(r), se: sign | (1 + r.int(70)) }; // near underflow
    case 8: return r.int(4) === 0 ? { sig: randomSig(r) & ~J, se: sign | (1 + r.int(0x7ffe)) } : { sig: randomSig(r), se: sign | 0x3fff };
    case 9: return { sig: randomSig(r), se: sign | (1 + r.int(0x7ffe)) };
    case 10: return { sig: (randomSig(r) >> BigInt(r.int(64))) | J, se: sign | (0x3fff + r.int(64)) }; // integers-ish
    default: return { sig: randomSig(r), se: sign | (0x3fff - 40 + r.int(80)) };
  }
}

function putF80(data: Uint8Array, off: number, v: F80): void {
  const dv = new DataView(data.buffer);
  dv.setBigUint64(off, v.sig, true);
  dv.setUint16(off + 8, v.se, true);
}

const RC_NAMES = ['nearest', 'down', 'up', 'zero'];
const PC_VALUES = [0, 2, 3];

function randomCw(r: Rng): number {
  return 0x7f | (r.pick(PC_VALUES) << 8) | (r.int(4) << 10);
}

function newData(r: Rng, opts: { near?: boolean } = {}): Uint8Array {
  const data = new Uint8Array(DATA_SIZE);
  const dv = new DataView(data.buffer);
  dv.setUint16(0, randomCw(r), true);
  data[0x0f] = r.int(256) & 0xd5; // ah for sahf
  const a = randomF80(r);
  putF80(data, 0x10, a);
  putF80(data, 0x20, randomF80(r, opts.near ? a : undefined));
  // C: random bits, biased towards interesting singles and doubles
  for (let i = 0x30; i < 0x40; i++) data[i] = r.int(256);
  switch (r.int(6)) {
    case 0: dv.setUint32(0x30, r.pick([0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0x00000001, 0x007fffff, 0x3f800000]), true); break;
    case 1: dv.setBigUint64(0x30, r.pick([0n, 0x7ff0000000000000n, 0x7ff8000000000000n, 0x7ff0000000000001n, 1n, 0x000fffffffffffffn, 0x3ff0000000000000n]) | (r.bool() ? 1n << 63n : 0n), true); break;
    case 2: dv.setUint32(0x30, (r.int(0x100) << 23) | (r.int(2) << 31) | r.int(1 << 23), true); break;
    case 3: dv.setBigUint64(0x30, (BigInt(0x3c0 + r.int(0x80)) << 52n) | (r.u64() >> 12n) | (r.bool() ? 1n << 63n : 0n), true); break;
    default: break;
  }
  return data;
}

function describeData(d: Uint8Array): string {
  const dv = new DataView(d.buffer, d.byteOffset);
  const f = (o: number) => `${dv.getUint16(o + 8, true).toString(16).padStart(4, '0')}:${dv.getBigUint64(o, true).toString(16).padStart(16, '0')}`;
  const cw = dv.getUint16(0, true);
  return `cw=${cw.toString(16)} (rc ${RC_NAMES[(cw >> 10) & 3]}, pc ${(cw >> 8) & 3}) A=${f(0x10)} B=${f(0x20)} C=${hex(d.subarray(0x30, 0x40))}`;
}

function describeOut(d: Uint8Array): string {
  const dv = new DataView(d.buffer, d.byteOffset);
  const f = (o: number) => `${dv.getUint16(o + 8, true).toString(16).padStart(4, '0')}:${dv.getBigUint64(o, true).toString(16).padStart(16, '0')}`;
  return `sw=${dv.getUint16(2, true).toString(16)} swEnd=${dv.getUint16(4, true).toString(16)} cw=${dv.getUint16(6, true).toString(16)} flags=${(dv.getBigUint64(8, true) & 0x8d5n).toString(16)} st0=${f(0x40)} st1=${f(0x50)} st2=${f(0x60)} mem=${hex(d.subarray(0x70, 0x80))}`;
}

/** Runs the cases both ways; returns descriptions of the first mismatches and the count. */
function compareRuns(cases: Case[], opts: { flags?: boolean } = {}): { mismatches: string[]; count: number } {
  const native = runNative(cases);
  const emulated = runEmulated(cases);
  const mismatches: string[] = [];
  let count = 0;
  for (let i = 0; i < cases.length; i++) {
    const n = native[i].slice(), e = emulated[i].slice();
    if (!opts.flags) { n.fill(0, 8, 16); e.fill(0, 8, 16); } else {
      // only the six arithmetic flags
      for (const b of [n, e]) {
        const dv = new DataView(b.buffer);
        dv.setBigUint64(8, dv.getBigUint64(8, true) & 0x8d5n, true);
        b[0x0f] = 0;
      }
    }
    // The instruction and operand pointers of a stored environment (fnstenv, fnsave) are not modelled.
    n.fill(0, 0x80 + 12, 0x80 + 28);
    e.fill(0, 0x80 + 12, 0x80 + 28);
    if (hex(n) !== hex(e)) {
      count++;
      if (mismatches.length < 8) {
        const at = n.findIndex((b, k) => b !== e[k]);
        mismatches.push(`${cases[i].label}: ${describeData(cases[i].data)}\n    native:   ${describeOut(n)}\n    emulated: ${describeOut(e)}` +
          (at >= 0x80 ? `\n    first difference at 0x${at.toString(16)}: native ${hex(n.subarray(at, at + 16))}, emulated ${hex(e.subarray(at, at + 16))}` : ''));
      }
    }
  }
  return { mismatches, count };
}

function check(cases: Case[], opts: { flags?: boolean } = {}): void {
  const { mismatches, count } = compareRuns(cases, opts);
  expect(mismatches.join('\n'), `${count} of ${cases.length} cases differ`).toBe('');
}

function makeCases(label: string, op: number[], n: number, seed: number, opts: { near?: boolean; loads?: number } = {}): Case[] {
  const r = new Rng(seed);
  const code = frame(op, opts.loads ?? 2);
  return Array.from({ length: n }, () => ({ code, data: newData(r, opts), label }));
}

const N = Number(process.env.X87_CASES ?? 600);

// ---- the tests ---------------------------------------------------------------------------

beforeAll(async () => {
  helperDir = mkdtempSync(join(tmpdir(), 'rseqlab-x87-'));
  writeFileSync(join(helperDir, 'x87run.c'), HELPER_C);
  helper = join(helperDir, 'x87run');
  execFileSync('gcc', ['-O1', '-mno-red-zone', '-o', helper, join(helperDir, 'x87run.c')]);
  cpu = await createCpu();
  cpu.map(CODE_ADDR, 0x1000, 5);
  cpu.map(DATA_ADDR, 0x1000, 3);
  cpu.map(STACK_ADDR, 0x1000, 3);
  ctx = cpu.createContext();
});

afterAll(() => {
  if (helperDir) rmSync(helperDir, { recursive: true, force: true });
});

describe('x87 loads, stores and moves', () => {
  it('fld/fstp m80 round-trips every class, and stores of an empty register', () => {
    check(makeCases('fldt/fstpt', [], N, 1));
  });
  it('fld m32 / fld m64 (DE for denormals, IE for SNaNs)', () => {
    check([...makeCases('fld m32', memRdi(0xd9, 0, 0x30), N, 2), ...makeCases('fld m64', memRdi(0xdd, 0, 0x30), N, 3)]);
  });
  it('fst/fstp m32 and m64 round by RC', () => {
    check([
      ...makeCases('fst m32', memRdi(0xd9, 2, 0x70), N, 4),
      ...makeCases('fstp m32', memRdi(0xd9, 3, 0x70), N, 5),
      ...makeCases('fst m64', memRdi(0xdd, 2, 0x70), N, 6),
      ...makeCases('fstp m64', memRdi(0xdd, 3, 0x70), N, 7),
    ]);
  });
  it('fild m16/m32/m64', () => {
    check([
      ...makeCases('fild m16', memRdi(0xdf, 0, 0x30), N / 2, 8),
      ...makeCases('fild m32', memRdi(0xdb, 0, 0x30), N / 2, 9),
      ...makeCases('fild m64', memRdi(0xdf, 5, 0x30), N / 2, 10),
    ]);
  });
  it('fist/fistp m16/m32/m64', () => {
    check([
      ...makeCases('fist m16', memRdi(0xdf, 2, 0x70), N, 11),
      ...makeCases('fistp m16', memRdi(0xdf, 3, 0x70), N / 2, 12),
      ...makeCases('fist m32', memRdi(0xdb, 2, 0x70), N, 13),
      ...makeCases('fistp m32', memRdi(0xdb, 3, 0x70), N / 2, 14),
      ...makeCases('fistp m64', memRdi(0xdf, 7, 0x70), N, 15),
    ]);
  });
  it('fld st(i), fst/fstp st(i), fxch, ffree, fincstp/fdecstp, including empty registers', () => {
    const cases: Case[] = [];
    for (let i = 0; i < 4; i++) {
      cases.push(...makeCases(`fld st(${i})`, [0xd9, 0xc0 + i], 20, 20 + i));
      cases.push(...makeCases(`fst st(${i})`, [0xdd, 0xd0 + i], 20, 30 + i));
      cases.push(...makeCases(`fstp st(${i})`, [0xdd, 0xd8 + i], 20, 40 + i));
      cases.push(...makeCases(`fxch st(${i})`, [0xd9, 0xc8 + i], 20, 50 + i));
      cases.push(...makeCases(`ffree st(${i})`, [0xdd, 0xc0 + i], 10, 60 + i));
    }
    cases.push(...makeCases('fincstp', [0xd9, 0xf7], 10, 70), ...makeCases('fdecstp', [0xd9, 0xf6], 10, 71));
    cases.push(...makeCases('fld with one value', [0xd9, 0xc0], 10, 72, { loads: 1 }));
    check(cases);
  });
  it('fld1, fldl2t, fldl2e, fldpi, fldlg2, fldln2, fldz in every rounding mode', () => {
    const cases: Case[] = [];
    for (let k = 0; k < 7; k++) cases.push(...makeCases(`const ${k}`, [0xd9, 0xe8 + k], 24, 80 + k));
    check(cases);
  });
  it('fcmovcc under random flags', () => {
    const cases: Case[] = [];
    for (let k = 0; k < 4; k++) {
      cases.push(...makeCases(`fcmov ${k}`, [0xda, 0xc1 + 8 * k], 40, 90 + k));
      cases.push(...makeCases(`fcmovn ${k}`, [0xdb, 0xc1 + 8 * k], 40, 95 + k));
    }
    check(cases);
  });
});

describe('x87 classification, sign and compares', () => {
  it('fxam, fchs, fabs, ftst', () => {
    check([
      ...makeCases('fxam', [0xd9, 0xe5], N, 100),
      // An empty st(0) whose register still holds A (ffree): C1 is A's sign. (A register never
      // loaded holds nothing architectural: the host kernel may hand it back as zero.)
      ...makeCases('fxam empty (ffree st0)', [0xdd, 0xc0, 0xd9, 0xe5], 60, 101, { loads: 1 }),
      ...makeCases('fchs', [0xd9, 0xe0], N / 2, 102),
      ...makeCases('fabs', [0xd9, 0xe1], N / 2, 103),
      ...makeCases('ftst', [0xd9, 0xe4], N, 104),
    ]);
  });
  it('fcom/fcomp/fcompp/fucom/fucomp/fucompp st(i)', () => {
    check([
      ...makeCases('fcom st1', [0xd8, 0xd1], N, 110, { near: true }),
      ...makeCases('fcomp st1', [0xd8, 0xd9], N / 2, 111, { near: true }),
      ...makeCases('fcompp', [0xde, 0xd9], N / 2, 112, { near: true }),
      ...makeCases('fucom st1', [0xdd, 0xe1], N, 113, { near: true }),
      ...makeCases('fucomp st1', [0xdd, 0xe9], N / 2, 114, { near: true }),
      ...makeCases('fucompp', [0xda, 0xe9], N / 2, 115, { near: true }),
      ...makeCases('fcom st2 (empty)', [0xd8, 0xd2], 20, 116),
    ]);
  });
  it('fcomi/fcomip/fucomi/fucomip set ZF PF CF', () => {
    check([
      ...makeCases('fcomi', [0xdb, 0xf1], N, 120, { near: true }),
      ...makeCases('fucomi', [0xdb, 0xe9], N, 121, { near: true }),
      ...makeCases('fcomip', [0xdf, 0xf1], N / 2, 122, { near: true }),
      ...makeCases('fucomip', [0xdf, 0xe9], N / 2, 123, { near: true }),
      ...makeCases('fucomi st0', [0xdb, 0xe8], 40, 124),
    ], { flags: true });
  });
  it('fcom/ficom with memory operands', () => {
    check([
      ...makeCases('fcom m32', memRdi(0xd8, 2, 0x30), N / 2, 130),
      ...makeCases('fcomp m64', memRdi(0xdc, 3, 0x30), N / 2, 131),
      ...makeCases('ficom m32', memRdi(0xda, 2, 0x30), N / 4, 132),
      ...makeCases('ficomp m16', memRdi(0xde, 3, 0x30), N / 4, 133),
    ]);
  });
});

describe('x87 stack faults and rarer forms', () => {
  const eightLoads = Array.from({ length: 8 }, (_, i) => fldt(i % 2 ? 0x10 : 0x20)).flat();
  it('stack overflow: a push onto a full stack (IE, SF, C1, the indefinite)', () => {
    const cases: Case[] = [];
    const pushes: [string, number[]][] = [
      ['fld1', [0xd9, 0xe8]], ['fld st0', [0xd9, 0xc0]], ['fldt', fldt(0x10)], ['fld m32', memRdi(0xd9, 0, 0x30)],
      ['fild m16', memRdi(0xdf, 0, 0x30)], ['fxtract', [0xd9, 0xf4]],
    ];
    for (const [name, op] of pushes) cases.push(...makeCases(`${name} on a full stack`, [...eightLoads, ...op], 20, 800 + op[1], { loads: 0 }));
    check(cases);
  });
  it('empty operands: arithmetic, compares, stores, fxch, fcmov (IE, SF, C1 clear)', () => {
    const cases: Case[] = [];
    const ops: number[][] = [
      [0xd8, 0xc2], [0xdc, 0xc2], [0xde, 0xc2], [0xd8, 0xd2], [0xdd, 0xe2], [0xdb, 0xf2], [0xdf, 0xea], [0xd9, 0xca],
      [0xda, 0xc2], [0xd9, 0xfa], [0xd9, 0xfd], [0xd9, 0xf8], [0xd9, 0xe4], [0xd9, 0xe0], memRdi(0xd9, 3, 0x70),
      memRdi(0xdf, 3, 0x70), memRdi(0xd8, 0, 0x30), [0xdd, 0xda],
    ];
    for (const op of ops) {
      cases.push(...makeCases(`${hex(Uint8Array.from(op))} with one value`, op, 10, 850 + op[1], { loads: 1 }));
      cases.push(...makeCases(`${hex(Uint8Array.from(op))} with none`, op, 10, 900 + op[1], { loads: 0 }));
    }
    check(cases, { flags: true });
  });
  it('fbld / fbstp (packed BCD), ffreep, fcom2/fcomp3/fcomp5, fstp1/fstp8/fstp9, fxch4/fxch7', () => {
    const cases: Case[] = [];
    cases.push(...makeCases('fbstp', memRdi(0xdf, 6, 0x70), N, 950));
    const r = new Rng(951);
    const fbld = makeCases('fbld', memRdi(0xdf, 4, 0x30), 200, 952);
    for (const c of fbld) {
      // valid BCD digits, random sign byte
      for (let i = 0; i < 9; i++) c.data[0x30 + i] = (r.int(10) << 4) | r.int(10);
      c.data[0x39] = r.bool() ? 0x80 : 0;
    }
    cases.push(...fbld);
    for (const [name, op] of [['ffreep', [0xdf, 0xc1]], ['fcom2', [0xdc, 0xd1]], ['fcomp3', [0xdc, 0xd9]], ['fcomp5', [0xde, 0xd1]],
      ['fstp1', [0xd9, 0xd9]], ['fstp8', [0xdf, 0xd1]], ['fstp9', [0xdf, 0xd9]], ['fxch4', [0xdd, 0xc9]], ['fxch7', [0xdf, 0xc9]],
      ['fnop', [0xd9, 0xd0]], ['fneni', [0xdb, 0xe0]]] as [string, number[]][]) {
      cases.push(...makeCases(name, op, 30, 960 + op[1], { near: true }));
    }
    check(cases);
  });
  it('fnsave / frstor round-trip the whole state', () => {
    // lea rsi, [rdi+0x80]; fnsave [rsi]; fnstsw [rdi+0x70]; fnstcw [rdi+0x72]; frstor [rsi]
    // The contents of empty registers are not architectural (the host's kernel may
    // zero them), so all eight are loaded first; two are then freed for the tags.
    const op = [0x48, 0x8d, 0xb7, 0x80, 0, 0, 0, 0xdd, 0x36, ...fnstsw(0x70), ...fnstcw(0x72), 0xdd, 0x26];
    const cases = makeCases('fnsave; frstor', [...eightLoads, 0xd8, 0xf1, 0xdd, 0xc5, 0xdd, 0xc7, 0xde, 0xc9, ...op], 100, 990, { loads: 0 });
    check(cases);
  });
});

describe('x87 control and environment', () => {
  it('fldcw/fnstcw, fnstsw ax, fnclex, fnstenv/fldenv', () => {
    const fnstswAx = [0xdf, 0xe0, 0x66, 0x89, 0x47, 0x70]; // fnstsw ax; mov [rdi+0x70], ax
    // lea rsi, [rdi+0x80]; fdiv st0, st1; fnstenv [rsi]; fnstcw [rdi+0x70]; fldenv [rsi]
    const env = [0x48, 0x8d, 0xb7, 0x80, 0, 0, 0, 0xd8, 0xf1, 0xd9, 0x36, ...fnstcw(0x70), 0xd9, 0x26];
    check([
      ...makeCases('fnstsw ax after fadd', [0xd8, 0xc1, ...fnstswAx], 100, 140),
      ...makeCases('fnclex after fdiv', [0xd8, 0xf1, 0xdb, 0xe2], 100, 141),
      ...makeCases('fldcw with unmasked bits, fnstcw', [...memRdi(0xd9, 5, 0x30), ...fnstcw(0x70)], 100, 142),
      ...makeCases('fnstenv; fldenv', env, 100, 143),
    ]);
  });
});

describe('x87 arithmetic', () => {
  const forms: [string, number[]][] = [
    ['fadd st0,st1', [0xd8, 0xc1]], ['fmul st0,st1', [0xd8, 0xc9]], ['fsub st0,st1', [0xd8, 0xe1]],
    ['fsubr st0,st1', [0xd8, 0xe9]], ['fdiv st0,st1', [0xd8, 0xf1]], ['fdivr st0,st1', [0xd8, 0xf9]],
  ];
  for (const [name, op] of forms) {
    it(`${name} (exact, every RC and PC)`, () => {
      check([...makeCases(name, op, N * 2, 200 + op[1], { near: true }), ...makeCases(name + ' (far)', op, N, 300 + op[1])]);
    });
  }
  it('st(i),st(0) and popping forms', () => {
    const cases: Case[] = [];
    const dc = [0xc1, 0xc9, 0xe1, 0xe9, 0xf1, 0xf9];
    for (const m of dc) {
      cases.push(...makeCases(`dc ${m.toString(16)}`, [0xdc, m], N / 3, 400 + m, { near: true }));
      cases.push(...makeCases(`de ${m.toString(16)}`, [0xde, m], N / 3, 500 + m, { near: true }));
    }
    check(cases);
  });
  it('memory operands: m32, m64, m32int, m16int', () => {
    const cases: Case[] = [];
    for (const k of [0, 1, 4, 5, 6, 7]) {
      cases.push(...makeCases(`d8 /${k} m32`, memRdi(0xd8, k, 0x30), N / 3, 600 + k));
      cases.push(...makeCases(`dc /${k} m64`, memRdi(0xdc, k, 0x30), N / 3, 610 + k));
      cases.push(...makeCases(`da /${k} m32int`, memRdi(0xda, k, 0x30), N / 6, 620 + k));
      cases.push(...makeCases(`de /${k} m16int`, memRdi(0xde, k, 0x30), N / 6, 630 + k));
    }
    check(cases);
  });
  it('fsqrt', () => {
    check(makeCases('fsqrt', [0xd9, 0xfa], N * 3, 700));
  });
  it('frndint', () => {
    check(makeCases('frndint', [0xd9, 0xfc], N * 2, 701));
  });
  it('fscale', () => {
    check(makeCases('fscale', [0xd9, 0xfd], N * 2, 702));
  });
  it('fxtract', () => {
    check(makeCases('fxtract', [0xd9, 0xf4], N, 703, { loads: 1 }));
  });
  it('fprem and fprem1', () => {
    check([
      ...makeCases('fprem', [0xd9, 0xf8], N * 2, 704, { near: true }),
      ...makeCases('fprem1', [0xd9, 0xf5], N * 2, 705, { near: true }),
      ...makeCases('fprem (far)', [0xd9, 0xf8], N, 706),
      ...makeCases('fprem1 (far)', [0xd9, 0xf5], N, 707),
    ]);
  });
});

describe('x87 decoding', () => {
  /** Deliberately absent (decoded as invalid): none left. */
  const ABSENT = new Set<string>([]);

  it('every D8-DF encoding decodes like iced-x86 (validity and length)', async () => {
    const iced = await import('iced-x86');
    const formatter = new iced.Formatter(iced.FormatterSyntax.Intel);
    const problems: string[] = [];
    let checked = 0;
    for (let op = 0xd8; op <= 0xdf; op++) {
      for (let modrm = 0; modrm < 256; modrm++) {
        for (const sib of modrm < 0xc0 && (modrm & 7) === 4 ? [0x24, 0x88, 0x25] : [0x11]) {
          const bytes = new Uint8Array([op, modrm, sib, 0x44, 0x33, 0x22, 0x11, 0x90, 0x90]);
          const decoder = new iced.Decoder(64, bytes, iced.DecoderOptions.None);
          const insn = decoder.decode();
          const valid = insn.code !== iced.Code.INVALID;
          const text = valid ? formatter.format(insn) : 'invalid';
          const length = insn.length;
          insn.free();
          decoder.free();
          const mnemonic = text.split(' ')[0];
          cpu.write(CODE_ADDR, bytes);
          lastCode = '';
          const ours = cpu.decode(CODE_ADDR);
          checked++;
          const hexBytes = hex(bytes.subarray(0, 3));
          if (!valid || ABSENT.has(mnemonic)) {
            if (ours.status !== 'invalid') problems.push(`${hexBytes}: iced ${text}, ours decodes it (length ${ours.length})`);
          } else if (ours.status !== 'ok') {
            problems.push(`${hexBytes}: iced ${text}, ours ${ours.status}`);
          } else if (ours.length !== length) {
            problems.push(`${hexBytes}: iced ${text} length ${length}, ours ${ours.length}`);
          }
        }
      }
    }
    expect(problems.slice(0, 20).join('\n'), `${problems.length} of ${checked} encodings differ`).toBe('');
  });
});

describe('x87 memory faults are precise', () => {
  const RO_PAGE = DATA_ADDR + 0x1000; // mapped read-only
  const UNMAPPED = DATA_ADDR + 0x2000;

  /** Runs `op` (after fld1; fldz) with rsi = target; it must fault and leave the FPU as it was. */
  function faultCase(name: string, op: number[], target: number): void {
    it(name, () => {
      const pre = [...FNINIT, 0xd9, 0xe8, 0xd9, 0xee]; // fld1; fldz
      const code = Uint8Array.from([...pre, ...op]);
      cpu.write(CODE_ADDR, code);
      lastCode = '';
      ctx.rip = BigInt(CODE_ADDR);
      ctx.gpr[Reg.RDI] = BigInt(DATA_ADDR);
      ctx.gpr[Reg.RSI] = BigInt(target);
      ctx.gpr[Reg.RSP] = BigInt(STACK_ADDR + 0x800);
      const stop = cpu.run(ctx, 100);
      expect(StopReason[stop.reason]).toBe('PageFault');
      expect(Number(stop.rip)).toBe(CODE_ADDR + pre.length);
      // Continue at a sequence that reports the state: fnstsw [rdi+2]; fstpt [rdi+0x40]; fstpt [rdi+0x50]
      const report = Uint8Array.from([...fnstsw(0x02), ...fstpt(0x40), ...fstpt(0x50)]);
      cpu.write(CODE_ADDR + 0x800, report);
      ctx.rip = BigInt(CODE_ADDR + 0x800);
      const done = cpu.run(ctx, 100, CODE_ADDR + 0x800 + report.length);
      expect(StopReason[done.reason]).toBe('Breakpoint');
      const out = cpu.read(DATA_ADDR, 0x60);
      const dv = new DataView(out.buffer);
      expect(dv.getUint16(2, true).toString(16)).toBe('3000'); // TOP = 6, no flags
      expect(dv.getBigUint64(0x40, true)).toBe(0n); // st0 = +0
      expect(dv.getUint16(0x48, true)).toBe(0);
      expect(dv.getBigUint64(0x50, true)).toBe(1n << 63n); // st1 = 1
      expect(dv.getUint16(0x58, true)).toBe(0x3fff);
    });
  }

  beforeAll(() => {
    cpu.map(RO_PAGE, 0x1000, 1);
  });

  faultCase('fld m80 straddling into an unmapped page', [0xdb, 0x6e, 0xfc], UNMAPPED - 4); // [rsi-4]: bytes UNMAPPED-8 .. UNMAPPED+1
  faultCase('fstp m80 to a read-only page', [0xdb, 0x3e], RO_PAGE);
  faultCase('fst m64 to a read-only page', [0xdd, 0x16], RO_PAGE);
  faultCase('fistp m16 to a read-only page', [0xdf, 0x1e], RO_PAGE);
  faultCase('fadd m64 from an unmapped page', [0xdc, 0x06], UNMAPPED);
  faultCase('fnstenv to a read-only page', [0xd9, 0x36], RO_PAGE);
  faultCase('fnsave straddling into a read-only page', [0xdd, 0x76, 0xc0], RO_PAGE); // [rsi-0x40]: 108 bytes cross
  faultCase('frstor from an unmapped page', [0xdd, 0x26], UNMAPPED);
  faultCase('fldenv from an unmapped page', [0xd9, 0x26], UNMAPPED);
});
