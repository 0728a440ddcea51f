// The TypeScript side of the CPU: loads build/emulator.wasm and presents
// it as the Cpu interface of ./api.ts. The same code runs in Node and in
// the browser; only the way the wasm bytes are found differs.

import { CTX, MXCSR_MASK } from './context-layout.js';
import {
  CpuWords, MemoryError, OutOfMemoryError, StopReason, mergeWriteWatches,
  type AccessKind, type Cpu, type CpuContext, type StopInfo, type DecodedInstruction, type WriteWatchRange, type MemoryExhaustion,
} from './api.js';

export * from './api.js';

interface CpuExports {
  memory: WebAssembly.Memory;
  init(): number;
  newContext(): number;
  releaseContext(ctx: number): void;
  run(ctx: number, maxInsns: bigint, useBreakpoint: number, breakpoint: bigint): number;
  extraBreakpoints(): number;
  maxExtraBreakpoints(): number;
  setExtraBreakpoints(n: number): void;
  breakpointPasses(): number;
  lastRetired(): bigint;
  lastFaultAddress(): bigint;
  lastFaultAccess(): number;
  lastWatchHit(): number;
  lastWatchAddress(): bigint;
  lastWatchRip(): bigint;
  setWriteWatches(count: number): number;
  writeWatchRanges(): number;
  map(addr: bigint, length: bigint, prot: number): number;
  mapShared(addr: bigint, length: bigint, prot: number, obj: number, pageOffset: number): number;
  createAddressSpace(): number;
  forkAddressSpace(src: number): number;
  useAddressSpace(id: number): number;
  currentAddressSpace(): number;
  destroyAddressSpace(id: number): number;
  framesInUse(): number;
  liveFramesInUse(): number;
  hostBytesInUse(): number;
  snapshotMemory(): number;
  restoreMemory(h: number): number;
  releaseSnapshot(h: number): number;
  pageTableBytes(): number;
  blocksDecoded(): number;
  setFrameLimit(frames: number): void;
  setHostLimit(bytes: number): void;
  createSharedObject(pages: number): number;
  resizeSharedObject(id: number, pages: number): number;
  releaseSharedObject(id: number): number;
  readShared(obj: number, offset: bigint, length: number): number;
  writeShared(obj: number, offset: bigint, length: number): number;
  failedOutOfMemory(): number;
  unmap(addr: bigint, length: bigint): void;
  protect(addr: bigint, length: bigint, prot: number): number;
  pageProt(addr: bigint): number;
  accessible(addr: bigint, length: bigint, prot: number): number;
  transferBuffer(size: number): number;
  readGuest(addr: bigint, length: number): number;
  writeGuest(addr: bigint, length: number): number;
  failedAddress(): bigint;
  decodeOne(addr: bigint): number;
  decodedRecord(): number;
  decodeFetchFaultAddress(): bigint;
  tableRowOf(row: number): number;
}


const ACCESS: AccessKind[] = ['read', 'write', 'exec'];
const PAGE = 4096;
const FXSAVE_SIZE = 512;
/** Largest shared object, in pages (emulator/assembly/shared.ts MAX_OBJECT_PAGES). */
const MAX_OBJECT_PAGES = 1 << 20;
/** A wasm32 memory's largest size: 65536 pages of 64 KiB. */
const WASM32_MEMORY_BYTES = 2 ** 32;

/**
 * The fxsave image (Vol. 1, Table 10-2, 64-bit layout) of a register file,
 * as emulator/assembly/ops/sse-state.ts FxsaveM builds it: x87 registers
 * are physical in the register file, ST(i) = physical (TOP + i) & 7.
 */
