// Memory snapshots (Cpu.snapshotMemory / restoreMemory / releaseSnapshot) on
// the real wasm CPU: everything guest memory holds comes back byte for byte,
// mapping for mapping, across every kind of change; restoring thousands of
// times does not leak frames; the decode cache never runs code from after
// the snapshot. The semantics that need no instructions also run against
// the test fake, so both keep one contract. Timings are printed (not
// asserted) by the last describe block.

import { beforeEach, describe, expect, it } from 'vitest';
import {
  createCpu, OutOfMemoryError, PROT_EXEC, PROT_READ, PROT_WRITE, Reg, StopReason, WasmCpu, type Cpu, type CpuContext,
} from '../../emulator/index.js';
import { FakeCpu } from '../kernel-model/fake-cpu.js';

const PAGE = 4096;
const CODE = 0x400000;
const DATA = 0x600000;
const SHARED = 0x700000;
const HEAP = 0x10000000;
const RW = PROT_READ | PROT_WRITE;
const RX = PROT_READ | PROT_EXEC;

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

// mov eax, imm32; syscall
const movEaxSyscall = (imm: number) => [0xb8, imm & 0xff, (imm >> 8) & 0xff, (imm >> 16) & 0xff, (imm >>> 24) & 0xff, 0x0f, 0x05];
// mov rax, imm64; mov [rdi], rax; syscall
const storeRaxAtRdi = (imm: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, imm, true);
  return [0x48, 0xb8, ...b, 0x48, 0x89, 0x07, 0x0f, 0x05];
};
/** xor ecx,ecx; L: mov [rdi+rcx*8],rcx; inc ecx; cmp ecx,n; jne L; syscall — 4n + 2 instructions, n*8 bytes written. */
const fillLoop = (n: number) => [
  0x31, 0xc9, 0x48, 0x89, 0x0c, 0xcf, 0xff, 0xc1, 0x81, 0xf9, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff, 0x75, 0xf2, 0x0f, 0x05,
];

/** Page numbers of [base, base + pages*PAGE) with their protection and bytes (null when unmapped), in the current address space. */
function pagesOf(cpu: Cpu, base: number, pages: number): { prot: number; bytes: Uint8Array | null }[] {
  const out = [];
  for (let p = 0; p < pages; p++) {
    const a = base + p * PAGE;
    const prot = cpu.pageProt(a);
    let bytes: Uint8Array | null = null;
    if (prot >= 0) {
      try { bytes = cpu.read(a, PAGE); } catch { bytes = null; } // a shared page beyond its object's size
    }
    out.push({ prot, bytes });
  }
  return out;
}

const REGIONS: [number, number][] = [[CODE, 4], [DATA, 8], [SHARED, 6], [HEAP, 4]];

/** Everything observable about guest memory in the listed address spaces and objects. */
function dump(cpu: Cpu, spaces: number[], objects: [number, number][]) {
  const cur = cpu.currentAddressSpace();
  const out: Record<string, unknown> = { current: cur };
  for (const s of spaces) {
    cpu.useAddressSpace(s);
    out[`space ${s}`] = REGIONS.map(([b, n]) => pagesOf(cpu, b, n));
  }
  cpu.useAddressSpace(cur);
  for (const [o, pages] of objects) out[`object ${o}`] = cpu.readShared(o, 0, pages * PAGE);
  return out;
}

const implementations: [string, () => Promise<Cpu>][] = [
  ['wasm CPU', () => createCpu()],
  ['test fake', async () => new FakeCpu()],
];

