// Host-side allocation of wasm linear memory. Everything the CPU keeps
// (register files, page-table nodes, guest page frames, the decode cache)
// is carved from here; nothing is ever returned to the JS side as garbage.
//
// Allocation can fail: memory.grow refuses past the engine's limit (4 GiB
// for wasm32, often less). hostAlloc then returns 0 and every caller turns
// that into a clean error (an OutOfMemory stop, a failed export the binding
// throws for), never a trap.

let hostTop: usize = 0;
/** Test seam: pretend memory.grow fails past this address (0 = no limit). */
let hostLimit: usize = 0;

/** 64 KiB wasm pages in a full wasm32 memory (4 GiB). */
const MAX_WASM_PAGES: u64 = 65536;
/** The smallest step memory grows by, in wasm pages: 1 MiB. */
const GROW_MIN_PAGES: u64 = 16;

/**
 * Makes wasm memory reach `end`, growing it geometrically: by a quarter of
 * what it has (at least 1 MiB), so touching N bytes of fresh guest memory
 * costs O(log N) memory.grow calls instead of one per 64 KiB.
 *
 * Why: every memory.grow replaces the memory's ArrayBuffer (the old one is
 * detached) and V8 answers the growth with frequent full (mark-compact)
 * garbage collections of the JS heap: measured in Node 20, 0.1-0.5 ms per
 * grow, so growing 64 KiB at a time made a guest touching 256 MiB pay
 * 4096 of them and run at 4 MIPS (7.3 s), slower as memory grew.
 *
 * Growing further than needed costs no host memory (the engine reserves
 * the whole 4 GiB range up front and the OS backs a page only when it is
 * first written), but V8 counts the memory's whole size as external memory
 * and collects garbage more often the more there is: a 16 MiB minimum step
 * doubled the full GCs of a process holding 100 small machines and made
 * creating them twice as slow. Hence a small minimum and an overshoot of at
 * most a quarter.
 *
 * Near the engine's limit a refused step is retried smaller, down to what
 * is needed, so a step never makes an allocation fail that fits.
 */
function ensure(end: usize): bool {
  if (hostLimit != 0 && end > hostLimit) return false;
  const have = <u64>memory.size();
  if (<u64>end <= have << 16) return true;
  const need = ((<u64>end + 0xffff) >> 16) - have;
  let step = have >> 2;
  if (step < GROW_MIN_PAGES) step = GROW_MIN_PAGES;
  if (step < need) step = need;
  let room = MAX_WASM_PAGES - have;
  if (hostLimit != 0) room = ((<u64>hostLimit + 0xffff) >> 16) - have;
  if (step > room) step = room;
  while (step > need) {
    if (memory.grow(<i32>step) >= 0) return true;
    step >>= 1;
  }
  return memory.grow(<i32>need) >= 0;
}

/**
 * Allocates zeroed host memory, or returns 0 when memory cannot grow; never
 * freed (callers keep free lists).
 *
 * Nothing is cleared here: the allocator only bumps, so every byte at or
 * above hostTop has never been handed out, and nothing else writes there
 * (the stub runtime allocates nothing), so it is still the zero wasm memory
 * starts with and memory.grow adds. Clearing it anyway made creating a CPU
 * touch its ~38 MiB of tables (decode cache records, frame reference
 * counts) and cost ~30 ms; untouched, the pages stay uncommitted until used.
 */
export function hostAlloc(size: usize, align: usize): usize {
  if (hostTop == 0) hostTop = (__heap_base + 0xffff) & ~<usize>0xffff;
  const p = (hostTop + align - 1) & ~(align - 1);
  // p + size wrapping past 4 GiB is as impossible as growing that far.
  if (p + size < p || !ensure(p + size)) return 0;
  hostTop = p + size;
  return p;
}

export function hostBytesInUse(): usize { return hostTop; }

/** Test seam: allocations of more than `bytes` beyond what is allocated now fail as a refused memory.grow would (-1 lifts it). */
export function setHostLimit(bytes: i32): void { hostLimit = bytes < 0 ? 0 : hostTop + <usize>bytes; }
