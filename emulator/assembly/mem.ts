// Guest memory: a four-level page table of 4 KiB pages with read, write and
// execute permissions, fronted by direct-mapped software TLBs for reads and
// writes. A failed access records the address and kind and stops the
// instruction (the caller checks FAULT before changing any state).

import { hostAlloc } from './host';
import { STOP_PAGE_FAULT, STOP_GENERAL_PROTECTION, STOP_CODE_WRITTEN, stopFault, stopRetired, STOP, STOP_NONE } from './state';

export const PROT_READ: u32 = 1;
export const PROT_WRITE: u32 = 2;
export const PROT_EXEC: u32 = 4;
const PTE_MAPPED: u32 = 8;
/** The page holds decoded instructions: writes must drop the decode cache. */
const PTE_CODE: u32 = 16;
const PTE_FLAGS: u32 = 0xfff;

export const ACCESS_READ: u32 = 0;
export const ACCESS_WRITE: u32 = 1;
export const ACCESS_EXEC: u32 = 2;

export let FAULT: bool = false;
export let FAULT_ADDR: u64 = 0;
export let FAULT_ACCESS: u32 = 0;

/** Set when a write hit a page holding decoded code; the run loop flushes the decode cache. */
export let CODE_WRITTEN: bool = false;
export function clearCodeWritten(): void { CODE_WRITTEN = false; }

// User addresses are below 2^47: page numbers have 35 bits, split 8+9+9+9.
const USER_LIMIT: u64 = <u64>1 << 47;
const L0_BITS: u32 = 8;
const LN_BITS: u32 = 9;
let root: usize = 0;

// A frame is 4 KiB of host memory. Freed frames are reused (zeroed again).
let freeFrames: usize = 0; // singly linked through the first word
function allocFrame(): usize {
  if (freeFrames != 0) {
    const f = freeFrames;
    freeFrames = load<usize>(f);
    memory.fill(f, 0, 4096);
    return f;
  }
  return hostAlloc(4096, 4096);
}
function freeFrame(f: usize): void {
  store<usize>(f, freeFrames);
  freeFrames = f;
}

function ensureRoot(): void {
  if (root == 0) root = hostAlloc(4 << L0_BITS, 64);
}

/** Address of the PTE word of page `vpn`, creating interior nodes if `create`; 0 when absent. */
function pteSlot(vpn: u64, create: bool): usize {
  ensureRoot();
  let node = root;
  const i0 = <usize>(vpn >> 27) & 0xff;
  const i1 = <usize>(vpn >> 18) & 0x1ff;
  const i2 = <usize>(vpn >> 9) & 0x1ff;
  const i3 = <usize>vpn & 0x1ff;
  let slot = node + (i0 << 2);
  let next = <usize>load<u32>(slot);
  if (next == 0) { if (!create) return 0; next = hostAlloc(4 << LN_BITS, 64); store<u32>(slot, <u32>next); }
  slot = next + (i1 << 2);
  node = next;
  next = <usize>load<u32>(slot);
  if (next == 0) { if (!create) return 0; next = hostAlloc(4 << LN_BITS, 64); store<u32>(slot, <u32>next); }
  slot = next + (i2 << 2);
  next = <usize>load<u32>(slot);
  if (next == 0) { if (!create) return 0; next = hostAlloc(4 << LN_BITS, 64); store<u32>(slot, <u32>next); }
  return next + (i3 << 2);
}

// ---- TLBs -------------------------------------------------------------------

const TLB_ENTRIES: usize = 4096;
const TLB_MASK: u64 = 4095;
const NO_TAG: u64 = 0xffffffffffffffff;
let readTlbTag: usize = 0;
let readTlbHost: usize = 0;
let writeTlbTag: usize = 0;
let writeTlbHost: usize = 0;

export function tlbInit(): void {
  readTlbTag = hostAlloc(TLB_ENTRIES * 8, 64);
  readTlbHost = hostAlloc(TLB_ENTRIES * 4, 64);
  writeTlbTag = hostAlloc(TLB_ENTRIES * 8, 64);
  writeTlbHost = hostAlloc(TLB_ENTRIES * 4, 64);
  tlbFlush();
}

export function tlbFlush(): void {
  if (readTlbTag == 0) tlbInit();
  memory.fill(readTlbTag, 0xff, TLB_ENTRIES * 8);
  memory.fill(writeTlbTag, 0xff, TLB_ENTRIES * 8);
}

// ---- mapping ----------------------------------------------------------------

// Pages that hold decoded code, so a flush of the decode cache can clear their mark.
let codePages: usize = 0;
let codePageCount: u32 = 0;
let codePageCap: u32 = 0;