describe.each(implementations)('memory snapshots (%s)', (_name, make) => {
  let cpu: Cpu;
  beforeEach(async () => {
    cpu = await make();
  });

  /** A machine with something of everything: touched and untouched pages, protections, a fork, an object mapped twice. */
  function populate() {
    const a = cpu.currentAddressSpace();
    cpu.map(DATA, 8 * PAGE, RW);
    cpu.write(DATA, text('data page 0'));
    cpu.write(DATA + 3 * PAGE + 100, text('data page 3'));
    cpu.protect(DATA + 5 * PAGE, PAGE, PROT_READ);
    cpu.map(HEAP, 4 * PAGE, PROT_READ); // never touched
    const obj = cpu.createSharedObject(3);
    cpu.writeShared(obj, 10, text('object page 0'));
    cpu.mapShared(SHARED, 3 * PAGE, RW, obj, 0);
    cpu.mapShared(SHARED + 4 * PAGE, 2 * PAGE, PROT_READ, obj, 1); // the object twice
    cpu.write(SHARED + PAGE + 5, text('object page 1'));
    const released = cpu.createSharedObject(1); // lives on in a mapping only
    cpu.mapShared(HEAP + 3 * PAGE, PAGE, RW, released, 0);
    cpu.write(HEAP + 3 * PAGE, text('orphan'));
    cpu.releaseSharedObject(released);
    const b = cpu.forkAddressSpace(a);
    cpu.useAddressSpace(b);
    cpu.write(DATA + 100, text('child'));
    cpu.useAddressSpace(a);
    return { a, b, obj };
  }

  it('restores every byte, mapping and protection after every kind of change; later ids are gone', () => {
    const { a, b, obj } = populate();
    const before = dump(cpu, [a, b], [[obj, 3]]);
    const frames = cpu.framesInUse();
    const snap = cpu.snapshotMemory();
    const held = cpu.framesInUse();

    // Private writes, map, unmap, protect, in both address spaces.
    cpu.write(DATA + 8, text('changed'));
    cpu.write(DATA + 7 * PAGE, text('touched now'));
    cpu.map(DATA + 2 * PAGE, PAGE, PROT_EXEC);
    cpu.unmap(DATA + 3 * PAGE, PAGE);
    cpu.protect(DATA, PAGE, PROT_READ);
    cpu.write(HEAP, text('heap touched'));
    cpu.map(CODE, 2 * PAGE, RW);
    cpu.write(CODE, text('new mapping'));
    // Shared objects: written through a mapping and as a file, resized, released; new ones.
    cpu.write(SHARED + 4 * PAGE, text('through the second mapping'));
    cpu.writeShared(obj, 2 * PAGE, text('object page 2'));
    cpu.write(HEAP + 3 * PAGE, text('ORPHAN'));
    cpu.resizeSharedObject(obj, 1);
    const newObj = cpu.createSharedObject(2);
    cpu.writeShared(newObj, 0, text('new object'));
    cpu.mapShared(HEAP, PAGE, RW, newObj, 0);
    cpu.useAddressSpace(b);
    cpu.write(DATA, text('child again'));
    cpu.unmap(SHARED, 6 * PAGE);
    // New address spaces, one current.
    const c = cpu.forkAddressSpace(b);
    const d = cpu.createAddressSpace();
    cpu.useAddressSpace(c);
    cpu.write(DATA, text('grandchild'));
    cpu.releaseSharedObject(obj);

    cpu.restoreMemory(snap);
    expect(cpu.currentAddressSpace()).toBe(a);
    expect(dump(cpu, [a, b], [[obj, 3]])).toEqual(before);
    expect(cpu.framesInUse()).toBe(held);
    // Created after the snapshot: no such ids any more.
    expect(() => cpu.useAddressSpace(c)).toThrow(/no address space/);
    expect(() => cpu.useAddressSpace(d)).toThrow(/no address space/);
    expect(() => cpu.readShared(newObj, 0, 1)).toThrow();
    // The released object is still unusable by id and still alive in its mapping.
    expect(str(cpu.read(HEAP + 3 * PAGE, 6))).toBe('orphan');

    // Sharing is back: the object's two mappings and the object itself see one page.
    cpu.write(SHARED + PAGE, text('one frame'));
    expect(str(cpu.read(SHARED + 4 * PAGE, 9))).toBe('one frame');
    expect(str(cpu.readShared(obj, PAGE, 9))).toBe('one frame');
    cpu.useAddressSpace(b);
    expect(str(cpu.read(SHARED + PAGE, 9))).toBe('one frame');
    cpu.useAddressSpace(a);

    // Ids are handed out again as they were after the snapshot.
    expect(cpu.createAddressSpace()).toBe(c);
    expect(cpu.createSharedObject(1)).toBe(newObj);

    cpu.releaseSnapshot(snap);
    expect(() => cpu.restoreMemory(snap)).toThrow(/snapshot/);
    expect(() => cpu.releaseSnapshot(snap)).toThrow(/snapshot/);
    if (cpu instanceof WasmCpu) expect(cpu.framesInUse()).toBeLessThanOrEqual(frames + 2);
  });

  it('two snapshots restore each to its own state, in any order, repeatedly', () => {
    const { a, b, obj } = populate();
    const s1 = cpu.snapshotMemory();
    const d1 = dump(cpu, [a, b], [[obj, 3]]);
    cpu.write(DATA, text('second state'));
    cpu.writeShared(obj, 0, text('second object'));
    cpu.unmap(DATA + PAGE, PAGE);
    const s2 = cpu.snapshotMemory();
    const d2 = dump(cpu, [a, b], [[obj, 3]]);
    cpu.write(DATA, text('third state'));
    for (const [s, d] of [[s1, d1], [s2, d2], [s2, d2], [s1, d1], [s2, d2]] as const) {
      cpu.restoreMemory(s);
      expect(dump(cpu, [a, b], [[obj, 3]])).toEqual(d);
      cpu.write(DATA, text('scribble'));
      cpu.writeShared(obj, 0, text('scribble'));
    }
    cpu.releaseSnapshot(s1);
    cpu.restoreMemory(s2);
    expect(dump(cpu, [a, b], [[obj, 3]])).toEqual(d2);
  });

  it('a snapshot taken while a shared object is mapped twice keeps its bytes however the mappings are written', () => {
    const obj = cpu.createSharedObject(2);
    cpu.mapShared(SHARED, 2 * PAGE, RW, obj, 0);
    cpu.mapShared(SHARED + 8 * PAGE, 2 * PAGE, RW, obj, 0);
    cpu.write(SHARED, text('first'));
    const snap = cpu.snapshotMemory();
    cpu.write(SHARED + 8 * PAGE, text('FIRST'));
    cpu.write(SHARED + 9 * PAGE, text('second page')); // untouched at the snapshot
    expect(str(cpu.read(SHARED, 5))).toBe('FIRST');
    for (let i = 0; i < 3; i++) {
      cpu.restoreMemory(snap);
      expect(str(cpu.read(SHARED, 5))).toBe('first');
      expect(str(cpu.read(SHARED + 8 * PAGE, 5))).toBe('first');
      expect(cpu.read(SHARED + PAGE, 11)).toEqual(new Uint8Array(11));
      expect(cpu.readShared(obj, PAGE, 11)).toEqual(new Uint8Array(11));
      cpu.write(SHARED + 8 * PAGE + PAGE, text('late write'));
      expect(str(cpu.read(SHARED + PAGE, 10))).toBe('late write');
      expect(str(cpu.readShared(obj, PAGE, 10))).toBe('late write');
      cpu.write(SHARED + 8 * PAGE, text('again'));
      expect(str(cpu.read(SHARED, 5))).toBe('again');
    }
  });

  it('copy-on-write between a forked pair keeps working after a restore, both ways', () => {
    cpu.map(DATA, 2 * PAGE, RW);
    cpu.write(DATA, text('shared before fork'));
    const parent = cpu.currentAddressSpace();
    const child = cpu.forkAddressSpace(parent);
    const snap = cpu.snapshotMemory();
    for (let i = 0; i < 3; i++) {
      cpu.useAddressSpace(parent);
      cpu.write(DATA, text('parent writes'));
      cpu.useAddressSpace(child);
      expect(str(cpu.read(DATA, 18))).toBe('shared before fork');
      cpu.write(DATA + PAGE, text('child page 1'));
      cpu.useAddressSpace(parent);
      expect(cpu.read(DATA + PAGE, 12)).toEqual(new Uint8Array(12));
      cpu.restoreMemory(snap);
      expect(cpu.currentAddressSpace()).toBe(parent);
      expect(str(cpu.read(DATA, 18))).toBe('shared before fork');
      cpu.useAddressSpace(child);
      expect(str(cpu.read(DATA, 18))).toBe('shared before fork');
      expect(cpu.read(DATA + PAGE, 12)).toEqual(new Uint8Array(12));
      cpu.write(DATA, text('child first now'));
      cpu.useAddressSpace(parent);
      expect(str(cpu.read(DATA, 18))).toBe('shared before fork');
      cpu.restoreMemory(snap);
    }
  });

  it('the frame limit counts live memory only: a restored run meets it where the original did', () => {
    cpu.map(DATA, 4 * PAGE, RW);
    cpu.write(DATA, text('x'));
    cpu.write(DATA + PAGE, text('y'));
    const live = cpu.framesInUse();
    cpu.setFrameLimit(live);
    const snap = cpu.snapshotMemory();
    for (let i = 0; i < 3; i++) {
      // Writing pages the snapshot shares copies them, but needs no more live frames than without it.
      cpu.write(DATA, text('X'));
      cpu.write(DATA + PAGE, text('Y'));
      expect(str(cpu.read(DATA, 1))).toBe('X');
      cpu.setFrameLimit(live + 1);
      cpu.write(DATA + 2 * PAGE, text('one more page fits'));
      expect(() => cpu.write(DATA + 3 * PAGE, text('this one does not'))).toThrow(OutOfMemoryError);
      cpu.restoreMemory(snap);
      expect(str(cpu.read(DATA, 1))).toBe('x');
      cpu.setFrameLimit(live);
    }
    cpu.setFrameLimit(Infinity);
  });
});

