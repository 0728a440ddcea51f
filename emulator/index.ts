// The TypeScript side of the CPU: loads build/emulator.wasm and presents
// it as the Cpu interface of ./api.ts. The same code runs in Node and in
// the browser; only the way the wasm bytes are found differs.

import { CTX } from './context-layout.js';
import {
  CpuWords, MemoryError, StopReason, type AccessKind, type Cpu, type CpuContext, type StopInfo, type DecodedInstruction,
} from './api.js';

export * from './api.js';

interface CpuExports {
  memory: WebAssembly.Memory;
  newContext(): number;
  run(ctx: number, maxInsns: bigint, useBreakpoint: number, breakpoint: bigint): number;
  lastRetired(): bigint;
  lastFaultAddress(): bigint;
  lastFaultAccess(): number;
  map(addr: bigint, length: bigint, prot: number): number;
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

/** Where the compiled CPU lives, relative to this file (emulator/ -> build/). */
const WASM_URL = new URL('../build/emulator.wasm', import.meta.url);

async function loadWasmBytes(): Promise<ArrayBuffer | Uint8Array> {
  if (typeof process !== 'undefined' && process.versions?.node) {
    const { readFile } = await import('node:fs/promises');
    try {
      return await readFile(WASM_URL);
    } catch {
      throw new Error(`the CPU is not built (${WASM_URL.pathname} is missing): run 'npm run build:wasm'`);
    }
  }
  const res = await fetch(WASM_URL);
  if (!res.ok) throw new Error(`could not load the CPU from ${WASM_URL}: HTTP ${res.status}`);
  return await res.arrayBuffer();
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** A fresh CPU with its own memory (every call instantiates a new wasm instance). */
export async function createCpu(wasm?: ArrayBuffer | Uint8Array): Promise<Cpu> {
  if (wasm) return new WasmCpu(await WebAssembly.instantiate(await WebAssembly.compile(wasm as BufferSource)));
  compiled ??= loadWasmBytes().then((b) => WebAssembly.compile(b as BufferSource));
  const instance = await WebAssembly.instantiate(await compiled, { env: { abort: wasmAbort } });
  return new WasmCpu(instance);
}

function wasmAbort(): never {
  throw new Error('the CPU core aborted (internal error)');
}

function pageRange(addr: number, length: number): [bigint, bigint] {
  const start = Math.floor(addr / PAGE) * PAGE;
  const end = Math.ceil((addr + length) / PAGE) * PAGE;
  return [BigInt(start), BigInt(end - start)];
}

class WasmContext implements CpuContext {
  private views?: { buffer: ArrayBuffer; gpr: BigUint64Array; u64: BigUint64Array; u32: Uint32Array; xmm: Uint8Array };

  constructor(private readonly memory: WebAssembly.Memory, readonly ptr: number) {}

  /** Typed arrays over wasm memory are re-made when memory grows (the old buffer is detached). */
  private v() {
    const buffer = this.memory.buffer;
    if (!this.views || this.views.buffer !== buffer) {
      this.views = {
        buffer,
        gpr: new BigUint64Array(buffer, this.ptr + CTX.GPR, 16),
        u64: new BigUint64Array(buffer, this.ptr, CTX.SIZE / 8),
        u32: new Uint32Array(buffer, this.ptr, CTX.SIZE / 4),
        xmm: new Uint8Array(buffer, this.ptr + CTX.XMM, 256),
      };
    }
    return this.views;
  }

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

class WasmCpu extends CpuWords implements Cpu {
  private readonly x: CpuExports;

  constructor(instance: WebAssembly.Instance) {
    super();
    this.x = instance.exports as unknown as CpuExports;
  }

  createContext(): CpuContext {
    return new WasmContext(this.x.memory, this.x.newContext());
  }

  map(addr: number, length: number, prot: number): void {
    const [a, n] = pageRange(addr, length);
    if (!this.x.map(a, n, prot)) throw new MemoryError(addr, 'write', `cannot map 0x${addr.toString(16)}+0x${length.toString(16)}: outside user space`);
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
    const buf = this.x.transferBuffer(length);
    if (!this.x.readGuest(BigInt(addr), length)) throw new MemoryError(Number(this.x.failedAddress()), 'read');
    return new Uint8Array(this.x.memory.buffer, buf, length).slice();
  }

  write(addr: number, data: Uint8Array): void {
    const buf = this.x.transferBuffer(data.length);
    new Uint8Array(this.x.memory.buffer, buf, data.length).set(data);
    if (!this.x.writeGuest(BigInt(addr), data.length)) throw new MemoryError(Number(this.x.failedAddress()), 'write');
  }

  run(ctx: CpuContext, maxInstructions: number, breakpoint?: number): StopInfo {
    const c = ctx as WasmContext;
    const reason = this.x.run(c.ptr, BigInt(Math.max(0, Math.floor(maxInstructions))), breakpoint === undefined ? 0 : 1, BigInt(breakpoint ?? 0)) as StopReason;
    const info: StopInfo = { reason, retired: Number(this.x.lastRetired()), rip: c.rip };
    if (reason === StopReason.PageFault) {
      info.faultAddress = Number(this.x.lastFaultAddress());
      info.faultAccess = ACCESS[this.x.lastFaultAccess()] ?? 'read';
    }
    if (reason === StopReason.InvalidOpcode || reason === StopReason.Ud) {
      info.bytes = this.instructionBytes(Number(c.rip));
    }
    return info;
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
