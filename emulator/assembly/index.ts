// The wasm module's exports: the only door between the CPU and TypeScript
// (emulator/cpu.ts wraps them as the Cpu interface of emulator/api.ts).

import { hostAlloc, hostBytesInUse as hostTopBytes, setHostLimit as setHostLimitBytes } from './host';
import { CTX_SIZE, CTX_RFLAGS, CTX_MXCSR, CTX_FPU_CW } from './state';
import {
  mapRange, mapSharedRange, unmapRange, protectRange, pageProt as pageProtection, copyFromGuest, copyToGuest,
  accessible as isAccessible, rangeHasCode, memInit, CODE_WRITTEN, clearCodeWritten, FAULT_ADDR, KERNEL_OOM,
  createSpace, forkSpace, useSpace, destroySpace, spaceExists, CUR_SPACE, setWatches, watchRangeCount,
} from './mem';
import { takeSnap, restoreSnap, releaseSnap, isSnap } from './snapshot';
import { FRAMES_IN_USE, LIVE_FRAMES, NODE_BYTES, setFrameLimit as setFrameLimitTo, isCodeFrame } from './frames';
import { objCreate, objOwned, objResize, objRelease, objFrame, objPages, MAX_OBJECT_PAGES } from './shared';
import { cacheInit, flushDecodeCache, BLOCKS_DECODED } from './cache';
import { decodeAt, FETCH_FAULT_ADDR } from './decode';
import { INSN_SIZE } from './insn';
import { ROW_SOURCE } from './generated/table';
import {
  run as runLoop, LAST_RETIRED, LAST_FAULT_ADDR, LAST_FAULT_ACCESS, EXTRA_BREAKPOINTS, MAX_EXTRA_BREAKPOINTS, setExtraBreakpointCount, BREAKPOINT_PASSES,
  LAST_WATCH_HIT, LAST_WATCH_ADDR, LAST_WATCH_RIP,
} from './cpu';

let initState: i32 = 0; // 0 not yet, 1 done, -1 failed
/** The record decodeOne fills. */
let probe: usize = 0;
let transfer: usize = 0;
let transferSize: usize = 0;

/** Allocates the CPU's tables; false when wasm memory cannot hold them (the binding throws). */
export function init(): bool {
  if (initState == 0) {
    probe = hostAlloc(INSN_SIZE, 16);
    initState = probe != 0 && memInit() && cacheInit() ? 1 : -1;
  }
  return initState == 1;
}

// Register files: a released one goes on a free list (linked through its
// first word) and is reused, so threads coming and going do not grow memory.
let freeContexts: usize = 0;

/** A new register file: zeroed, rflags 0x202, mxcsr 0x1f80, x87 control word 0x37f; 0 when out of memory. */
export function newContext(): usize {
  init();
  let ctx = freeContexts;
  if (ctx != 0) {
    freeContexts = load<usize>(ctx);
    memory.fill(ctx, 0, CTX_SIZE);
  } else {
    ctx = hostAlloc(CTX_SIZE, 64);
    if (ctx == 0) return 0;
  }
  store<u64>(ctx + CTX_RFLAGS, 0x202);
  store<u32>(ctx + CTX_MXCSR, 0x1f80);
  store<u16>(ctx + CTX_FPU_CW, 0x37f);
  return ctx;
}

export function releaseContext(ctx: usize): void {
  store<usize>(ctx, freeContexts);
  freeContexts = ctx;
}

export function contextSize(): usize { return CTX_SIZE; }

/** Where the host writes up to maxExtraBreakpoints() more breakpoint addresses (u64) for the next run. */
export function extraBreakpoints(): usize { return EXTRA_BREAKPOINTS; }
export function maxExtraBreakpoints(): u32 { return MAX_EXTRA_BREAKPOINTS; }
export function setExtraBreakpoints(n: u32): void { setExtraBreakpointCount(n); }
/** Where the host writes the passes of each breakpoint (u32: the `breakpoint` argument, then the extra ones) for the next run, and reads what is left after it. */
export function breakpointPasses(): usize { return BREAKPOINT_PASSES; }

export function run(ctx: usize, maxInsns: u64, useBreakpoint: bool, breakpoint: u64): u32 {
  init();
  return runLoop(ctx, maxInsns, useBreakpoint, breakpoint);
}

