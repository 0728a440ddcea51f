// Write watches (Cpu.setWriteWatches, StopReason.WriteWatch): a guest store
// writing a watched byte stops the run right after its instruction, with
// the first watched byte and the instruction's address; stores next to the
// range, reads and kernel-side writes do not. The ranges are laid out as
// the read-only fields of an rseq area (bytes [0, 8) and [20, 28) of a
// 32-byte struct) in a page that other stores hit all the time.

import { beforeEach, describe, expect, it } from 'vitest';
import {
  createCpu, PROT_EXEC, PROT_READ, PROT_WRITE, Reg, StopReason, WasmCpu, type Cpu, type CpuContext, type StopInfo,
} from '../../emulator/index.js';

const PAGE = 4096;
const CODE = 0x400000;
const DATA = 0x600000; // two pages
const STACK_TOP = 0x800000;
const RW = PROT_READ | PROT_WRITE;
const RWX = RW | PROT_EXEC;
/** The rseq area: watched bytes [RSEQ, RSEQ+8) and [RSEQ+20, RSEQ+28). */
const RSEQ = DATA + 0x800;
const RSEQ_WATCHES = [{ address: RSEQ, length: 8 }, { address: RSEQ + 20, length: 8 }];

const NOP = [0x90];
const HLT = [0xf4];
const MOV_M64_RAX = [0x48, 0x89, 0x07]; //          mov [rdi], rax
const MOV_M64_DISP1_RAX = [0x48, 0x89, 0x47, 0x01]; // mov [rdi+1], rax
const MOV_M8_AL = [0x88, 0x07]; //                  mov [rdi], al
const MOV_RAX_M64 = [0x48, 0x8b, 0x07]; //          mov rax, [rdi]

let cpu: Cpu;
let ctx: CpuContext;

beforeEach(async () => {
  cpu = await createCpu();
  ctx = cpu.createContext();
  cpu.map(CODE, 2 * PAGE, RWX);
  cpu.map(DATA, 2 * PAGE, RW);
  cpu.map(STACK_TOP - PAGE, PAGE, RW);
  ctx.gpr[Reg.RSP] = BigInt(STACK_TOP);
});

/** Loads code at CODE, sets rip there and rdi to `rdi`. */
function load(code: number[], rdi = RSEQ): void {
  cpu.write(CODE, Uint8Array.from(code));
  ctx.rip = BigInt(CODE);
  ctx.gpr[Reg.RDI] = BigInt(rdi);
}

function run(max = 10_000): StopInfo {
  return cpu.run(ctx, max);
}

/** Expects a WriteWatch stop after the instruction at CODE+insnAt, whose successor is at CODE+nextAt. */
function expectWatch(s: StopInfo, watchAddress: number, insnAt: number, nextAt: number, retired: number): void {
  expect(s).toMatchObject({ reason: StopReason.WriteWatch, retired, watchAddress, watchRip: BigInt(CODE + insnAt) });
  expect(ctx.rip).toBe(BigInt(CODE + nextAt));
}

