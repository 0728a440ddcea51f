// Guest memory: address spaces, each a four-level page table of 4 KiB
// pages with read, write and execute permissions, fronted by direct-mapped
// software TLBs for reads and writes of the current one. A failed access
// records the address and kind and stops the instruction (the caller checks
// FAULT before changing any state).
//
// A page-table entry is a u64. Low word: the frame's host address (4 KiB
// aligned, 0 until first touch) | flags; high word: the page index in a
// shared object for PTE_SHARED pages. An untouched page of a shared object
// holds the object id in the frame bits instead (PTE_OBJREF).
//
// fork copies the page tables, not the pages: private frames become
// copy-on-write (PTE_COW in both, one more reference); the first write from
// either side takes a copy when the frame is still shared, or just drops the
// bit when it is not. Frames of shared objects stay shared.
//
// Write watches (setWatches): byte ranges whose guest stores stop the run
// after the storing instruction. A page holding a watched byte never enters
// the write TLB as itself: fillWrite files it under its vpn | WATCH_TAG, a
// tag fastWrite can never match, so the hot path is unchanged and every
// store to the page reaches writeSlow, which finds the frame under the
// tagged entry (no page-table walk), lets a store outside the span of the
// page's watched bytes through at once and checks the exact ranges for the
// others. Every way out of the write TLB (flushes on switches, fork,
// snapshots, map/protect/unmap; evictions) drops tagged entries too, and a
// page re-entering it is checked again.

import { hostAlloc } from './host';
import {
  ALLOC_FAILED, clearAllocFailed, allocFrame, allocCopyFrame, incRef, decRef, refCount, isCodeFrame, setCodeFrame, clearCodeFrame,
  allocNode, freeNode, NODE_SMALL, NODE_LARGE, framesInit, clearAllCodeFrames, heldBySnapshot,
} from './frames';
import { objFrame, objRef, objUnref, objPages } from './shared';
import {
  STOP_PAGE_FAULT, STOP_GENERAL_PROTECTION, STOP_CODE_WRITTEN, STOP_OUT_OF_MEMORY, STOP_WRITE_WATCH, stopFault, stopRetired, STOP, STOP_NONE,
} from './state';

export const PROT_READ: u32 = 1;
export const PROT_WRITE: u32 = 2;
export const PROT_EXEC: u32 = 4;
export const PTE_MAPPED: u32 = 8;
/** Private frame shared with another address space (fork) or a snapshot: copy before writing. */
export const PTE_COW: u32 = 16;
/** A page of a shared object: never copy-on-write, fork shares it. */
export const PTE_SHARED: u32 = 32;
/** An untouched shared page: bits 12..31 are the object id, the high word the page index. */
export const PTE_OBJREF: u32 = 64;
export const PTE_FLAGS: u32 = 0xfff;

export const ACCESS_READ: u32 = 0;
export const ACCESS_WRITE: u32 = 1;
export const ACCESS_EXEC: u32 = 2;

export let FAULT: bool = false;
export let FAULT_ADDR: u64 = 0;
export let FAULT_ACCESS: u32 = 0;
/** Set when a kernel-side copy failed for want of memory rather than a mapping. */
export let KERNEL_OOM: bool = false;

/** Set when a write hit a frame holding decoded code; the run loop flushes the decode cache. */
export let CODE_WRITTEN: bool = false;
export function clearCodeWritten(): void { CODE_WRITTEN = false; }

// User addresses are below 2^47: page numbers have 35 bits, split 8+9+9+9.
const USER_LIMIT: u64 = <u64>1 << 47;
/** Root of the current address space's page table. */
let root: usize = 0;
/** 4 KiB of zeros: what a kernel-side read sees of a page never touched. */
let zeroPage: usize = 0;

/** Address of the PTE of page `vpn` in the current address space, creating nodes if `create`; 0 when absent (or out of memory). */
function pteSlot(vpn: u64, create: bool): usize {
  let node = root;
  const i0 = <usize>(vpn >> 27) & 0xff;
  const i1 = <usize>(vpn >> 18) & 0x1ff;
  const i2 = <usize>(vpn >> 9) & 0x1ff;
  const i3 = <usize>vpn & 0x1ff;
  let slot = node + (i0 << 2);
  let next = <usize>load<u32>(slot);
  if (next == 0) { if (!create) return 0; next = allocNode(NODE_SMALL); if (next == 0) return 0; store<u32>(slot, <u32>next); }
  slot = next + (i1 << 2);
  node = next;
  next = <usize>load<u32>(slot);
  if (next == 0) { if (!create) return 0; next = allocNode(NODE_SMALL); if (next == 0) return 0; store<u32>(slot, <u32>next); }
  slot = next + (i2 << 2);
  next = <usize>load<u32>(slot);
  if (next == 0) { if (!create) return 0; next = allocNode(NODE_LARGE); if (next == 0) return 0; store<u32>(slot, <u32>next); }
  return next + (i3 << 3);
}

// ---- TLBs -------------------------------------------------------------------

const TLB_ENTRIES: usize = 4096;
const TLB_MASK: u64 = 4095;
const NO_TAG: u64 = 0xffffffffffffffff;
/**
 * Marks a write-TLB entry of a page holding a watched byte. Page numbers
 * are below 2^52, so a tagged entry never equals a vpn (fastWrite misses)
 * and NO_TAG is never a tagged vpn.
 */
