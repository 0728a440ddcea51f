// Guest page frames and page-table nodes.
//
// A frame is 4 KiB of host memory holding one guest page. Frames are
// reference counted: a page-table entry holds one reference, a shared
// object (shared.ts) holds one for each of its pages, so a frame can be
// copy-on-write between two address spaces after fork, or mapped at
// several addresses at once (MAP_SHARED, memfd). A frame returns to the
// free list when its count reaches zero.
//
// The count lives in a table indexed by frame number (host address >> 12),
// one u32 each, whose top bit marks "the decode cache holds instructions
// decoded from this frame": the mark is per frame, not per mapping, so a
// write through any mapping of a frame (another address space, a second
// address of the same memfd page, a kernel-side write) sees it.
//
// Page-table nodes come from two free lists of their own (2 KiB interior
// nodes, 4 KiB leaves) and are not counted as frames.
//
// Memory snapshots (snapshot.ts) hold frames too. The count above is the
// total; a second table (allocated at the first snapshot) says how many of
// those references are snapshots'. FRAMES_IN_USE counts every frame held by
// anyone (snapshots included: they are real memory); LIVE_FRAMES counts the
// frames live guest memory holds (an address space or a shared object), and
// the frame limit applies to it, so a guest run from a restored snapshot
// meets the limit exactly where the original run did, whatever snapshots
// are held.

import { hostAlloc, hostBytesInUse } from './host';

const FRAME: usize = 4096;
const REF_CODE: u32 = 0x80000000;
const REF_COUNT: u32 = 0x7fffffff;
/** Frame numbers of a 4 GiB wasm32 memory. */
const MAX_FRAMES: usize = 1 << 20;

let refs: usize = 0;
let freeFrames: usize = 0; // singly linked through the first word
let frameLimit: u32 = 0xffffffff;
/** Snapshots' share of each frame's references (0 until the first snapshot). */
let snapRefs: usize = 0;
/** Set while snapshot.ts allocates: frames it takes ignore the limit. */
let limitBypass: bool = false;
export function setLimitBypass(on: bool): void { limitBypass = on; }

/** Frames holding guest pages (referenced by a page table or a shared object). */
export let FRAMES_IN_USE: u32 = 0;
/** Frames live guest memory holds (FRAMES_IN_USE less those only snapshots hold); the limit applies to it. */
export let LIVE_FRAMES: u32 = 0;
/** Set when the last allocation failed: frame limit reached or memory.grow refused. */
export let ALLOC_FAILED: bool = false;
export function clearAllocFailed(): void { ALLOC_FAILED = false; }

export function framesInit(): bool {
  refs = hostAlloc(MAX_FRAMES << 2, 64);
  return refs != 0;
}

export function setFrameLimit(frames: u32): void { frameLimit = frames; }

/** A new frame with one reference, zero-filled unless the caller overwrites it all; 0 if none can be had. */
export function allocFrame(zero: bool): usize {
  if (LIVE_FRAMES >= frameLimit && !limitBypass) { ALLOC_FAILED = true; return 0; }
  let f: usize;
  if (freeFrames != 0) {
    f = freeFrames;
    freeFrames = load<usize>(f);
    if (zero) memory.fill(f, 0, FRAME);
    else store<usize>(f, 0);
  } else {
    f = hostAlloc(FRAME, FRAME);
    if (f == 0) { ALLOC_FAILED = true; return 0; }
  }
  store<u32>(refs + ((f >> 12) << 2), 1);
  FRAMES_IN_USE++;
  LIVE_FRAMES++;
  return f;
}

@inline function refSlot(f: usize): usize { return refs + ((f >> 12) << 2); }

export function refCount(f: usize): u32 { return load<u32>(refSlot(f)) & REF_COUNT; }

@inline function snapCount(f: usize): u32 {
  return snapRefs == 0 ? 0 : load<u32>(snapRefs + ((f >> 12) << 2));
}

/** Whether a snapshot holds frame f: its bytes can then never change (every write copies it first). */
export function heldBySnapshot(f: usize): bool { return snapCount(f) != 0; }

/** One more live reference (a page table or shared object). */
export function incRef(f: usize): void {
  const s = refSlot(f);
  const r = load<u32>(s);
  if ((r & REF_COUNT) == snapCount(f)) LIVE_FRAMES++; // held only by snapshots until now
  store<u32>(s, r + 1);
}

