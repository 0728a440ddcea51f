// Address spaces, copy-on-write fork, shared objects, memory accounting and
// exhaustion, and the register-file helpers for signal frames and clone()
// (emulator/api.ts), on the real wasm CPU. The memory semantics that do not
// need instructions run against the test fake too, so both keep one contract.

import { beforeEach, describe, expect, it } from 'vitest';
import {
  createCpu, MemoryError, OutOfMemoryError, PROT_EXEC, PROT_READ, PROT_WRITE, Reg, StopReason, WasmCpu, type Cpu, type CpuContext,
} from '../../emulator/index.js';
import { FakeCpu } from '../kernel-model/fake-cpu.js';

const PAGE = 4096;
const CODE = 0x400000;
const DATA = 0x600000;
const SHARED = 0x700000;
const RW = PROT_READ | PROT_WRITE;
const RWX = PROT_READ | PROT_WRITE | PROT_EXEC;

const bytes = (...b: number[]) => Uint8Array.from(b);
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

// mov eax, imm32; syscall
const movEaxSyscall = (imm: number) => [0xb8, imm & 0xff, (imm >> 8) & 0xff, (imm >> 16) & 0xff, (imm >>> 24) & 0xff, 0x0f, 0x05];

/** Runs ctx from rip until a stop other than the budget; returns the stop. */
function runAt(cpu: Cpu, ctx: CpuContext, rip: number, max = 1000) {
  ctx.rip = BigInt(rip);
  return cpu.run(ctx, max);
}

// ---- the memory contract, on the wasm CPU and on the test fake -----------------

const implementations: [string, () => Promise<Cpu>][] = [
  ['wasm CPU', () => createCpu()],
  ['test fake', async () => new FakeCpu()],
];