const WATCH_TAG: u64 = <u64>1 << 62;
let readTlbTag: usize = 0;
let readTlbHost: usize = 0;
let writeTlbTag: usize = 0;
let writeTlbHost: usize = 0;
/**
 * For a write-TLB entry under WATCH_TAG: the span of the page's watched
 * bytes, first offset | one past the last << 16, so a store outside it is
 * let through without searching the ranges.
 */
let writeTlbSpan: usize = 0;

export function tlbFlush(): void {
  memory.fill(readTlbTag, 0xff, TLB_ENTRIES * 8);
  memory.fill(writeTlbTag, 0xff, TLB_ENTRIES * 8);
}

function evictRead(vpn: u64): void {
  const i = <usize>(vpn & TLB_MASK);
  if (load<u64>(readTlbTag + (i << 3)) == vpn) store<u64>(readTlbTag + (i << 3), NO_TAG);
}

function evictWrite(vpn: u64): void {
  const i = <usize>(vpn & TLB_MASK);
  const t = load<u64>(writeTlbTag + (i << 3));
  if (t == vpn || t == (vpn | WATCH_TAG)) store<u64>(writeTlbTag + (i << 3), NO_TAG);
}

/** Drops every write-TLB entry that leads to frame f (it may be mapped at several addresses). */
function evictWriteFrame(f: usize): void {
  for (let i: usize = 0; i < TLB_ENTRIES; i++) {
    if (load<u32>(writeTlbHost + (i << 2)) == <u32>f) store<u64>(writeTlbTag + (i << 3), NO_TAG);
  }
}

// ---- write watches ----------------------------------------------------------

// The watched bytes: sorted, disjoint, non-adjacent [start, end) pairs of
// u64 (the binding sorts and merges what the host gives). Global: checked
// in whichever address space is current, by virtual address (a store
// through another mapping of the same frame is not seen).
let watchList: usize = 0;
let watchCount: u32 = 0;
let watchCap: u32 = 0;
/** No watched byte (watchFirst). */
const NO_WATCH: u64 = 0xffffffffffffffff;

/** Set by the first guest store of the run that wrote a watched byte; WATCH_ADDR is its first watched byte. */
export let WATCH_HIT: bool = false;
export let WATCH_ADDR: u64 = 0;
export function clearWatchHit(): void { WATCH_HIT = false; WATCH_ADDR = 0; }

/** The lowest watched address in [addr, addr + n), or NO_WATCH. */
function watchFirst(addr: u64, n: u64): u64 {
  // The first range ending above addr (binary search); it holds the answer if any does.
  let lo: u32 = 0;
  let hi: u32 = watchCount;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (load<u64>(watchList + (<usize>mid << 4), 8) <= addr) lo = mid + 1;
    else hi = mid;
  }
  if (lo == watchCount) return NO_WATCH;
  const start = load<u64>(watchList + (<usize>lo << 4));
  if (start - addr >= n && start >= addr) return NO_WATCH;
  return start > addr ? start : addr;
}

/** The span of watched bytes in page vpn (first offset | one past the last << 16), 0 when it has none. */
function pageWatchSpan(vpn: u64): u32 {
  const page = vpn << 12;
  const first = watchFirst(page, 4096);
  if (first == NO_WATCH) return 0;
  // The last range starting below the page's end (binary search); it ends inside the page or beyond.
  let lo: u32 = 0;
  let hi: u32 = watchCount;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (load<u64>(watchList + (<usize>mid << 4)) < page + 4096) lo = mid + 1;
    else hi = mid;
  }
  const end = load<u64>(watchList + (<usize>(lo - 1) << 4), 8);
  const last: u64 = end < page + 4096 ? end - page : 4096;
  return <u32>(first - page) | (<u32>last << 16);
}

/** After a guest store of n bytes at addr: stops the run after this instruction if it wrote a watched byte. */
function noteWatch(addr: u64, n: u32): void {
  const w = watchFirst(addr, <u64>n);
  if (w == NO_WATCH) return;
  if (!WATCH_HIT) {
    WATCH_HIT = true;
    WATCH_ADDR = w;
  }
  // A fault of this instruction (not retired) wins; the watch stop replaces the internal code-written one.
  if (STOP == STOP_NONE || STOP == STOP_CODE_WRITTEN) stopRetired(STOP_WRITE_WATCH);
}

function evictWatchedPages(): void {
  for (let k: u32 = 0; k < watchCount; k++) {
    const start = load<u64>(watchList + (<usize>k << 4));
    const end = load<u64>(watchList + (<usize>k << 4), 8);
    for (let vpn = start >> 12; vpn <= (end - 1) >> 12; vpn++) evictWrite(vpn);
  }
}

/**
 * Replaces the watched ranges with the `count` [start, end) u64 pairs at
 * src (sorted, disjoint, each end > start). Pages watched before or now
 * leave the write TLB, so they are filed again under the new list. False
 * (nothing changed) when out of memory.
 */
export function setWatches(src: usize, count: u32): bool {
  if (count > watchCap) {
    let cap: u32 = watchCap == 0 ? 16 : watchCap;
    while (cap < count) cap <<= 1;
    const list = hostAlloc(<usize>cap << 4, 16);
    if (list == 0) return false;
    // The old list is left behind: doubling bounds the waste. Its pages are evicted below.
    evictWatchedPages();
    watchList = list;
    watchCap = cap;
    watchCount = 0;
  } else {
    evictWatchedPages();
  }
  memory.copy(watchList, src, <usize>count << 4);
  watchCount = count;
  evictWatchedPages();
  return true;
}

