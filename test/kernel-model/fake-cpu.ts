// A tiny in-test Cpu: pages in a Map, protections per page, and a `run`
// that plays a script instead of executing instructions. Each script step
// may change the registers (like the instructions before a syscall would)
// and returns the stop. Enough to test the kernel model without the real
// CPU.
//
// Address spaces and shared objects behave as the real CPU's do (see
// emulator/api.ts), only simpler: a frame is a Uint8Array that several page
// maps may hold (shared pages, or private ones copy-on-write after fork),
// and counting frames walks everything. A memory snapshot is a deep copy
// (every frame copied, sharing between page maps and objects kept), not
// copy-on-write; framesInUse counts its frames as the real CPU counts frames
// only snapshots hold, and the frame limit ignores them as the real CPU's
// does.

import {
  CpuWords, MemoryError, OutOfMemoryError, type AccessKind, type Cpu, type CpuContext, type DecodedInstruction, type StopInfo, StopReason,
} from '../../emulator/api.js';

const PAGE = 4096;
const FXSAVE_SIZE = 512;
const MXCSR_MASK = 0xffff;

/** Registers in an ArrayBuffer that map() detaches, as wasm memory growth does to the real CPU's views. */
class FakeContext implements CpuContext {
  private regs = new ArrayBuffer(16 * 8);
  rip = 0n;
  rflags = 0x202n;
  fsBase = 0n;
  gsBase = 0n;
  readonly xmm = new Uint8Array(256);
  mxcsr = 0x1f80;
  readonly retired = 0n;
  /** The fxsave image's x87 part (FCW, FSW, FTW, ST registers); MXCSR and XMM live in the fields above. */
  fx = new Uint8Array(FXSAVE_SIZE);
  released = false;

  constructor() {
    new DataView(this.fx.buffer).setUint16(0, 0x37f, true);
  }

  get gpr(): BigUint64Array {
    if (this.released) throw new Error('this register file was released');
    return new BigUint64Array(this.regs);
  }

  detach(): void {
    this.regs = structuredClone(this.regs, { transfer: [this.regs] });
  }

  fxsaveImage(): Uint8Array {
    const img = this.fx.slice();
    const d = new DataView(img.buffer);
    d.setUint32(24, this.mxcsr, true);
    d.setUint32(28, MXCSR_MASK, true);
    img.set(this.xmm, 160);
    img.fill(0, 416);
    return img;
  }

  fxrstorImage(image: Uint8Array): boolean {
    const d = new DataView(image.buffer, image.byteOffset, FXSAVE_SIZE);
    const mxcsr = d.getUint32(24, true);
    if ((mxcsr & ~MXCSR_MASK) !== 0) return false;
    this.fx = image.slice(0, FXSAVE_SIZE);
    this.mxcsr = mxcsr;
    this.xmm.set(image.subarray(160, 416));
    return true;
  }

  copyFrom(o: FakeContext): void {
    this.gpr.set(o.gpr);
    this.rip = o.rip;
    this.rflags = o.rflags;
    this.fsBase = o.fsBase;
    this.gsBase = o.gsBase;
    this.xmm.set(o.xmm);
    this.mxcsr = o.mxcsr;
    this.fx = o.fx.slice();
  }
}

/** A mapped page of a shared object not touched yet: it takes the object's page on first touch. */
interface ObjectRef { object: number; page: number }

interface FakeSpace {
  prot: Map<number, number>;
  /** Pages touched so far; shared ones are the object's Uint8Array. */
  pages: Map<number, Uint8Array>;
  /** Page numbers of shared mappings (touched or not). */
  shared: Set<number>;
  /** Private pages that fork left shared with another address space: copied before a write. */
  cow: Set<number>;
  untouched: Map<number, ObjectRef>;
}

interface FakeObject { size: number; pages: Map<number, Uint8Array>; owned: boolean }

interface FakeMemory {
  spaces: Map<number, FakeSpace>;
  current: number;
  nextSpace: number;
  objects: Map<number, FakeObject>;
  nextObject: number;
}

