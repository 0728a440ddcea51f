// SSE/SSE2 instructions: hand-made cases for the rules the manual spells
// out (alignment #GP, merging of scalar moves, fxsave layout, ldmxcsr #GP),
// and a differential test that runs every row of emulator/table/sse.ts
// with random operands (NaNs, SNaNs, infinities, signed zeros, denormals,
// extremes, all four rounding modes, FTZ and DAZ) both on the host CPU and
// in the emulator, and compares xmm registers, GPRs, arithmetic flags,
// MXCSR and the data memory byte for byte.
//
// The host side is a small C program built with gcc at test time: it maps
// an RWX page, copies the instruction followed by `ret`, and calls it
// through a trampoline that loads xmm0-15, MXCSR, RFLAGS and the GPRs from
// a struct and stores them back afterwards.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpu, PROT_EXEC, PROT_READ, PROT_WRITE, StopReason, type Cpu, type CpuContext } from '../../emulator/index.js';
import { SSE_ROWS } from '../../emulator/table/sse.js';
import type { OpcodeRow } from '../../emulator/table/types.js';

const CODE = 0x2000_0000;
const DATA = 0x1000_0000;
/** Data bytes a random case carries (a state record may carry up to MAX_MEM, e.g. for fxsave). */
const MEM_SIZE = 64;
const MAX_MEM = 512;

// The state record shared with the host runner.
const S_XMM = 0;
const S_MXCSR = 256;
const S_FLAGS = 264;
const S_GPR = 272;
const S_MEM = 400;
const STATE_SIZE = S_MEM + MEM_SIZE;
/** CF PF AF ZF SF OF: the flags comiss/ucomiss write. */
const FLAG_MASK = 0x8d5n;

const RUNNER_C = String.raw`
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CODE_ADDR 0x20000000UL
#define DATA_ADDR 0x10000000UL
#define S_MEM ${S_MEM}
#define MAX_STATE (S_MEM + ${MAX_MEM})

uint8_t g[MAX_STATE] __attribute__((aligned(16)));
uint64_t g_code;
uint32_t g_host_mxcsr;
void run_case(void);

#define LX(i) "movdqu " #i "*16(%rax), %xmm" #i "\n"
#define SX(i) "movdqu %xmm" #i ", " #i "*16(%rax)\n"
__asm__(
  ".text\n.globl run_case\nrun_case:\n"
  "push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\nsub $8, %rsp\n"
  "stmxcsr g_host_mxcsr(%rip)\n"
  "lea g(%rip), %rax\n"
  LX(0) LX(1) LX(2) LX(3) LX(4) LX(5) LX(6) LX(7) LX(8) LX(9) LX(10) LX(11) LX(12) LX(13) LX(14) LX(15)
  "ldmxcsr 256(%rax)\n"
  "pushq 264(%rax)\npopfq\n"
  "mov 280(%rax), %rcx\nmov 288(%rax), %rdx\nmov 296(%rax), %rbx\nmov 312(%rax), %rbp\n"
  "mov 320(%rax), %rsi\nmov 328(%rax), %rdi\nmov 336(%rax), %r8\nmov 344(%rax), %r9\n"
  "mov 352(%rax), %r10\nmov 360(%rax), %r11\nmov 368(%rax), %r12\nmov 376(%rax), %r13\n"
  "mov 384(%rax), %r14\nmov 392(%rax), %r15\nmov 272(%rax), %rax\n"
  "call *g_code(%rip)\n"
  "push %rax\n"
  "lea g(%rip), %rax\n"
  "mov %rcx, 280(%rax)\nmov %rdx, 288(%rax)\nmov %rbx, 296(%rax)\nmov %rbp, 312(%rax)\n"
  "mov %rsi, 320(%rax)\nmov %rdi, 328(%rax)\nmov %r8, 336(%rax)\nmov %r9, 344(%rax)\n"
  "mov %r10, 352(%rax)\nmov %r11, 360(%rax)\nmov %r12, 368(%rax)\nmov %r13, 376(%rax)\n"
  "mov %r14, 384(%rax)\nmov %r15, 392(%rax)\n"
  "pop %rcx\nmov %rcx, 272(%rax)\n"
  "pushfq\npop %rcx\nmov %rcx, 264(%rax)\n"
  SX(0) SX(1) SX(2) SX(3) SX(4) SX(5) SX(6) SX(7) SX(8) SX(9) SX(10) SX(11) SX(12) SX(13) SX(14) SX(15)
  "stmxcsr 256(%rax)\n"
  "cld\nldmxcsr g_host_mxcsr(%rip)\n"
  "add $8, %rsp\npop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\nret\n");

static int hv(int c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; }
static size_t unhex(const char *s, uint8_t *out, size_t max) {
  size_t n = 0;
  while (n < max && s[0] && s[1] && s[0] != ' ' && s[0] != '\n') { out[n++] = (uint8_t)(hv(s[0]) << 4 | hv(s[1])); s += 2; }
  return n;
}

int main(void) {
  uint8_t *code = mmap((void *)CODE_ADDR, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  uint8_t *data = mmap((void *)DATA_ADDR, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (code != (void *)CODE_ADDR || data != (void *)DATA_ADDR) { fprintf(stderr, "runner: cannot map\n"); return 2; }
  g_code = CODE_ADDR;
  static char line[1 << 16];
  while (fgets(line, sizeof line, stdin)) {
    char *sp = strchr(line, ' ');
    if (!sp) continue;
    size_t n = unhex(line, code, 64);
    code[n] = 0xc3;
    memset(g, 0, sizeof g);
    size_t size = unhex(sp + 1, g, MAX_STATE);
    if (size < S_MEM) { fprintf(stderr, "runner: short state record\n"); return 2; }
    memset(data, 0, 4096);
    memcpy(data, g + S_MEM, size - S_MEM);
    run_case();
    memcpy(g + S_MEM, data, size - S_MEM);
    for (size_t i = 0; i < size; i++) printf("%02x", g[i]);
    putchar('\n');
  }
  return 0;
}
`;