export function watchRangeCount(): u32 { return watchCount; }

// ---- address spaces ---------------------------------------------------------

// Records (16 bytes): u32 root node (0 = free id), u32 decode-cache tag,
// u32 base tag (0 = none), u32 base view (1 while BASE_VIEW holds). The base tag names blocks decoded
// under an earlier tag that are still right for this address space: a
// memory snapshot seals the tag its blocks were decoded under and makes it
// the base of the live space and of every space restored from it (see
// snapshot.ts and cache.ts). Anything that changes code drops it: a
// copy-on-write copy of a code page (retagCurrent), or a flush.
// Tags are never reused (a u32 counter: 4 billion creations and retags
// before one could repeat), so decoded blocks of a destroyed or retagged
// address space can never match again, and ids can be recycled.
let spaces: usize = 0;
let spaceCount: u32 = 0;
let spaceCap: u32 = 0;
export let CUR_SPACE: u32 = 0;
/** Tag of the current address space's blocks in the decode cache, and its hash contribution. */
export let CUR_TAG: u32 = 0;
export let TAG_HASH: u32 = 0;
let nextTag: u32 = 1;

@inline function spaceRec(id: u32): usize { return spaces + (<usize>id << 4); }
/** Base tag of the current address space (0 = none), and its hash contribution. */
export let CUR_BASE: u32 = 0;
export let BASE_HASH: u32 = 0;
/**
 * True while the current space's executable pages are still those of the
 * snapshot that sealed its base tag: since the base was set, no executable
 * page was mapped, unmapped or had its protection changed. Each of its code
 * pages then holds that snapshot's frame, or a frame a write copied since
 * (which no snapshot holds), so a block decoded only from frames a snapshot
 * holds is right for every space restored from that snapshot, and the
 * decode cache files it under the base tag (cache.ts).
 */
export let BASE_VIEW: bool = false;

function setBase(tag: u32, view: bool): void {
  CUR_BASE = tag;
  BASE_HASH = (tag * 0x9e3779b1) >> 16;
  BASE_VIEW = tag != 0 && view;
}

/** The current space's base tag and base view from its record. */
function loadBase(id: u32): void {
  setBase(load<u32>(spaceRec(id), 8), load<u32>(spaceRec(id), 12) != 0);
}

/** An executable page of the current space is about to change (PROT_EXEC is 4 in prot and PTEs). */
@inline function execChange(lo: u32, prot: u32): void {
  if (BASE_VIEW && ((lo | prot) & 4) != 0) {
    store<u32>(spaceRec(CUR_SPACE), 0, 12);
    BASE_VIEW = false;
  }
}

/** Whether pages first..last of the current space all hold private frames a snapshot holds (see BASE_VIEW). */
export function pagesHeldBySnapshot(first: u64, last: u64): bool {
  for (let vpn = first; vpn <= last; vpn++) {
    const slot = pteSlot(vpn, false);
    if (slot == 0) return false;
    const lo = load<u32>(slot);
    if ((lo & (PTE_SHARED | PTE_OBJREF)) != 0) return false;
    const frame = <usize>(lo & ~PTE_FLAGS);
    if (frame == 0 || !heldBySnapshot(frame)) return false;
  }
  return true;
}

function setTag(tag: u32): void {
  CUR_TAG = tag;
  TAG_HASH = (tag * 0x9e3779b1) >> 16;
}

/** Allocates the TLBs, the frame tables and address space 0 (current). */
export function memInit(): bool {
  readTlbTag = hostAlloc(TLB_ENTRIES * 8, 64);
  readTlbHost = hostAlloc(TLB_ENTRIES * 4, 64);
  writeTlbTag = hostAlloc(TLB_ENTRIES * 8, 64);
  writeTlbHost = hostAlloc(TLB_ENTRIES * 4, 64);
  writeTlbSpan = hostAlloc(TLB_ENTRIES * 4, 64);
  zeroPage = hostAlloc(4096, 4096);
  codePages = hostAlloc(<usize>CODE_MARK_CAP << 2, 64);
  if (readTlbTag == 0 || readTlbHost == 0 || writeTlbTag == 0 || writeTlbHost == 0 || writeTlbSpan == 0 || zeroPage == 0 || codePages == 0) return false;
  if (!framesInit()) return false;
  tlbFlush();
  const id = createSpace();
  if (id < 0) return false;
  CUR_SPACE = <u32>id;
  root = <usize>load<u32>(spaceRec(CUR_SPACE));
  setTag(load<u32>(spaceRec(CUR_SPACE), 4));
  setBase(0, false);
  return true;
}

export function spaceExists(id: u32): bool {
  return id < spaceCount && load<u32>(spaceRec(id)) != 0;
}

/** A new empty address space: its id, or -1 when out of memory. */
export function createSpace(): i32 {
  let id: u32 = spaceCount;
  for (let i: u32 = 0; i < spaceCount; i++) {
    if (load<u32>(spaceRec(i)) == 0) { id = i; break; }
  }
  if (id == spaceCount && spaceCount == spaceCap) {
    const cap = spaceCap == 0 ? 64 : spaceCap * 2;
    const n = hostAlloc(<usize>cap << 4, 16);
    if (n == 0) return -1;
    if (spaceCap > 0) memory.copy(n, spaces, <usize>spaceCap << 4);
    spaces = n; // the old table is left behind: doubling bounds the waste
    spaceCap = cap;
  }
  const r = allocNode(NODE_SMALL);
  if (r == 0) return -1;
  if (id == spaceCount) spaceCount++;
  store<u32>(spaceRec(id), <u32>r);
  store<u32>(spaceRec(id), nextTag++, 4);
  store<u32>(spaceRec(id), 0, 8);
  store<u32>(spaceRec(id), 0, 12);
  return <i32>id;
}