/** A deep copy of guest memory: every frame copied once, so frames shared between page maps and objects stay shared. */
function cloneMemory(m: FakeMemory): FakeMemory {
  const frames = new Map<Uint8Array, Uint8Array>();
  const f = (b: Uint8Array) => {
    let c = frames.get(b);
    if (!c) frames.set(b, (c = b.slice()));
    return c;
  };
  const spaces = new Map<number, FakeSpace>();
  for (const [id, s] of m.spaces) {
    spaces.set(id, {
      prot: new Map(s.prot),
      pages: new Map([...s.pages].map(([p, b]) => [p, f(b)])),
      shared: new Set(s.shared),
      cow: new Set(s.cow),
      untouched: new Map([...s.untouched].map(([p, r]) => [p, { ...r }])),
    });
  }
  const objects = new Map<number, FakeObject>();
  for (const [id, o] of m.objects) {
    objects.set(id, { size: o.size, owned: o.owned, pages: new Map([...o.pages].map(([p, b]) => [p, f(b)])) });
  }
  return { spaces, current: m.current, nextSpace: m.nextSpace, objects, nextObject: m.nextObject };
}

function emptySpace(): FakeSpace {
  return { prot: new Map(), pages: new Map(), shared: new Set(), cow: new Set(), untouched: new Map() };
}

export type ScriptStep = (ctx: CpuContext, cpu: FakeCpu) => Partial<StopInfo> & { reason: StopReason };

export class FakeCpu extends CpuWords implements Cpu {
  private spaces = new Map<number, FakeSpace>([[0, emptySpace()]]);
  private current = 0;
  private nextSpace = 1;
  private objects = new Map<number, FakeObject>();
  private nextObject = 1;
  private readonly snapshots = new Map<number, FakeMemory>();
  private nextSnapshot = 1;
  private frameLimit = Infinity;
  readonly script: ScriptStep[] = [];
  runCalls = 0;

  private readonly contexts = new Set<FakeContext>();

  private get space(): FakeSpace {
    return this.spaces.get(this.current)!;
  }

  createContext(): CpuContext {
    const ctx = new FakeContext();
    this.contexts.add(ctx);
    return ctx;
  }

  copyContext(from: CpuContext, to: CpuContext): void {
    (to as FakeContext).copyFrom(from as FakeContext);
  }

  releaseContext(ctx: CpuContext): void {
    const c = ctx as FakeContext;
    if (!this.contexts.delete(c)) throw new Error('the context was already released');
    c.released = true;
  }

  // ---- address spaces ----

  createAddressSpace(): number {
    const id = this.nextSpace++;
    this.spaces.set(id, emptySpace());
    return id;
  }

  forkAddressSpace(source: number): number {
    const src = this.spaces.get(source);
    if (!src) throw new Error(`no address space ${source}`);
    const copy: FakeSpace = {
      prot: new Map(src.prot),
      pages: new Map(src.pages),
      shared: new Set(src.shared),
      cow: new Set(),
      untouched: new Map(src.untouched),
    };
    for (const p of src.pages.keys()) {
      if (src.shared.has(p)) continue;
      src.cow.add(p);
      copy.cow.add(p);
    }
    const id = this.nextSpace++;
    this.spaces.set(id, copy);
    return id;
  }

  useAddressSpace(id: number): void {
    if (!this.spaces.has(id)) throw new Error(`no address space ${id}`);
    this.current = id;
  }

  currentAddressSpace(): number {
    return this.current;
  }

  destroyAddressSpace(id: number): void {
    if (id === this.current) throw new Error(`cannot destroy address space ${id}: it is the current one`);
    if (!this.spaces.delete(id)) throw new Error(`no address space ${id}`);
  }

  // ---- shared objects ----

  createSharedObject(pages: number): number {
    const id = this.nextObject++;
    this.objects.set(id, { size: pages, pages: new Map(), owned: true });
    return id;
  }

  private object(id: number): FakeObject {
    const o = this.objects.get(id);
    if (!o?.owned) throw new Error(`no shared object ${id}`);
    return o;
  }

  resizeSharedObject(id: number, pages: number): void {
    const o = this.object(id);
    for (const p of [...o.pages.keys()]) if (p >= pages) o.pages.delete(p);
    o.size = pages;
  }

  releaseSharedObject(id: number): void {
    // Untouched mappings may still name it: it stays, unowned.
    this.object(id).owned = false;
  }

