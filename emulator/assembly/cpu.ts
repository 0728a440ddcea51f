// The run loop: executes a register file's instructions block by block,
// counting retired instructions exactly, until the budget is spent, a
// breakpoint address is reached, or a handler stops the CPU.

import {
  RIP, STOP, STOP_NONE, STOP_RETIRES, STOP_GENERAL_PROTECTION, STOP_STACK_FAULT, setStop, STOP_BUDGET, STOP_BREAKPOINT, STOP_PAGE_FAULT, STOP_CODE_WRITTEN,
  STOP_OUT_OF_MEMORY,
  CTX_RIP, CTX_RETIRED, setActive, setNextIp, clearStop,
} from './state';
import { loadFlags, saveFlags } from './flags';
import { FAULT, FAULT_ADDR, FAULT_ACCESS, ACCESS_EXEC, clearFault, CODE_WRITTEN, clearCodeWritten, WATCH_HIT, WATCH_ADDR, clearWatchHit } from './mem';
import { findBlock, flushDecodeCache, BLOCK_FIRST, BLOCK_COUNT, BLOCK_END, BLOCK_FETCH_FAULT, BLOCK_FAULT_ADDR } from './cache';
import { INSN_SIZE, lenOf, handlerOf, usesStackSegment } from './insn';
import { FETCH_FAULT_OOM } from './decode';
import { dispatch } from './generated/dispatch';
import { setRunRetired } from './run-state';

export let LAST_STOP: u32 = 0;
export let LAST_FAULT_ADDR: u64 = 0;
export let LAST_FAULT_ACCESS: u32 = 0;
export let LAST_RETIRED: u64 = 0;
/** Whether the last instruction of the last run wrote a watched byte (its stop is WriteWatch, or a fault that came after the store). */
export let LAST_WATCH_HIT: bool = false;
export let LAST_WATCH_ADDR: u64 = 0;
export let LAST_WATCH_RIP: u64 = 0;

// State of the run in progress, shared by run() and runBlocks().
let runIp: u64 = 0;
let runRetired: u64 = 0;
let runReason: u32 = 0;
let runDone: bool = false;

/**
 * More breakpoints for one run, beyond the `breakpoint` argument (a kernel
 * waiting for several addresses of one thread): written by the host into
 * EXTRA_BREAKPOINTS, counted by EXTRA_BREAKPOINT_COUNT, reset after each run.
 */
export const MAX_EXTRA_BREAKPOINTS: u32 = 15;
export const EXTRA_BREAKPOINTS: usize = memory.data(<i32>MAX_EXTRA_BREAKPOINTS * 8, 8);
let extraBreakpointCount: u32 = 0;
export function setExtraBreakpointCount(n: u32): void { extraBreakpointCount = n < MAX_EXTRA_BREAKPOINTS ? n : MAX_EXTRA_BREAKPOINTS; }

/**
 * Passes left per breakpoint (u32): index 0 for the `breakpoint` argument,
 * 1 + i for extra breakpoint i. Reaching a breakpoint that has passes left
 * uses one and runs on instead of stopping, so a kernel waiting for the
 * n-th visit of an address stops once, not n times; the host reads what is
 * left after the run to count the visits. Written by the host before each
 * run that has breakpoints.
 */
export const BREAKPOINT_PASSES: usize = memory.data(<i32>(MAX_EXTRA_BREAKPOINTS + 1) * 4, 4);

/** At breakpoint ip: uses one of its passes and returns true, or returns false (stop here) when it has none left. */
function passBreakpoint(ip: u64, breakpoint: u64): bool {
  let k: u32 = 0;
  if (ip != breakpoint) {
    while (load<u64>(EXTRA_BREAKPOINTS + (<usize>k << 3)) != ip) k++;
    k++;
  }
  const at = BREAKPOINT_PASSES + (<usize>k << 2);
  const left = load<u32>(at);
  if (left == 0) return false;
  store<u32>(at, left - 1);
  return true;
}

function atExtraBreakpoint(ip: u64): bool {
  for (let i: u32 = 0; i < extraBreakpointCount; i++) if (load<u64>(EXTRA_BREAKPOINTS + (<usize>i << 3)) == ip) return true;
  return false;
}

/** The first record of the block at ip (count records, ending at end) where an extra breakpoint lies; count when none does. */
function extraBreakpointIndex(ip: u64, first: usize, count: u32, end: u64): u32 {
  let best = count;
  for (let i: u32 = 0; i < extraBreakpointCount; i++) {
    const b = load<u64>(EXTRA_BREAKPOINTS + (<usize>i << 3));
    if (b > ip && b < end) {
      const k = indexOf(ip, first, count, b);
      if (k < best) best = k;
    }
  }
  return best;
}

/** Blocks per runBlocks() call: small enough that the engine's optimizing tier takes over early. */
const BLOCKS_PER_SLICE: u32 = 4096;

/**
 * Runs the register file at ctx for at most maxInsns instructions. With
 * useBreakpoint, stops when rip equals breakpoint before executing it.
 * Returns the stop reason (StopReason in emulator/api.ts).
 *
 * The loop lives in runBlocks(), called once per slice of blocks: wasm
 * engines tier a function up to optimized code between calls (V8 has no
 * on-stack replacement for wasm), so one endless call would stay in the
 * baseline tier.
 */