/** Makes id current; false if it does not exist. Flushes the TLBs when it changes. */
export function useSpace(id: u32): bool {
  if (!spaceExists(id)) return false;
  if (id == CUR_SPACE) return true;
  CUR_SPACE = id;
  root = <usize>load<u32>(spaceRec(id));
  setTag(load<u32>(spaceRec(id), 4));
  loadBase(id);
  tlbFlush();
  return true;
}

/** Gives the current address space a fresh tag and no base: its decoded blocks are gone, other spaces' stay. */
function retagCurrent(): void {
  const t = nextTag++;
  store<u32>(spaceRec(CUR_SPACE), t, 4);
  store<u32>(spaceRec(CUR_SPACE), 0, 8);
  store<u32>(spaceRec(CUR_SPACE), 0, 12);
  setTag(t);
  setBase(0, false);
}

/** Drops the reference a PTE holds (frame or untouched shared page). */
function releasePte(lo: u32): void {
  if ((lo & PTE_OBJREF) != 0) { objUnref(lo >> 12); return; }
  const frame = <usize>(lo & ~PTE_FLAGS);
  if (frame != 0) decRef(frame);
}

/** Releases every page and node of address space id (not the current one). */
export function destroySpace(id: u32): bool {
  if (!spaceExists(id) || id == CUR_SPACE) return false;
  const r = <usize>load<u32>(spaceRec(id));
  for (let i0: usize = 0; i0 < 256; i0++) {
    const n1 = <usize>load<u32>(r + (i0 << 2));
    if (n1 == 0) continue;
    for (let i1: usize = 0; i1 < 512; i1++) {
      const n2 = <usize>load<u32>(n1 + (i1 << 2));
      if (n2 == 0) continue;
      for (let i2: usize = 0; i2 < 512; i2++) {
        const leaf = <usize>load<u32>(n2 + (i2 << 2));
        if (leaf == 0) continue;
        for (let i3: usize = 0; i3 < 512; i3++) {
          const lo = load<u32>(leaf + (i3 << 3));
          if (lo != 0) releasePte(lo);
        }
        freeNode(leaf, NODE_LARGE);
      }
      freeNode(n2, NODE_SMALL);
    }
    freeNode(n1, NODE_SMALL);
  }
  freeNode(r, NODE_SMALL);
  memory.fill(spaceRec(id), 0, 16);
  return true;
}

/**
 * A copy of address space src for fork: the same page tables, private
 * frames copy-on-write in both, shared pages shared. Returns the new id, or
 * -1 when out of memory (nothing is left behind then).
 */
export function forkSpace(src: u32): i32 {
  const dst = createSpace();
  if (dst < 0) return -1;
  const sr = <usize>load<u32>(spaceRec(src));
  const dr = <usize>load<u32>(spaceRec(<u32>dst));
  for (let i0: usize = 0; i0 < 256; i0++) {
    const s1 = <usize>load<u32>(sr + (i0 << 2));
    if (s1 == 0) continue;
    const d1 = allocNode(NODE_SMALL);
    if (d1 == 0) { destroySpace(<u32>dst); return -1; }
    store<u32>(dr + (i0 << 2), <u32>d1);
    for (let i1: usize = 0; i1 < 512; i1++) {
      const s2 = <usize>load<u32>(s1 + (i1 << 2));
      if (s2 == 0) continue;
      const d2 = allocNode(NODE_SMALL);
      if (d2 == 0) { destroySpace(<u32>dst); return -1; }
      store<u32>(d1 + (i1 << 2), <u32>d2);
      for (let i2: usize = 0; i2 < 512; i2++) {
        const sl = <usize>load<u32>(s2 + (i2 << 2));
        if (sl == 0) continue;
        const dl = allocNode(NODE_LARGE);
        if (dl == 0) { destroySpace(<u32>dst); return -1; }
        store<u32>(d2 + (i2 << 2), <u32>dl);
        for (let i3: usize = 0; i3 < 512; i3++) {
          const p = sl + (i3 << 3);
          let lo = load<u32>(p);
          if (lo == 0) continue;
          if ((lo & PTE_OBJREF) != 0) {
            objRef(lo >> 12);
          } else {
            const frame = <usize>(lo & ~PTE_FLAGS);
            if (frame != 0) {
              incRef(frame);
              if ((lo & PTE_SHARED) == 0) { lo |= PTE_COW; store<u32>(p, lo); }
            }
          }
          store<u32>(dl + (i3 << 3), lo);
          store<u32>(dl + (i3 << 3), load<u32>(p, 4), 4);
        }
      }
    }
  }
  // The source's writable pages just became copy-on-write: none may stay in the write TLB.
  if (src == CUR_SPACE) tlbFlush();
  return dst;
}

// ---- snapshots (snapshot.ts) ---------------------------------------------------