  mapShared(addr: number, length: number, prot: number, object: number, pageOffset: number): void {
    this.object(object);
    this.map(addr, length, prot);
    let i = pageOffset;
    for (let p = Math.floor(addr / PAGE); p < Math.ceil((addr + length) / PAGE); p++, i++) {
      this.space.shared.add(p);
      this.space.untouched.set(p, { object, page: i });
    }
  }

  private objectPage(o: FakeObject, page: number, allocate: boolean): Uint8Array | undefined {
    let bytes = o.pages.get(page);
    if (!bytes && allocate) {
      bytes = this.newFrame(page);
      o.pages.set(page, bytes);
    }
    return bytes;
  }

  readShared(object: number, offset: number, length: number): Uint8Array {
    const o = this.object(object);
    if (offset + length > o.size * PAGE) throw new RangeError(`shared object ${object}: bytes beyond its size`);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.objectPage(o, Math.floor((offset + i) / PAGE), false)?.[(offset + i) % PAGE] ?? 0;
    return out;
  }

  writeShared(object: number, offset: number, data: Uint8Array): void {
    const o = this.object(object);
    if (offset + data.length > o.size * PAGE) throw new RangeError(`shared object ${object}: bytes beyond its size`);
    for (let i = 0; i < data.length; i++) this.objectPage(o, Math.floor((offset + i) / PAGE), true)![(offset + i) % PAGE] = data[i];
  }

  // ---- memory snapshots ----

  snapshotMemory(): number {
    const id = this.nextSnapshot++;
    const { spaces, current, nextSpace, objects, nextObject } = this;
    this.snapshots.set(id, cloneMemory({ spaces, current, nextSpace, objects, nextObject }));
    return id;
  }

  restoreMemory(snapshot: number): void {
    const m = this.snapshots.get(snapshot);
    if (!m) throw new Error(`no memory snapshot ${snapshot}`);
    const c = cloneMemory(m);
    this.spaces = c.spaces;
    this.current = c.current;
    this.nextSpace = c.nextSpace;
    this.objects = c.objects;
    this.nextObject = c.nextObject;
  }

  releaseSnapshot(snapshot: number): void {
    if (!this.snapshots.delete(snapshot)) throw new Error(`no memory snapshot ${snapshot}`);
  }

  // ---- memory accounting ----

  framesInUse(): number {
    let n = this.liveFrames();
    for (const m of this.snapshots.values()) {
      const frames = new Set<Uint8Array>();
      for (const s of m.spaces.values()) for (const b of s.pages.values()) frames.add(b);
      for (const o of m.objects.values()) for (const b of o.pages.values()) frames.add(b);
      n += frames.size;
    }
    return n;
  }

  private liveFrames(): number {
    const frames = new Set<Uint8Array>();
    const named = new Set<number>();
    for (const s of this.spaces.values()) {
      for (const b of s.pages.values()) frames.add(b);
      for (const r of s.untouched.values()) named.add(r.object);
    }
    for (const [id, o] of this.objects) {
      if (o.owned || named.has(id)) for (const b of o.pages.values()) frames.add(b);
    }
    return frames.size;
  }

  /** How many page maps hold this frame. */
  private holders(frame: Uint8Array): number {
    let n = 0;
    for (const s of this.spaces.values()) for (const b of s.pages.values()) if (b === frame) n++;
    return n;
  }

  setFrameLimit(frames: number): void {
    this.frameLimit = frames;
  }

  /** The frame limit only: a fake's JS memory has no 4 GiB ceiling to model. */
  memoryCapacity(): number {
    return this.frameLimit * PAGE;
  }

  private newFrame(page: number, from?: Uint8Array): Uint8Array {
    if (this.liveFrames() >= this.frameLimit) throw new OutOfMemoryError(page * PAGE, 'write');
    return from ? from.slice() : new Uint8Array(PAGE);
  }

  // ---- pages ----

  map(addr: number, length: number, prot: number): void {
    // Like wasm memory growing: register views taken before are detached.
    for (const c of this.contexts) c.detach();
    const s = this.space;
    for (let p = Math.floor(addr / PAGE); p < Math.ceil((addr + length) / PAGE); p++) {
      s.prot.set(p, prot);
      s.pages.delete(p);
      s.shared.delete(p);
      s.cow.delete(p);
      s.untouched.delete(p);
    }
  }

