// Host-side allocation of wasm linear memory. Everything the CPU keeps
// (register files, page-table nodes, guest page frames, the decode cache)
// is carved from here; nothing is ever returned to the JS side as garbage.

let hostTop: usize = 0;

function ensure(end: usize): void {
  const have = <usize>memory.size() << 16;
  if (end <= have) return;
  const pages = <i32>((end - have + 0xffff) >> 16);
  if (memory.grow(pages) < 0) unreachable(); // host out of memory: a trap the binding reports
}

/** Allocates zeroed host memory; never freed (callers keep free lists). */
export function hostAlloc(size: usize, align: usize): usize {
  if (hostTop == 0) hostTop = (__heap_base + 0xffff) & ~<usize>0xffff;
  const p = (hostTop + align - 1) & ~(align - 1);
  ensure(p + size);
  hostTop = p + size;
  memory.fill(p, 0, size);
  return p;
}

export function hostBytesInUse(): usize { return hostTop; }
