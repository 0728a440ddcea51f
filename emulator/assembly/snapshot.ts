// Memory snapshots: a frozen copy of all guest memory (every address space
// and every shared object), restorable any number of times.
//
// A snapshot copies page tables, not pages, as fork does: each private
// frame gets one more reference (a snapshot reference, frames.ts) and
// PTE_COW in the live page table, so the first write from the live side
// copies it and the snapshot keeps the old bytes. Untouched pages stay
// untouched in both. Pages of shared objects are different: they are
// written in place by design (every mapping must see one frame), so the
// snapshot takes its own copy of each such frame (the object's pages and
// any shared frame a mapping still holds after its object dropped it) and
// points its page tables and object directories at the copies. A frame
// mapped several times (twice in one space, in a forked pair, and in its
// object) is copied once, so the snapshot keeps the sharing.
//
// Restoring drops all live memory (every address space, the current one
// too, and every object), then rebuilds it from the snapshot: page tables
// copied back with one more live reference on each private frame (still
// PTE_COW, so the snapshot stays frozen and can be restored again), fresh
// copies of the shared frames (the live side will write them in place), the
// object records and id tables as they were, and the current address
// space. Every restored address space gets a fresh decode-cache tag, so no
// block decoded since the snapshot (from whatever code the run wrote) can
// match. Blocks decoded before it stay usable: taking a snapshot seals each
// address space's tag (the live space goes on under a fresh one, with the
// sealed tag as its base, mem.ts), and a restored space gets the sealed tag
// as its base, so it finds those blocks (cache.ts) without decoding again.
// Not when the snapshot copied a shared frame holding decoded code: the
// restored copies are new frames without code marks, so an in-place write
// to them would not flush the blocks; such a snapshot restores no base.
//
// A snapshot is a 2 KiB header node and lists of 4 KiB nodes from the
// page-table free lists, so taking and releasing thousands of them reuses
// memory. Frames held only by snapshots count in FRAMES_IN_USE, not in
// LIVE_FRAMES (frames.ts).
//
// Frame remapping during a snapshot or restore (original -> copy) uses a
// table indexed by frame number whose entries carry a 12-bit generation, so
// it is never cleared between operations (only when the generation wraps).

import { hostAlloc } from './host';
import {
  allocNode, freeNode, NODE_SMALL, NODE_LARGE, incRef, decRef, allocFrame, allocSnapFrame, snapIncRef, snapDecRef,
  snapRefsInit, setLimitBypass, isCodeFrame,
} from './frames';
import {
  PTE_COW, PTE_SHARED, PTE_OBJREF, PTE_FLAGS, CUR_SPACE, spaceIdLimit, spaceRoot, clearSpace, setSpaceIdLimit,
  installSpace, enterSpace, tlbFlush, sealTag,
} from './mem';
import { objIdLimit, objFreeHint, objField, objDropAll, objSetLimits, objInstall } from './shared';

const MAGIC: u32 = 0x534e4150;
// Header (NODE_SMALL).
const H_MAGIC: usize = 0;
const H_CUR: usize = 4;
const H_SPACES: usize = 8; // space id limit
const H_OBJS: usize = 12; // object id limit
const H_HINT: usize = 16; // object free-id hint
const H_SPACE_LIST: usize = 20;
const H_OBJ_LIST: usize = 24;
const H_NO_BASE: usize = 28; // 1: a shared frame held decoded code

// Lists: chains of NODE_LARGE nodes: u32 next, u32 entries, then entries.
const LIST_DATA: usize = 8;
const SPACE_ENTRY: usize = 12; // u32 id, u32 root, u32 sealed decode-cache tag
const OBJ_ENTRY: usize = 20; // u32 id, size, dir, refs, state
const TO_SNAPSHOT: u32 = 0;
const TO_LIVE: u32 = 1;

let remap: usize = 0;
let gen: u32 = 0;
/** Set by copyOf when a shared frame copied into a snapshot holds decoded code. */
let sharedCode: bool = false;

function remapInit(): bool {
  if (remap == 0) {
    remap = hostAlloc(<usize>(1 << 20) << 2, 64);
    if (remap == 0) return false;
  }
  if (!snapRefsInit()) return false;
  gen++;
  if (gen == 4096) {
    memory.fill(remap, 0, <usize>(1 << 20) << 2);
    gen = 1;
  }
  return true;
}

