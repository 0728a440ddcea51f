// The bundled rseq programs' per-CPU data, read live from guest memory by
// symbol. The programs are built with -g, but reading DWARF for a few
// arrays is not worth a parser: each program's arrays are described here by
// hand, from its C declarations (programs/*.c, programs/rseq-prog.h). Every
// description is checked against the binary's symbol table (its size must
// be MAX_CPUS elements of the stride given), so a change to a program that
// this table misses is reported instead of shown as wrong numbers. No DOM.

import type { SymbolTable } from '../kernel-model/elf-symbols.js';

/** rseq-prog.h MAX_CPUS: every per-CPU (or per-mm_cid) array has this many elements. */
export const PROGRAM_MAX_CPUS = 256;

/**
 * How a field prints: `signed` (intptr_t, long: counters), `hex`
 * (pointers, lock words), or `list` (the head of a singly linked list:
 * the pointer, then how many nodes follow it through the `next` field at
 * offset `next` of each node).
 */
export type FieldFormat = 'signed' | 'hex' | 'list';

export interface PerCpuField {
  name: string;
  /** Byte offset in one element. */
  offset: number;
  size: 4 | 8;
  format: FieldFormat;
  /** list: offset of the node's next pointer. */
  next?: number;
}

/** One array of per-CPU slots, e.g. rseq_counter's `static struct percpu_word counts[MAX_CPUS]`. */
export interface PerCpuArray {
  symbol: string;
  /** The element type as the program declares it, for the caption. */
  type: string;
  /** sizeof(element): the C struct padded to its alignment (64: one cache line). */
  stride: number;
  /** What selects the element: the CPU number (cpu_id_start) or the concurrency ID (mm_cid). */
  index: 'cpu' | 'mm_cid';
  fields: PerCpuField[];
  /** For a two-dimensional `T symbol[outer][MAX_CPUS]`: how many per-CPU arrays follow each other (shown as symbol[0], symbol[1], …). */
  outer?: number;
}

/** struct percpu_word (rseq-prog.h): one intptr_t alone on a cache line. */
const percpuWord = (symbol: string, index: PerCpuArray['index'] = 'cpu'): PerCpuArray => ({
  symbol, type: 'struct percpu_word', stride: 64, index, fields: [{ name: 'v', offset: 0, size: 8, format: 'signed' }],
});

/** What each bundled program keeps per CPU, by program name (build/programs/<name>). */
export const PERCPU_DATA: Readonly<Record<string, readonly PerCpuArray[]>> = {
  rseq_counter: [percpuWord('counts')],
  // heads[cpu].v points at the first struct node; node.next is its first field.
  rseq_list: [{ symbol: 'heads', type: 'struct percpu_word', stride: 64, index: 'cpu', fields: [{ name: 'v', offset: 0, size: 8, format: 'list', next: 0 }] }],
  // struct word_ring { head, tail, slot[16] } and struct record_ring { head, tail, struct record slot[16] }, aligned(64).
  rseq_ring: [
    { symbol: 'words', type: 'struct word_ring', stride: 192, index: 'cpu', fields: [{ name: 'head', offset: 0, size: 8, format: 'signed' }, { name: 'tail', offset: 8, size: 8, format: 'signed' }] },
    { symbol: 'records', type: 'struct record_ring', stride: 576, index: 'cpu', fields: [{ name: 'head', offset: 0, size: 8, format: 'signed' }, { name: 'tail', offset: 8, size: 8, format: 'signed' }] },
  ],
  // struct percpu_lock { intptr_t locked; long owner; long count; } aligned(64).
  rseq_spinlock: [{
    symbol: 'locks', type: 'struct percpu_lock', stride: 64, index: 'cpu', fields: [
      { name: 'locked', offset: 0, size: 8, format: 'hex' }, { name: 'owner', offset: 8, size: 8, format: 'signed' }, { name: 'count', offset: 16, size: 8, format: 'signed' },
    ],
  }],
  // struct cache { intptr_t count; intptr_t slot[4]; } aligned(64), indexed by mm_cid.
  rseq_mmcid_pool: [{
    symbol: 'caches', type: 'struct cache', stride: 64, index: 'mm_cid', fields: [
      { name: 'count', offset: 0, size: 8, format: 'signed' },
      ...[0, 1, 2, 3].map((k): PerCpuField => ({ name: `slot[${k}]`, offset: 8 + 8 * k, size: 8, format: 'hex' })),
    ],
  }],
  rseq_signal: [percpuWord('main_counts'), percpuWord('handler_counts')],
  // arrays[SWITCHES + 1][MAX_CPUS]: main switches the workers to the next array, with a membarrier fence, four times.
  rseq_membarrier: [{ ...percpuWord('arrays'), outer: 5 }],
  rseq_slice: [percpuWord('counts')],
  rseq_bug_abort_inside: [percpuWord('counts')],
  rseq_bug_bad_signature: [percpuWord('counts')],
  rseq_bug_commit_not_last: [percpuWord('counts')],
  rseq_bug_no_cpu_check: [percpuWord('counts')],
  rseq_bug_syscall_in_cs: [percpuWord('counts')],
  rseq_bug_mmcid_unchecked: [percpuWord('slots', 'mm_cid')],
  // struct pair { intptr_t a, b; } aligned(64): the bug is that only b is the commit.
  rseq_bug_two_stores: [{ symbol: 'pairs', type: 'struct pair', stride: 64, index: 'cpu', fields: [{ name: 'a', offset: 0, size: 8, format: 'signed' }, { name: 'b', offset: 8, size: 8, format: 'signed' }] }],
};