/** Drops one live reference; the frame is freed (and its code mark cleared) at zero. */
export function decRef(f: usize): void {
  const s = refSlot(f);
  const r = load<u32>(s);
  const n = r & REF_COUNT;
  if (n - snapCount(f) == 1) LIVE_FRAMES--;
  if (n <= 1) {
    store<u32>(s, 0);
    store<usize>(f, freeFrames);
    freeFrames = f;
    FRAMES_IN_USE--;
    return;
  }
  store<u32>(s, r - 1);
}

/**
 * A frame to copy frame `src` into before a write (copy-on-write). When every
 * other reference to `src` is a snapshot's, the live side trades its frame
 * for the copy and holds no more frames than before, so the limit does not
 * apply: without the snapshot the write would not have needed a frame.
 */
export function allocCopyFrame(src: usize): usize {
  if ((load<u32>(refSlot(src)) & REF_COUNT) - snapCount(src) != 1) return allocFrame(false);
  const was = limitBypass;
  limitBypass = true;
  const f = allocFrame(false);
  limitBypass = was;
  return f;
}

// ---- snapshots' references ------------------------------------------------------

/** Allocates the table of snapshots' references; false when memory cannot grow. */
export function snapRefsInit(): bool {
  if (snapRefs == 0) snapRefs = hostAlloc(MAX_FRAMES << 2, 64);
  return snapRefs != 0;
}

/** A frame for a snapshot (ignores the limit, not live): one snapshot reference; 0 if memory cannot grow. */
export function allocSnapFrame(): usize {
  const was = limitBypass;
  limitBypass = true;
  const f = allocFrame(false);
  limitBypass = was;
  if (f == 0) return 0;
  LIVE_FRAMES--;
  store<u32>(snapRefs + ((f >> 12) << 2), 1);
  return f;
}

export function snapIncRef(f: usize): void {
  const s = refSlot(f);
  store<u32>(s, load<u32>(s) + 1);
  const t = snapRefs + ((f >> 12) << 2);
  store<u32>(t, load<u32>(t) + 1);
}

/** Drops a snapshot's reference; the frame is freed when no one holds it. */
export function snapDecRef(f: usize): void {
  const t = snapRefs + ((f >> 12) << 2);
  store<u32>(t, load<u32>(t) - 1);
  const s = refSlot(f);
  const r = load<u32>(s);
  if ((r & REF_COUNT) <= 1) {
    store<u32>(s, 0);
    store<usize>(f, freeFrames);
    freeFrames = f;
    FRAMES_IN_USE--;
    return;
  }
  store<u32>(s, r - 1);
}

export function isCodeFrame(f: usize): bool { return (load<u32>(refSlot(f)) & REF_CODE) != 0; }
export function setCodeFrame(f: usize): void { const s = refSlot(f); store<u32>(s, load<u32>(s) | REF_CODE); }
export function clearCodeFrame(f: usize): void { const s = refSlot(f); store<u32>(s, load<u32>(s) & ~REF_CODE); }

/** Clears the code mark of every frame (when the list of marked frames overflowed). */
export function clearAllCodeFrames(): void {
  const n = hostBytesInUse() >> 12;
  for (let i: usize = 0; i < n; i++) {
    const s = refs + (i << 2);
    store<u32>(s, load<u32>(s) & ~REF_CODE);
  }
}

// ---- page-table nodes ---------------------------------------------------------

export const NODE_SMALL: usize = 2048; // root and interior: 512 u32 pointers
export const NODE_LARGE: usize = 4096; // leaf: 512 u64 entries; shared-object directories and chunks
let freeSmall: usize = 0;
let freeLarge: usize = 0;
/** Bytes of page-table nodes and shared-object tables in use (not counted as frames). */
export let NODE_BYTES: usize = 0;

/** A zeroed node of `size` (NODE_SMALL or NODE_LARGE), or 0 (ALLOC_FAILED) when memory cannot grow. */
export function allocNode(size: usize): usize {
  let p: usize;
  const small = size == NODE_SMALL;
  if (small ? freeSmall != 0 : freeLarge != 0) {
    p = small ? freeSmall : freeLarge;
    const next = load<usize>(p);
    if (small) freeSmall = next; else freeLarge = next;
    memory.fill(p, 0, size);
  } else {
    p = hostAlloc(size, 64);
    if (p == 0) { ALLOC_FAILED = true; return 0; }
  }
  NODE_BYTES += size;
  return p;
}

export function freeNode(p: usize, size: usize): void {
  if (size == NODE_SMALL) { store<usize>(p, freeSmall); freeSmall = p; }
  else { store<usize>(p, freeLarge); freeLarge = p; }
  NODE_BYTES -= size;
}