/**
 * The copy of shared frame f on the other side (made on first sight, with
 * the reference the caller takes; later sights take one more); 0 when
 * memory cannot grow.
 */
function copyOf(f: usize, dir: u32): usize {
  const slot = remap + ((f >> 12) << 2);
  const e = load<u32>(slot);
  if ((e >> 20) == gen) {
    const c = <usize>(e & 0xfffff) << 12;
    if (dir == TO_SNAPSHOT) snapIncRef(c); else incRef(c);
    return c;
  }
  const c = dir == TO_SNAPSHOT ? allocSnapFrame() : allocFrame(false);
  if (c == 0) return 0;
  if (isCodeFrame(f)) sharedCode = true;
  memory.copy(c, f, 4096);
  store<u32>(slot, (gen << 20) | <u32>(c >> 12));
  return c;
}

// ---- page tables ----------------------------------------------------------------

/** Frees a page table and the references it holds (snapshot's or live ones); object references are the caller's business. */
function freeTable(r: usize, snapshotSide: bool): void {
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
          if (lo == 0 || (lo & PTE_OBJREF) != 0) continue;
          const frame = <usize>(lo & ~PTE_FLAGS);
          if (frame == 0) continue;
          if (snapshotSide) snapDecRef(frame); else decRef(frame);
        }
        freeNode(leaf, NODE_LARGE);
      }
      freeNode(n2, NODE_SMALL);
    }
    freeNode(n1, NODE_SMALL);
  }
  freeNode(r, NODE_SMALL);
}

/**
 * A copy of the page table at sr on the other side: private frames shared
 * (copy-on-write), shared frames copied once (copyOf), untouched pages
 * untouched. Returns the new root, or 0 (nothing left behind) when memory
 * cannot grow.
 */
function copyTable(sr: usize, dir: u32): usize {
  const dr = allocNode(NODE_SMALL);
  if (dr == 0) return 0;
  for (let i0: usize = 0; i0 < 256; i0++) {
    const s1 = <usize>load<u32>(sr + (i0 << 2));
    if (s1 == 0) continue;
    const d1 = allocNode(NODE_SMALL);
    if (d1 == 0) { freeTable(dr, dir == TO_SNAPSHOT); return 0; }
    store<u32>(dr + (i0 << 2), <u32>d1);
    for (let i1: usize = 0; i1 < 512; i1++) {
      const s2 = <usize>load<u32>(s1 + (i1 << 2));
      if (s2 == 0) continue;
      const d2 = allocNode(NODE_SMALL);
      if (d2 == 0) { freeTable(dr, dir == TO_SNAPSHOT); return 0; }
      store<u32>(d1 + (i1 << 2), <u32>d2);
      for (let i2: usize = 0; i2 < 512; i2++) {
        const sl = <usize>load<u32>(s2 + (i2 << 2));
        if (sl == 0) continue;
        const dl = allocNode(NODE_LARGE);
        if (dl == 0) { freeTable(dr, dir == TO_SNAPSHOT); return 0; }
        store<u32>(d2 + (i2 << 2), <u32>dl);
        for (let i3: usize = 0; i3 < 512; i3++) {
          const p = sl + (i3 << 3);
          let lo = load<u32>(p);
          if (lo == 0) continue;
          if ((lo & PTE_OBJREF) == 0) {
            const frame = <usize>(lo & ~PTE_FLAGS);
            if (frame != 0) {
              if ((lo & PTE_SHARED) != 0) {
                const c = copyOf(frame, dir);
                if (c == 0) { freeTable(dr, dir == TO_SNAPSHOT); return 0; }
                lo = <u32>c | (lo & PTE_FLAGS);
              } else if (dir == TO_SNAPSHOT) {
                snapIncRef(frame);
                lo |= PTE_COW;
                store<u32>(p, lo); // the live side copies before its next write
              } else {
                incRef(frame); // snapshot PTEs are PTE_COW already
              }
            }
          }
          store<u32>(dl + (i3 << 3), lo);
          store<u32>(dl + (i3 << 3), load<u32>(p, 4), 4);
        }
      }
    }
  }
  return dr;
}

// ---- object directories ------------------------------------------------------------