describe.each(implementations)('address spaces and shared objects (%s)', (_name, make) => {
  let cpu: Cpu;
  beforeEach(async () => {
    cpu = await make();
  });

  it('starts in one address space that existing code never has to name', () => {
    const id = cpu.currentAddressSpace();
    cpu.map(DATA, PAGE, RW);
    cpu.write(DATA, text('hello'));
    expect(str(cpu.read(DATA, 5))).toBe('hello');
    expect(cpu.currentAddressSpace()).toBe(id);
  });

  it('a new address space is empty and separate', () => {
    cpu.map(DATA, PAGE, RW);
    const parent = cpu.currentAddressSpace();
    const other = cpu.createAddressSpace();
    expect(other).not.toBe(parent);
    cpu.useAddressSpace(other);
    expect(cpu.pageProt(DATA)).toBe(-1);
    expect(() => cpu.read(DATA, 1)).toThrow(MemoryError);
    cpu.map(DATA, PAGE, PROT_READ);
    cpu.useAddressSpace(parent);
    expect(cpu.pageProt(DATA)).toBe(RW);
  });

  it('fork: the parent and the child see their own writes only, both ways', () => {
    cpu.map(DATA, 2 * PAGE, RW);
    cpu.write(DATA, text('before'));
    const parent = cpu.currentAddressSpace();
    const child = cpu.forkAddressSpace(parent);
    cpu.write(DATA, text('parent'));
    cpu.useAddressSpace(child);
    expect(str(cpu.read(DATA, 6))).toBe('before');
    cpu.write(DATA + 3, text('CHILD'));
    expect(str(cpu.read(DATA, 8))).toBe('befCHILD');
    cpu.useAddressSpace(parent);
    expect(str(cpu.read(DATA, 8))).toBe('parent\0\0');
    expect(cpu.pageProt(DATA)).toBe(RW);
  });

  it('fork keeps protections, and mappings changed afterwards stay per address space', () => {
    cpu.map(DATA, PAGE, PROT_READ);
    const child = cpu.forkAddressSpace(cpu.currentAddressSpace());
    cpu.unmap(DATA, PAGE);
    cpu.useAddressSpace(child);
    expect(cpu.pageProt(DATA)).toBe(PROT_READ);
  });

  it('a shared object is one set of pages: at two addresses and in a forked child', () => {
    const obj = cpu.createSharedObject(2);
    cpu.mapShared(SHARED, 2 * PAGE, RW, obj, 0);
    cpu.mapShared(SHARED + 0x10000, PAGE, PROT_READ, obj, 1);
    cpu.write(SHARED + PAGE + 8, text('seen twice'));
    expect(str(cpu.read(SHARED + 0x10000 + 8, 10))).toBe('seen twice');
    expect(str(cpu.readShared(obj, PAGE + 8, 10))).toBe('seen twice');
    const parent = cpu.currentAddressSpace();
    const child = cpu.forkAddressSpace(parent);
    cpu.useAddressSpace(child);
    cpu.write(SHARED + 16, text('from the child'));
    cpu.useAddressSpace(parent);
    expect(str(cpu.read(SHARED + 16, 14))).toBe('from the child');
    cpu.writeShared(obj, 100, text('memfd write'));
    cpu.useAddressSpace(child);
    expect(str(cpu.read(SHARED + 100, 11))).toBe('memfd write');
  });

  it('pages of a shared object not touched before fork are still shared after it', () => {
    const obj = cpu.createSharedObject(4);
    cpu.mapShared(SHARED, 4 * PAGE, RW, obj, 0);
    const parent = cpu.currentAddressSpace();
    const child = cpu.forkAddressSpace(parent);
    cpu.useAddressSpace(child);
    cpu.write(SHARED + 3 * PAGE, text('late'));
    cpu.useAddressSpace(parent);
    expect(str(cpu.read(SHARED + 3 * PAGE, 4))).toBe('late');
    // A third address space mapping it afresh sees it too.
    const other = cpu.createAddressSpace();
    cpu.useAddressSpace(other);
    cpu.mapShared(DATA, PAGE, PROT_READ, obj, 3);
    expect(str(cpu.read(DATA, 4))).toBe('late');
  });

  it('mapShared replaces what was mapped there, and map replaces a shared mapping', () => {
    const obj = cpu.createSharedObject(1);
    cpu.writeShared(obj, 0, text('object'));
    cpu.map(DATA, PAGE, RW);
    cpu.write(DATA, text('private'));
    cpu.mapShared(DATA, PAGE, RW, obj, 0);
    expect(str(cpu.read(DATA, 6))).toBe('object');
    cpu.map(DATA, PAGE, RW);
    expect(cpu.read(DATA, 6)).toEqual(new Uint8Array(6));
    expect(str(cpu.readShared(obj, 0, 6))).toBe('object');
  });

  it('ftruncate: untouched pages beyond the size fault, touched ones keep their bytes, growing adds zeros', () => {
    const obj = cpu.createSharedObject(3);
    cpu.mapShared(SHARED, 3 * PAGE, RW, obj, 0);
    cpu.write(SHARED + PAGE, text('kept'));
    cpu.resizeSharedObject(obj, 1);
    expect(str(cpu.read(SHARED + PAGE, 4))).toBe('kept');
    expect(() => cpu.read(SHARED + 2 * PAGE, 1)).toThrow(MemoryError);
    expect(() => cpu.readShared(obj, PAGE, 1)).toThrow(RangeError);
    cpu.resizeSharedObject(obj, 3);
    expect(cpu.readShared(obj, PAGE, 4)).toEqual(new Uint8Array(4));
    cpu.write(SHARED + 2 * PAGE, text('new'));
    expect(str(cpu.readShared(obj, 2 * PAGE, 3))).toBe('new');
  });

  it('a released object lives on in its mappings; its id is gone', () => {
    const obj = cpu.createSharedObject(2);
    cpu.mapShared(SHARED, 2 * PAGE, RW, obj, 0);
    cpu.write(SHARED, text('one'));
    cpu.releaseSharedObject(obj);
    expect(() => cpu.readShared(obj, 0, 1)).toThrow();
    const child = cpu.forkAddressSpace(cpu.currentAddressSpace());
    cpu.write(SHARED + PAGE, text('two')); // an untouched page of the released object
    cpu.useAddressSpace(child);
    expect(str(cpu.read(SHARED, 3))).toBe('one');
    expect(str(cpu.read(SHARED + PAGE, 3))).toBe('two');
  });

  it('destroying an address space frees its frames; the current one cannot be destroyed', () => {
    cpu.map(DATA, 4 * PAGE, RW);
    cpu.write(DATA, new Uint8Array(4 * PAGE).fill(1));
    const base = cpu.framesInUse();
    const parent = cpu.currentAddressSpace();
    const child = cpu.forkAddressSpace(parent);
    expect(cpu.framesInUse()).toBe(base);
    cpu.useAddressSpace(child);
    cpu.write(DATA, bytes(2));
    cpu.write(DATA + 2 * PAGE, bytes(2));
    expect(cpu.framesInUse()).toBe(base + 2);
    expect(() => cpu.destroyAddressSpace(child)).toThrow(/current/);
    cpu.useAddressSpace(parent);
    cpu.destroyAddressSpace(child);
    expect(cpu.framesInUse()).toBe(base);
    expect(() => cpu.useAddressSpace(child)).toThrow();
    expect(cpu.read(DATA, 1)[0]).toBe(1);
  });

  it('frames of a shared object go when the object and every mapping are gone', () => {
    const base = cpu.framesInUse();
    const obj = cpu.createSharedObject(2);
    cpu.writeShared(obj, 0, new Uint8Array(2 * PAGE).fill(7));
    expect(cpu.framesInUse()).toBe(base + 2);
    const other = cpu.createAddressSpace();
    const first = cpu.currentAddressSpace();
    cpu.useAddressSpace(other);
    cpu.mapShared(SHARED, 2 * PAGE, PROT_READ, obj, 0);
    expect(cpu.read(SHARED + PAGE, 1)[0]).toBe(7);
    cpu.releaseSharedObject(obj);
    expect(cpu.framesInUse()).toBe(base + 2);
    cpu.useAddressSpace(first);
    cpu.destroyAddressSpace(other);
    expect(cpu.framesInUse()).toBe(base);
  });

  it('fxsaveImage / fxrstorImage round-trip, and a reserved MXCSR bit is refused', () => {
    const ctx = cpu.createContext();
    const img = ctx.fxsaveImage();
    expect(img.length).toBe(512);
    const dv = new DataView(img.buffer);
    expect(dv.getUint16(0, true)).toBe(0x37f);
    expect(dv.getUint32(24, true)).toBe(0x1f80);
    expect(dv.getUint32(28, true)).toBe(0xffff);
    const mine = img.slice();
    const md = new DataView(mine.buffer);
    md.setUint32(24, 0x1f80 | 0x6000, true); // round toward zero
    mine.fill(0xab, 160, 176); // xmm0
    md.setUint16(2, 3 << 11, true); // TOP = 3
    mine.fill(0x5a, 32, 42); // ST(0)
    expect(ctx.fxrstorImage(mine)).toBe(true);
    expect(ctx.mxcsr).toBe(0x7f80);
    expect(ctx.xmm[0]).toBe(0xab);
    expect(ctx.fxsaveImage()).toEqual(mine);
    const bad = mine.slice();
    new DataView(bad.buffer).setUint32(24, 0x10000, true);
    expect(ctx.fxrstorImage(bad)).toBe(false);
    expect(ctx.fxsaveImage()).toEqual(mine);
  });

  it('copyContext copies the whole register file; a released context is unusable', () => {
    const a = cpu.createContext();
    a.gpr[Reg.R15] = 0x1234n;
    a.rip = 0x401000n;
    a.fsBase = 0x7000n;
    a.xmm[31] = 9;
    const img = a.fxsaveImage();
    img[32] = 0x77;
    a.fxrstorImage(img);
    const b = cpu.createContext();
    cpu.copyContext(a, b);
    expect(b.gpr[Reg.R15]).toBe(0x1234n);
    expect(b.rip).toBe(0x401000n);
    expect(b.fsBase).toBe(0x7000n);
    expect(b.xmm[31]).toBe(9);
    expect(b.fxsaveImage()).toEqual(a.fxsaveImage());
    cpu.releaseContext(a);
    expect(() => a.gpr).toThrow();
  });
});