function fxsaveOf(file: Uint8Array): Uint8Array {
  const f = new DataView(file.buffer, file.byteOffset, CTX.SIZE);
  const img = new Uint8Array(FXSAVE_SIZE);
  const d = new DataView(img.buffer);
  const fsw = f.getUint16(CTX.FPU_SW, true);
  d.setUint16(0, f.getUint16(CTX.FPU_CW, true), true);
  d.setUint16(2, fsw, true);
  img[4] = f.getUint16(CTX.FPU_TAG, true) & 0xff;
  d.setUint32(24, f.getUint32(CTX.MXCSR, true), true);
  d.setUint32(28, MXCSR_MASK, true);
  const top = (fsw >> 11) & 7;
  for (let i = 0; i < 8; i++) {
    const phys = CTX.ST + ((top + i) & 7) * 16;
    img.set(file.subarray(phys, phys + 10), 32 + i * 16);
  }
  img.set(file.subarray(CTX.XMM, CTX.XMM + 256), 160);
  return img;
}

/** Loads an fxsave image into a register file as FxrstorM does; false (nothing changed) if MXCSR sets reserved bits. */
function fxrstorInto(file: Uint8Array, image: Uint8Array): boolean {
  if (image.length < FXSAVE_SIZE) throw new RangeError(`an fxsave image is ${FXSAVE_SIZE} bytes, got ${image.length}`);
  const d = new DataView(image.buffer, image.byteOffset, FXSAVE_SIZE);
  const mxcsr = d.getUint32(24, true);
  if ((mxcsr & ~MXCSR_MASK) !== 0) return false;
  const f = new DataView(file.buffer, file.byteOffset, CTX.SIZE);
  const fsw = d.getUint16(2, true);
  f.setUint16(CTX.FPU_CW, d.getUint16(0, true), true);
  f.setUint16(CTX.FPU_SW, fsw, true);
  f.setUint16(CTX.FPU_TAG, image[4], true);
  f.setUint32(CTX.MXCSR, mxcsr, true);
  const top = (fsw >> 11) & 7;
  for (let i = 0; i < 8; i++) {
    const phys = CTX.ST + ((top + i) & 7) * 16;
    file.set(image.subarray(32 + i * 16, 32 + i * 16 + 10), phys);
    file.fill(0, phys + 10, phys + 16);
  }
  file.set(image.subarray(160, 160 + 256), CTX.XMM);
  return true;
}

/** Where the compiled CPU lives, relative to this file (emulator/ -> build/). */
const WASM_URL = new URL('../build/emulator.wasm', import.meta.url);

/**
 * The compiled CPU for createCpu: its bytes, or the URL to load them from.
 * A bundled page passes the URL it serves emulator.wasm at (the bundle's
 * own location says nothing about where build/ is); Node needs nothing.
 */
export type WasmSource = ArrayBuffer | Uint8Array | URL;