function freeDir(d: usize, snapshotSide: bool): void {
  for (let c: usize = 0; c < 1024; c++) {
    const chunk = <usize>load<u32>(d + (c << 2));
    if (chunk == 0) continue;
    for (let i: usize = 0; i < 1024; i++) {
      const f = <usize>load<u32>(chunk + (i << 2));
      if (f == 0) continue;
      if (snapshotSide) snapDecRef(f); else decRef(f);
    }
    freeNode(chunk, NODE_LARGE);
  }
  freeNode(d, NODE_LARGE);
}

/** A copy of an object's page directory with every frame copied (copyOf); 0 when memory cannot grow. */
function copyDir(sd: usize, dir: u32): usize {
  const dd = allocNode(NODE_LARGE);
  if (dd == 0) return 0;
  for (let c: usize = 0; c < 1024; c++) {
    const sc = <usize>load<u32>(sd + (c << 2));
    if (sc == 0) continue;
    const dc = allocNode(NODE_LARGE);
    if (dc == 0) { freeDir(dd, dir == TO_SNAPSHOT); return 0; }
    store<u32>(dd + (c << 2), <u32>dc);
    for (let i: usize = 0; i < 1024; i++) {
      const f = <usize>load<u32>(sc + (i << 2));
      if (f == 0) continue;
      const copy = copyOf(f, dir);
      if (copy == 0) { freeDir(dd, dir == TO_SNAPSHOT); return 0; }
      store<u32>(dc + (i << 2), <u32>copy);
    }
  }
  return dd;
}

// ---- lists --------------------------------------------------------------------------

let tail: usize = 0;

/** Room for one entry of `size` bytes at the end of the list whose last node is `tail`; 0 when memory cannot grow. */
function push(size: usize): usize {
  let n = load<u32>(tail, 4);
  if (LIST_DATA + (<usize>n + 1) * size > NODE_LARGE) {
    const next = allocNode(NODE_LARGE);
    if (next == 0) return 0;
    store<u32>(tail, <u32>next);
    tail = next;
    n = 0;
  }
  store<u32>(tail, n + 1, 4);
  return tail + LIST_DATA + <usize>n * size;
}

// ---- the exports' work -------------------------------------------------------------

/** Frees a snapshot, whole or partly built. */
export function releaseSnap(h: usize): void {
  store<u32>(h, 0, H_MAGIC);
  let node = <usize>load<u32>(h, H_SPACE_LIST);
  while (node != 0) {
    const n = load<u32>(node, 4);
    for (let i: u32 = 0; i < n; i++) freeTable(<usize>load<u32>(node + LIST_DATA + <usize>i * SPACE_ENTRY, 4), true);
    const next = <usize>load<u32>(node);
    freeNode(node, NODE_LARGE);
    node = next;
  }
  node = <usize>load<u32>(h, H_OBJ_LIST);
  while (node != 0) {
    const n = load<u32>(node, 4);
    for (let i: u32 = 0; i < n; i++) {
      const d = <usize>load<u32>(node + LIST_DATA + <usize>i * OBJ_ENTRY, 8);
      if (d != 0) freeDir(d, true);
    }
    const next = <usize>load<u32>(node);
    freeNode(node, NODE_LARGE);
    node = next;
  }
  freeNode(h, NODE_SMALL);
}

export function isSnap(h: usize): bool {
  return h != 0 && (h & 63) == 0 && load<u32>(h, H_MAGIC) == MAGIC;
}