// ---- deterministic randomness ---------------------------------------------------------------

class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0 || 1; }
  u32(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  int(n: number): number { return this.u32() % n; }
  chance(p: number): boolean { return this.u32() / 2 ** 32 < p; }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]; }
  u64(): bigint { return (BigInt(this.u32()) << 32n) | BigInt(this.u32()); }
}

// ---- operand values -------------------------------------------------------------------------------

const F32_SPECIAL = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, // zeros, infinities
  0x7fc00000, 0xffc00000, 0x7fc12345, 0xffd00001, // QNaNs
  0x7f800001, 0xff800001, 0x7fa00000, 0x7fbfffff, // SNaNs
  0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00400000, // denormals
  0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, // min normal, max
  0x3f800000, 0xbf800000, 0x3f000000, 0x3fc00000, 0x40200000, 0xbfc00000, // 1, -1, .5, 1.5, 2.5, -1.5
  0x4f000000, 0xcf000000, 0x4effffff, 0x5f000000, 0xdf000000, 0x5effffff, // 2^31, 2^63 and neighbours
  0x34000000, 0x33800000, 0x0c000000, 0x72000000, // 2^-23, 2^-24, tiny, huge (products under/overflow)
];
const F64_SPECIAL = [
  0x0n, 0x8000000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n,
  0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff8000012345678n, 0xfffc000000000001n,
  0x7ff0000000000001n, 0xfff0000000000001n, 0x7ff4000000000000n, 0x7ff7ffffffffffffn,
  0x1n, 0x8000000000000001n, 0x000fffffffffffffn, 0x800fffffffffffffn, 0x0008000000000000n,
  0x0010000000000000n, 0x8010000000000000n, 0x7fefffffffffffffn, 0xffefffffffffffffn,
  0x3ff0000000000000n, 0xbff0000000000000n, 0x3fe0000000000000n, 0x3ff8000000000000n, 0x4004000000000000n, 0xbff8000000000000n,
  0x41e0000000000000n, 0xc1e0000000000000n, 0x41dfffffffc00000n, 0x41dfffffffffffffn, 0xc1e0000000100000n,
  0x43e0000000000000n, 0xc3e0000000000000n, 0x43dfffffffffffffn,
  0x3cb0000000000000n, 0x3ca0000000000000n, 0x0100000000000000n, 0x7e00000000000000n,
  0x47efffffe0000000n, 0x47efffff00000000n, 0x3810000000000000n, 0x380fffffe0000000n, 0x36a0000000000000n, // f32 limits as doubles
];

function randF32(r: Rng): number {
  const k = r.int(10);
  if (k < 4) return r.pick(F32_SPECIAL) >>> 0;
  const sign = r.chance(0.5) ? 0x80000000 : 0;
  if (k < 8) {
    // A normal number with an exponent near 0, near the extremes, or anywhere.
    const e = r.pick([127 + r.int(9) - 4, 1 + r.int(30), 254 - r.int(30), 1 + r.int(254), 127 + r.int(64)]);
    const m = r.chance(0.3) ? (r.u32() & 0x7fffff) & ~((1 << r.int(23)) - 1) : r.u32() & 0x7fffff;
    return (sign | (e << 23) | m) >>> 0;
  }
  if (k < 9) return (sign | (r.u32() & 0x7fffff)) >>> 0; // denormal
  return r.u32();
}

function randF64(r: Rng): bigint {
  const k = r.int(10);
  if (k < 4) return r.pick(F64_SPECIAL);
  const sign = r.chance(0.5) ? 1n << 63n : 0n;
  const mAll = r.u64() & ((1n << 52n) - 1n);
  if (k < 8) {
    const e = r.pick([1023 + r.int(9) - 4, 1 + r.int(60), 2046 - r.int(60), 1 + r.int(2046), 1023 + r.int(70), 1023 - 150 + r.int(30), 1023 + 100 + r.int(40)]);
    const m = r.chance(0.3) ? mAll & ~((1n << BigInt(r.int(52))) - 1n) : mAll;
    return sign | (BigInt(e) << 52n) | m;
  }
  if (k < 9) return sign | mAll;
  return r.u64();
}