/** Marks a page as holding decoded instructions. Returns false if unmapped. */
export function markCodePage(vpn: u64): void {
  const slot = pteSlot(vpn, false);
  if (slot == 0) return;
  const pte = load<u32>(slot);
  if ((pte & PTE_CODE) != 0) return;
  store<u32>(slot, pte | PTE_CODE);
  // Writes to this page must go through the slow path from now on.
  const i = <usize>(vpn & TLB_MASK);
  if (load<u64>(writeTlbTag + (i << 3)) == vpn) store<u64>(writeTlbTag + (i << 3), NO_TAG);
  if (codePageCount == codePageCap) {
    const cap = codePageCap == 0 ? 1024 : codePageCap * 2;
    const n = hostAlloc(<usize>cap * 8, 8);
    if (codePageCount > 0) memory.copy(n, codePages, <usize>codePageCount * 8);
    codePages = n;
    codePageCap = cap;
  }
  store<u64>(codePages + (<usize>codePageCount << 3), vpn);
  codePageCount++;
}

/** Forgets every code mark (the decode cache was flushed). */
export function clearCodePages(): void {
  for (let i: u32 = 0; i < codePageCount; i++) {
    const slot = pteSlot(load<u64>(codePages + (<usize>i << 3)), false);
    if (slot != 0) store<u32>(slot, load<u32>(slot) & ~PTE_CODE);
  }
  codePageCount = 0;
}

/** True if any page in the range holds decoded code. */
export function rangeHasCode(addr: u64, length: u64): bool {
  if (length == 0) return false;
  const first = addr >> 12;
  const last = (addr + length - 1) >> 12;
  for (let vpn = first; vpn <= last; vpn++) {
    const slot = pteSlot(vpn, false);
    if (slot != 0 && (load<u32>(slot) & PTE_CODE) != 0) return true;
  }
  return false;
}

export function mapRange(addr: u64, length: u64, prot: u32): bool {
  if (length == 0) return true;
  const first = addr >> 12;
  const last = (addr + length - 1) >> 12;
  if (last >= (USER_LIMIT >> 12)) return false;
  for (let vpn = first; vpn <= last; vpn++) {
    const slot = pteSlot(vpn, true);
    const old = load<u32>(slot);
    const frame = <usize>(old & ~PTE_FLAGS);
    if (frame != 0) freeFrame(frame);
    // Frames are allocated on first touch: a big anonymous mapping costs nothing until used.
    store<u32>(slot, PTE_MAPPED | (prot & 7));
  }
  tlbFlush();
  return true;
}

export function unmapRange(addr: u64, length: u64): void {
  if (length == 0) return;
  const first = addr >> 12;
  const last = (addr + length - 1) >> 12;
  for (let vpn = first; vpn <= last; vpn++) {
    const slot = pteSlot(vpn, false);
    if (slot == 0) continue;
    const frame = <usize>(load<u32>(slot) & ~PTE_FLAGS);
    if (frame != 0) freeFrame(frame);
    store<u32>(slot, 0);
  }
  tlbFlush();
}

export function protectRange(addr: u64, length: u64, prot: u32): bool {
  if (length == 0) return true;
  const first = addr >> 12;
  const last = (addr + length - 1) >> 12;
  for (let vpn = first; vpn <= last; vpn++) {
    const slot = pteSlot(vpn, false);
    if (slot == 0 || (load<u32>(slot) & PTE_MAPPED) == 0) return false;
  }
  for (let vpn = first; vpn <= last; vpn++) {
    const slot = pteSlot(vpn, false);
    store<u32>(slot, (load<u32>(slot) & ~<u32>7) | (prot & 7));
  }
  tlbFlush();
  return true;
}

/** Protection bits of the page holding addr, or -1 if unmapped. */
export function pageProt(addr: u64): i32 {
  if (addr >= USER_LIMIT) return -1;
  const slot = pteSlot(addr >> 12, false);
  if (slot == 0) return -1;
  const pte = load<u32>(slot);
  if ((pte & PTE_MAPPED) == 0) return -1;
  return <i32>(pte & 7);
}

/**
 * Host address of the page holding addr if the page permits `need`
 * (a PROT_* bit, or 0 for kernel access that ignores protection), else 0.
 */
export function translatePage(addr: u64, need: u32): usize {
  if (addr >= USER_LIMIT) return 0;
  const slot = pteSlot(addr >> 12, false);
  if (slot == 0) return 0;
  let pte = load<u32>(slot);
  if ((pte & PTE_MAPPED) == 0) return 0;
  if (need != 0 && (pte & need) == 0) return 0;
  let frame = <usize>(pte & ~PTE_FLAGS);
  if (frame == 0) {
    frame = allocFrame();
    pte = (pte & PTE_FLAGS) | <u32>frame;
    store<u32>(slot, pte);
  }
  if (need == PROT_WRITE && (pte & PTE_CODE) != 0) {
    CODE_WRITTEN = true;
    if (STOP == STOP_NONE) stopRetired(STOP_CODE_WRITTEN);
  }
  return frame;
}