/** One past the highest address-space id in the table. */
export function spaceIdLimit(): u32 { return spaceCount; }
/** Root node of address space id, 0 for a free id. */
export function spaceRoot(id: u32): usize { return <usize>load<u32>(spaceRec(id)); }
/** Forgets address space id's record (its nodes were freed by the caller); may be the current one. */
export function clearSpace(id: u32): void { memory.fill(spaceRec(id), 0, 16); }
/** The decode-cache tag of address space id. */
export function spaceTag(id: u32): u32 { return load<u32>(spaceRec(id), 4); }
/**
 * Seals address space id's tag for a snapshot: the space goes on under a
 * fresh tag with the old one as its base, so nothing decoded from now on
 * lands under the sealed tag. Returns the sealed tag.
 */
export function sealTag(id: u32): u32 {
  const sealed = load<u32>(spaceRec(id), 4);
  store<u32>(spaceRec(id), nextTag++, 4);
  store<u32>(spaceRec(id), sealed, 8);
  store<u32>(spaceRec(id), 1, 12);
  if (id == CUR_SPACE) {
    setTag(load<u32>(spaceRec(id), 4));
    loadBase(id);
  }
  return sealed;
}
/** After every id was cleared: the table as a snapshot had it, ids below count (the table never shrinks). */
export function setSpaceIdLimit(count: u32): void { spaceCount = count; }
/**
 * Gives address space id the page table at root, a fresh decode-cache tag
 * (blocks decoded before cannot match) and `base` as its base tag (blocks
 * sealed by a snapshot of exactly this content, or 0).
 */
export function installSpace(id: u32, r: usize, base: u32): void {
  store<u32>(spaceRec(id), <u32>r);
  store<u32>(spaceRec(id), nextTag++, 4);
  store<u32>(spaceRec(id), base, 8);
  store<u32>(spaceRec(id), base != 0 ? 1 : 0, 12);
}
/** Makes id current after its page table was replaced: fresh root, tag and TLBs. */
export function enterSpace(id: u32): void {
  CUR_SPACE = id;
  root = <usize>load<u32>(spaceRec(id));
  setTag(load<u32>(spaceRec(id), 4));
  loadBase(id);
  tlbFlush();
}

// ---- code marks -------------------------------------------------------------

// Frames holding decoded code, so a flush of the decode cache can clear
// their mark. The list has a fixed size, so marking never allocates; past
// it (64 MiB of code decoded since the last flush) the flush clears the
// marks of all frames instead.
const CODE_MARK_CAP: u32 = 16384;
let codePages: usize = 0;
let codePageCount: u32 = 0;
let codeMarksOverflowed: bool = false;

/** Marks the frame of page vpn (current address space) as holding decoded instructions. */
export function markCodePage(vpn: u64): void {
  const slot = pteSlot(vpn, false);
  if (slot == 0) return;
  const lo = load<u32>(slot);
  if ((lo & PTE_OBJREF) != 0) return;
  const frame = <usize>(lo & ~PTE_FLAGS);
  if (frame == 0 || isCodeFrame(frame)) return;
  setCodeFrame(frame);
  // Writes to this frame must go through the slow path from now on,
  // whichever address they are made at.
  if (refCount(frame) == 1) evictWrite(vpn);
  else evictWriteFrame(frame);
  if (codePageCount == CODE_MARK_CAP) { codeMarksOverflowed = true; return; }
  store<u32>(codePages + (<usize>codePageCount << 2), <u32>frame);
  codePageCount++;
}

/** Forgets every code mark (the decode cache was flushed). */
export function clearCodePages(): void {
  if (codeMarksOverflowed) {
    clearAllCodeFrames();
    codeMarksOverflowed = false;
  } else {
    for (let i: u32 = 0; i < codePageCount; i++) clearCodeFrame(<usize>load<u32>(codePages + (<usize>i << 2)));
  }
  codePageCount = 0;
}

/** True if any page in the range has a frame holding decoded code. */
export function rangeHasCode(addr: u64, length: u64): bool {
  if (length == 0) return false;
  const first = addr >> 12;
  const last = (addr + length - 1) >> 12;
  if (first >= (USER_LIMIT >> 12)) return false;
  for (let vpn = first; vpn <= last; vpn = leafEnd(vpn, last) + 1) {
    let slot = pteSlot(vpn, false);
    if (slot == 0) continue; // no leaf: on to the next one
    for (let end = leafEnd(vpn, last), v = vpn; v <= end; v++, slot += 8) {
      const lo = load<u32>(slot);
      if ((lo & PTE_OBJREF) != 0) continue;
      const frame = <usize>(lo & ~PTE_FLAGS);
      if (frame != 0 && isCodeFrame(frame)) return true;
    }
  }
  return false;
}

/**
 * The last page of vpn's leaf node that is at most last. The range loops
 * below find a leaf once and walk its entries (8 bytes apart) instead of
 * walking the four levels for every page: glibc maps, protects and
 * madvises whole 8 MiB thread stacks.
 */
@inline function leafEnd(vpn: u64, last: u64): u64 {
  const end = vpn | 511;
  return end < last ? end : last;
}

// ---- mapping ----------------------------------------------------------------

export const MAP_OK: i32 = 0;
export const MAP_OUTSIDE: i32 = 1;
export const MAP_NO_MEMORY: i32 = 2;

/** Creates the page-table nodes of the range first, so running out of memory changes no mapping. */
function ensureNodes(first: u64, last: u64): bool {
  for (let vpn = first; vpn <= last; vpn = (vpn | 511) + 1) {
    if (pteSlot(vpn, true) == 0) return false;
  }
  return true;
}

