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

function ensure(end: usize): bool {
  if (hostLimit != 0 && end > hostLimit) return false;
  const have = <usize>memory.size() << 16;
  if (end <= have) return true;
  const pages = <i32>((end - have + 0xffff) >> 16);
  return memory.grow(pages) >= 0;
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