export function lastRetired(): u64 { return LAST_RETIRED; }
export function lastFaultAddress(): u64 { return LAST_FAULT_ADDR; }
export function lastFaultAccess(): u32 { return LAST_FAULT_ACCESS; }
/** Whether the last run's last instruction wrote a watched byte; where (first watched byte) and which instruction. */
export function lastWatchHit(): bool { return LAST_WATCH_HIT; }
export function lastWatchAddress(): u64 { return LAST_WATCH_ADDR; }
export function lastWatchRip(): u64 { return LAST_WATCH_RIP; }

/**
 * Replaces the write watches with the `count` [start, end) u64 pairs in
 * the transfer buffer (sorted, disjoint: the binding prepares them).
 * False when out of memory (the old watches stay).
 */
export function setWriteWatches(count: u32): bool {
  init();
  return setWatches(transfer, count);
}
export function writeWatchRanges(): u32 { init(); return watchRangeCount(); }

function flushIfCode(addr: u64, length: u64): void {
  if (rangeHasCode(addr, length)) flushDecodeCache();
}

/** 0: mapped; 1: outside user space; 2: out of memory for page-table nodes (nothing changed). */
export function map(addr: u64, length: u64, prot: u32): i32 {
  init();
  flushIfCode(addr, length);
  return mapRange(addr, length, prot);
}

export function unmap(addr: u64, length: u64): void {
  init();
  flushIfCode(addr, length);
  unmapRange(addr, length);
}

export function protect(addr: u64, length: u64, prot: u32): bool {
  init();
  flushIfCode(addr, length);
  return protectRange(addr, length, prot);
}

export function pageProt(addr: u64): i32 { init(); return pageProtection(addr); }

export function accessible(addr: u64, length: u64, prot: u32): bool { init(); return isAccessible(addr, length, prot); }

/** A host buffer for copies between JS and guest memory (valid until the next call); 0 when out of memory. */
export function transferBuffer(size: usize): usize {
  init();
  if (size > transferSize) {
    const n = (size + 0xffff) & ~<usize>0xffff;
    const t = hostAlloc(n, 16);
    if (t == 0) return 0;
    transfer = t;
    transferSize = n;
  }
  return transfer;
}

/** Copies guest memory into the transfer buffer; false if a page is unmapped (see failedAddress). */
export function readGuest(addr: u64, length: u32): bool {
  init();
  return copyFromGuest(transfer, addr, <u64>length);
}

/** Copies the transfer buffer into guest memory; false if a page is unmapped or out of memory (failedOutOfMemory). */
export function writeGuest(addr: u64, length: u32): bool {
  init();
  const ok = copyToGuest(addr, transfer, <u64>length);
  if (CODE_WRITTEN) {
    clearCodeWritten();
    flushDecodeCache();
  }
  return ok;
}

/** Whether the last failed writeGuest failed for want of memory rather than a mapping. */
export function failedOutOfMemory(): bool { return KERNEL_OOM; }

// ---- address spaces -----------------------------------------------------------

/** A new empty address space; -1 when out of memory. */
export function createAddressSpace(): i32 { init(); return createSpace(); }

/** A copy-on-write copy of address space src; -1 when out of memory, -2 when src does not exist. */
export function forkAddressSpace(src: u32): i32 {
  init();
  if (!spaceExists(src)) return -2;
  return forkSpace(src);
}

export function useAddressSpace(id: u32): bool { init(); return useSpace(id); }
export function currentAddressSpace(): u32 { init(); return CUR_SPACE; }
export function destroyAddressSpace(id: u32): bool { init(); return destroySpace(id); }

// ---- memory accounting ----------------------------------------------------------

export function framesInUse(): u32 { init(); return FRAMES_IN_USE; }
export function liveFramesInUse(): u32 { init(); return LIVE_FRAMES; }
export function pageTableBytes(): u32 { init(); return <u32>NODE_BYTES; }
export function blocksDecoded(): u32 { return BLOCKS_DECODED; }
/** Wasm memory allocated so far (memory itself may have grown further ahead of need). */
export function hostBytesInUse(): u32 { init(); return <u32>hostTopBytes(); }
export function setFrameLimit(frames: u32): void { setFrameLimitTo(frames); }
/** Test seam: wasm memory behaves as if memory.grow failed for more than `bytes` beyond what is allocated now (-1 lifts it). */
export function setHostLimit(bytes: i32): void { setHostLimitBytes(bytes); }

// ---- memory snapshots (snapshot.ts) ---------------------------------------------

/** A snapshot of all guest memory: its handle, or 0 when out of memory. */
export function snapshotMemory(): u32 { init(); return <u32>takeSnap(); }

/** 0: restored; 1: not a snapshot; 2: out of memory on the way (live memory is then one empty address space). */
export function restoreMemory(h: u32): i32 {
  init();
  if (!isSnap(h)) return 1;
  return restoreSnap(h) ? 0 : 2;
}