export function mapRange(addr: u64, length: u64, prot: u32): i32 {
  if (length == 0) return MAP_OK;
  const first = addr >> 12;
  const last = (addr + length - 1) >> 12;
  if (last >= (USER_LIMIT >> 12)) return MAP_OUTSIDE;
  if (!ensureNodes(first, last)) return MAP_NO_MEMORY;
  for (let vpn = first; vpn <= last; vpn = leafEnd(vpn, last) + 1) {
    let slot = pteSlot(vpn, false);
    for (let end = leafEnd(vpn, last), v = vpn; v <= end; v++, slot += 8) {
      execChange(load<u32>(slot), prot);
      releasePte(load<u32>(slot));
      // Frames are allocated on first touch: a big anonymous mapping costs nothing until used.
      store<u64>(slot, <u64>(PTE_MAPPED | (prot & 7)));
    }
  }
  tlbFlush();
  return MAP_OK;
}

/**
 * Maps pages [pageOffset, pageOffset + pages) of shared object obj. Pages
 * the object already has share its frame now; the others name the object
 * and take its frame (allocating it there) on first touch.
 */
export function mapSharedRange(addr: u64, length: u64, prot: u32, obj: u32, pageOffset: u32): i32 {
  if (length == 0) return MAP_OK;
  const first = addr >> 12;
  const last = (addr + length - 1) >> 12;
  if (last >= (USER_LIMIT >> 12)) return MAP_OUTSIDE;
  if (!ensureNodes(first, last)) return MAP_NO_MEMORY;
  let page = pageOffset;
  for (let vpn = first; vpn <= last; vpn++) {
    const slot = pteSlot(vpn, false);
    execChange(load<u32>(slot), prot);
    releasePte(load<u32>(slot));
    const f = objFrame(obj, page, false);
    let lo: u32;
    if (f != 0) {
      incRef(f);
      lo = <u32>f | PTE_MAPPED | PTE_SHARED | (prot & 7);
    } else {
      objRef(obj);
      lo = (obj << 12) | PTE_MAPPED | PTE_SHARED | PTE_OBJREF | (prot & 7);
    }
    store<u64>(slot, (<u64>page << 32) | <u64>lo);
    page++;
  }
  tlbFlush();
  return MAP_OK;
}

export function unmapRange(addr: u64, length: u64): void {
  if (length == 0) return;
  const first = addr >> 12;
  const last = (addr + length - 1) >> 12;
  for (let vpn = first; vpn <= last; vpn = leafEnd(vpn, last) + 1) {
    let slot = pteSlot(vpn, false);
    if (slot == 0) continue;
    for (let end = leafEnd(vpn, last), v = vpn; v <= end; v++, slot += 8) {
      execChange(load<u32>(slot), 0);
      releasePte(load<u32>(slot));
      store<u64>(slot, 0);
    }
  }
  tlbFlush();
}

export function protectRange(addr: u64, length: u64, prot: u32): bool {
  if (length == 0) return true;
  const first = addr >> 12;
  const last = (addr + length - 1) >> 12;
  for (let vpn = first; vpn <= last; vpn = leafEnd(vpn, last) + 1) {
    let slot = pteSlot(vpn, false);
    if (slot == 0) return false;
    for (let end = leafEnd(vpn, last), v = vpn; v <= end; v++, slot += 8) {
      if ((load<u32>(slot) & PTE_MAPPED) == 0) return false;
    }
  }
  for (let vpn = first; vpn <= last; vpn = leafEnd(vpn, last) + 1) {
    let slot = pteSlot(vpn, false);
    for (let end = leafEnd(vpn, last), v = vpn; v <= end; v++, slot += 8) {
      execChange(load<u32>(slot), prot);
      store<u32>(slot, (load<u32>(slot) & ~<u32>7) | (prot & 7));
    }
  }
  tlbFlush();
  return true;
}

/** Protection bits of the page holding addr, or -1 if unmapped. */
export function pageProt(addr: u64): i32 {
  if (addr >= USER_LIMIT) return -1;
  const slot = pteSlot(addr >> 12, false);
  if (slot == 0) return -1;
  const lo = load<u32>(slot);
  if ((lo & PTE_MAPPED) == 0) return -1;
  return <i32>(lo & 7);
}

// ---- translation ------------------------------------------------------------

/** First touch of a shared page: take (or allocate) the object's frame; the PTE stops naming the object. */
function resolveShared(slot: usize, lo: u32): usize {
  const obj = lo >> 12;
  const frame = objFrame(obj, load<u32>(slot, 4), true);
  if (frame == 0) return 0; // beyond the object's size, or out of memory (ALLOC_FAILED)
  incRef(frame);
  store<u32>(slot, <u32>frame | (lo & PTE_FLAGS & ~PTE_OBJREF));
  objUnref(obj);
  return frame;
}

/**
 * A write to a copy-on-write page: copy the frame if another mapping still
 * has it, else just take it. Copying a frame holding decoded code retags the
 * current address space, so its blocks (decoded from the old bytes at these
 * addresses) go and the other address space's blocks, still right, stay.
 */
