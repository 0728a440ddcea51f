// The wasm module's exports: the only door between the CPU and TypeScript
// (emulator/cpu.ts wraps them as the Cpu interface of emulator/api.ts).

import { hostAlloc } from './host';
import { CTX_SIZE, CTX_RFLAGS, CTX_MXCSR, CTX_FPU_CW } from './state';
import {
  mapRange, unmapRange, protectRange, pageProt as pageProtection, copyFromGuest, copyToGuest,
  accessible as isAccessible, rangeHasCode, tlbInit, CODE_WRITTEN, clearCodeWritten, FAULT_ADDR,
} from './mem';
import { cacheInit, flushDecodeCache } from './cache';
import { decodeAt, FETCH_FAULT_ADDR } from './decode';
import { INSN_SIZE } from './insn';
import { ROW_SOURCE } from './generated/table';
import { run as runLoop, LAST_RETIRED, LAST_FAULT_ADDR, LAST_FAULT_ACCESS } from './cpu';

let initialized = false;
let transfer: usize = 0;
let transferSize: usize = 0;

export function init(): void {
  if (initialized) return;
  initialized = true;
  tlbInit();
  cacheInit();
}

/** A new register file: zeroed, rflags 0x202, mxcsr 0x1f80, x87 control word 0x37f. */
export function newContext(): usize {
  init();
  const ctx = hostAlloc(CTX_SIZE, 64);
  store<u64>(ctx + CTX_RFLAGS, 0x202);
  store<u32>(ctx + CTX_MXCSR, 0x1f80);
  store<u16>(ctx + CTX_FPU_CW, 0x37f);
  return ctx;
}

export function contextSize(): usize { return CTX_SIZE; }

export function run(ctx: usize, maxInsns: u64, useBreakpoint: bool, breakpoint: u64): u32 {
  init();
  return runLoop(ctx, maxInsns, useBreakpoint, breakpoint);
}

export function lastRetired(): u64 { return LAST_RETIRED; }
export function lastFaultAddress(): u64 { return LAST_FAULT_ADDR; }
export function lastFaultAccess(): u32 { return LAST_FAULT_ACCESS; }

function flushIfCode(addr: u64, length: u64): void {
  if (rangeHasCode(addr, length)) flushDecodeCache();
}

export function map(addr: u64, length: u64, prot: u32): bool {
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

/** A host buffer for copies between JS and guest memory (valid until the next call). */
export function transferBuffer(size: usize): usize {
  if (size > transferSize) {
    transferSize = (size + 0xffff) & ~<usize>0xffff;
    transfer = hostAlloc(transferSize, 16);
  }
  return transfer;
}

/** Copies guest memory into the transfer buffer; false if a page is unmapped (see failedAddress). */
export function readGuest(addr: u64, length: u32): bool {
  init();
  return copyFromGuest(transfer, addr, <u64>length);
}

export function writeGuest(addr: u64, length: u32): bool {
  init();
  const ok = copyToGuest(addr, transfer, <u64>length);
  if (CODE_WRITTEN) {
    clearCodeWritten();
    flushDecodeCache();
  }
  return ok;
}

export function failedAddress(): u64 { return FAULT_ADDR; }

// ---- decoder access for tests and tools -------------------------------------

let probe: usize = 0;

/**
 * Decodes one instruction at addr without executing it. Returns 0 (ok),
 * 1 (bytes not executable: see failedAddress) or 2 (invalid); the record
 * is at decodedRecord() (layout in emulator/assembly/insn.ts).
 */
export function decodeOne(addr: u64): u32 {
  init();
  if (probe == 0) probe = hostAlloc(INSN_SIZE, 16);
  return decodeAt(addr, probe);
}

export function decodedRecord(): usize { return probe; }

/** The OPCODE_TABLE index (emulator/table) of the decoder's row `row`, or -1. */
export function tableRowOf(row: u32): i32 {
  return row < <u32>ROW_SOURCE.length ? <i32>unchecked(ROW_SOURCE[row]) : -1;
}
export function decodeFetchFaultAddress(): u64 { return FETCH_FAULT_ADDR; }