async function loadWasmBytes(url: URL): Promise<ArrayBuffer | Uint8Array> {
  if (url.protocol === 'file:' && typeof process !== 'undefined' && process.versions?.node) {
    const { readFile } = await import('node:fs/promises');
    try {
      return await readFile(url);
    } catch {
      throw new Error(`the CPU is not built (${url.pathname} is missing): run 'npm run build:wasm'`);
    }
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load the CPU from ${url}: HTTP ${res.status}`);
  return await res.arrayBuffer();
}

/** Compiled modules by URL: every CPU from one URL shares one compilation. */
const compiled = new Map<string, Promise<WebAssembly.Module>>();

function compiledFrom(url: URL): Promise<WebAssembly.Module> {
  let module = compiled.get(url.href);
  if (!module) {
    module = loadWasmBytes(url).then((b) => WebAssembly.compile(b as BufferSource));
    // A failed load is not remembered: the next call tries again.
    module.catch(() => compiled.delete(url.href));
    compiled.set(url.href, module);
  }
  return module;
}

/**
 * A fresh CPU with its own memory (every call instantiates a new wasm
 * instance). Without an argument it loads build/emulator.wasm next to this
 * source tree (Node, or a browser loading these modules unbundled).
 */
export async function createCpu(wasm?: WasmSource): Promise<Cpu> {
  if (wasm !== undefined && !(wasm instanceof URL)) {
    return new WasmCpu(await WebAssembly.instantiate(await WebAssembly.compile(wasm as BufferSource)));
  }
  const instance = await WebAssembly.instantiate(await compiledFrom(wasm ?? WASM_URL), { env: { abort: wasmAbort } });
  return new WasmCpu(instance);
}

function wasmAbort(): never {
  throw new Error('the CPU core aborted (internal error)');
}

function checkPages(pages: number): void {
  if (!Number.isInteger(pages) || pages < 0 || pages > MAX_OBJECT_PAGES) {
    throw new RangeError(`a shared object has 0..${MAX_OBJECT_PAGES} pages (4 GiB), not ${pages}`);
  }
}

function pageRange(addr: number, length: number): [bigint, bigint] {
  const start = Math.floor(addr / PAGE) * PAGE;
  const end = Math.ceil((addr + length) / PAGE) * PAGE;
  return [BigInt(start), BigInt(end - start)];
}

class WasmContext implements CpuContext {
  private views?: { buffer: ArrayBuffer; gpr: BigUint64Array; u64: BigUint64Array; u32: Uint32Array; xmm: Uint8Array; bytes: Uint8Array };
  private released = false;

  constructor(private readonly memory: WebAssembly.Memory, readonly ptr: number, readonly owner: WasmCpu) {}

  /** Typed arrays over wasm memory are re-made when memory grows (the old buffer is detached). */
  private v() {
    const buffer = this.memory.buffer;
    if (!this.views || this.views.buffer !== buffer) {
      if (this.released) throw new Error('this register file was released (cpu.releaseContext) and cannot be used');
      this.views = {
        buffer,
        gpr: new BigUint64Array(buffer, this.ptr + CTX.GPR, 16),
        u64: new BigUint64Array(buffer, this.ptr, CTX.SIZE / 8),
        u32: new Uint32Array(buffer, this.ptr, CTX.SIZE / 4),
        xmm: new Uint8Array(buffer, this.ptr + CTX.XMM, 256),
        bytes: new Uint8Array(buffer, this.ptr, CTX.SIZE),
      };
    }
    return this.views;
  }

  /** The whole register file as bytes (live view). */
  bytes(): Uint8Array { return this.v().bytes; }

  get isReleased() { return this.released; }

  release(): void {
    this.released = true;
    this.views = undefined;
  }

  fxsaveImage(): Uint8Array { return fxsaveOf(this.v().bytes); }
  fxrstorImage(image: Uint8Array): boolean { return fxrstorInto(this.v().bytes, image); }

  get gpr() { return this.v().gpr; }
  get xmm() { return this.v().xmm; }
  get rip() { return this.v().u64[CTX.RIP / 8]; }
  set rip(v: bigint) { this.v().u64[CTX.RIP / 8] = BigInt.asUintN(64, v); }
  get rflags() { return this.v().u64[CTX.RFLAGS / 8]; }
  set rflags(v: bigint) { this.v().u64[CTX.RFLAGS / 8] = BigInt.asUintN(64, v) | 2n; }
  get fsBase() { return this.v().u64[CTX.FS_BASE / 8]; }
  set fsBase(v: bigint) { this.v().u64[CTX.FS_BASE / 8] = BigInt.asUintN(64, v); }
  get gsBase() { return this.v().u64[CTX.GS_BASE / 8]; }
  set gsBase(v: bigint) { this.v().u64[CTX.GS_BASE / 8] = BigInt.asUintN(64, v); }
  get mxcsr() { return this.v().u32[CTX.MXCSR / 4]; }
  set mxcsr(v: number) { this.v().u32[CTX.MXCSR / 4] = v >>> 0; }
  get retired() { return this.v().u64[CTX.RETIRED / 8]; }
}

/** Breakpoint i of run's `breakpoint` argument (one address or a list). */
function breakpointAt(breakpoint: number | readonly number[], i: number): number {
  return typeof breakpoint === 'number' ? breakpoint : breakpoint[i];
}

/** Passes of breakpoint i as the CPU takes them: a u32, 0 when none were given. */
function passesGiven(passes: readonly number[] | undefined, i: number): number {
  return Math.min(0xffffffff, Math.max(0, Math.floor(passes?.[i] ?? 0)));
}

/** The wasm CPU; beyond Cpu it has pageTableBytes(), writeWatchRangeCount(), hostMemoryBytes() and a test seam, setHostMemoryLimit(). */
export class WasmCpu extends CpuWords implements Cpu {
  private readonly x: CpuExports;

  constructor(instance: WebAssembly.Instance) {
    super();
    this.x = instance.exports as unknown as CpuExports;
    if (!this.x.init()) throw new OutOfMemoryError(0, 'write', 'out of memory: the CPU cannot allocate its tables (TLBs, frame table, decode cache)', 'host');
    this.tableBytes = this.hostBytesInUse();
  }

  /** The frame limit setFrameLimit set (Infinity: none). */
  private frameLimit = Infinity;
  /** Host bytes the CPU's own tables took at creation: 4 GiB of wasm memory less these is the most guest memory it can hold. */
  private readonly tableBytes: number;

  /**
   * Why an allocation just failed: the frame limit when live frames reached
   * it (the only way a frame is refused below what memory.grow gives), else
   * wasm memory refusing to grow.
   */
  private exhaustion(): MemoryExhaustion {
    return this.liveFramesInUse() >= this.frameLimit ? 'frame-limit' : 'host';
  }

  memoryCapacity(): number {
    return Math.min(this.frameLimit * PAGE, WASM32_MEMORY_BYTES - this.tableBytes);
  }

  createContext(): CpuContext {
    const ptr = this.x.newContext();
    if (ptr === 0) throw new OutOfMemoryError(0, 'write', 'out of memory: cannot allocate a register file', this.exhaustion());
    return new WasmContext(this.x.memory, ptr, this);
  }

  private own(ctx: CpuContext): WasmContext {
    if (!(ctx instanceof WasmContext) || ctx.owner !== this) throw new Error('the context does not belong to this CPU');
    if (ctx.isReleased) throw new Error('this register file was released (cpu.releaseContext) and cannot be used');
    return ctx;
  }

  copyContext(from: CpuContext, to: CpuContext): void {
    const src = this.own(from);
    const dst = this.own(to);
    if (src === dst) return;
    const retired = dst.retired;
    dst.bytes().set(src.bytes());
    new BigUint64Array(this.x.memory.buffer, dst.ptr + CTX.RETIRED, 1)[0] = retired;
  }

  releaseContext(ctx: CpuContext): void {
    const c = this.own(ctx);
    c.release();
    this.x.releaseContext(c.ptr);
  }

  // ---- address spaces ----

  createAddressSpace(): number {
    const id = this.x.createAddressSpace();
    if (id < 0) throw new OutOfMemoryError(0, 'write', 'out of memory: cannot create an address space', this.exhaustion());
    return id;
  }

  forkAddressSpace(source: number): number {
    const id = this.x.forkAddressSpace(source >>> 0);
    if (id === -2) throw new Error(`no address space ${source}`);
    if (id < 0) throw new OutOfMemoryError(0, 'write', `out of memory: cannot copy the page tables of address space ${source}`, this.exhaustion());
    return id;
  }

  useAddressSpace(id: number): void {
    if (!this.x.useAddressSpace(id >>> 0)) throw new Error(`no address space ${id}`);
  }

  currentAddressSpace(): number {
    return this.x.currentAddressSpace();
  }

  destroyAddressSpace(id: number): void {
    if (id === this.currentAddressSpace()) throw new Error(`cannot destroy address space ${id}: it is the current one`);
    if (!this.x.destroyAddressSpace(id >>> 0)) throw new Error(`no address space ${id}`);
  }

  // ---- shared objects ----

  createSharedObject(pages: number): number {
    checkPages(pages);
    const id = this.x.createSharedObject(pages);
    if (id === 0) throw new OutOfMemoryError(0, 'write', 'out of memory: cannot create a shared object', this.exhaustion());
    return id;
  }

  resizeSharedObject(id: number, pages: number): void {
    checkPages(pages);
    if (this.x.resizeSharedObject(id >>> 0, pages) !== 0) throw new Error(`no shared object ${id}`);
  }

  releaseSharedObject(id: number): void {
    if (!this.x.releaseSharedObject(id >>> 0)) throw new Error(`no shared object ${id}`);
  }

  mapShared(addr: number, length: number, prot: number, object: number, pageOffset: number): void {
    if (!Number.isInteger(pageOffset) || pageOffset < 0 || pageOffset > 0xffffffff - Math.ceil(length / PAGE) - 1) {
      throw new RangeError(`bad page offset ${pageOffset} into shared object ${object}`);
    }
    const [a, n] = pageRange(addr, length);
    const r = this.x.mapShared(a, n, prot, object >>> 0, pageOffset);
    if (r === 1) throw new MemoryError(addr, 'write', `cannot map 0x${addr.toString(16)}+0x${length.toString(16)}: outside user space`);
    if (r === 2) throw new OutOfMemoryError(addr, 'write', `out of memory: no page-table nodes to map 0x${addr.toString(16)}+0x${length.toString(16)}`, this.exhaustion());
    if (r === 3) throw new Error(`no shared object ${object}`);
  }

  readShared(object: number, offset: number, length: number): Uint8Array {
    const buf = this.transfer(length);
    if (!this.x.readShared(object >>> 0, BigInt(offset), length)) {
      throw new RangeError(`shared object ${object}: bytes 0x${offset.toString(16)}+0x${length.toString(16)} are not in it`);
    }
    return new Uint8Array(this.x.memory.buffer, buf, length).slice();
  }

  writeShared(object: number, offset: number, data: Uint8Array): void {
    const buf = this.transfer(data.length);
    new Uint8Array(this.x.memory.buffer, buf, data.length).set(data);
    const r = this.x.writeShared(object >>> 0, BigInt(offset), data.length);
    if (r === 1) throw new RangeError(`shared object ${object}: bytes 0x${offset.toString(16)}+0x${data.length.toString(16)} are not in it`);
    if (r === 2) throw new OutOfMemoryError(0, 'write', `out of memory: no frames for shared object ${object} at 0x${offset.toString(16)}`, this.exhaustion());
  }

  // ---- memory snapshots ----

  private readonly snapshots = new Set<number>();

  snapshotMemory(): number {
    const h = this.x.snapshotMemory() >>> 0;
    if (h === 0) throw new OutOfMemoryError(0, 'write', 'out of memory: cannot take a memory snapshot', 'host');
    this.snapshots.add(h);
    return h;
  }

  private snapshot(h: number): number {
    if (!this.snapshots.has(h)) throw new Error(`no memory snapshot ${h} (never taken here, or released)`);
    return h;
  }

  restoreMemory(snapshot: number): void {
    const r = this.x.restoreMemory(this.snapshot(snapshot));
    if (r === 2) {
      throw new OutOfMemoryError(0, 'write', 'out of memory while restoring a memory snapshot: guest memory is now one empty address space (0); the snapshot is intact', 'host');
    }
    if (r !== 0) throw new Error(`memory snapshot ${snapshot} is corrupt`);
  }

  releaseSnapshot(snapshot: number): void {
    this.x.releaseSnapshot(this.snapshot(snapshot));
    this.snapshots.delete(snapshot);
  }

  // ---- memory accounting ----

  framesInUse(): number {
    return this.x.framesInUse() >>> 0;
  }

  /** Frames live guest memory holds: framesInUse less the frames only snapshots hold (what the frame limit caps). */
  liveFramesInUse(): number {
    return this.x.liveFramesInUse() >>> 0;
  }

  /** Bytes of page-table nodes and shared-object tables (not in framesInUse). */
  pageTableBytes(): number {
    return this.x.pageTableBytes() >>> 0;
  }

  /** Basic blocks the decode cache has decoded since the CPU was created (misses that found no block to reuse). */
  blocksDecoded(): number {
    return this.x.blocksDecoded() >>> 0;
  }

  setFrameLimit(frames: number): void {
    this.frameLimit = frames >= 0xffffffff ? Infinity : Math.max(0, Math.floor(frames));
    this.x.setFrameLimit(frames >= 0xffffffff ? 0xffffffff : Math.max(0, Math.floor(frames)));
  }

  /**
   * Test seam: the CPU behaves as if wasm memory could not grow by more than
   * `bytes` beyond what it has allocated now (undefined lifts the limit), to
   * test running out of memory without filling 4 GiB.
   */
  setHostMemoryLimit(bytes?: number): void {
    this.x.setHostLimit(bytes === undefined ? -1 : Math.min(bytes, 0x7fffffff));
  }

  /**
   * Bytes of wasm memory this CPU's instance holds: what it has allocated
   * (hostBytesInUse) and the room memory grew by ahead of need (it grows
   * in large steps; the host backs those pages only when they are used).
   */
  hostMemoryBytes(): number {
    return this.x.memory.buffer.byteLength;
  }

  /** Bytes of wasm memory allocated: the CPU's tables, register files, page tables and guest frames, free lists included. */
  hostBytesInUse(): number {
    return this.x.hostBytesInUse() >>> 0;
  }

  /** The host transfer buffer for `length` bytes. */
  private transfer(length: number): number {
    const buf = this.x.transferBuffer(length);
    if (buf === 0) throw new OutOfMemoryError(0, 'write', `out of memory: no transfer buffer of ${length} bytes`, this.exhaustion());
    return buf;
  }

  map(addr: number, length: number, prot: number): void {
    const [a, n] = pageRange(addr, length);
    const r = this.x.map(a, n, prot);
    if (r === 1) throw new MemoryError(addr, 'write', `cannot map 0x${addr.toString(16)}+0x${length.toString(16)}: outside user space`);
    if (r === 2) throw new OutOfMemoryError(addr, 'write', `out of memory: no page-table nodes to map 0x${addr.toString(16)}+0x${length.toString(16)}`, this.exhaustion());
  }

  unmap(addr: number, length: number): void {
    const [a, n] = pageRange(addr, length);
    this.x.unmap(a, n);
  }

  protect(addr: number, length: number, prot: number): void {
    const [a, n] = pageRange(addr, length);
    if (!this.x.protect(a, n, prot)) throw new MemoryError(addr, 'write', `cannot change protection at 0x${addr.toString(16)}: not mapped`);
  }

  pageProt(addr: number): number {
    return this.x.pageProt(BigInt(addr));
  }

  accessible(addr: number, length: number, prot: number): boolean {
    return this.x.accessible(BigInt(addr), BigInt(length), prot) !== 0;
  }

  read(addr: number, length: number): Uint8Array {
    const buf = this.transfer(length);
    if (!this.x.readGuest(BigInt(addr), length)) throw new MemoryError(Number(this.x.failedAddress()), 'read');
    return new Uint8Array(this.x.memory.buffer, buf, length).slice();
  }

  // The scalar accessors go through the transfer buffer without copying it
  // out: the kernel reads and writes rseq fields, futex words and syscall
  // arguments this way on every return to user space.
  private scalarView(): DataView {
    const buffer = this.x.memory.buffer;
    if (this.scalar?.buffer !== buffer) this.scalar = new DataView(buffer);
    return this.scalar;
  }
  private scalar: DataView | undefined;

  /** readGuest into the transfer buffer: its address. */
  private readScalar(addr: number, length: number): number {
    const buf = this.transfer(length);
    if (!this.x.readGuest(BigInt(addr), length)) throw new MemoryError(Number(this.x.failedAddress()), 'read');
    return buf;
  }

  /** writeGuest of the transfer buffer's first `length` bytes, its errors thrown as write's. */
  private writeScalar(addr: number, length: number): void {
    if (!this.x.writeGuest(BigInt(addr), length)) {
      const at = Number(this.x.failedAddress());
      if (this.x.failedOutOfMemory()) throw new OutOfMemoryError(at, 'write', undefined, this.exhaustion());
      throw new MemoryError(at, 'write');
    }
  }

  override readU32(addr: number): number {
    const buf = this.readScalar(addr, 4);
    return this.scalarView().getUint32(buf, true);
  }

  override readU64(addr: number): bigint {
    const buf = this.readScalar(addr, 8);
    return this.scalarView().getBigUint64(buf, true);
  }

  override writeU32(addr: number, value: number): void {
    const buf = this.transfer(4);
    this.scalarView().setUint32(buf, value >>> 0, true);
    this.writeScalar(addr, 4);
  }

  override writeU64(addr: number, value: bigint): void {
    const buf = this.transfer(8);
    this.scalarView().setBigUint64(buf, BigInt.asUintN(64, value), true);
    this.writeScalar(addr, 8);
  }

  write(addr: number, data: Uint8Array): void {
    const buf = this.transfer(data.length);
    new Uint8Array(this.x.memory.buffer, buf, data.length).set(data);
    this.writeScalar(addr, data.length);
  }

  run(ctx: CpuContext, maxInstructions: number, breakpoint?: number | readonly number[], passes?: readonly number[]): StopInfo {
    const c = this.own(ctx);
    // No arrays or closures made here: the machine calls this once per quantum.
    const count = breakpoint === undefined ? 0 : typeof breakpoint === 'number' ? 1 : breakpoint.length;
    if (count - 1 > this.x.maxExtraBreakpoints()) throw new RangeError(`at most ${this.x.maxExtraBreakpoints() + 1} breakpoints per run`);
    if (count > 1) {
      const extra = new BigUint64Array(this.x.memory.buffer, this.x.extraBreakpoints(), count - 1);
      for (let i = 1; i < count; i++) extra[i - 1] = BigInt(breakpointAt(breakpoint!, i));
      this.x.setExtraBreakpoints(count - 1);
    }
    if (count > 0) {
      const left = this.passesView();
      for (let i = 0; i < count; i++) left[i] = passesGiven(passes, i);
    }
    const bp = count > 0 ? breakpointAt(breakpoint!, 0) : 0;
    const reason = this.x.run(c.ptr, BigInt(Math.max(0, Math.floor(maxInstructions))), count > 0 ? 1 : 0, BigInt(bp)) as StopReason;
    const info: StopInfo = { reason, retired: Number(this.x.lastRetired()), rip: c.rip };
    if (passes && count > 0) {
      const left = this.passesView();
      info.passes = [];
      for (let i = 0; i < count; i++) info.passes.push(passesGiven(passes, i) - left[i]);
    }
    if (reason === StopReason.PageFault || reason === StopReason.OutOfMemory) {
      info.faultAddress = Number(this.x.lastFaultAddress());
      info.faultAccess = ACCESS[this.x.lastFaultAccess()] ?? 'read';
      if (reason === StopReason.OutOfMemory) info.memoryExhausted = this.exhaustion();
    }
    if (reason === StopReason.InvalidOpcode || reason === StopReason.Ud) {
      info.bytes = this.instructionBytes(Number(c.rip));
    }
    if (this.x.lastWatchHit()) {
      info.watchAddress = Number(this.x.lastWatchAddress());
      info.watchRip = this.x.lastWatchRip();
    }
    return info;
  }

  /** The CPU's breakpoint passes (u32 each), viewed afresh when wasm memory grew (views of the old buffer detach). */
  private passesView(): Uint32Array {
    const buffer = this.x.memory.buffer;
    if (this.passes?.buffer !== buffer) this.passes = new Uint32Array(buffer, this.x.breakpointPasses(), this.x.maxExtraBreakpoints() + 1);
    return this.passes;
  }
  private passes: Uint32Array | undefined;

  override setWriteWatches(ranges: readonly WriteWatchRange[]): void {
    const merged = mergeWriteWatches(ranges);
    const buf = this.transfer(Math.max(16, merged.length * 16));
    const pairs = new BigUint64Array(this.x.memory.buffer, buf, merged.length * 2);
    merged.forEach(([start, end], k) => {
      pairs[2 * k] = BigInt(start);
      pairs[2 * k + 1] = BigInt(end);
    });
    if (!this.x.setWriteWatches(merged.length)) {
      throw new OutOfMemoryError(0, 'write', `out of memory: cannot hold ${merged.length} write-watch ranges`, this.exhaustion());
    }
  }

  /** How many disjoint ranges the watches came to after merging (for tests). */
  writeWatchRangeCount(): number {
    return this.x.writeWatchRanges();
  }

  decode(addr: number): DecodedInstruction {
    const status = this.x.decodeOne(BigInt(addr));
    const p = this.x.decodedRecord();
    const dv = new DataView(this.x.memory.buffer, p, 32);
    if (status === 1) {
      return {
        status: 'fetch-fault', length: 0, row: -1, operandSize: 0, reg: 0, rm: 0, immediate: 0n,
        prefixes: { rep: false, repne: false, lock: false, opsize: false, rex: false },
        faultAddress: Number(this.x.decodeFetchFaultAddress()),
      };
    }
    // Record layout: emulator/assembly/insn.ts.
    const flags = dv.getUint8(6);
    const decoderRow = dv.getUint16(12, true);
    const base = dv.getUint8(7);
    const seg = dv.getUint8(11);
    const out: DecodedInstruction = {
      status: status === 0 ? 'ok' : status === 3 ? 'not-advertised' : 'invalid',
      length: dv.getUint8(2),
      row: status === 0 ? this.x.tableRowOf(decoderRow) : -1,
      operandSize: dv.getUint8(3),
      reg: dv.getUint8(4),
      rm: dv.getUint8(5),
      immediate: dv.getBigUint64(24, true),
      prefixes: { rep: (flags & 2) !== 0, repne: (flags & 4) !== 0, lock: (flags & 8) !== 0, opsize: (flags & 64) !== 0, rex: (flags & 32) !== 0 },
    };
    if (flags & 1) {
      const index = dv.getUint8(8);
      out.memory = {
        base: base === 16 ? -1 : base,
        index: index === 16 ? -1 : index,
        scale: (1 << dv.getUint8(9)) as 1 | 2 | 4 | 8,
        disp: dv.getBigUint64(16, true),
        segment: seg === 1 ? 'fs' : seg === 2 ? 'gs' : null,
        addressSize: (flags & 16) !== 0 ? 32 : 64,
        ripRelative: (dv.getUint8(14) & 1) !== 0,
      };
    }
    return out;
  }

  /** Up to 15 bytes at addr, fewer where the mapping ends. */
  private instructionBytes(addr: number): Uint8Array {
    const out: number[] = [];
    for (let i = 0; i < 15; i++) {
      if (this.pageProt(addr + i) < 0) break;
      out.push(this.read(addr + i, 1)[0]);
    }
    return Uint8Array.from(out);
  }
}