// ---- guest accesses ---------------------------------------------------------

/**
 * Records a failed access. A non-canonical address (bits 63..47 not all
 * equal) is #GP, not #PF (Vol. 3A, 3.3.7.1); Linux then reports SIGSEGV
 * without an address.
 */
function fault(addr: u64, access: u32): void {
  const canonical = (<i64>addr >> 47) == 0 || (<i64>addr >> 47) == -1;
  if (!FAULT) {
    FAULT = true;
    FAULT_ADDR = canonical ? addr : 0;
    FAULT_ACCESS = access;
  }
  stopFault(canonical ? STOP_PAGE_FAULT : STOP_GENERAL_PROTECTION);
}

export function clearFault(): void { FAULT = false; }

/** Fills the TLB for a readable page; returns the frame or 0 after recording a fault. */
function fillRead(addr: u64): usize {
  const frame = translatePage(addr, PROT_READ);
  if (frame == 0) { fault(addr, ACCESS_READ); return 0; }
  const vpn = addr >> 12;
  const i = <usize>(vpn & TLB_MASK);
  store<u64>(readTlbTag + (i << 3), vpn);
  store<u32>(readTlbHost + (i << 2), <u32>frame);
  return frame;
}

function fillWrite(addr: u64): usize {
  const frame = translatePage(addr, PROT_WRITE);
  if (frame == 0) { fault(addr, ACCESS_WRITE); return 0; }
  const vpn = addr >> 12;
  const slot = pteSlot(vpn, false);
  // Code pages never enter the write TLB, so every write to them is seen.
  if ((load<u32>(slot) & PTE_CODE) == 0) {
    const i = <usize>(vpn & TLB_MASK);
    store<u64>(writeTlbTag + (i << 3), vpn);
    store<u32>(writeTlbHost + (i << 2), <u32>frame);
  }
  return frame;
}

/** Host address for reading `n` bytes at addr within one page, or 0 (slow path needed). */
@inline function fastRead(addr: u64, n: u32): usize {
  const vpn = addr >> 12;
  const i = <usize>(vpn & TLB_MASK);
  if (load<u64>(readTlbTag + (i << 3)) == vpn && (<u32>addr & 0xfff) <= 4096 - n) {
    return <usize>load<u32>(readTlbHost + (i << 2)) + (<usize>addr & 0xfff);
  }
  return 0;
}

@inline function fastWrite(addr: u64, n: u32): usize {
  const vpn = addr >> 12;
  const i = <usize>(vpn & TLB_MASK);
  if (load<u64>(writeTlbTag + (i << 3)) == vpn && (<u32>addr & 0xfff) <= 4096 - n) {
    return <usize>load<u32>(writeTlbHost + (i << 2)) + (<usize>addr & 0xfff);
  }
  return 0;
}

/** Slow read of n (<= 8) bytes, possibly crossing a page. */
function readSlow(addr: u64, n: u32): u64 {
  // Check every page first so a fault leaves nothing half-done.
  if (fillRead(addr) == 0) return 0;
  const end = addr + n - 1;
  if ((end >> 12) != (addr >> 12) && fillRead(end & ~<u64>0xfff) == 0) return 0;
  let v: u64 = 0;
  for (let k: u32 = 0; k < n; k++) {
    const a = addr + k;
    const frame = translatePage(a, PROT_READ);
    v |= (<u64>load<u8>(frame + (<usize>a & 0xfff))) << (<u64>k << 3);
  }
  return v;
}

/** Checks that n bytes at addr are writable (faulting if not). */
export function checkWrite(addr: u64, n: u32): bool {
  if (fastWrite(addr, n) != 0) return true;
  if (fillWrite(addr) == 0) return false;
  const end = addr + n - 1;
  // The fault names the first byte that cannot be written: the start of the second page.
  if ((end >> 12) != (addr >> 12) && fillWrite(end & ~<u64>0xfff) == 0) return false;
  return true;
}

function writeSlow(addr: u64, n: u32, v: u64): void {
  if (!checkWrite(addr, n)) return;
  for (let k: u32 = 0; k < n; k++) {
    const a = addr + k;
    const frame = translatePage(a, PROT_WRITE);
    store<u8>(frame + (<usize>a & 0xfff), <u8>(v >> (<u64>k << 3)));
  }
}