  unmap(addr: number, length: number): void {
    const s = this.space;
    for (let p = Math.floor(addr / PAGE); p < Math.ceil((addr + length) / PAGE); p++) {
      s.prot.delete(p);
      s.pages.delete(p);
      s.shared.delete(p);
      s.cow.delete(p);
      s.untouched.delete(p);
    }
  }

  protect(addr: number, length: number, prot: number): void {
    for (let p = Math.floor(addr / PAGE); p < Math.ceil((addr + length) / PAGE); p++) {
      if (this.space.prot.has(p)) this.space.prot.set(p, prot);
    }
  }

  pageProt(addr: number): number {
    return this.space.prot.get(Math.floor(addr / PAGE)) ?? -1;
  }

  accessible(addr: number, length: number, prot: number): boolean {
    for (let p = Math.floor(addr / PAGE); p < Math.ceil((addr + length) / PAGE); p++) {
      const have = this.space.prot.get(p);
      if (have === undefined || (have & prot) !== prot) return false;
    }
    return true;
  }

  /** The page's bytes; a read of a page never touched sees zeros without allocating it, as on the real CPU. */
  private page(p: number, access: AccessKind): Uint8Array {
    const s = this.space;
    if (!s.prot.has(p)) throw new MemoryError(p * PAGE, access);
    let page = s.pages.get(p);
    if (!page) {
      const ref = s.untouched.get(p);
      if (ref) {
        const o = this.objects.get(ref.object)!;
        if (ref.page >= o.size) throw new MemoryError(p * PAGE, access);
        if (access === 'read') return this.objectPage(o, ref.page, false) ?? new Uint8Array(PAGE);
        page = this.objectPage(o, ref.page, true)!;
        s.untouched.delete(p);
      } else {
        if (access === 'read') return new Uint8Array(PAGE);
        page = this.newFrame(p);
      }
      s.pages.set(p, page);
    }
    if (access === 'write' && s.cow.has(p)) {
      if (this.holders(page) > 1) {
        page = this.newFrame(p, page);
        s.pages.set(p, page);
      }
      s.cow.delete(p);
    }
    return page;
  }

  read(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; ) {
      const a = addr + i;
      const page = this.page(Math.floor(a / PAGE), 'read');
      const off = a % PAGE;
      const n = Math.min(PAGE - off, length - i);
      out.set(page.subarray(off, off + n), i);
      i += n;
    }
    return out;
  }

  write(addr: number, data: Uint8Array): void {
    // Every page first, so a failure leaves memory unchanged.
    for (let p = Math.floor(addr / PAGE); p < Math.ceil((addr + data.length) / PAGE); p++) this.page(p, 'write');
    for (let i = 0; i < data.length; ) {
      const a = addr + i;
      const page = this.page(Math.floor(a / PAGE), 'write');
      const off = a % PAGE;
      const n = Math.min(PAGE - off, data.length - i);
      page.set(data.subarray(i, i + n), off);
      i += n;
    }
  }

  decode(): DecodedInstruction {
    throw new Error('FakeCpu does not decode instructions');
  }

  run(ctx: CpuContext, maxInstructions: number): StopInfo {
    this.runCalls++;
    const step = this.script.shift();
    if (!step) return { reason: StopReason.Budget, retired: maxInstructions, rip: ctx.rip };
    const stop = step(ctx, this);
    if (stop.reason === StopReason.Syscall) {
      // What the syscall instruction does: rip past it, rcx = rip, r11 = rflags.
      ctx.rip += 2n;
      ctx.gpr[1] = ctx.rip;
      ctx.gpr[11] = ctx.rflags;
    }
    return { retired: 1, rip: ctx.rip, ...stop };
  }
}

/** A script step that makes system call nr with the given arguments. */
export function syscallStep(nr: number, ...args: (number | bigint)[]): ScriptStep {
  const regs = [7, 6, 2, 10, 8, 9]; // rdi rsi rdx r10 r8 r9
  return (ctx) => {
    ctx.gpr[0] = BigInt(nr);
    args.forEach((a, i) => (ctx.gpr[regs[i]] = BigInt.asUintN(64, BigInt(a))));
    return { reason: StopReason.Syscall };
  };
}
