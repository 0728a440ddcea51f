// The decode cache: instructions are decoded once per basic block and kept
// as runs of 32-byte records, found by the block's start address and the
// address space's tag in a direct-mapped table. Blocks of different address
// spaces never mix: the same address may hold other code in another process
// (after exec), and a block matches only under the tag it was decoded with.
// A tag is never reused, so giving an address space a new tag drops its
// blocks alone (mem.ts does that when a copy-on-write copy of a code page is
// written). Any other change to code (a write to a frame holding decoded
// code, an unmap or a protection change of such a page) flushes the whole
// cache; static programs never do that after start-up, so the simple rule
// costs nothing in practice.
//
// An address space may also have a base tag (mem.ts): blocks a memory
// snapshot sealed, still right for this content. A miss under the current
// tag probes the base tag's slot and runs the block found there (copying
// the slot under the current tag where that overwrites no base block), so a run
// restored from a snapshot reuses the blocks decoded before the snapshot
// instead of decoding them again, while what it decodes itself never lands
// under the sealed tag.

import { hostAlloc } from './host';
import { INSN_SIZE } from './insn';
import { decodeAt, DECODE_OK, DECODE_FETCH_FAULT, DECODED_ENDS, DECODED_LEN, FETCH_FAULT_ADDR } from './decode';
import { markCodePage, clearCodePages, pagesHeldBySnapshot, CUR_TAG, TAG_HASH, CUR_BASE, BASE_HASH, BASE_VIEW } from './mem';

const MAX_BLOCK_INSNS: u32 = 64;
const BLOCK_SLOTS: u32 = 1 << 16;
/**
 * Records are carved from chunks of CHUNK_RECORDS, allocated as decoding
 * needs them, up to MAX_CHUNKS (1 M records, 32 MiB, in all); a block's
 * records never span two chunks. Past the last chunk (or when wasm memory
 * cannot hold another) the cache is flushed and fills the chunks again from
 * the first. A program decoding little code costs one chunk, not 32 MiB.
 */
const CHUNK_RECORDS: u32 = 1 << 15;
const MAX_CHUNKS: u32 = 32;

// Slot: u64 start address, u64 end address (just past the last
// instruction), u32 host address of the first record, u32 count, u32
// address space tag. An empty slot is all zeros: tag 0 is never given to an
// address space (mem.ts counts tags from 1) and a slot under the base tag
// is only looked at when there is one (CUR_BASE != 0), so a zero slot
// matches nothing. The slots therefore need no clearing when the CPU is
// created: fresh wasm memory is zero (host.ts), so creating a machine
// costs no pass over the 2 MiB of slots.
const SLOT_SIZE: usize = 32;

let slots: usize = 0;
/** Host addresses of the chunks allocated so far (u32 each). */
const chunks: usize = memory.data(<i32>MAX_CHUNKS * 4, 4);
let chunkCount: u32 = 0;
/** The chunk blocks are decoded into now, and how many of its records are used. */
let chunkIndex: u32 = 0;
let chunk: usize = 0;
let used: u32 = 0;

export let BLOCK_FIRST: usize = 0;
export let BLOCK_COUNT: u32 = 0;
/** Address just past the block's last instruction (where it falls through to). */
export let BLOCK_END: u64 = 0;
/** Blocks decoded since the CPU was created (a miss that found no base block either). */
export let BLOCKS_DECODED: u32 = 0;
/** Set by findBlock when the first instruction could not be fetched. */
export let BLOCK_FETCH_FAULT: bool = false;
export let BLOCK_FAULT_ADDR: u64 = 0;

/** Allocates the slots and the first chunk of records, empty as allocated: O(1). */
export function cacheInit(): bool {
  slots = hostAlloc(<usize>BLOCK_SLOTS * SLOT_SIZE, 64);
  if (slots == 0) return false;
  const c = hostAlloc(<usize>CHUNK_RECORDS * INSN_SIZE, 64);
  if (c == 0) return false;
  store<u32>(chunks, <u32>c);
  chunkCount = 1;
  chunkIndex = 0;
  chunk = c;
  used = 0;
  return true;
}

/**
 * Empties the cache (every address space's blocks) and forgets the code
 * marks. The lazy allocation also keeps this function too big for the
 * optimizer to inline into the run loop, where it measurably slowed the
 * hot path.
 */
export function flushDecodeCache(): void {
  if (slots == 0) { cacheInit(); return; }
  memory.fill(slots, 0, <usize>BLOCK_SLOTS * SLOT_SIZE);
  chunkIndex = 0;
  chunk = <usize>load<u32>(chunks);
  used = 0;
  clearCodePages();
}