function breakCow(slot: usize, vpn: u64, lo: u32, frame: usize, guest: bool): usize {
  if (refCount(frame) > 1) {
    const copy = allocCopyFrame(frame);
    if (copy == 0) return 0;
    memory.copy(copy, frame, 4096);
    const code = isCodeFrame(frame);
    decRef(frame);
    store<u32>(slot, <u32>copy | (lo & PTE_FLAGS & ~PTE_COW));
    evictRead(vpn);
    if (code) {
      retagCurrent();
      // The run loop must leave the current block: it was decoded under the old tag.
      if (guest && STOP == STOP_NONE) stopRetired(STOP_CODE_WRITTEN);
    }
    return copy;
  }
  store<u32>(slot, lo & ~PTE_COW);
  return frame;
}

/**
 * Host address of the page holding addr if the page permits `need` (a
 * PROT_* bit, or 0 for kernel access that ignores protection), else 0. The
 * frame is allocated on first touch; `write` also gives a copy-on-write page
 * its own frame and reports writes to decoded code. 0 with ALLOC_FAILED set
 * means out of memory.
 */
export function translatePage(addr: u64, need: u32, write: bool): usize {
  clearAllocFailed();
  if (addr >= USER_LIMIT) return 0;
  const vpn = addr >> 12;
  const slot = pteSlot(vpn, false);
  if (slot == 0) return 0;
  let lo = load<u32>(slot);
  if ((lo & PTE_MAPPED) == 0) return 0;
  if (need != 0 && (lo & need) == 0) return 0;
  let frame = <usize>(lo & ~PTE_FLAGS);
  if ((lo & PTE_OBJREF) != 0) {
    frame = resolveShared(slot, lo);
    if (frame == 0) return 0;
    lo = load<u32>(slot);
  } else if (frame == 0) {
    frame = allocFrame(true);
    if (frame == 0) return 0;
    lo |= <u32>frame;
    store<u32>(slot, lo);
  }
  if (write) {
    if ((lo & PTE_COW) != 0) {
      frame = breakCow(slot, vpn, lo, frame, need != 0);
      if (frame == 0) return 0;
    }
    if (isCodeFrame(frame)) {
      CODE_WRITTEN = true;
      if (need != 0 && STOP == STOP_NONE) stopRetired(STOP_CODE_WRITTEN);
    }
  }
  return frame;
}

/** The frame a kernel-side read sees at addr without allocating: zeroPage if never touched, 0 if unmapped. */
function peekPage(addr: u64): usize {
  if (addr >= USER_LIMIT) return 0;
  const slot = pteSlot(addr >> 12, false);
  if (slot == 0) return 0;
  const lo = load<u32>(slot);
  if ((lo & PTE_MAPPED) == 0) return 0;
  if ((lo & PTE_OBJREF) != 0) {
    const obj = lo >> 12;
    const page = load<u32>(slot, 4);
    // Beyond the object's size an access fails, as a guest access would.
    if (page >= objPages(obj)) return 0;
    const f = objFrame(obj, page, false);
    return f != 0 ? f : zeroPage;
  }
  const frame = <usize>(lo & ~PTE_FLAGS);
  return frame != 0 ? frame : zeroPage;
}

// ---- guest accesses ---------------------------------------------------------

/**
 * Records a failed access. A non-canonical address (bits 63..47 not all
 * equal) is #GP, not #PF (Vol. 3A, 3.3.7.1); Linux then reports SIGSEGV
 * without an address. A page that could not get a frame is OutOfMemory.
 */
function fault(addr: u64, access: u32): void {
  const canonical = (<i64>addr >> 47) == 0 || (<i64>addr >> 47) == -1;
  if (!FAULT) {
    FAULT = true;
    FAULT_ADDR = canonical ? addr : 0;
    FAULT_ACCESS = access;
  }
  stopFault(!canonical ? STOP_GENERAL_PROTECTION : ALLOC_FAILED ? STOP_OUT_OF_MEMORY : STOP_PAGE_FAULT);
}

export function clearFault(): void { FAULT = false; }

/** Fills the TLB for a readable page; returns the frame or 0 after recording a fault. */
function fillRead(addr: u64): usize {
  const frame = translatePage(addr, PROT_READ, false);
  if (frame == 0) { fault(addr, ACCESS_READ); return 0; }
  const vpn = addr >> 12;
  const i = <usize>(vpn & TLB_MASK);
  store<u64>(readTlbTag + (i << 3), vpn);
  store<u32>(readTlbHost + (i << 2), <u32>frame);
  return frame;
}

function fillWrite(addr: u64): usize {
  const frame = translatePage(addr, PROT_WRITE, true);
  if (frame == 0) { fault(addr, ACCESS_WRITE); return 0; }
  // Code frames never enter the write TLB, so every write to them is seen.
  // A page holding a watched byte enters it under a tag fastWrite misses.
  if (!isCodeFrame(frame)) {
    const vpn = addr >> 12;
    const i = <usize>(vpn & TLB_MASK);
    const span = watchCount != 0 ? pageWatchSpan(vpn) : 0;
    store<u64>(writeTlbTag + (i << 3), span != 0 ? vpn | WATCH_TAG : vpn);
    store<u32>(writeTlbHost + (i << 2), <u32>frame);
    store<u32>(writeTlbSpan + (i << 2), span);
  }
  return frame;
}

/** The write-TLB entry of page vpn, under either tag (writable, own frame, not code), or 0. */
@inline function writeTlbFrame(vpn: u64): usize {
  const i = <usize>(vpn & TLB_MASK);
  const t = load<u64>(writeTlbTag + (i << 3));
  if (t == vpn || t == (vpn | WATCH_TAG)) return <usize>load<u32>(writeTlbHost + (i << 2));
  return 0;
}