/** Perturbs a value's bit pattern a little, so pairs of close numbers (cancellation, ties) come up. */
function near32(r: Rng, v: number): number {
  if (r.chance(0.3)) return (v ^ 0x80000000) >>> 0;
  return (v + r.int(7) - 3 + (r.chance(0.3) ? (r.int(5) - 2) << 23 : 0)) >>> 0;
}
function near64(r: Rng, v: bigint): bigint {
  if (r.chance(0.3)) return v ^ (1n << 63n);
  const d = BigInt(r.int(7) - 3) + (r.chance(0.3) ? BigInt(r.int(5) - 2) << 52n : 0n);
  return BigInt.asUintN(64, v + d);
}

const INT_SPECIAL_BYTES = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xff, 0xfe];

type Flavor = 'f32' | 'f64' | 'int';

function flavorOf(row: OpcodeRow): Flavor {
  const m = row.mnemonic;
  if (/^cvtt?(ss|ps)/.test(m)) return 'f32';
  if (/^cvtt?(sd|pd)/.test(m)) return 'f64';
  if (/^cvt/.test(m)) return 'int';
  if (/^(movmsk|movhlps|movlhps|unpck|and|or|xor|shuf|mov)/.test(m)) return 'int';
  if (/(ps|ss)$/.test(m)) return 'f32';
  if (/(pd|sd)$/.test(m)) return 'f64';
  return 'int';
}

function fillXmm(r: Rng, flavor: Flavor, out: Uint8Array, at: number, like?: Uint8Array, likeAt = 0): void {
  const dv = new DataView(out.buffer, out.byteOffset);
  const ldv = like ? new DataView(like.buffer, like.byteOffset) : undefined;
  for (let lane = 0; lane < 16; lane += 8) {
    const f = r.chance(0.85) ? flavor : r.pick<Flavor>(['f32', 'f64', 'int']);
    if (f === 'f64') {
      let v = randF64(r);
      if (ldv && r.chance(0.4)) v = near64(r, ldv.getBigUint64(likeAt + lane, true));
      dv.setBigUint64(at + lane, v, true);
    } else if (f === 'f32') {
      for (let k = 0; k < 8; k += 4) {
        let v = randF32(r);
        if (ldv && r.chance(0.4)) v = near32(r, ldv.getUint32(likeAt + lane + k, true));
        dv.setUint32(at + lane + k, v, true);
      }
    } else {
      for (let k = 0; k < 8; k++) {
        out[at + lane + k] = r.chance(0.3) ? r.pick(INT_SPECIAL_BYTES) : r.int(256);
        if (ldv && r.chance(0.3)) out[at + lane + k] = like![likeAt + lane + k];
      }
    }
  }
}

function randGpr(r: Rng): bigint {
  switch (r.int(6)) {
    case 0: return BigInt.asUintN(64, BigInt(r.int(2001) - 1000));
    case 1: return r.pick([0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0x100000001n]);
    case 2: return r.u64() >> BigInt(r.int(64));
    case 3: return BigInt.asUintN(64, -(r.u64() >> BigInt(r.int(64))));
    default: return r.u64();
  }
}

// ---- encoding -------------------------------------------------------------------------------------

/** Handlers whose ModRM.reg names a general register. */
const G_IN_REG = new Set(['MovmskpsGdUps', 'MovmskpdGdUpd', 'PmovmskbGdUdq', 'PextrwGdUdqIb', 'MovntiMyGy', 'Cvtss2siGyWss', 'Cvtsd2siGyWsd']);
/** Handlers whose ModRM.r/m register operand is a general register. */
const G_IN_RM = new Set(['MovdVdqEy', 'MovdEyVdq', 'PinsrwVdqEwIb', 'Cvtsi2ssVssEy', 'Cvtsi2sdVsdEy']);
/** Handlers whose memory operand need not be 16-byte aligned (scalar, 64-bit, or unaligned moves). */
const UNALIGNED_OK = new Set([
  'MovupsVpsWps', 'MovupsWpsVps', 'MovssVssWss', 'MovssWssVss', 'MovsdVsdWsd', 'MovsdWsdVsd',
  'MovlpsVqMq', 'MovhpsVqMq', 'MovlpsMqVq', 'MovhpsMqVq', 'MovdVdqEy', 'MovdEyVdq', 'MovqVqWq', 'MovqWqVq',
  'MovntiMyGy', 'PinsrwVdqEwIb', 'SseArithVssWss', 'SseArithVsdWsd', 'CmpssVssWssIb', 'CmpsdVsdWsdIb',
  'UcomissVssWss', 'UcomisdVsdWsd', 'Cvtsi2ssVssEy', 'Cvtsi2sdVsdEy', 'Cvtss2siGyWss', 'Cvtsd2siGyWsd',
  'Cvtss2sdVsdWss', 'Cvtsd2ssVssWsd', 'Cvtps2pdVpdWps', 'Cvtdq2pdVpdWq',
]);
const GPR_CHOICES = [0, 1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15]; // not rsp, not rdi (the base)

interface Form { reg: number; rm: number | null; disp: number; imm: number; w: boolean }