describe('a store into a watched range', () => {
  beforeEach(() => cpu.setWriteWatches(RSEQ_WATCHES));

  it('stops after the store retires: rip is the next instruction, the write happened, retired counts it', () => {
    load([...NOP, ...MOV_M64_RAX, ...NOP, ...HLT]);
    ctx.gpr[Reg.RAX] = 0x1122334455667788n;
    const before = ctx.retired;
    const s = run();
    expectWatch(s, RSEQ, 1, 4, 2);
    expect(cpu.readU64(RSEQ)).toBe(0x1122334455667788n);
    expect(ctx.retired - before).toBe(2n);
    // Going on: nothing left to report, the run ends at the hlt.
    const t = run();
    expect(t).toMatchObject({ reason: StopReason.Hlt, retired: 1 });
    expect(t.watchAddress).toBeUndefined();
    expect(t.watchRip).toBeUndefined();
    expect(ctx.rip).toBe(BigInt(CODE + 5));
  });

  it('the second range, its last byte, and a byte store', () => {
    load([...MOV_M8_AL, ...HLT], RSEQ + 27);
    expectWatch(run(), RSEQ + 27, 0, 2, 1);
    load([...MOV_M8_AL, ...HLT], RSEQ + 7);
    expectWatch(run(), RSEQ + 7, 0, 2, 1);
    load([...MOV_M64_RAX, ...HLT], RSEQ + 16); // bytes 16..23: the first watched one is 20
    expectWatch(run(), RSEQ + 20, 0, 3, 1);
  });

  it('a store ending one byte before, or starting one byte after, a range does not stop', () => {
    for (const at of [RSEQ - 8, RSEQ + 8, RSEQ + 12, RSEQ + 28]) {
      load([...MOV_M64_RAX, ...HLT], at);
      ctx.gpr[Reg.RAX] = BigInt(at);
      const s = run();
      expect(s.reason).toBe(StopReason.Hlt);
      expect(s.watchAddress).toBeUndefined();
      expect(cpu.readU64(at)).toBe(BigInt(at));
    }
    for (const at of [RSEQ - 1, RSEQ + 8, RSEQ + 19, RSEQ + 28]) {
      load([...MOV_M8_AL, ...HLT], at);
      expect(run().reason).toBe(StopReason.Hlt);
    }
  });

  it('a misaligned 8-byte store straddling the start of a range names the range start', () => {
    load([...MOV_M64_DISP1_RAX, ...HLT], RSEQ - 4); // bytes RSEQ-3 .. RSEQ+4
    ctx.gpr[Reg.RAX] = 0x0807060504030201n;
    expectWatch(run(), RSEQ, 0, 4, 1);
    expect([...cpu.read(RSEQ - 3, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('reads of watched bytes do not stop', () => {
    cpu.writeU64(RSEQ, 42n);
    load([...MOV_RAX_M64, ...HLT]);
    expect(run().reason).toBe(StopReason.Hlt);
    expect(ctx.gpr[Reg.RAX]).toBe(42n);
  });

  it('kernel-side writes never stop, and do not disturb the next guest store', () => {
    cpu.write(RSEQ, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    cpu.writeU64(RSEQ + 20, 7n);
    cpu.writeU32(RSEQ + 4, 9);
    load([...MOV_M64_RAX, ...HLT], RSEQ + 8);
    expect(run().reason).toBe(StopReason.Hlt);
    load([...MOV_M64_RAX, ...HLT], RSEQ);
    expectWatch(run(), RSEQ, 0, 3, 1);
  });

  it('WriteWatch wins over a budget that ends at the same instruction', () => {
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(cpu.run(ctx, 1), RSEQ, 0, 3, 1);
  });

  it('many stores into the watched page around the ranges run to the end; the first hit stops', () => {
    // rcx = 1000: mov [rdi-8], rax; mov [rdi+8], rax; mov [rdi+12], rax; mov [rdi+28], rax; dec ecx; jnz; then mov [rdi], rax
    const loop = [
      0x48, 0x89, 0x47, 0xf8, 0x48, 0x89, 0x47, 0x08, 0x48, 0x89, 0x47, 0x0c, 0x48, 0x89, 0x47, 0x1c,
      0xff, 0xc9, 0x75, 0xec,
    ];
    load([...loop, ...MOV_M64_RAX, ...HLT]);
    ctx.gpr[Reg.RCX] = 1000n;
    ctx.gpr[Reg.RAX] = 5n;
    expectWatch(run(1e6), RSEQ, 20, 23, 6 * 1000 + 1);
    expect(cpu.readU64(RSEQ + 28)).toBe(5n);
  });
});

describe('every kind of guest store', () => {
  beforeEach(() => cpu.setWriteWatches(RSEQ_WATCHES));

  it('push and call stop after retiring; a call stops at its target', () => {
    cpu.setWriteWatches([{ address: STACK_TOP - 12, length: 1 }]);
    // push rax (writes STACK_TOP-8..-1), push rax (-16..-9), nop, hlt
    load([0x50, 0x50, ...NOP, ...HLT]);
    ctx.gpr[Reg.RAX] = 0xabn;
    expectWatch(run(), STACK_TOP - 12, 1, 2, 2);
    expect(ctx.gpr[Reg.RSP]).toBe(BigInt(STACK_TOP - 16));
    // call +1 (pushes CODE+5 at STACK_TOP-8), hlt, target: hlt
    ctx.gpr[Reg.RSP] = BigInt(STACK_TOP);
    cpu.setWriteWatches([{ address: STACK_TOP - 1, length: 1 }]);
    load([0xe8, 0x01, 0x00, 0x00, 0x00, ...HLT, ...HLT]);
    expectWatch(run(), STACK_TOP - 1, 0, 6, 1);
    expect(cpu.readU64(STACK_TOP - 8)).toBe(BigInt(CODE + 5));
  });

  it('rep stosb across both ranges completes every iteration, then stops: the first watched byte written is named', () => {
    load([0xf3, 0xaa, ...NOP, ...HLT], RSEQ - 16); // rep stosb
    ctx.gpr[Reg.RCX] = 64n;
    ctx.gpr[Reg.RAX] = 0xabn;
    expectWatch(run(), RSEQ, 0, 2, 1);
    expect(ctx.gpr[Reg.RCX]).toBe(0n);
    expect(ctx.gpr[Reg.RDI]).toBe(BigInt(RSEQ + 48));
    expect(cpu.read(RSEQ - 16, 64).every((b) => b === 0xab)).toBe(true);
    // Downwards (std): the first watched byte written is the highest of the second range.
    load([0xfd, 0xf3, 0xaa, 0xfc, ...HLT], RSEQ + 0x20); // std; rep stosb; cld
    ctx.gpr[Reg.RCX] = 0x30n;
    ctx.gpr[Reg.RAX] = 0xcdn;
    expectWatch(run(), RSEQ + 27, 1, 3, 2);
    expect(ctx.gpr[Reg.RCX]).toBe(0n);
    expect(cpu.read(RSEQ - 0xf, 0x30).every((b) => b === 0xcd)).toBe(true);
  });

  it('a rep stosb that faults after writing a watched byte stops with the fault, naming the watch too', () => {
    cpu.setWriteWatches([{ address: DATA + 2 * PAGE - 8, length: 4 }]);
    load([0xf3, 0xaa, ...HLT], DATA + 2 * PAGE - 16); // runs into the unmapped page after DATA
    ctx.gpr[Reg.RCX] = 32n;
    const s = run();
    expect(s).toMatchObject({
      reason: StopReason.PageFault, retired: 0, faultAddress: DATA + 2 * PAGE, faultAccess: 'write',
      watchAddress: DATA + 2 * PAGE - 8, watchRip: BigInt(CODE),
    });
    expect(ctx.rip).toBe(BigInt(CODE)); // not retired; the finished iterations stay
    expect(ctx.gpr[Reg.RCX]).toBe(16n);
  });

  it('lock cmpxchg stops whether or not the comparison succeeds (the destination is written back)', () => {
    cpu.writeU64(RSEQ, 5n);
    load([0xf0, 0x48, 0x0f, 0xb1, 0x0f, ...HLT]); // lock cmpxchg [rdi], rcx
    ctx.gpr[Reg.RAX] = 5n;
    ctx.gpr[Reg.RCX] = 6n;
    expectWatch(run(), RSEQ, 0, 5, 1);
    expect(cpu.readU64(RSEQ)).toBe(6n);
    load([0xf0, 0x48, 0x0f, 0xb1, 0x0f, ...HLT]);
    ctx.gpr[Reg.RAX] = 5n; // memory holds 6 now: fails
    expectWatch(run(), RSEQ, 0, 5, 1);
    expect(cpu.readU64(RSEQ)).toBe(6n);
    expect(ctx.gpr[Reg.RAX]).toBe(6n);
  });

  it('movdqu over the start of the second range', () => {
    load([0xf3, 0x0f, 0x7f, 0x07, ...HLT], RSEQ + 16); // movdqu [rdi], xmm0: bytes 16..31
    ctx.xmm.set(Array.from({ length: 16 }, (_, i) => i + 1));
    expectWatch(run(), RSEQ + 20, 0, 4, 1);
    expect([...cpu.read(RSEQ + 16, 16)]).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });

  it('a page-crossing store hitting the range on its second page; one missing it does not stop', () => {
    cpu.setWriteWatches([{ address: DATA + PAGE + 2, length: 1 }]);
    load([...MOV_M64_RAX, ...HLT], DATA + PAGE - 4);
    ctx.gpr[Reg.RAX] = 0x0807060504030201n;
    expectWatch(run(), DATA + PAGE + 2, 0, 3, 1);
    expect([...cpu.read(DATA + PAGE - 4, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    load([...MOV_M64_RAX, ...HLT], DATA + PAGE - 6); // ends at DATA+PAGE+1
    expect(run().reason).toBe(StopReason.Hlt);
    // And a watch on the first page, the store crossing into a page without one.
    cpu.setWriteWatches([{ address: DATA + PAGE - 1, length: 1 }]);
    load([...MOV_M64_RAX, ...HLT], DATA + PAGE - 4);
    expectWatch(run(), DATA + PAGE - 1, 0, 3, 1);
  });

  it('a range spanning two pages is watched on both, up to its exact ends', () => {
    cpu.setWriteWatches([{ address: DATA + PAGE - 4, length: 8 }]);
    for (const [at, hit] of [[DATA + PAGE - 5, false], [DATA + PAGE - 4, true], [DATA + PAGE - 1, true], [DATA + PAGE, true], [DATA + PAGE + 3, true], [DATA + PAGE + 4, false]] as const) {
      load([...MOV_M8_AL, ...HLT], at);
      const s = run();
      if (hit) expectWatch(s, at, 0, 2, 1);
      else expect(s.reason).toBe(StopReason.Hlt);
    }
  });

  // Each: code (rdi = RSEQ + rdiOffset unless said), the watched byte expected.
  const cases: { name: string; code: number[]; rdi?: number; setup?: () => void; watch: number; insnAt?: number }[] = [
    { name: 'add [rdi], 1 (read-modify-write)', code: [0x48, 0x83, 0x07, 0x01], watch: RSEQ },
    { name: 'lock xadd [rdi], eax', code: [0xf0, 0x0f, 0xc1, 0x07], rdi: RSEQ + 18, watch: RSEQ + 20 },
    { name: 'xchg [rdi], rax', code: [0x48, 0x87, 0x07], rdi: RSEQ + 4, watch: RSEQ + 4 },
    { name: 'stosq', code: [0x48, 0xab], rdi: RSEQ + 24, watch: RSEQ + 24 },
    {
      name: 'movsb', code: [0xa4], rdi: RSEQ + 3, watch: RSEQ + 3,
      setup: () => { ctx.gpr[Reg.RSI] = BigInt(DATA); },
    },
    {
      name: 'rep movsb', code: [0xf3, 0xa4], rdi: RSEQ + 8, watch: RSEQ + 20,
      setup: () => { ctx.gpr[Reg.RSI] = BigInt(DATA); ctx.gpr[Reg.RCX] = 40n; },
    },
    {
      name: 'mov fs:[0x10], eax (TLS)', code: [0x64, 0x89, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00], watch: RSEQ + 20,
      setup: () => { ctx.fsBase = BigInt(RSEQ + 4); },
    },
    { name: 'movq [rdi], xmm0', code: [0x66, 0x0f, 0xd6, 0x07], rdi: RSEQ + 14, watch: RSEQ + 20 },
    { name: 'movaps [rdi], xmm0', code: [0x0f, 0x29, 0x07], rdi: RSEQ + 16, watch: RSEQ + 20 },
    { name: 'cmpxchg16b [rdi]', code: [0x48, 0x0f, 0xc7, 0x0f], rdi: RSEQ, watch: RSEQ },
    { name: 'fxsave [rdi] (watch in the ST0 save area)', code: [0x0f, 0xae, 0x07], rdi: RSEQ - 0x20, watch: RSEQ },
    { name: 'fxsave [rdi] (watch in XMM0 save area)', code: [0x0f, 0xae, 0x07], rdi: RSEQ - 0xa0, watch: RSEQ },
    { name: 'fld1; fstp qword [rdi]', code: [0xd9, 0xe8, 0xdd, 0x1f], rdi: RSEQ + 14, watch: RSEQ + 20, insnAt: 2 },
    { name: 'fld1; fistp dword [rdi]', code: [0xd9, 0xe8, 0xdb, 0x1f], rdi: RSEQ + 4, watch: RSEQ + 4, insnAt: 2 },
    { name: 'stmxcsr [rdi]', code: [0x0f, 0xae, 0x1f], rdi: RSEQ + 6, watch: RSEQ + 6 },
    { name: 'sete [rdi]', code: [0x0f, 0x94, 0x07], rdi: RSEQ + 21, watch: RSEQ + 21 },
    { name: 'pop [rdi]', code: [0x8f, 0x07], rdi: RSEQ + 1, watch: RSEQ + 1, setup: () => { ctx.gpr[Reg.RSP] = BigInt(STACK_TOP - 8); } },
  ];

  for (const c of cases) {
    it(c.name, () => {
      cpu.write(RSEQ - 0x200, new Uint8Array(0x400));
      load([...c.code, ...HLT], c.rdi ?? RSEQ);
      c.setup?.();
      const insnAt = c.insnAt ?? 0;
      expectWatch(run(), c.watch, insnAt, c.code.length, insnAt === 0 ? 1 : 2);
    });
  }
});

describe('changing the watches', () => {
  it('without watches the same stores run through (fast path); a page already in the write TLB is watched once the list says so', () => {
    load([...MOV_M64_RAX, ...HLT]);
    expect(run().reason).toBe(StopReason.Hlt); // the page is in the write TLB now
    cpu.setWriteWatches(RSEQ_WATCHES);
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(run(), RSEQ, 0, 3, 1);
  });

  it('an empty list turns watching off; a new list replaces the old one', () => {
    cpu.setWriteWatches(RSEQ_WATCHES);
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(run(), RSEQ, 0, 3, 1);
    cpu.setWriteWatches([]);
    load([...MOV_M64_RAX, ...HLT]);
    expect(run().reason).toBe(StopReason.Hlt);
    cpu.setWriteWatches([{ address: DATA + 0x100, length: 4 }]);
    load([...MOV_M64_RAX, ...HLT]);
    expect(run().reason).toBe(StopReason.Hlt); // RSEQ is no longer watched
    load([...MOV_M64_RAX, ...HLT], DATA + 0xfd);
    expectWatch(run(), DATA + 0x100, 0, 3, 1);
  });

  it('overlapping and touching ranges merge; 200 rseq areas of 32 bytes', () => {
    const w = cpu as WasmCpu;
    w.setWriteWatches([{ address: 100, length: 10 }, { address: 105, length: 10 }, { address: 115, length: 1 }, { address: 200, length: 1 }]);
    expect(w.writeWatchRangeCount()).toBe(2);
    const many = [];
    for (let t = 0; t < 200; t++) many.push({ address: DATA + t * 32, length: 8 }, { address: DATA + t * 32 + 20, length: 8 });
    w.setWriteWatches(many);
    expect(w.writeWatchRangeCount()).toBe(400);
    for (const t of [0, 1, 127, 199]) {
      load([...MOV_M8_AL, ...HLT], DATA + t * 32 + 27);
      expectWatch(run(), DATA + t * 32 + 27, 0, 2, 1);
      load([...MOV_M8_AL, ...HLT], DATA + t * 32 + 28);
      expect(run().reason).toBe(StopReason.Hlt);
    }
    w.setWriteWatches([]);
    expect(w.writeWatchRangeCount()).toBe(0);
  });

  it('bad ranges throw RangeError and change nothing', () => {
    cpu.setWriteWatches(RSEQ_WATCHES);
    for (const bad of [{ address: RSEQ, length: 0 }, { address: RSEQ, length: 4097 }, { address: -1, length: 1 }, { address: 1.5, length: 1 }]) {
      expect(() => cpu.setWriteWatches([bad])).toThrow(RangeError);
    }
    cpu.setWriteWatches([{ address: DATA, length: 4096 }]); // the largest range
    load([...MOV_M8_AL, ...HLT], DATA + 4095);
    expectWatch(run(), DATA + 4095, 0, 2, 1);
  });

  it('a store that modifies decoded code inside a watched range: the watch stop, then the new code runs', () => {
    // mov [rdi], al with al = hlt, rdi = the nop after it; then a nop that becomes hlt; then ud2
    cpu.setWriteWatches([{ address: CODE + 2, length: 1 }]);
    load([...MOV_M8_AL, ...NOP, 0x0f, 0x0b], CODE + 2);
    ctx.gpr[Reg.RAX] = 0xf4n;
    expectWatch(run(), CODE + 2, 0, 2, 1);
    expect(run()).toMatchObject({ reason: StopReason.Hlt, retired: 0 });
    expect(ctx.rip).toBe(BigInt(CODE + 2));
  });
});

describe('watches across address spaces, fork and snapshots', () => {
  beforeEach(() => cpu.setWriteWatches(RSEQ_WATCHES));

  it('are global: after useAddressSpace, in a forked child, and back in the parent', () => {
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(run(), RSEQ, 0, 3, 1);
    const parent = cpu.currentAddressSpace();
    const child = cpu.forkAddressSpace(parent); // the parent's pages become copy-on-write
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(run(), RSEQ, 0, 3, 1);
    cpu.useAddressSpace(child);
    ctx.gpr[Reg.RAX] = 77n;
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(run(), RSEQ, 0, 3, 1);
    expect(cpu.readU64(RSEQ)).toBe(77n);
    load([...MOV_M64_RAX, ...HLT], RSEQ + 8);
    expect(run().reason).toBe(StopReason.Hlt);
    cpu.useAddressSpace(parent);
    expect(cpu.readU64(RSEQ)).not.toBe(77n);
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(run(), RSEQ, 0, 3, 1);
  });

  it('hold in a fresh address space where the same address is mapped, and not for a shared alias at another address', () => {
    const other = cpu.createAddressSpace();
    cpu.useAddressSpace(other);
    cpu.map(CODE, PAGE, RWX);
    const obj = cpu.createSharedObject(1);
    cpu.mapShared(DATA, PAGE, RW, obj, 0);
    cpu.mapShared(DATA + 0x10000, PAGE, RW, obj, 0);
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(run(), RSEQ, 0, 3, 1);
    load([...MOV_M64_RAX, ...HLT], RSEQ + 0x10000); // the same frame through the alias
    ctx.gpr[Reg.RAX] = 9n;
    expect(run().reason).toBe(StopReason.Hlt);
    expect(cpu.readU64(RSEQ)).toBe(9n);
  });

  it('survive snapshotMemory and restoreMemory (which neither save nor change them)', () => {
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(run(), RSEQ, 0, 3, 1); // the page is filed in the TLB as watched
    const snap = cpu.snapshotMemory();
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(run(), RSEQ, 0, 3, 1);
    cpu.restoreMemory(snap);
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(run(), RSEQ, 0, 3, 1);
    cpu.setWriteWatches([]);
    cpu.restoreMemory(snap);
    load([...MOV_M64_RAX, ...HLT]);
    expect(run().reason).toBe(StopReason.Hlt);
    cpu.setWriteWatches(RSEQ_WATCHES);
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(run(), RSEQ, 0, 3, 1);
  });

  it('survive map, protect and unmap of the watched page (TLB flushes)', () => {
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(run(), RSEQ, 0, 3, 1);
    cpu.protect(DATA, PAGE, PROT_READ);
    load([...MOV_M64_RAX, ...HLT]);
    const s = run();
    expect(s).toMatchObject({ reason: StopReason.PageFault, faultAddress: RSEQ, faultAccess: 'write' });
    expect(s.watchAddress).toBeUndefined();
    cpu.protect(DATA, PAGE, RW);
    expectWatch(run(), RSEQ, 0, 3, 1);
    cpu.unmap(DATA, PAGE);
    cpu.map(DATA, PAGE, RW);
    load([...MOV_M64_RAX, ...HLT]);
    expectWatch(run(), RSEQ, 0, 3, 1);
  });
});