/** A list longer than this is shown as "N+ nodes" (a corrupted list may loop). */
export const LIST_WALK_LIMIT = 1000;

/** One field of one element as read now. */
export interface PerCpuValue {
  field: string;
  value: string;
  /** Different from what it was before the last action (set by the session). */
  changed: boolean;
}

/** One element, e.g. `counts[1]`. */
export interface PerCpuRow {
  /** "counts[1]" */
  label: string;
  index: number;
  values: PerCpuValue[];
}

export interface PerCpuArrayView {
  symbol: string;
  type: string;
  index: PerCpuArray['index'];
  stride: number;
  /** The array's address, or undefined when it could not be read (see problem). */
  address?: number;
  fields: string[];
  rows: PerCpuRow[];
  /** Why nothing is shown for this array: the symbol is missing, or its size does not match the description. */
  problem?: string;
}

export type PerCpuDataView =
  | { described: true; arrays: PerCpuArrayView[] }
  | { described: false; reason: string };

/** Reads guest memory of the program's process; throws when it is not mapped. */
export type ReadMemory = (address: number, length: number) => Uint8Array;

function readField(read: ReadMemory, at: number, f: PerCpuField): string {
  const b = read(at, f.size);
  const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const v = f.size === 8 ? d.getBigInt64(0, true) : BigInt(d.getInt32(0, true));
  if (f.format === 'signed') return v.toString();
  const u = BigInt.asUintN(f.size * 8, v);
  if (f.format === 'hex') return '0x' + u.toString(16);
  return u === 0n ? 'empty' : `0x${u.toString(16)} (${listLength(read, u, f.next ?? 0)})`;
}

/** "3 nodes": follows next pointers from head until NULL, an unreadable node or LIST_WALK_LIMIT. */
function listLength(read: ReadMemory, head: bigint, next: number): string {
  let n = 0;
  for (let p = head; p !== 0n; n++) {
    if (n === LIST_WALK_LIMIT) return `${n}+ nodes`;
    try {
      const b = read(Number(p) + next, 8);
      p = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
    } catch {
      return `${n + 1} nodes, then unreadable 0x${p.toString(16)}`;
    }
  }
  return n === 1 ? '1 node' : `${n} nodes`;
}

/**
 * The program's described per-CPU arrays, elements 0 … cpus-1 (the machine
 * has no CPU numbers, and no mm_cid, beyond its vCPUs), read now. Changed
 * marks are all false: the session sets them against what it remembered.
 */
export function readPerCpuData(program: string, symbols: SymbolTable, cpus: number, read: ReadMemory): PerCpuDataView {
  const arrays = PERCPU_DATA[program];
  if (!arrays) return { described: false, reason: `No per-CPU data is described for ${program} (web/percpu-data.ts describes the bundled rseq programs' arrays).` };
  return { described: true, arrays: arrays.flatMap((a) => readArray(program, a, symbols, cpus, read)) };
}

/** One described array read now: one view, or one per outer index of a two-dimensional array. */
function readArray(program: string, a: PerCpuArray, symbols: SymbolTable, cpus: number, read: ReadMemory): PerCpuArrayView[] {
  const base = { symbol: a.symbol, type: a.type, index: a.index, stride: a.stride, fields: a.fields.map((f) => f.name), rows: [] };
  const s = symbols.lookup(a.symbol);
  if (!s) return [{ ...base, problem: `${program} has no symbol ${a.symbol}` }];
  const outer = a.outer ?? 1;
  const bytes = outer * PROGRAM_MAX_CPUS * a.stride;
  if (s.size !== bytes) {
    const shape = `${outer > 1 ? `${outer} × ` : ''}${PROGRAM_MAX_CPUS} × ${a.stride}`;
    return [{ ...base, address: s.address, problem: `${a.symbol} is ${s.size} bytes, not ${shape}: the program changed and web/percpu-data.ts did not` }];
  }
  const views: PerCpuArrayView[] = [];
  for (let k = 0; k < outer; k++) {
    const name = a.outer === undefined ? a.symbol : `${a.symbol}[${k}]`;
    const address = s.address + k * PROGRAM_MAX_CPUS * a.stride;
    const rows: PerCpuRow[] = [];
    try {
      for (let i = 0; i < Math.min(cpus, PROGRAM_MAX_CPUS); i++) {
        const at = address + i * a.stride;
        rows.push({ label: `${name}[${i}]`, index: i, values: a.fields.map((f) => ({ field: f.name, value: readField(read, at + f.offset, f), changed: false })) });
      }
    } catch {
      views.push({ ...base, symbol: name, address, problem: `${name} at 0x${address.toString(16)} is not readable` });
      continue;
    }
    views.push({ ...base, symbol: name, address, rows });
  }
  return views;
}