/** Takes a snapshot of all guest memory; its handle, or 0 when memory cannot grow (nothing left behind). */
export function takeSnap(): usize {
  if (!remapInit()) return 0;
  sharedCode = false;
  const h = allocNode(NODE_SMALL);
  if (h == 0) return 0;
  const spaceList = allocNode(NODE_LARGE);
  if (spaceList == 0) { freeNode(h, NODE_SMALL); return 0; }
  store<u32>(h, <u32>spaceList, H_SPACE_LIST);
  const objList = allocNode(NODE_LARGE);
  if (objList == 0) { releaseSnap(h); return 0; }
  store<u32>(h, <u32>objList, H_OBJ_LIST);
  store<u32>(h, CUR_SPACE, H_CUR);
  const spaces = spaceIdLimit();
  const objs = objIdLimit();
  store<u32>(h, spaces, H_SPACES);
  store<u32>(h, objs, H_OBJS);
  store<u32>(h, objFreeHint(), H_HINT);
  // Objects first, so a page an object still holds gets the same copy in
  // the object and in every mapping of it.
  tail = objList;
  for (let id: u32 = 1; id < objs; id++) {
    const state = objField(id, 12);
    if (state == 0) continue;
    const e = push(OBJ_ENTRY);
    if (e == 0) { releaseSnap(h); return 0; }
    const sd = <usize>objField(id, 4);
    let dd: usize = 0;
    if (sd != 0) {
      dd = copyDir(sd, TO_SNAPSHOT);
      if (dd == 0) { store<u32>(tail, load<u32>(tail, 4) - 1, 4); releaseSnap(h); return 0; }
    }
    store<u32>(e, id);
    store<u32>(e, objField(id, 0), 4);
    store<u32>(e, <u32>dd, 8);
    store<u32>(e, objField(id, 8), 12);
    store<u32>(e, state, 16);
  }
  tail = spaceList;
  for (let id: u32 = 0; id < spaces; id++) {
    const r = spaceRoot(id);
    if (r == 0) continue;
    const e = push(SPACE_ENTRY);
    if (e == 0) { releaseSnap(h); return 0; }
    const copy = copyTable(r, TO_SNAPSHOT);
    if (copy == 0) { store<u32>(tail, load<u32>(tail, 4) - 1, 4); releaseSnap(h); return 0; }
    store<u32>(e, id);
    store<u32>(e, <u32>copy, 4);
    store<u32>(e, sealTag(id), 8);
  }
  store<u32>(h, sharedCode ? 1 : 0, H_NO_BASE);
  // Live writable pages just became copy-on-write: none may stay in the write TLB.
  tlbFlush();
  store<u32>(h, MAGIC, H_MAGIC);
  return h;
}

/** Drops all live memory: every address space (the current one too) and every object. */
function dropLive(): void {
  const spaces = spaceIdLimit();
  for (let id: u32 = 0; id < spaces; id++) {
    const r = spaceRoot(id);
    if (r == 0) continue;
    freeTable(r, false); // object references go with the objects below
    clearSpace(id);
  }
  objDropAll();
}

/**
 * Makes live memory what snapshot h holds. False when memory could not grow
 * on the way (frames freed by dropping live memory are reused first, so
 * that needs the host to have shrunk its limit): live memory is then empty
 * but for address space 0, and restoring again may succeed.
 */
export function restoreSnap(h: usize): bool {
  if (!remapInit()) return false;
  dropLive();
  setLimitBypass(true); // the snapshot's live frames fit the limit when it was taken
  let ok = true;
  objSetLimits(load<u32>(h, H_OBJS), load<u32>(h, H_HINT));
  let node = <usize>load<u32>(h, H_OBJ_LIST);
  while (ok && node != 0) {
    const n = load<u32>(node, 4);
    for (let i: u32 = 0; i < n; i++) {
      const e = node + LIST_DATA + <usize>i * OBJ_ENTRY;
      const sd = <usize>load<u32>(e, 8);
      let dd: usize = 0;
      if (sd != 0) {
        dd = copyDir(sd, TO_LIVE);
        if (dd == 0) { ok = false; break; }
      }
      objInstall(load<u32>(e), load<u32>(e, 4), <u32>dd, load<u32>(e, 12), load<u32>(e, 16));
    }
    node = <usize>load<u32>(node);
  }
  setSpaceIdLimit(load<u32>(h, H_SPACES));
  node = <usize>load<u32>(h, H_SPACE_LIST);
  while (ok && node != 0) {
    const n = load<u32>(node, 4);
    for (let i: u32 = 0; i < n; i++) {
      const e = node + LIST_DATA + <usize>i * SPACE_ENTRY;
      const r = copyTable(<usize>load<u32>(e, 4), TO_LIVE);
      if (r == 0) { ok = false; break; }
      installSpace(load<u32>(e), r, load<u32>(h, H_NO_BASE) != 0 ? 0 : load<u32>(e, 8));
    }
    node = <usize>load<u32>(node);
  }
  setLimitBypass(false);
  if (!ok) {
    dropLive();
    objSetLimits(1, 1);
    setSpaceIdLimit(0);
    const r = allocNode(NODE_SMALL);
    if (r == 0) unreachable(); // the nodes just freed are on the free list
    setSpaceIdLimit(1);
    installSpace(0, r, 0);
    enterSpace(0);
    return false;
  }
  enterSpace(load<u32>(h, H_CUR));
  return true;
}