@inline export function read8(addr: u64): u64 {
  const h = fastRead(addr, 1);
  if (h != 0) return <u64>load<u8>(h);
  return readSlow(addr, 1);
}
@inline export function read16(addr: u64): u64 {
  const h = fastRead(addr, 2);
  if (h != 0) return <u64>load<u16>(h);
  return readSlow(addr, 2);
}
@inline export function read32(addr: u64): u64 {
  const h = fastRead(addr, 4);
  if (h != 0) return <u64>load<u32>(h);
  return readSlow(addr, 4);
}
@inline export function read64(addr: u64): u64 {
  const h = fastRead(addr, 8);
  if (h != 0) return load<u64>(h);
  return readSlow(addr, 8);
}
@inline export function readSized(addr: u64, size: u32): u64 {
  if (size == 8) return read64(addr);
  if (size == 4) return read32(addr);
  if (size == 2) return read16(addr);
  return read8(addr);
}

@inline export function write8(addr: u64, v: u64): void {
  const h = fastWrite(addr, 1);
  if (h != 0) { store<u8>(h, <u8>v); return; }
  writeSlow(addr, 1, v);
}
@inline export function write16(addr: u64, v: u64): void {
  const h = fastWrite(addr, 2);
  if (h != 0) { store<u16>(h, <u16>v); return; }
  writeSlow(addr, 2, v);
}
@inline export function write32(addr: u64, v: u64): void {
  const h = fastWrite(addr, 4);
  if (h != 0) { store<u32>(h, <u32>v); return; }
  writeSlow(addr, 4, v);
}
@inline export function write64(addr: u64, v: u64): void {
  const h = fastWrite(addr, 8);
  if (h != 0) { store<u64>(h, v); return; }
  writeSlow(addr, 8, v);
}
@inline export function writeSized(addr: u64, size: u32, v: u64): void {
  if (size == 8) write64(addr, v);
  else if (size == 4) write32(addr, v);
  else if (size == 2) write16(addr, v);
  else write8(addr, v);
}

/**
 * Reads a read-modify-write operand: faults unless the bytes are writable,
 * so the write that follows cannot fault and the instruction stays precise.
 */
@inline export function readForWrite(addr: u64, size: u32): u64 {
  if (fastWrite(addr, size) == 0 && !checkWrite(addr, size)) return 0;
  return readSized(addr, size);
}

/** Fetches one instruction byte for the decoder; -1 when not executable. */
export function fetchByte(addr: u64): i32 {
  const frame = translatePage(addr, PROT_EXEC);
  if (frame == 0) return -1;
  return <i32>load<u8>(frame + (<usize>addr & 0xfff));
}

/** Kernel-side copy from guest memory into host memory; false if a page is unmapped. */
export function copyFromGuest(dst: usize, addr: u64, length: u64): bool {
  let done: u64 = 0;
  while (done < length) {
    const a = addr + done;
    const frame = translatePage(a, 0);
    if (frame == 0) { FAULT_ADDR = a; return false; }
    const off = <u64>(a & 0xfff);
    let chunk = 4096 - off;
    if (chunk > length - done) chunk = length - done;
    memory.copy(dst + <usize>done, frame + <usize>off, <usize>chunk);
    done += chunk;
  }
  return true;
}

/** Kernel-side copy into guest memory (ignores protection); false if a page is unmapped. */
export function copyToGuest(addr: u64, src: usize, length: u64): bool {
  // Check first, so an unmapped page leaves guest memory untouched.
  for (let a = addr & ~<u64>0xfff; a < addr + length; a += 4096) {
    if (pageProt(a) < 0) { FAULT_ADDR = a < addr ? addr : a; return false; }
  }
  let done: u64 = 0;
  while (done < length) {
    const a = addr + done;
    const slot = pteSlot(a >> 12, false);
    if ((load<u32>(slot) & PTE_CODE) != 0) CODE_WRITTEN = true;
    const frame = translatePage(a, 0);
    const off = <u64>(a & 0xfff);
    let chunk = 4096 - off;
    if (chunk > length - done) chunk = length - done;
    memory.copy(frame + <usize>off, src + <usize>done, <usize>chunk);
    done += chunk;
  }
  return true;
}

/** True if every page of the range is mapped with all bits of prot. */
export function accessible(addr: u64, length: u64, prot: u32): bool {
  if (length == 0) return true;
  if (addr + length < addr || addr + length > USER_LIMIT) return false;
  for (let a = addr & ~<u64>0xfff; a < addr + length; a += 4096) {
    const p = pageProt(a);
    if (p < 0 || (<u32>p & prot) != prot) return false;
  }
  return true;
}