function encode(row: OpcodeRow, f: Form): Uint8Array {
  const out: number[] = [];
  if (row.prefix === '66') out.push(0x66);
  else if (row.prefix === 'f3') out.push(0xf3);
  else if (row.prefix === 'f2') out.push(0xf2);
  const reg = row.reg ?? f.reg;
  const rex = 0x40 | (f.w ? 8 : 0) | (reg & 8 ? 4 : 0) | (f.rm !== null && f.rm & 8 ? 1 : 0);
  if (rex !== 0x40) out.push(rex);
  out.push(0x0f, row.op);
  if (f.rm === null) out.push(0x47 | ((reg & 7) << 3), f.disp & 0xff); // [rdi + disp8]
  else out.push(0xc0 | ((reg & 7) << 3) | (f.rm & 7));
  if (row.imm === 'Ib') out.push(f.imm & 0xff);
  return Uint8Array.from(out);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Case { row: OpcodeRow; code: Uint8Array; state: Uint8Array }

/** Rows the random differential test covers (the 0F AE group is tested by hand). */
const diffRows = () => SSE_ROWS.filter((r) => r.op !== 0xae);

function makeCases(row: OpcodeRow, n: number, r: Rng): Case[] {
  const cases: Case[] = [];
  const flavor = flavorOf(row);
  for (let i = 0; i < n; i++) {
    const state = new Uint8Array(STATE_SIZE);
    const dv = new DataView(state.buffer);
    for (let x = 0; x < 16; x++) fillXmm(r, flavor, state, S_XMM + 16 * x);
    // Some operands close to another register's, for cancellation and equal compares.
    for (let x = 0; x < 16; x++) if (r.chance(0.3)) fillXmm(r, flavor, state, S_XMM + 16 * x, state, S_XMM + 16 * r.int(16));
    for (let k = 0; k < 4; k++) fillXmm(r, flavor, state, S_MEM + 16 * k, r.chance(0.3) ? state : undefined, S_XMM + 16 * r.int(16));
    const rc = r.int(4);
    let mxcsr = 0x1f80 | (rc << 13);
    if (r.chance(0.2)) mxcsr |= 0x8000; // FTZ
    if (r.chance(0.2)) mxcsr |= 0x40; // DAZ
    if (r.chance(0.2)) mxcsr |= r.int(64); // sticky flags already set
    dv.setUint32(S_MXCSR, mxcsr, true);
    dv.setBigUint64(S_FLAGS, BigInt(0x202 | (r.int(256) & 0xd5)), true);
    for (let g = 0; g < 16; g++) dv.setBigUint64(S_GPR + 8 * g, randGpr(r), true);
    dv.setBigUint64(S_GPR + 8 * 7, BigInt(DATA), true);
    dv.setBigUint64(S_GPR + 8 * 4, 0n, true);

    const regIsG = G_IN_REG.has(row.handler);
    const rmIsG = G_IN_RM.has(row.handler);
    const useMem = row.mod === 'mem' || (row.mod !== 'reg' && r.chance(0.35));
    const reg = regIsG ? r.pick(GPR_CHOICES) : r.int(16);
    const rm = useMem ? null : rmIsG ? r.pick(GPR_CHOICES) : r.int(16);
    const disp = UNALIGNED_OK.has(row.handler) ? r.int(49) : 16 * r.int(4);
    let imm = r.int(256);
    if (row.handler.startsWith('Cmp')) imm = r.chance(0.9) ? r.int(8) : imm; // predicates 0..7
    if (row.handler === 'PshiftUdqIb' && r.chance(0.7)) imm = r.int(20);
    // Shift counts from a register: keep most of them small.
    if (/^ps[lr]/.test(row.mnemonic) && row.handler === 'PintVdqWdq' && r.chance(0.7)) {
      const at = rm === null ? S_MEM + disp : S_XMM + 16 * rm;
      dv.setBigUint64(at, BigInt(r.int(70)), true);
    }
    const w = row.size === 'v' ? r.chance(0.5) : false;
    const code = encode(row, { reg, rm, disp, imm, w });
    cases.push({ row, code, state });
  }
  return cases;
}

// ---- the two sides ------------------------------------------------------------------------------

let workDir = '';
let runnerPath = '';

function buildRunner(): string {
  workDir = mkdtempSync(join(tmpdir(), 'rseqlab-sse-'));
  const src = join(workDir, 'runner.c');
  writeFileSync(src, RUNNER_C);
  const exe = join(workDir, 'runner');
  const r = spawnSync(process.env.CC || 'gcc', ['-O2', '-o', exe, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot build the SSE host runner with gcc: ${r.stderr || r.error?.message}`);
  return exe;
}

function runHost(cases: Case[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const CHUNK = 40_000; // keeps the runner's input and output well under V8's string limit
  for (let at = 0; at < cases.length; at += CHUNK) {
    const part = cases.slice(at, at + CHUNK);
    const input = part.map((c) => `${hex(c.code)} ${hex(c.state)}\n`).join('');
    const r = spawnSync(runnerPath, [], { input, maxBuffer: 1 << 30, encoding: 'latin1' });
    if (r.status !== 0) throw new Error(`the SSE host runner failed (status ${r.status}, signal ${r.signal}): ${r.stderr}`);
    const lines = r.stdout.split('\n').filter((l) => l.length > 0);
    if (lines.length !== part.length) throw new Error(`host runner returned ${lines.length} results for ${part.length} cases`);
    for (const l of lines) out.push(Uint8Array.from(Buffer.from(l, 'hex')));
  }
  return out;
}

class Emu {
  constructor(readonly cpu: Cpu, readonly ctx: CpuContext) {}

  static async create(): Promise<Emu> {
    const cpu = await createCpu();
    cpu.map(CODE, 4096, PROT_READ | PROT_EXEC);
    cpu.map(DATA, 4096, PROT_READ | PROT_WRITE);
    return new Emu(cpu, cpu.createContext());
  }

  /** Runs one instruction from a state record; returns the record after it and the stop reason. */
  run(code: Uint8Array, state: Uint8Array): { out: Uint8Array; reason: StopReason } {
    const { cpu, ctx } = this;
    const dv = new DataView(state.buffer, state.byteOffset);
    cpu.write(CODE, code);
    const memSize = state.length - S_MEM;
    cpu.write(DATA, new Uint8Array(4096));
    cpu.write(DATA, state.subarray(S_MEM));
    ctx.xmm.set(state.subarray(S_XMM, S_XMM + 256));
    ctx.mxcsr = dv.getUint32(S_MXCSR, true);
    ctx.rflags = dv.getBigUint64(S_FLAGS, true);
    for (let g = 0; g < 16; g++) ctx.gpr[g] = dv.getBigUint64(S_GPR + 8 * g, true);
    ctx.rip = BigInt(CODE);
    const stop = cpu.run(ctx, 1);
    const out = new Uint8Array(state.length);
    const o = new DataView(out.buffer);
    out.set(ctx.xmm, S_XMM);
    o.setUint32(S_MXCSR, ctx.mxcsr, true);
    o.setBigUint64(S_FLAGS, ctx.rflags, true);
    for (let g = 0; g < 16; g++) o.setBigUint64(S_GPR + 8 * g, ctx.gpr[g], true);
    out.set(cpu.read(DATA, memSize), S_MEM);
    return { out, reason: stop.reason };
  }
}

/** A readable account of how two state records differ, or '' when they agree. */
function diffStates(before: Uint8Array, host: Uint8Array, emu: Uint8Array): string {
  const h = new DataView(host.buffer, host.byteOffset);
  const e = new DataView(emu.buffer, emu.byteOffset);
  const b = new DataView(before.buffer, before.byteOffset);
  const lines: string[] = [];
  for (let x = 0; x < 16; x++) {
    const at = S_XMM + 16 * x;
    if (hex(host.subarray(at, at + 16)) !== hex(emu.subarray(at, at + 16))) {
      lines.push(`xmm${x}: before ${hex(before.subarray(at, at + 16))} host ${hex(host.subarray(at, at + 16))} emu ${hex(emu.subarray(at, at + 16))}`);
    }
  }
  if (h.getUint32(S_MXCSR, true) !== e.getUint32(S_MXCSR, true)) {
    lines.push(`mxcsr: before ${b.getUint32(S_MXCSR, true).toString(16)} host ${h.getUint32(S_MXCSR, true).toString(16)} emu ${e.getUint32(S_MXCSR, true).toString(16)}`);
  }
  const hf = h.getBigUint64(S_FLAGS, true) & FLAG_MASK;
  const ef = e.getBigUint64(S_FLAGS, true) & FLAG_MASK;
  if (hf !== ef) lines.push(`rflags: host ${hf.toString(16)} emu ${ef.toString(16)}`);
  for (let g = 0; g < 16; g++) {
    if (g === 4) continue;
    const hv = h.getBigUint64(S_GPR + 8 * g, true);
    const ev = e.getBigUint64(S_GPR + 8 * g, true);
    if (hv !== ev) lines.push(`gpr${g}: before ${b.getBigUint64(S_GPR + 8 * g, true).toString(16)} host ${hv.toString(16)} emu ${ev.toString(16)}`);
  }
  if (hex(host.subarray(S_MEM)) !== hex(emu.subarray(S_MEM))) {
    lines.push(`memory: before ${hex(before.subarray(S_MEM))}\n  host ${hex(host.subarray(S_MEM))}\n  emu  ${hex(emu.subarray(S_MEM))}`);
  }
  return lines.join('\n  ');
}

// ---- tests -------------------------------------------------------------------------------------------

let emu: Emu;

beforeAll(async () => {
  emu = await Emu.create();
});

/** A state record with the given xmm registers (16-byte hex strings, by index) and defaults elsewhere. */
function stateWith(xmm: Record<number, string>, mxcsr = 0x1f80): Uint8Array {
  const s = new Uint8Array(STATE_SIZE);
  const dv = new DataView(s.buffer);
  for (const [k, v] of Object.entries(xmm)) s.set(Buffer.from(v, 'hex'), S_XMM + 16 * Number(k));
  dv.setUint32(S_MXCSR, mxcsr, true);
  dv.setBigUint64(S_FLAGS, 0x202n, true);
  dv.setBigUint64(S_GPR + 8 * 7, BigInt(DATA), true);
  return s;
}
const xmmHex = (s: Uint8Array, n: number) => hex(s.subarray(S_XMM + 16 * n, S_XMM + 16 * n + 16));

describe('SSE by hand', () => {
  it('movdqa/movaps raise #GP on a misaligned operand and change nothing; movdqu does not', () => {
    const st = stateWith({ 1: '00112233445566778899aabbccddeeff' });
    new DataView(st.buffer).setBigUint64(S_GPR + 8 * 7, BigInt(DATA + 8), true);
    for (const code of ['660f6f0f', '0f280f', '660f7f0f', '0f290f', '660fef0f' /* pxor xmm1, [rdi] */]) {
      const { out, reason } = emu.run(Buffer.from(code, 'hex'), st);
      expect(reason, code).toBe(StopReason.GeneralProtection);
      expect(xmmHex(out, 1)).toBe('00112233445566778899aabbccddeeff');
      expect(emu.ctx.rip).toBe(BigInt(CODE));
    }
    const { out, reason } = emu.run(Buffer.from('f30f7f0f', 'hex'), st); // movdqu [rdi], xmm1
    expect(reason).toBe(StopReason.Budget);
    expect(hex(out.subarray(S_MEM + 8, S_MEM + 24))).toBe('00112233445566778899aabbccddeeff');
  });

  it('a 16-byte store that crosses into an unmapped page faults without writing anything', async () => {
    const e = await Emu.create();
    const st = stateWith({ 2: 'ffffffffffffffffffffffffffffffff' });
    new DataView(st.buffer).setBigUint64(S_GPR + 8 * 7, BigInt(DATA + 4096 - 8), true);
    e.cpu.write(DATA + 4096 - 8, new Uint8Array(8));
    const { reason } = e.run(Buffer.from('f30f7f17', 'hex'), st); // movdqu [rdi], xmm2
    expect(reason).toBe(StopReason.PageFault);
    expect(hex(e.cpu.read(DATA + 4096 - 8, 8))).toBe('0000000000000000');
  });

  it('movss/movsd merge with a register source and zero the rest with a memory source', () => {
    const st = stateWith({ 1: '11111111111111111111111111111111', 2: '22222222222222222222222222222222' });
    st.set(Buffer.from('aabbccdd', 'hex'), S_MEM);
    let { out } = emu.run(Buffer.from('f30f10ca', 'hex'), st); // movss xmm1, xmm2
    expect(xmmHex(out, 1)).toBe('22222222111111111111111111111111');
    ({ out } = emu.run(Buffer.from('f30f100f', 'hex'), st)); // movss xmm1, [rdi]
    expect(xmmHex(out, 1)).toBe('aabbccdd000000000000000000000000');
    ({ out } = emu.run(Buffer.from('f20f10ca', 'hex'), st)); // movsd xmm1, xmm2
    expect(xmmHex(out, 1)).toBe('22222222222222221111111111111111');
  });

  it('pcmpeqb + pmovmskb find a zero byte (the core of strlen)', () => {
    const st = stateWith({ 1: '68656c6c6f00776f726c640000000000', 2: '00000000000000000000000000000000' });
    const code = Buffer.from('660f74d1' + '660fd7c2', 'hex'); // pcmpeqb xmm2, xmm1; pmovmskb eax, xmm2
    const { cpu, ctx } = emu;
    cpu.write(CODE, code);
    ctx.xmm.set(st.subarray(0, 256));
    ctx.rip = BigInt(CODE);
    ctx.gpr[0] = 0xdeadbeefdeadbeefn;
    expect(cpu.run(ctx, 2).reason).toBe(StopReason.Budget);
    expect(ctx.gpr[0]).toBe(0xf820n);
  });

});

describe('SSE state instructions (0F AE)', () => {
  const withRdi = (st: Uint8Array, addr: number) => {
    new DataView(st.buffer).setBigUint64(S_GPR + 8 * 7, BigInt(addr), true);
    return st;
  };

  it('ldmxcsr loads MXCSR, stmxcsr stores it, reserved bits are #GP', () => {
    const st = stateWith({});
    new DataView(st.buffer).setUint32(S_MEM, 0xffbf, true);
    let { out, reason } = emu.run(Buffer.from('0fae17', 'hex'), st); // ldmxcsr [rdi]
    expect(reason).toBe(StopReason.Budget);
    expect(emu.ctx.mxcsr).toBe(0xffbf);
    ({ out, reason } = emu.run(Buffer.from('0fae5f04', 'hex'), st)); // stmxcsr [rdi+4]
    expect(new DataView(out.buffer).getUint32(S_MEM + 4, true)).toBe(0x1f80);
    new DataView(st.buffer).setUint32(S_MEM, 0x11f80, true);
    ({ out, reason } = emu.run(Buffer.from('0fae17', 'hex'), st));
    expect(reason).toBe(StopReason.GeneralProtection);
    expect(emu.ctx.mxcsr).toBe(0x1f80);
  });

  it('fences are no-ops and clflush checks its address', async () => {
    const st = stateWith({});
    for (const code of ['0faee8', '0faef0', '0faef8', '0fae3f']) {
      expect(emu.run(Buffer.from(code, 'hex'), st).reason, code).toBe(StopReason.Budget);
    }
    expect(emu.run(Buffer.from('0fae3f', 'hex'), withRdi(stateWith({}), 0x5000_0000)).reason).toBe(StopReason.PageFault);
  });

  it('fxsave stores the Table 10-2 layout and fxrstor restores it; misalignment is #GP', async () => {
    const e = await Emu.create();
    const { cpu, ctx } = e;
    const code = Buffer.from('0fae07' + '0fae0f', 'hex'); // fxsave [rdi]; fxrstor [rdi]
    cpu.write(CODE, code);
    for (let i = 0; i < 256; i++) ctx.xmm[i] = i;
    ctx.mxcsr = 0x9fc0;
    // x87: control word, TOP = 6, physical registers 6 and 7 valid (st0, st1).
    const base = (ctx as unknown as { ptr: number }).ptr;
    const mem = new DataView((cpu as unknown as { x: { memory: WebAssembly.Memory } }).x.memory.buffer);
    mem.setUint16(base + 172, 0x27f, true);
    mem.setUint16(base + 174, 6 << 11, true);
    mem.setUint16(base + 176, 0xc0, true);
    for (let p = 0; p < 8; p++) for (let k = 0; k < 10; k++) mem.setUint8(base + 512 + 16 * p + k, 0x10 * p + k);
    ctx.gpr[7] = BigInt(DATA);
    ctx.rip = BigInt(CODE);
    cpu.write(DATA, new Uint8Array(512).fill(0xee));
    expect(cpu.run(ctx, 1).reason).toBe(StopReason.Budget);
    const img = cpu.read(DATA, 512);
    const dv = new DataView(img.buffer);
    expect(dv.getUint16(0, true)).toBe(0x27f);
    expect(dv.getUint16(2, true)).toBe(6 << 11);
    expect(img[4]).toBe(0xc0);
    expect(dv.getUint32(24, true)).toBe(0x9fc0);
    expect(dv.getUint32(28, true)).toBe(0xffff);
    expect(hex(img.subarray(32, 48))).toBe('60616263646566676869000000000000'); // st0 = physical 6
    expect(hex(img.subarray(48, 58))).toBe('70717273747576777879'); // st1 = physical 7
    expect(hex(img.subarray(64, 74))).toBe('00010203040506070809'); // st2 = physical 0
    expect([...img.subarray(160, 416)]).toEqual([...ctx.xmm]);
    expect(img[416]).toBe(0xee); // the reserved area is not written
    // Change everything, then fxrstor.
    ctx.xmm.fill(0);
    ctx.mxcsr = 0x1f80;
    mem.setUint16(base + 174, 0, true);
    for (let p = 0; p < 8; p++) for (let k = 0; k < 10; k++) mem.setUint8(base + 512 + 16 * p + k, 0);
    expect(cpu.run(ctx, 1).reason).toBe(StopReason.Budget);
    expect(ctx.mxcsr).toBe(0x9fc0);
    expect(ctx.xmm[255]).toBe(255);
    expect(mem.getUint16(base + 174, true)).toBe(6 << 11);
    expect(mem.getUint8(base + 512 + 16 * 6)).toBe(0x60);
    // A reserved MXCSR bit in the image is #GP, and nothing is restored.
    cpu.write(DATA + 24, Uint8Array.of(0x80, 0x1f, 0x01, 0x00));
    ctx.mxcsr = 0x1f80;
    ctx.rip = BigInt(CODE + 3);
    expect(cpu.run(ctx, 1).reason).toBe(StopReason.GeneralProtection);
    expect(ctx.mxcsr).toBe(0x1f80);
    ctx.gpr[7] = BigInt(DATA + 8);
    ctx.rip = BigInt(CODE);
    expect(cpu.run(ctx, 1).reason).toBe(StopReason.GeneralProtection);
  });

  it('an unmasked exception sets its MXCSR flag, leaves the destination and stops with #XM', () => {
    // divss xmm0, xmm1 with 1/0 and ZM clear.
    const st = stateWith({ 0: '0000803f000000000000000000000000', 1: '00000000000000000000000000000000' }, 0x1f80 & ~0x200);
    const { out, reason } = emu.run(Buffer.from('f30f5ec1', 'hex'), st);
    expect(reason).toBe(StopReason.SimdException);
    expect(emu.ctx.rip).toBe(BigInt(CODE));
    expect(xmmHex(out, 0)).toBe('0000803f000000000000000000000000');
    expect(new DataView(out.buffer).getUint32(S_MXCSR, true)).toBe(0x1d84);
  });
});

describe('SSE state instructions against the host CPU', () => {
  it('fxsave, ldmxcsr and stmxcsr agree with the host', () => {
    runnerPath ||= buildRunner();
    const r = new Rng(77);
    const cases: Case[] = [];
    const fx = SSE_ROWS.find((x) => x.mnemonic === 'fxsave')!;
    for (let i = 0; i < 40; i++) {
      const st = new Uint8Array(S_MEM + 512);
      const dv = new DataView(st.buffer);
      for (let x = 0; x < 16; x++) fillXmm(r, 'f64', st, S_XMM + 16 * x);
      dv.setUint32(S_MXCSR, 0x1f80 | (r.int(4) << 13) | r.int(64) | (r.chance(0.5) ? 0x8040 : 0), true);
      dv.setBigUint64(S_FLAGS, 0x202n, true);
      dv.setBigUint64(S_GPR + 8 * 7, BigInt(DATA), true);
      const valid = (r.u32() & 0xffff) | 0x1f80; // any rounding/FTZ/DAZ, flags; exceptions stay masked
      dv.setUint32(S_MEM + 64, valid, true);
      const code = [encode(fx, { reg: 0, rm: null, disp: 0, imm: 0, w: r.chance(0.5) }), Buffer.from('0fae5f40', 'hex') /* ldmxcsr [rdi+64] */, Buffer.from('0fae5f44', 'hex') /* stmxcsr [rdi+68] */];
      cases.push({ row: fx, code: code[i % 3], state: st });
    }
    const host = runHost(cases);
    cases.forEach((c, i) => {
      const { out, reason } = emu.run(c.code, c.state);
      expect(reason).toBe(StopReason.Budget);
      const h = host[i].slice();
      const o = out.slice();
      if (i % 3 === 0) {
        // fxsave: MXCSR_MASK is the host's own (AMD sets bit 17 MM), and FOP/FIP/FDP
        // hold whatever x87 instruction the host ran last; this CPU stores zeros.
        for (const [a, b] of [[6, 24], [28, 32]]) { h.fill(0, S_MEM + a, S_MEM + b); o.fill(0, S_MEM + a, S_MEM + b); }
      }
      expect(diffStates(c.state, h, o), hex(c.code)).toBe('');
    });
  });
});

describe('SSE against the host CPU', () => {
  const CASES_PER_ROW = Number(process.env.SSE_CASES ?? 300);
  const rows = diffRows();
  const results = new Map<OpcodeRow, { cases: Case[]; host: Uint8Array[] }>();

  beforeAll(() => {
    runnerPath = buildRunner();
    const r = new Rng(0x5eed55e);
    const all = rows.map((row) => makeCases(row, CASES_PER_ROW, r));
    const host = runHost(all.flat());
    let at = 0;
    rows.forEach((row, i) => {
      results.set(row, { cases: all[i], host: host.slice(at, at + all[i].length) });
      at += all[i].length;
    });
  });

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const label = (row: OpcodeRow) => `${row.mnemonic} (${row.prefix} 0f ${row.op.toString(16)}${row.reg !== undefined ? ' /' + row.reg : ''}${row.mod ? ' ' + row.mod : ''})`;

  it.each(rows.map((row) => [label(row), row] as const))('%s', (_, row) => {
    const { cases, host } = results.get(row)!;
    // The comparison means something only if the instruction did something.
    const changed = cases.filter((c, i) => hex(c.state) !== hex(host[i])).length;
    expect(changed, 'cases where the host state changed').toBeGreaterThan(cases.length * 0.5);
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i];
      const { out, reason } = emu.run(c.code, c.state);
      const d = reason === StopReason.Budget ? diffStates(c.state, host[i], out) : `stopped with ${StopReason[reason]}`;
      if (d) failures.push(`${hex(c.code)} (mxcsr ${new DataView(c.state.buffer).getUint32(S_MXCSR, true).toString(16)}):\n  ${d}`);
    }
    expect(failures.length, `${failures.length} of ${cases.length} cases differ:\n${failures.slice(0, 5).join('\n\n')}`).toBe(0);
  });

  it('the random operands reach every MXCSR exception in every rounding mode', () => {
    // Exception flags the host raised, per rounding mode, over the floating-point rows.
    const names = ['IE', 'DE', 'ZE', 'OE', 'UE', 'PE'];
    const seen = new Map<string, number>();
    let total = 0;
    for (const [row, { cases, host }] of results) {
      if (flavorOf(row) === 'int' && !row.mnemonic.startsWith('cvt')) continue;
      cases.forEach((c, i) => {
        const before = new DataView(c.state.buffer).getUint32(S_MXCSR, true);
        const after = new DataView(host[i].buffer).getUint32(S_MXCSR, true);
        const gained = after & ~before & 0x3f;
        const rc = ['RN', 'RD', 'RU', 'RZ'][(before >> 13) & 3];
        const mode = `${rc}${before & 0x8000 ? '+FTZ' : ''}`;
        total++;
        names.forEach((n, b) => {
          if (gained & (1 << b)) seen.set(`${n} ${mode}`, (seen.get(`${n} ${mode}`) ?? 0) + 1);
        });
      });
    }
    console.log(`SSE differential: ${[...results.values()].reduce((n, r) => n + r.cases.length, 0)} cases, ${total} floating-point; host flags raised: ` +
      [...seen].sort().map(([k, n]) => `${k}=${n}`).join(' '));
    for (const rc of ['RN', 'RD', 'RU', 'RZ']) {
      for (const n of names) expect(seen.get(`${n} ${rc}`) ?? 0, `${n} under ${rc}`).toBeGreaterThan(0);
      expect(seen.get(`UE ${rc}+FTZ`) ?? 0, `UE under ${rc} with FTZ`).toBeGreaterThan(0);
    }
  });
});
