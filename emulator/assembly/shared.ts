// Shared memory objects: the pages behind memfd_create and MAP_SHARED |
// MAP_ANONYMOUS. An object is a size in pages and, for each page touched
// so far, a frame; every mapping of page p (in any address space, at any
// address) uses that one frame, so they all see the same bytes.
//
// Frames are allocated on first touch, through a mapping or a kernel-side
// writeShared. The object holds one reference to each of its frames, each
// mapping another. A mapped page that has not been touched yet names the
// object in its page-table entry and holds a reference to the object
// itself, so an object lives while its owner (the kernel model's memfd or
// mapping) holds it or an untouched mapped page still names it.
//
// Records (16 bytes): u32 size in pages, u32 directory (a 4 KiB node of
// 1024 chunk pointers, or 0), u32 references, u32 state (bit 0: in use,
// bit 1: the owner's reference is held). A chunk is a 4 KiB node of 1024
// frame addresses, so one directory covers 2^20 pages (4 GiB, all a wasm32
// memory could hold).

import { hostAlloc } from './host';
import { allocFrame, decRef, allocNode, freeNode, NODE_LARGE } from './frames';

/** Largest object, in pages. */
export const MAX_OBJECT_PAGES: u32 = 1 << 20;
/** Object ids fit the 20 frame bits of a page-table entry. */
const MAX_OBJECTS: u32 = (1 << 20) - 1;
const REC: usize = 16;
const IN_USE: u32 = 1;
const OWNED: u32 = 2;

let objs: usize = 0;
let objCount: u32 = 1; // id 0 is never used
let objCap: u32 = 0;
let freeHint: u32 = 1;

@inline function rec(id: u32): usize { return objs + <usize>id * REC; }

/** True if id names an object whose owner reference is still held (what the Cpu API accepts). */
export function objOwned(id: u32): bool {
  return id > 0 && id < objCount && (load<u32>(rec(id), 12) & OWNED) != 0;
}

export function objPages(id: u32): u32 { return load<u32>(rec(id)); }

/** A new object of `pages` zero pages; its id, or 0 when out of memory. */
export function objCreate(pages: u32): u32 {
  let id: u32 = 0;
  for (let i = freeHint; i < objCount; i++) {
    if (load<u32>(rec(i), 12) == 0) { id = i; break; }
  }
  if (id == 0) {
    if (objCount > MAX_OBJECTS) return 0;
    if (objCount == objCap) {
      const cap = objCap == 0 ? 256 : objCap * 2;
      const n = hostAlloc(<usize>cap * REC, 16);
      if (n == 0) return 0;
      if (objCap > 0) memory.copy(n, objs, <usize>objCap * REC);
      objs = n; // the old table is left behind: doubling bounds the waste
      objCap = cap;
    }
    id = objCount++;
  }
  freeHint = id + 1;
  const r = rec(id);
  store<u32>(r, pages);
  store<u32>(r, 0, 4);
  store<u32>(r, 1, 8);
  store<u32>(r, IN_USE | OWNED, 12);
  return id;
}

/**
 * The frame of page `page`, allocating it (and the tables on the way) when
 * `alloc`; 0 when absent, beyond the size, or out of memory (ALLOC_FAILED).
 */
export function objFrame(id: u32, page: u32, alloc: bool): usize {
  const r = rec(id);
  if (page >= load<u32>(r)) return 0;
  let dir = <usize>load<u32>(r, 4);
  if (dir == 0) {
    if (!alloc) return 0;
    dir = allocNode(NODE_LARGE);
    if (dir == 0) return 0;
    store<u32>(r, <u32>dir, 4);
  }
  const cslot = dir + (<usize>(page >> 10) << 2);
  let chunk = <usize>load<u32>(cslot);
  if (chunk == 0) {
    if (!alloc) return 0;
    chunk = allocNode(NODE_LARGE);
    if (chunk == 0) return 0;
    store<u32>(cslot, <u32>chunk);
  }
  const fslot = chunk + (<usize>(page & 1023) << 2);
  let f = <usize>load<u32>(fslot);
  if (f == 0 && alloc) {
    f = allocFrame(true);
    if (f == 0) return 0;
    store<u32>(fslot, <u32>f);
  }
  return f;
}

/** Drops the object's frames of pages [from, size) and the chunks left empty. */
function dropPages(id: u32, from: u32): void {
  const r = rec(id);
  const size = load<u32>(r);
  const dir = <usize>load<u32>(r, 4);
  if (dir == 0 || from >= size) return;
  for (let c = from >> 10; c <= (size - 1) >> 10; c++) {
    const chunk = <usize>load<u32>(dir + (<usize>c << 2));
    if (chunk == 0) continue;
    const lo = c << 10 < from ? from & 1023 : 0;
    for (let i = lo; i < 1024; i++) {
      const f = <usize>load<u32>(chunk + (<usize>i << 2));
      if (f != 0) { decRef(f); store<u32>(chunk + (<usize>i << 2), 0); }
    }
    if (lo == 0) { freeNode(chunk, NODE_LARGE); store<u32>(dir + (<usize>c << 2), 0); }
  }
  if (from == 0) { freeNode(dir, NODE_LARGE); store<u32>(r, 0, 4); }
}

/**
 * ftruncate: pages at or beyond the new size leave the object (their frames
 * lose the object's reference); growing adds zero pages.
 */
export function objResize(id: u32, pages: u32): void {
  const r = rec(id);
  if (pages < load<u32>(r)) dropPages(id, pages);
  store<u32>(r, pages);
}

export function objRef(id: u32): void {
  const r = rec(id);
  store<u32>(r, load<u32>(r, 8) + 1, 8);
}

export function objUnref(id: u32): void {
  const r = rec(id);
  const n = load<u32>(r, 8) - 1;
  store<u32>(r, n, 8);
  if (n != 0) return;
  dropPages(id, 0);
  store<u32>(r, 0);
  store<u32>(r, 0, 12);
  if (id < freeHint) freeHint = id;
}

/** Drops the owner's reference (the object goes when no untouched mapped page names it). */
export function objRelease(id: u32): void {
  const r = rec(id);
  store<u32>(r, load<u32>(r, 12) & ~OWNED, 12);
  objUnref(id);
}

// ---- snapshots (snapshot.ts) -------------------------------------------------

/** One past the highest object id handed out so far. */
export function objIdLimit(): u32 { return objCount; }
export function objFreeHint(): u32 { return freeHint; }
/** The record's fields: size, directory, references, state (0 = free id). */
export function objField(id: u32, offset: usize): u32 { return load<u32>(rec(id) + offset); }

/** Drops every object and its frames (live references): every id becomes free. */
export function objDropAll(): void {
  for (let id: u32 = 1; id < objCount; id++) {
    if (load<u32>(rec(id), 12) == 0) continue;
    dropPages(id, 0);
    memory.fill(rec(id), 0, REC);
  }
}

/**
 * After objDropAll: the object table as a snapshot had it, ids below
 * `count` (the table never shrinks, so it has room) and the search hint.
 */
export function objSetLimits(count: u32, hint: u32): void {
  objCount = count;
  freeHint = hint;
}

export function objInstall(id: u32, pages: u32, dir: u32, refs: u32, state: u32): void {
  const r = rec(id);
  store<u32>(r, pages);
  store<u32>(r, dir, 4);
  store<u32>(r, refs, 8);
  store<u32>(r, state, 12);
}