/** The frame to write page-of-a at, known writable (checkWrite passed): the TLB's, else translated (code frames). */
@inline function writableFrame(a: u64): usize {
  const f = writeTlbFrame(a >> 12);
  return f != 0 ? f : translatePage(a, PROT_WRITE, true);
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

/**
 * Host address of the 16 bytes at addr when one TLB hit covers them all
 * (same page, writable frame of its own, no watched byte, not code), else
 * 0: the caller then takes the checked path. Lets a 128-bit store
 * (store128) do one lookup instead of three: memset's SSE loop is most of
 * what a program filling fresh memory runs.
 */
export function fastWrite16(addr: u64): usize { return fastWrite(addr, 16); }

/** Host address of the 16 bytes at addr when one read-TLB hit covers them, else 0 (see fastWrite16). */
export function fastRead16(addr: u64): usize { return fastRead(addr, 16); }

/** Slow read of n (<= 8) bytes, possibly crossing a page. */
function readSlow(addr: u64, n: u32): u64 {
  // Check every page first so a fault leaves nothing half-done.
  if (fillRead(addr) == 0) return 0;
  const end = addr + n - 1;
  if ((end >> 12) != (addr >> 12) && fillRead(end & ~<u64>0xfff) == 0) return 0;
  let v: u64 = 0;
  for (let k: u32 = 0; k < n; k++) {
    const a = addr + k;
    const frame = translatePage(a, PROT_READ, false);
    v |= (<u64>load<u8>(frame + (<usize>a & 0xfff))) << (<u64>k << 3);
  }
  return v;
}

/** Checks that n bytes at addr are writable (faulting if not). */
export function checkWrite(addr: u64, n: u32): bool {
  if (fastWrite(addr, n) != 0) return true;
  if (writeTlbFrame(addr >> 12) == 0 && fillWrite(addr) == 0) return false;
  const end = addr + n - 1;
  // The fault names the first byte that cannot be written: the start of the second page.
  if ((end >> 12) != (addr >> 12) && writeTlbFrame(end >> 12) == 0 && fillWrite(end & ~<u64>0xfff) == 0) return false;
  return true;
}

/**
 * A store fastWrite could not make: a TLB miss, a page crossing, a code
 * frame, or a page holding a watched byte (found under its tagged TLB
 * entry: one lookup; a store outside the span of the page's watched bytes
 * goes through at once, one inside it has the exact ranges checked).
 */
function writeSlow(addr: u64, n: u32, v: u64): void {
  const vpn = addr >> 12;
  const i = <usize>(vpn & TLB_MASK);
  if (load<u64>(writeTlbTag + (i << 3)) == (vpn | WATCH_TAG) && (<u32>addr & 0xfff) <= 4096 - n) {
    const h = <usize>load<u32>(writeTlbHost + (i << 2)) + (<usize>addr & 0xfff);
    if (n == 8) store<u64>(h, v);
    else if (n == 4) store<u32>(h, <u32>v);
    else if (n == 2) store<u16>(h, <u16>v);
    else store<u8>(h, <u8>v);
    const span = load<u32>(writeTlbSpan + (i << 2));
    const off = <u32>addr & 0xfff;
    if (off + n > (span & 0xffff) && off < (span >> 16)) noteWatch(addr, n);
    return;
  }
  if (!checkWrite(addr, n)) return;
  for (let k: u32 = 0; k < n; k++) {
    const a = addr + k;
    store<u8>(writableFrame(a) + (<usize>a & 0xfff), <u8>(v >> (<u64>k << 3)));
  }
  if (watchCount != 0) noteWatch(addr, n);
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

/** Fetches one instruction byte for the decoder; -1 when not executable (ALLOC_FAILED: out of memory). */
export function fetchByte(addr: u64): i32 {
  const frame = translatePage(addr, PROT_EXEC, false);
  if (frame == 0) return -1;
  return <i32>load<u8>(frame + (<usize>addr & 0xfff));
}

// ---- kernel-side copies -----------------------------------------------------

/** Kernel-side copy from guest memory into host memory; false if a page is unmapped. Never allocates. */
export function copyFromGuest(dst: usize, addr: u64, length: u64): bool {
  let done: u64 = 0;
  while (done < length) {
    const a = addr + done;
    const frame = peekPage(a);
    if (frame == 0) { FAULT_ADDR = a; return false; }
    const off = <u64>(a & 0xfff);
    let chunk = 4096 - off;
    if (chunk > length - done) chunk = length - done;
    memory.copy(dst + <usize>done, frame + <usize>off, <usize>chunk);
    done += chunk;
  }
  return true;
}

/**
 * Kernel-side copy into guest memory (ignores protection, breaks
 * copy-on-write); false if a page is unmapped or cannot get a frame
 * (KERNEL_OOM), with guest memory unchanged.
 */
export function copyToGuest(addr: u64, src: usize, length: u64): bool {
  KERNEL_OOM = false;
  if (length == 0) return true;
  // Give every page its own frame first, so a failure leaves guest memory as it was.
  for (let a = addr & ~<u64>0xfff; a < addr + length; a += 4096) {
    if (translatePage(a, 0, true) == 0) {
      FAULT_ADDR = a < addr ? addr : a;
      KERNEL_OOM = ALLOC_FAILED;
      return false;
    }
  }
  let done: u64 = 0;
  while (done < length) {
    const a = addr + done;
    const frame = translatePage(a, 0, false);
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