// ---- the wasm CPU: code, copy-on-write of code, exhaustion --------------------------

describe('running code in several address spaces', () => {
  let cpu: Cpu;
  let ctx: CpuContext;
  beforeEach(async () => {
    cpu = await createCpu();
    ctx = cpu.createContext();
  });

  it('the same address holds different code in two address spaces: the decode cache keeps them apart', () => {
    cpu.map(CODE, PAGE, PROT_READ | PROT_EXEC);
    cpu.write(CODE, bytes(...movEaxSyscall(1)));
    const first = cpu.currentAddressSpace();
    const second = cpu.createAddressSpace(); // what exec does
    cpu.useAddressSpace(second);
    cpu.map(CODE, PAGE, PROT_READ | PROT_EXEC);
    cpu.write(CODE, bytes(...movEaxSyscall(2)));
    for (let round = 0; round < 3; round++) {
      cpu.useAddressSpace(first);
      expect(runAt(cpu, ctx, CODE).reason).toBe(StopReason.Syscall);
      expect(ctx.gpr[Reg.RAX]).toBe(1n);
      cpu.useAddressSpace(second);
      expect(runAt(cpu, ctx, CODE).reason).toBe(StopReason.Syscall);
      expect(ctx.gpr[Reg.RAX]).toBe(2n);
    }
  });

  it('parent and child run the same code after fork; guest writes are copy-on-write both ways', () => {
    cpu.map(CODE, PAGE, PROT_READ | PROT_EXEC);
    cpu.map(DATA, PAGE, RW);
    // mov rax, [rbx]; mov [rbx], rcx; syscall
    cpu.write(CODE, bytes(0x48, 0x8b, 0x03, 0x48, 0x89, 0x0b, 0x0f, 0x05));
    cpu.writeU64(DATA, 100n);
    const parent = cpu.currentAddressSpace();
    const child = cpu.forkAddressSpace(parent);
    const base = cpu.framesInUse();
    ctx.gpr[Reg.RBX] = BigInt(DATA);
    ctx.gpr[Reg.RCX] = 1n;
    expect(runAt(cpu, ctx, CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(100n);
    expect(cpu.framesInUse()).toBe(base + 1); // the parent's write copied the data page
    cpu.useAddressSpace(child);
    ctx.gpr[Reg.RCX] = 2n;
    expect(runAt(cpu, ctx, CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(100n); // not the parent's 1
    expect(cpu.framesInUse()).toBe(base + 1); // the last sharer just takes the frame
    cpu.useAddressSpace(parent);
    expect(cpu.readU64(DATA)).toBe(1n);
    cpu.useAddressSpace(child);
    expect(cpu.readU64(DATA)).toBe(2n);
  });

  it('a write to a copy-on-write code page changes the writer\'s code only (guest and kernel-side writes)', () => {
    // CODE+0: mov byte [rip + 3], 0x22  (the imm8 of the mov at CODE+7)
    // CODE+7: mov eax, 0x11; syscall
    cpu.map(CODE, PAGE, RWX);
    cpu.write(CODE, bytes(0xc6, 0x05, 0x00, 0x00, 0x00, 0x00, 0x22, ...movEaxSyscall(0x11)));
    cpu.write(CODE + 2, bytes(1)); // disp32 = 1: rip after the mov is CODE+7, the imm8 is at CODE+8
    const parent = cpu.currentAddressSpace();
    const child = cpu.forkAddressSpace(parent);
    for (const as of [parent, child]) {
      cpu.useAddressSpace(as);
      expect(runAt(cpu, ctx, CODE + 7).reason).toBe(StopReason.Syscall);
      expect(ctx.gpr[Reg.RAX]).toBe(0x11n);
    }
    const base = cpu.framesInUse();
    cpu.useAddressSpace(child);
    expect(runAt(cpu, ctx, CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(0x22n);
    expect(ctx.retired).toBeGreaterThan(0n);
    expect(cpu.framesInUse()).toBe(base + 1);
    cpu.useAddressSpace(parent);
    expect(runAt(cpu, ctx, CODE + 7).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(0x11n);
    expect(cpu.read(CODE + 8, 1)[0]).toBe(0x11);
    // Kernel-side (ptrace-like) write in the parent: a second copy-on-write of the code page.
    const grandchild = cpu.forkAddressSpace(parent);
    cpu.write(CODE + 8, bytes(0x33));
    expect(runAt(cpu, ctx, CODE + 7).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(0x33n);
    cpu.useAddressSpace(grandchild);
    expect(runAt(cpu, ctx, CODE + 7).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(0x11n);
    cpu.useAddressSpace(child);
    expect(runAt(cpu, ctx, CODE + 7).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(0x22n);
  });

  it('code of a shared object mapped twice: a write through the writable alias is seen when run through the other', () => {
    const obj = cpu.createSharedObject(1);
    cpu.writeShared(obj, 0, bytes(...movEaxSyscall(1)));
    cpu.mapShared(CODE, PAGE, PROT_READ | PROT_EXEC, obj, 0);
    cpu.mapShared(DATA, PAGE, RW, obj, 0);
    expect(runAt(cpu, ctx, CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(1n);
    cpu.write(DATA + 1, bytes(2)); // kernel-side, through the alias
    expect(runAt(cpu, ctx, CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(2n);
    cpu.writeShared(obj, 1, bytes(3)); // write() on the memfd
    expect(runAt(cpu, ctx, CODE).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(3n);
    // A guest store through the alias, from code that runs elsewhere: mov byte [rbx], 4; jmp CODE
    cpu.map(0x500000, PAGE, PROT_READ | PROT_EXEC);
    cpu.write(0x500000, bytes(0xc6, 0x03, 0x04, 0xe9, ...le32(CODE - (0x500000 + 8))));
    ctx.gpr[Reg.RBX] = BigInt(DATA + 1);
    expect(runAt(cpu, ctx, 0x500000).reason).toBe(StopReason.Syscall);
    expect(ctx.gpr[Reg.RAX]).toBe(4n);
  });

  it('lazily mapped pages stay unallocated through fork, and kernel-side reads do not allocate them', () => {
    cpu.map(DATA, 64 * PAGE, RW);
    cpu.write(DATA, bytes(1));
    const base = cpu.framesInUse();
    const child = cpu.forkAddressSpace(cpu.currentAddressSpace());
    cpu.useAddressSpace(child);
    expect(cpu.read(DATA + PAGE, 63 * PAGE)).toEqual(new Uint8Array(63 * PAGE));
    expect(cpu.framesInUse()).toBe(base);
  });
});

function le32(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
}

describe('running out of memory', () => {
  let cpu: Cpu;
  let ctx: CpuContext;
  beforeEach(async () => {
    cpu = await createCpu();
    ctx = cpu.createContext();
    cpu.map(CODE, PAGE, PROT_READ | PROT_EXEC);
    cpu.map(DATA, 16 * PAGE, RW);
  });

  it('a guest access to a fresh page past the frame limit stops precisely with OutOfMemory, and resumes', () => {
    // nop; mov [rbx], rax; mov eax, 7; syscall
    cpu.write(CODE, bytes(0x90, 0x48, 0x89, 0x03, ...movEaxSyscall(7)));
    cpu.setFrameLimit(cpu.framesInUse());
    ctx.gpr[Reg.RBX] = BigInt(DATA + 5 * PAGE + 8);
    ctx.gpr[Reg.RAX] = 0x55n;
    const s = runAt(cpu, ctx, CODE);
    expect(s).toMatchObject({ reason: StopReason.OutOfMemory, retired: 1, rip: BigInt(CODE + 1), faultAddress: DATA + 5 * PAGE + 8, faultAccess: 'write' });
    cpu.setFrameLimit(Infinity);
    expect(cpu.run(ctx, 100).reason).toBe(StopReason.Syscall);
    expect(cpu.readU64(DATA + 5 * PAGE + 8)).toBe(0x55n);
  });

  it('reads and instruction fetches of fresh pages stop the same way', () => {
    cpu.write(CODE, bytes(0x48, 0x8b, 0x03)); // mov rax, [rbx]
    cpu.map(0x500000, PAGE, PROT_READ | PROT_EXEC);
    cpu.setFrameLimit(cpu.framesInUse());
    ctx.gpr[Reg.RBX] = BigInt(DATA);
    expect(runAt(cpu, ctx, CODE)).toMatchObject({ reason: StopReason.OutOfMemory, faultAddress: DATA, faultAccess: 'read', retired: 0 });
    expect(runAt(cpu, ctx, 0x500000)).toMatchObject({ reason: StopReason.OutOfMemory, faultAddress: 0x500000, faultAccess: 'exec', retired: 0 });
  });

  it('a copy-on-write copy past the limit stops the guest and throws for the kernel side', () => {
    cpu.write(DATA, bytes(1, 2, 3));
    cpu.write(CODE, bytes(0x48, 0x89, 0x03)); // mov [rbx], rax
    cpu.forkAddressSpace(cpu.currentAddressSpace());
    cpu.setFrameLimit(cpu.framesInUse());
    ctx.gpr[Reg.RBX] = BigInt(DATA);
    expect(runAt(cpu, ctx, CODE)).toMatchObject({ reason: StopReason.OutOfMemory, faultAddress: DATA, faultAccess: 'write' });
    let err: unknown;
    try {
      cpu.write(DATA + 1, bytes(9));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect(err).toBeInstanceOf(MemoryError);
    expect((err as MemoryError).outOfMemory).toBe(true);
    expect((err as MemoryError).address).toBe(DATA + 1);
    expect((err as MemoryError).access).toBe('write');
    expect((err as Error).message).toMatch(/out of memory/);
    expect(cpu.read(DATA, 3)).toEqual(bytes(1, 2, 3));
  });

  it('a kernel-side write needing frames past the limit changes nothing; reads still work', () => {
    cpu.write(DATA, bytes(1));
    cpu.setFrameLimit(cpu.framesInUse() + 1);
    // Straddling two fresh pages needs two frames, one is allowed: nothing is written.
    expect(() => cpu.write(DATA + 3 * PAGE - 2, bytes(6, 6, 6, 6))).toThrow(OutOfMemoryError);
    expect(cpu.read(DATA + 3 * PAGE - 4, 8)).toEqual(new Uint8Array(8));
    // Within one touched page nothing is needed.
    cpu.setFrameLimit(cpu.framesInUse());
    cpu.write(DATA + 8, bytes(7, 7));
    expect(cpu.read(DATA + 8, 2)).toEqual(bytes(7, 7));
    const obj = cpu.createSharedObject(4);
    expect(() => cpu.writeShared(obj, 0, new Uint8Array(2 * PAGE))).toThrow(/out of memory/);
    expect(cpu.readShared(obj, 0, 8)).toEqual(new Uint8Array(8));
  });

  it('wasm memory that cannot grow: page-table nodes, fork and fresh pages end cleanly, never with a trap', () => {
    const wasm = cpu as WasmCpu;
    cpu.write(DATA, bytes(1));
    cpu.write(CODE, bytes(0x48, 0x89, 0x03)); // mov [rbx], rax
    const frames = cpu.framesInUse();
    wasm.setHostMemoryLimit(0);
    expect(() => cpu.map(0x7f0000000000, PAGE, RW)).toThrow(OutOfMemoryError);
    expect(cpu.pageProt(0x7f0000000000)).toBe(-1);
    expect(() => cpu.forkAddressSpace(cpu.currentAddressSpace())).toThrow(/out of memory/);
    expect(cpu.framesInUse()).toBe(frames);
    ctx.gpr[Reg.RBX] = BigInt(DATA + 7 * PAGE);
    expect(runAt(cpu, ctx, CODE)).toMatchObject({ reason: StopReason.OutOfMemory, faultAddress: DATA + 7 * PAGE });
    expect(() => cpu.write(DATA + 9 * PAGE, bytes(1))).toThrow(OutOfMemoryError);
    wasm.setHostMemoryLimit();
    cpu.map(0x7f0000000000, PAGE, RW);
    expect(cpu.run(ctx, 1).reason).toBe(StopReason.Budget);
    expect(cpu.forkAddressSpace(cpu.currentAddressSpace())).toBeGreaterThan(0);
  });
});

describe('register files', () => {
  let cpu: Cpu;
  let ctx: CpuContext;
  beforeEach(async () => {
    cpu = await createCpu();
    ctx = cpu.createContext();
    cpu.map(CODE, PAGE, PROT_READ | PROT_EXEC);
    cpu.map(DATA, PAGE, RW);
  });

  it('fxsaveImage is byte for byte what the guest\'s fxsave stores', () => {
    // fld1; fldpi; fldl2t; fldz; fstp st(0) (pops, so TOP and the tags move); fxsave [rdi]; syscall
    cpu.write(CODE, bytes(0xd9, 0xe8, 0xd9, 0xeb, 0xd9, 0xe9, 0xd9, 0xee, 0xdd, 0xd8, 0x0f, 0xae, 0x07, 0x0f, 0x05));
    for (let i = 0; i < 256; i++) ctx.xmm[i] = (i * 37 + 11) & 0xff;
    ctx.mxcsr = 0x1f80 | 0x2000 | 0x3f; // round down, sticky flags set
    ctx.gpr[Reg.RDI] = BigInt(DATA);
    expect(runAt(cpu, ctx, CODE).reason).toBe(StopReason.Syscall);
    const guest = cpu.read(DATA, 512);
    const image = ctx.fxsaveImage();
    expect([...image.subarray(0, 416)]).toEqual([...guest.subarray(0, 416)]);
    expect(image.subarray(416)).toEqual(new Uint8Array(96));
    // Some x87 state really is there: TOP = 5 after four pushes and a pop, three tags valid.
    const dv = new DataView(image.buffer);
    expect((dv.getUint16(2, true) >> 11) & 7).toBe(5);
    expect(image[4].toString(2).split('1').length - 1).toBe(3);
  });

  it('fxrstorImage loads what the guest\'s fxrstor would', async () => {
    // Build an image with the guest, then load it into a fresh context both ways.
    cpu.write(CODE, bytes(0xd9, 0xeb, 0xd9, 0xe8, 0x0f, 0xae, 0x07, 0x0f, 0x05)); // fldpi; fld1; fxsave [rdi]; syscall
    ctx.gpr[Reg.RDI] = BigInt(DATA);
    ctx.xmm.fill(0x42, 16, 32);
    runAt(cpu, ctx, CODE);
    const image = cpu.read(DATA, 512);
    const viaGuest = cpu.createContext();
    cpu.write(CODE + 0x100, bytes(0x0f, 0xae, 0x0f, 0x0f, 0x05)); // fxrstor [rdi]; syscall
    viaGuest.gpr[Reg.RDI] = BigInt(DATA);
    expect(runAt(cpu, viaGuest, CODE + 0x100).reason).toBe(StopReason.Syscall);
    const viaImage = cpu.createContext();
    expect(viaImage.fxrstorImage(image)).toBe(true);
    expect(viaImage.fxsaveImage()).toEqual(viaGuest.fxsaveImage());
    expect([...viaImage.xmm]).toEqual([...viaGuest.xmm]);
  });

  it('a copied context runs exactly like the original', () => {
    // imul rax, rbx; add rbx, 3; fld1; faddp... keep to integer+x87: fld1; fadd st0, st0; syscall
    cpu.write(CODE, bytes(0x48, 0x0f, 0xaf, 0xc3, 0x48, 0x83, 0xc3, 0x03, 0xd9, 0xe8, 0xd8, 0xc0, 0x0f, 0x05));
    ctx.gpr[Reg.RAX] = 7n;
    ctx.gpr[Reg.RBX] = 6n;
    ctx.rip = BigInt(CODE);
    ctx.gsBase = 0x1000n;
    const copy = cpu.createContext();
    cpu.copyContext(ctx, copy);
    expect(copy.retired).toBe(0n);
    const a = cpu.run(ctx, 100);
    const b = cpu.run(copy, 100);
    expect(b).toEqual(a);
    expect([...copy.gpr]).toEqual([...ctx.gpr]);
    expect(copy.rflags).toBe(ctx.rflags);
    expect(copy.gsBase).toBe(0x1000n);
    expect(copy.fxsaveImage()).toEqual(ctx.fxsaveImage());
  });

  it('released register files are reused: thousands of threads do not grow memory', () => {
    // What the CPU allocated, not the memory's size: that grows in large steps ahead of need and would hide a leak.
    const memory = () => (cpu as WasmCpu).hostBytesInUse();
    cpu.releaseContext(cpu.createContext());
    const before = memory();
    for (let i = 0; i < 20000; i++) {
      const c = cpu.createContext();
      expect(c.rflags).toBe(0x202n);
      c.gpr[Reg.RAX] = 1n;
      cpu.releaseContext(c);
    }
    expect(memory()).toBe(before);
    const fresh = cpu.createContext();
    expect(fresh.gpr[Reg.RAX]).toBe(0n);
    expect(fresh.mxcsr).toBe(0x1f80);
  });
});