export function run(ctx: usize, maxInsns: u64, useBreakpoint: bool, breakpoint: u64): u32 {
  setActive(ctx);
  loadFlags(ctx);
  clearStop();
  clearFault();
  runIp = load<u64>(ctx + CTX_RIP);
  runRetired = 0;
  runReason = STOP_BUDGET;
  runDone = false;
  LAST_FAULT_ADDR = 0;
  LAST_FAULT_ACCESS = 0;
  clearWatchHit();
  LAST_WATCH_RIP = 0;
  while (!runDone) runBlocks(maxInsns, useBreakpoint, breakpoint);
  extraBreakpointCount = 0;
  const ip = runIp;
  const retired = runRetired;
  let reason = runReason;
  // A fetch that failed because its page could not get a frame. Decided
  // here, not in runBlocks: the hot loop's code is sensitive to every
  // extra branch (see findBlock), and only the last decode can be meant.
  if (reason == STOP_PAGE_FAULT && LAST_FAULT_ACCESS == ACCESS_EXEC && FETCH_FAULT_OOM) reason = STOP_OUT_OF_MEMORY;
  store<u64>(ctx + CTX_RIP, ip);
  store<u64>(ctx + CTX_RETIRED, load<u64>(ctx + CTX_RETIRED) + retired);
  saveFlags(ctx);
  LAST_STOP = reason;
  LAST_RETIRED = retired;
  LAST_WATCH_HIT = WATCH_HIT;
  LAST_WATCH_ADDR = WATCH_ADDR;
  return reason;
}

/** Address of record k of the block starting at ip whose first record is first. */
function addressOf(ip: u64, first: usize, k: u32): u64 {
  let a = ip;
  for (let j: u32 = 0; j < k; j++) a += lenOf(first + <usize>j * INSN_SIZE);
  return a;
}

/** Index of the record of the block at ip that starts at target, or count when none does. */
function indexOf(ip: u64, first: usize, count: u32, target: u64): u32 {
  let a = ip;
  for (let j: u32 = 0; j < count; j++) {
    if (a == target) return j;
    a += lenOf(first + <usize>j * INSN_SIZE);
  }
  return count;
}

function runBlocks(maxInsns: u64, useBreakpoint: bool, breakpoint: u64): void {
  let ip = runIp;
  let retired = runRetired;
  let reason = runReason;
  let running = true;
  for (let slice: u32 = 0; slice < BLOCKS_PER_SLICE; slice++) {
    if (retired >= maxInsns) { reason = STOP_BUDGET; running = false; break; }
    if (useBreakpoint && (ip == breakpoint || (extraBreakpointCount != 0 && atExtraBreakpoint(ip))) && !passBreakpoint(ip, breakpoint)) {
      reason = STOP_BREAKPOINT;
      running = false;
      break;
    }
    findBlock(ip);
    if (BLOCK_FETCH_FAULT) {
      reason = STOP_PAGE_FAULT;
      LAST_FAULT_ADDR = BLOCK_FAULT_ADDR;
      LAST_FAULT_ACCESS = ACCESS_EXEC;
      running = false;
      break;
    }
    const first = BLOCK_FIRST;
    const count = BLOCK_COUNT;
    let n = count;
    const left = maxInsns - retired;
    if (<u64>n > left) n = <u32>left;
    // A breakpoint inside the block: run up to it; the check above stops there.
    if (useBreakpoint) {
      if (breakpoint > ip && breakpoint < BLOCK_END) {
        const k = indexOf(ip, first, count, breakpoint);
        if (k < n) n = k;
      }
      if (extraBreakpointCount != 0) {
        const k = extraBreakpointIndex(ip, first, count, BLOCK_END);
        if (k < n) n = k;
      }
    }
    setRunRetired(retired);
    // Only the last instruction of a block can branch, so RIP (which only
    // block-ending handlers read or write) starts at the fall-through
    // address; a handler that stops the CPU says so through STOP.
    setNextIp(BLOCK_END);
    let d = first;
    let i: u32 = 0;
    for (; i < n; i++) {
      dispatch(handlerOf(d), d);
      if (STOP != STOP_NONE) break;
      d += INSN_SIZE;
    }
    if (i < n) {
      // Instruction i stopped the CPU. A store to a watched byte always
      // ends the run here (STOP_WRITE_WATCH, or a later fault of the same
      // instruction), so this is the instruction that wrote it.
      if (WATCH_HIT) LAST_WATCH_RIP = addressOf(ip, first, i);
      if (STOP_RETIRES) {
        i++;
        ip = i == count ? RIP : addressOf(ip, first, i);
      } else {
        ip = addressOf(ip, first, i);
        if (STOP == STOP_GENERAL_PROTECTION && FAULT && usesStackSegment(first + <usize>i * INSN_SIZE)) {
          setStop(STOP_STACK_FAULT);
        }
        if (FAULT) {
          LAST_FAULT_ADDR = FAULT_ADDR;
          LAST_FAULT_ACCESS = FAULT_ACCESS;
        }
      }
      retired += i;
      if (CODE_WRITTEN) {
        // An instruction wrote to a page holding decoded code: decode again.
        clearCodeWritten();
        flushDecodeCache();
      }
      const stop = STOP;
      clearStop();
      if (stop != STOP_CODE_WRITTEN) {
        reason = stop;
        running = false;
        break;
      }
      continue;
    }
    retired += n;
    ip = n == count ? RIP : addressOf(ip, first, n);
  }
  runIp = ip;
  runRetired = retired;
  runReason = reason;
  runDone = !running;
}
