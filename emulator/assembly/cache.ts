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
import { markCodePage, clearCodePages, CUR_TAG, TAG_HASH, CUR_BASE, BASE_HASH } from './mem';

const MAX_BLOCK_INSNS: u32 = 64;
const BLOCK_SLOTS: u32 = 1 << 16;
const INSN_CAPACITY: u32 = 1 << 20;

// Slot: u64 start address (NO_BLOCK when empty), u64 end address (just past
// the last instruction), u32 first record index, u32 count, u32 address
// space tag.
const SLOT_SIZE: usize = 32;
const NO_BLOCK: u64 = 0xffffffffffffffff;

let slots: usize = 0;
let records: usize = 0;
let used: u32 = 0;

export let BLOCK_FIRST: usize = 0;
export let BLOCK_COUNT: u32 = 0;
/** Address just past the block's last instruction (where it falls through to). */
export let BLOCK_END: u64 = 0;
/** Set by findBlock when the first instruction could not be fetched. */
export let BLOCK_FETCH_FAULT: bool = false;
export let BLOCK_FAULT_ADDR: u64 = 0;

export function cacheInit(): bool {
  slots = hostAlloc(<usize>BLOCK_SLOTS * SLOT_SIZE, 64);
  records = hostAlloc(<usize>INSN_CAPACITY * INSN_SIZE, 64);
  if (slots == 0 || records == 0) return false;
  flushDecodeCache();
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
  memory.fill(slots, 0xff, <usize>BLOCK_SLOTS * SLOT_SIZE);
  used = 0;
  clearCodePages();
}

@inline function slotOf(ip: u64): usize {
  const h = (<u32>(ip ^ (ip >> 16)) ^ TAG_HASH) & (BLOCK_SLOTS - 1);
  return slots + <usize>h * SLOT_SIZE;
}

/**
 * The block at ip under the base tag; false when there is none. The slot is
 * copied under the current tag (the records stay where they are until a
 * flush), so a loop finds it at the first probe from then on, unless that
 * would overwrite another base block: copying over those would thin the
 * base out run after run, so the block is then used where it is.
 */
function fromBase(ip: u64, slot: usize): bool {
  const h = (<u32>(ip ^ (ip >> 16)) ^ BASE_HASH) & (BLOCK_SLOTS - 1);
  const b = slots + <usize>h * SLOT_SIZE;
  if (load<u64>(b) != ip || load<u32>(b, 24) != CUR_BASE) return false;
  if (load<u32>(slot, 24) != CUR_BASE) {
    memory.copy(slot, b, SLOT_SIZE);
    store<u32>(slot, CUR_TAG, 24);
  }
  BLOCK_END = load<u64>(b, 8);
  BLOCK_FIRST = records + <usize>load<u32>(b, 16) * INSN_SIZE;
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
    BLOCK_FIRST = records + <usize>load<u32>(slot, 16) * INSN_SIZE;
    BLOCK_COUNT = load<u32>(slot, 20);
    return;
  }
  decodeBlock(ip, slot);
}

/** A miss: the block from the base tag, or decoded now into `slot`. */
function decodeBlock(ip: u64, slot: usize): void {
  if (CUR_BASE != 0 && fromBase(ip, slot)) return;
  if (used + MAX_BLOCK_INSNS > INSN_CAPACITY) flushDecodeCache();
  const first = used;
  let at = ip;
  let n: u32 = 0;
  while (n < MAX_BLOCK_INSNS) {
    const d = records + <usize>(first + n) * INSN_SIZE;
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
  used = first + n;
  store<u64>(slot, ip);
  store<u64>(slot, at, 8);
  store<u32>(slot, first, 16);
  store<u32>(slot, n, 20);
  store<u32>(slot, CUR_TAG, 24);
  BLOCK_FIRST = records + <usize>first * INSN_SIZE;
  BLOCK_COUNT = n;
  BLOCK_END = at;
}