// ---- the wasm CPU only: running code, leaks, decode cache, timings ---------------

describe('memory snapshots with code running (wasm CPU)', () => {
  let cpu: WasmCpu;
  let ctx: CpuContext;
  beforeEach(async () => {
    cpu = (await createCpu()) as WasmCpu;
    ctx = cpu.createContext();
  });

  function runAt(rip: number, max = 100_000) {
    ctx.rip = BigInt(rip);
    return cpu.run(ctx, max);
  }

  it('guest writes, including to pages untouched at the snapshot, are undone', () => {
    cpu.map(CODE, PAGE, RX);
    cpu.write(CODE, Uint8Array.from(fillLoop(2500)));
    cpu.map(DATA, 8 * PAGE, RW);
    cpu.write(DATA + 8, text('before'));
    const snap = cpu.snapshotMemory();
    const frames = cpu.framesInUse();
    ctx.gpr[Reg.RDI] = BigInt(DATA);
    const stop = runAt(CODE);
    expect(stop.reason).toBe(StopReason.Syscall);
    expect(stop.retired).toBe(4 * 2500 + 2);
    expect(cpu.readU64(DATA + 8 * 2499)).toBe(2499n);
    cpu.restoreMemory(snap);
    expect(str(cpu.read(DATA + 8, 6))).toBe('before');
    expect(cpu.read(DATA + PAGE, 5 * PAGE)).toEqual(new Uint8Array(5 * PAGE));
    expect(cpu.framesInUse()).toBe(frames);
  });

  it('restoring 1000 times with writes in between keeps framesInUse stable', () => {
    cpu.map(CODE, PAGE, RX);
    cpu.write(CODE, Uint8Array.from(fillLoop(600)));
    cpu.map(DATA, 64 * PAGE, RW);
    cpu.write(DATA, text('start'));
    const obj = cpu.createSharedObject(2);
    cpu.mapShared(SHARED, 2 * PAGE, RW, obj, 0);
    cpu.write(SHARED, text('shared'));
    const snap = cpu.snapshotMemory();
    const frames = cpu.framesInUse();
    const nodes = cpu.pageTableBytes();
    for (let i = 0; i < 1000; i++) {
      cpu.restoreMemory(snap);
      expect(cpu.framesInUse()).toBe(frames);
      ctx.gpr[Reg.RDI] = BigInt(DATA + (i % 8) * PAGE);
      expect(runAt(CODE).reason).toBe(StopReason.Syscall);
      cpu.write(SHARED + 8, text(`round ${i}`));
      cpu.writeShared(obj, PAGE, text('second page'));
      const child = cpu.forkAddressSpace(cpu.currentAddressSpace());
      cpu.useAddressSpace(child);
      cpu.write(DATA + 60 * PAGE, text('child'));
      const o = cpu.createSharedObject(1);
      cpu.mapShared(HEAP, PAGE, RW, o, 0);
      cpu.write(HEAP, text('new object'));
      cpu.map(HEAP + 16 * PAGE, 1024 * PAGE, RW);
      cpu.write(HEAP + 16 * PAGE, text('new mapping'));
    }
    cpu.restoreMemory(snap);
    expect(cpu.framesInUse()).toBe(frames);
    expect(cpu.pageTableBytes()).toBe(nodes);
    expect(str(cpu.read(DATA, 5))).toBe('start');
    expect(str(cpu.read(SHARED, 6))).toBe('shared');
    cpu.releaseSnapshot(snap);
    // The live side is all that is left: private pages and the object's frames.
    expect(cpu.framesInUse()).toBe(cpu.liveFramesInUse());
  });

  it('decode cache: code written after the snapshot runs, and after restoring the old code runs', () => {
    cpu.map(CODE, 2 * PAGE, RX);
    cpu.write(CODE, Uint8Array.from(movEaxSyscall(1)));
    expect(runAt(CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(1n);
    const snap = cpu.snapshotMemory();
    for (let i = 0; i < 3; i++) {
      // Kernel-side write of other code at the same address (a copy-on-write copy of a code page).
      cpu.write(CODE, Uint8Array.from(movEaxSyscall(2)));
      expect(runAt(CODE).reason).toBe(StopReason.Syscall);
      expect(ctx.gpr[Reg.RAX]).toBe(2n);
      cpu.restoreMemory(snap);
      expect(runAt(CODE).reason).toBe(StopReason.Syscall);
      expect(ctx.gpr[Reg.RAX]).toBe(1n);
    }
    // Guest code writing code: a writable code page the guest patches, then runs.
    cpu.protect(CODE, 2 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
    const snap2 = cpu.snapshotMemory();
    const patch = new DataView(new Uint8Array(movEaxSyscall(3).concat([0, 0, 0, 0, 0, 0, 0, 0, 0])).buffer).getBigUint64(0, true);
    cpu.write(CODE + PAGE, Uint8Array.from(storeRaxAtRdi(patch)));
    ctx.gpr[Reg.RDI] = BigInt(CODE);
    expect(runAt(CODE + PAGE).reason).toBe(StopReason.Syscall);
    expect(runAt(CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(3n);
    cpu.restoreMemory(snap2);
    expect(runAt(CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(1n);
    // A page mapped and run after the snapshot, gone after the restore, mapped again with other code.
    cpu.map(DATA, PAGE, RX);
    cpu.write(DATA, Uint8Array.from(movEaxSyscall(4)));
    expect(runAt(DATA).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(4n);
    cpu.restoreMemory(snap2);
    expect(runAt(DATA).reason).toBe(StopReason.PageFault);
    cpu.map(DATA, PAGE, RX);
    cpu.write(DATA, Uint8Array.from(movEaxSyscall(5)));
    expect(runAt(DATA).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(5n);
  });

  it('decode cache: code first run after a snapshot is decoded once for all restores, and never stands in for changed code', () => {
    cpu.map(CODE, 2 * PAGE, RX);
    cpu.write(CODE, Uint8Array.from(movEaxSyscall(1)));
    cpu.write(CODE + PAGE, Uint8Array.from(movEaxSyscall(11)));
    const snap = cpu.snapshotMemory();
    const runs = (rip: number, rax: bigint) => {
      expect(runAt(rip).reason).toBe(StopReason.Syscall);
      expect(ctx.gpr[Reg.RAX]).toBe(rax);
    };
    cpu.restoreMemory(snap);
    runs(CODE, 1n);
    const decoded = cpu.blocksDecoded();
    for (let i = 0; i < 5; i++) {
      cpu.restoreMemory(snap);
      runs(CODE, 1n);
    }
    expect(cpu.blocksDecoded()).toBe(decoded);
    // A kernel-side write before the first run of that code (a copy of the page no snapshot holds).
    cpu.restoreMemory(snap);
    cpu.write(CODE + PAGE, Uint8Array.from(movEaxSyscall(12)));
    runs(CODE + PAGE, 12n);
    cpu.restoreMemory(snap);
    runs(CODE + PAGE, 11n);
    // Made writable, patched, made executable again.
    cpu.restoreMemory(snap);
    cpu.protect(CODE + PAGE, PAGE, RW);
    cpu.write(CODE + PAGE, Uint8Array.from(movEaxSyscall(13)));
    cpu.protect(CODE + PAGE, PAGE, RX);
    runs(CODE + PAGE, 13n);
    cpu.restoreMemory(snap);
    runs(CODE + PAGE, 11n);
    // Unmapped and mapped again with other code.
    cpu.restoreMemory(snap);
    cpu.unmap(CODE + PAGE, PAGE);
    cpu.map(CODE + PAGE, PAGE, RX);
    cpu.write(CODE + PAGE, Uint8Array.from(movEaxSyscall(14)));
    runs(CODE + PAGE, 14n);
    cpu.restoreMemory(snap);
    runs(CODE + PAGE, 11n);
    // A forked child patching its copy.
    cpu.restoreMemory(snap);
    const child = cpu.forkAddressSpace(cpu.currentAddressSpace());
    cpu.useAddressSpace(child);
    cpu.write(CODE, Uint8Array.from(movEaxSyscall(15)));
    runs(CODE, 15n);
    cpu.restoreMemory(snap);
    runs(CODE, 1n);
    runs(CODE + PAGE, 11n);
  });

  it('decode cache: code of a forked child and of a shared object after restores', () => {
    const obj = cpu.createSharedObject(1);
    cpu.writeShared(obj, 0, Uint8Array.from(movEaxSyscall(7)));
    cpu.mapShared(CODE, PAGE, RX, obj, 0);
    const parent = cpu.currentAddressSpace();
    expect(runAt(CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(7n);
    const snap = cpu.snapshotMemory();
    cpu.writeShared(obj, 0, Uint8Array.from(movEaxSyscall(8))); // in place: every mapping sees it
    expect(runAt(CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(8n);
    const child = cpu.forkAddressSpace(parent);
    cpu.useAddressSpace(child);
    expect(runAt(CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(8n);
    cpu.restoreMemory(snap);
    expect(runAt(CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(7n);
    // The restored object is written in place again, and the code follows.
    cpu.writeShared(obj, 0, Uint8Array.from(movEaxSyscall(9)));
    expect(runAt(CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(9n);
  });

  it('a snapshot of the OutOfMemory frame limit edge restores and runs deterministically', () => {
    cpu.map(CODE, PAGE, RX);
    cpu.write(CODE, Uint8Array.from(fillLoop(2048))); // 16 KiB: 4 fresh pages
    cpu.map(DATA, 8 * PAGE, RW);
    cpu.setFrameLimit(cpu.liveFramesInUse() + 2);
    const snap = cpu.snapshotMemory();
    for (let i = 0; i < 3; i++) {
      ctx.gpr[Reg.RDI] = BigInt(DATA);
      const stop = runAt(CODE);
      expect(stop.reason).toBe(StopReason.OutOfMemory);
      expect(stop.faultAddress).toBe(DATA + 2 * PAGE);
      cpu.restoreMemory(snap);
    }
  });
});

describe('memory snapshot timings (wasm CPU; printed, not asserted)', () => {
  it('snapshot and restore of 1,000 / 10,000 / 100,000 mapped pages; restore + 10,000 instructions + restore', async () => {
    const lines: string[] = [];
    const time = (n: number, f: () => void) => {
      f(); // warm
      const t0 = performance.now();
      for (let i = 0; i < n; i++) f();
      return ((performance.now() - t0) / n) * 1000; // microseconds
    };
    for (const pages of [1_000, 10_000, 100_000]) {
      const cpu = (await createCpu()) as WasmCpu;
      cpu.map(HEAP, pages * PAGE, RW);
      const touched = Math.ceil(pages / 10);
      for (let p = 0; p < touched; p++) cpu.writeU32(HEAP + p * 10 * PAGE, p); // every tenth page touched
      const reps = pages >= 100_000 ? 20 : 200;
      const snapUs = time(reps, () => cpu.releaseSnapshot(cpu.snapshotMemory()));
      const snap = cpu.snapshotMemory();
      const restoreUs = time(reps, () => cpu.restoreMemory(snap));
      expect(cpu.readU32(HEAP + (touched - 1) * 10 * PAGE)).toBe(touched - 1);
      lines.push(`${pages} pages mapped (${touched} touched): snapshot ${snapUs.toFixed(1)} us (incl. release), restore ${restoreUs.toFixed(1)} us`);
    }
    const cpu = (await createCpu()) as WasmCpu;
    const ctx = cpu.createContext();
    cpu.map(CODE, PAGE, RX);
    cpu.write(CODE, Uint8Array.from(fillLoop(2500))); // 10,002 instructions, 5 pages written
    cpu.map(DATA, 64 * PAGE, RW);
    for (let p = 0; p < 64; p++) cpu.writeU32(DATA + p * PAGE, p);
    const snap = cpu.snapshotMemory();
    const frames = cpu.framesInUse();
    const cycleUs = time(2000, () => {
      cpu.restoreMemory(snap);
      ctx.rip = BigInt(CODE);
      ctx.gpr[Reg.RDI] = BigInt(DATA);
      if (cpu.run(ctx, 20_000).reason !== StopReason.Syscall) throw new Error('the loop did not finish');
    });
    cpu.restoreMemory(snap);
    expect(cpu.framesInUse()).toBe(frames);
    lines.push(`restore + 10,002-instruction run writing 5 of 64 touched pages: ${cycleUs.toFixed(1)} us per cycle`);
    // 10,000 blocks of one instruction (jmp to the next): decoded once before the snapshot, reused after every restore.
    const jumps = new Uint8Array(20_000 + 2);
    for (let i = 0; i < 20_000; i += 2) jumps.set([0xeb, 0x00], i);
    jumps.set([0x0f, 0x05], 20_000);
    cpu.map(HEAP, 8 * PAGE, RX);
    cpu.write(HEAP, jumps);
    const runJumps = () => {
      ctx.rip = BigInt(HEAP);
      if (cpu.run(ctx, 20_000).reason !== StopReason.Syscall) throw new Error('the jumps did not finish');
    };
    const t0 = performance.now();
    runJumps();
    const coldUs = (performance.now() - t0) * 1000;
    const warmUs = time(200, runJumps);
    const snap2 = cpu.snapshotMemory();
    const blocksUs = time(200, () => { cpu.restoreMemory(snap2); runJumps(); });
    lines.push(`10,000 one-jump blocks: first run (decoding) ${coldUs.toFixed(0)} us, warm run ${warmUs.toFixed(0)} us, restore + run ${blocksUs.toFixed(0)} us (blocks from before the snapshot reused)`);
    console.log(lines.join('\n'));
  }, 120_000);
});