export function releaseSnapshot(h: u32): bool {
  init();
  if (!isSnap(h)) return false;
  releaseSnap(h);
  return true;
}

// ---- shared objects -------------------------------------------------------------

/** A new shared object of `pages` zero pages; 0 when out of memory, -1 when too large. */
export function createSharedObject(pages: u32): i32 {
  init();
  if (pages > MAX_OBJECT_PAGES) return -1;
  return <i32>objCreate(pages);
}

/** 0: done; 1: no such object; 2: too large. */
export function resizeSharedObject(id: u32, pages: u32): i32 {
  init();
  if (!objOwned(id)) return 1;
  if (pages > MAX_OBJECT_PAGES) return 2;
  objResize(id, pages);
  return 0;
}

export function releaseSharedObject(id: u32): bool {
  init();
  if (!objOwned(id)) return false;
  objRelease(id);
  return true;
}

export function sharedObjectPages(id: u32): i32 { init(); return objOwned(id) ? <i32>objPages(id) : -1; }

/** 0: mapped; 1: outside user space; 2: out of memory; 3: no such object. */
export function mapShared(addr: u64, length: u64, prot: u32, obj: u32, pageOffset: u32): i32 {
  init();
  if (!objOwned(obj)) return 3;
  flushIfCode(addr, length);
  return mapSharedRange(addr, length, prot, obj, pageOffset);
}

/** Copies object bytes [offset, offset + length) into the transfer buffer (pages never written read as zero). */
export function readShared(obj: u32, offset: u64, length: u32): bool {
  init();
  if (!objOwned(obj) || offset + <u64>length > (<u64>objPages(obj) << 12)) return false;
  let done: u32 = 0;
  while (done < length) {
    const o = offset + <u64>done;
    const page = <u32>(o >> 12);
    const off = <u32>(o & 0xfff);
    let chunk: u32 = 4096 - off;
    if (chunk > length - done) chunk = length - done;
    const f = objFrame(obj, page, false);
    if (f != 0) memory.copy(transfer + <usize>done, f + <usize>off, <usize>chunk);
    else memory.fill(transfer + <usize>done, 0, <usize>chunk);
    done += chunk;
  }
  return true;
}

/** 0: written; 1: no such object or beyond its size; 2: out of memory (nothing written). */
export function writeShared(obj: u32, offset: u64, length: u32): i32 {
  init();
  if (!objOwned(obj) || offset + <u64>length > (<u64>objPages(obj) << 12)) return 1;
  if (length == 0) return 0;
  const firstPage = <u32>(offset >> 12);
  const lastPage = <u32>((offset + <u64>length - 1) >> 12);
  // Every frame first, so running out of memory writes nothing.
  for (let p = firstPage; p <= lastPage; p++) {
    if (objFrame(obj, p, true) == 0) return 2;
  }
  let done: u32 = 0;
  while (done < length) {
    const o = offset + <u64>done;
    const f = objFrame(obj, <u32>(o >> 12), false);
    const off = <u32>(o & 0xfff);
    let chunk: u32 = 4096 - off;
    if (chunk > length - done) chunk = length - done;
    if (isCodeFrame(f)) CODE_WRITTEN_BY_KERNEL = true;
    memory.copy(f + <usize>off, transfer + <usize>done, <usize>chunk);
    done += chunk;
  }
  if (CODE_WRITTEN_BY_KERNEL) {
    CODE_WRITTEN_BY_KERNEL = false;
    flushDecodeCache();
  }
  return 0;
}
let CODE_WRITTEN_BY_KERNEL = false;

export function failedAddress(): u64 { return FAULT_ADDR; }

// ---- decoder access for tests and tools -------------------------------------

/**
 * Decodes one instruction at addr without executing it. Returns 0 (ok),
 * 1 (bytes not executable: see failedAddress) or 2 (invalid); the record
 * is at decodedRecord() (layout in emulator/assembly/insn.ts).
 */
export function decodeOne(addr: u64): u32 {
  init();
  return decodeAt(addr, probe);
}

export function decodedRecord(): usize { return probe; }

/** The OPCODE_TABLE index (emulator/table) of the decoder's row `row`, or -1. */
export function tableRowOf(row: u32): i32 {
  return row < <u32>ROW_SOURCE.length ? <i32>unchecked(ROW_SOURCE[row]) : -1;
}
export function decodeFetchFaultAddress(): u64 { return FETCH_FAULT_ADDR; }