/** Moves decoding to the next chunk (allocating it if need be), or flushes when there is none to be had. */
function nextChunk(): void {
  const k = chunkIndex + 1;
  if (k < chunkCount) {
    chunkIndex = k;
    chunk = <usize>load<u32>(chunks + (<usize>k << 2));
    used = 0;
    return;
  }
  if (chunkCount < MAX_CHUNKS) {
    const c = hostAlloc(<usize>CHUNK_RECORDS * INSN_SIZE, 64);
    if (c != 0) {
      store<u32>(chunks + (<usize>chunkCount << 2), <u32>c);
      chunkCount++;
      chunkIndex = k;
      chunk = c;
      used = 0;
      return;
    }
  }
  flushDecodeCache();
}

/** The slot of the block at ip under the tag whose hash contribution is tagHash. */
@inline function slotUnder(ip: u64, tagHash: u32): usize {
  const h = (<u32>(ip ^ (ip >> 16)) ^ tagHash) & (BLOCK_SLOTS - 1);
  return slots + <usize>h * SLOT_SIZE;
}

@inline function slotOf(ip: u64): usize { return slotUnder(ip, TAG_HASH); }

@inline function baseSlotOf(ip: u64): usize { return slotUnder(ip, BASE_HASH); }

/** Copies base block b into the current tag's `slot`, unless that slot holds another base block. */
@inline function copyUnderCurrent(b: usize, slot: usize): void {
  if (load<u32>(slot, 24) != CUR_BASE) {
    memory.copy(slot, b, SLOT_SIZE);
    store<u32>(slot, CUR_TAG, 24);
  }
}

/**
 * The block at ip under the base tag; false when there is none. The slot is
 * copied under the current tag (the records stay where they are until a
 * flush), so a loop finds it at the first probe from then on, unless that
 * would overwrite another base block: copying over those would thin the
 * base out run after run, so the block is then used where it is.
 */
function fromBase(ip: u64, slot: usize): bool {
  const b = baseSlotOf(ip);
  if (load<u64>(b) != ip || load<u32>(b, 24) != CUR_BASE) return false;
  copyUnderCurrent(b, slot);
  BLOCK_END = load<u64>(b, 8);
  BLOCK_FIRST = <usize>load<u32>(b, 16);
  BLOCK_COUNT = load<u32>(b, 20);
  return true;
}

/**
 * Finds or decodes the block starting at ip: sets BLOCK_FIRST (address of
 * the first record) and BLOCK_COUNT. A block ends after an instruction that
 * may branch or stop, before an instruction that cannot be fetched, or when
 * it reaches MAX_BLOCK_INSNS.
 */
export function findBlock(ip: u64): void {
  BLOCK_FETCH_FAULT = false;
  const slot = slotOf(ip);
  if (load<u64>(slot) == ip && load<u32>(slot, 24) == CUR_TAG) {
    BLOCK_END = load<u64>(slot, 8);
    BLOCK_FIRST = <usize>load<u32>(slot, 16);
    BLOCK_COUNT = load<u32>(slot, 20);
    return;
  }
  decodeBlock(ip, slot);
}

/** A miss: the block from the base tag, or decoded now into `slot`. */
function decodeBlock(ip: u64, slot: usize): void {
  if (CUR_BASE != 0 && fromBase(ip, slot)) return;
  if (used + MAX_BLOCK_INSNS > CHUNK_RECORDS) nextChunk();
  const first = chunk + <usize>used * INSN_SIZE;
  let at = ip;
  let n: u32 = 0;
  while (n < MAX_BLOCK_INSNS) {
    const d = first + <usize>n * INSN_SIZE;
    const status = decodeAt(at, d);
    if (status == DECODE_FETCH_FAULT) {
      if (n == 0) {
        BLOCK_FETCH_FAULT = true;
        BLOCK_FAULT_ADDR = FETCH_FAULT_ADDR;
        return;
      }
      break;
    }
    markCodePage(at >> 12);
    if (status == DECODE_OK) markCodePage((at + DECODED_LEN - 1) >> 12);
    n++;
    at += DECODED_LEN;
    if (status != DECODE_OK || DECODED_ENDS) break;
  }
  used += n;
  BLOCKS_DECODED++;
  // Decoded only from frames the base's snapshot holds (mem.ts, BASE_VIEW):
  // right for every space restored from that snapshot, so it goes under the
  // base tag, and runs restored later find it instead of decoding it again.
  const shared = BASE_VIEW && pagesHeldBySnapshot(ip >> 12, (at - 1) >> 12);
  const home = shared ? baseSlotOf(ip) : slot;
  store<u64>(home, ip);
  store<u64>(home, at, 8);
  store<u32>(home, <u32>first, 16);
  store<u32>(home, n, 20);
  store<u32>(home, shared ? CUR_BASE : CUR_TAG, 24);
  if (shared) copyUnderCurrent(home, slot);
  BLOCK_FIRST = first;
  BLOCK_COUNT = n;
  BLOCK_END = at;
}
