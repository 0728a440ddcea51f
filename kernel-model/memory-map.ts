// A process's memory map: the list of mapped areas (Linux's VMAs), kept in
// step with the CPU's page table. The CPU holds the pages; this list knows
// what each area is (ELF segment, heap, stack, anonymous, file), which the
// page table does not, and answers the questions mmap, munmap, mprotect,
// mremap and brk ask (is this range free, where is a free gap).

import type { Cpu } from '../emulator/api.js';
import { MMAP_BASE, MMAP_MIN_ADDR, PAGE_SIZE, hex } from './layout.js';

export type VmaKind = 'elf' | 'heap' | 'stack' | 'anon' | 'file';

export interface Vma {
  start: number;
  /** Exclusive, page aligned. */
  end: number;
  prot: number;
  shared: boolean;
  kind: VmaKind;
  /** For messages and /proc/self/maps: the file path, "[heap]", "[stack]". */
  name?: string;
  /** File-backed areas: the file's bytes and the file offset of `start`. */
  file?: { data: Uint8Array; offset: number };
  /** Shared mappings (MAP_SHARED anonymous, memfd): the CPU's shared object and its page at `start`. */
  object?: { id: number; page: number };
  /** madvise(MADV_DONTFORK): a fork child does not get this area. */
  dontFork?: boolean;
  /** madvise(MADV_WIPEONFORK): a fork child gets zero pages here. */
  wipeOnFork?: boolean;
}

export type VmaAttributes = Omit<Vma, 'start' | 'end' | 'prot'>;

export class MemoryMap {
  private vmas: Vma[] = [];

  constructor(private readonly cpu: Cpu) {}

  /** The same list of areas, for a forked address space (the CPU copied the page table). */
  copyFrom(other: MemoryMap): void {
    this.vmas = other.vmas.map((v) => ({ ...v, file: v.file ? { ...v.file } : undefined, object: v.object ? { ...v.object } : undefined }));
  }

  areas(): readonly Vma[] {
    return this.vmas;
  }

  /** The area holding addr. */
  find(addr: number): Vma | undefined {
    return this.vmas.find((v) => addr >= v.start && addr < v.end);
  }

  /** The first area that ends above addr (Linux find_vma). */
  findAbove(addr: number): Vma | undefined {
    return this.vmas.find((v) => v.end > addr);
  }

  isFree(start: number, length: number): boolean {
    const end = start + length;
    return !this.vmas.some((v) => v.start < end && v.end > start);
  }

  /** True when every page of the range belongs to some area. */
  isFullyMapped(start: number, length: number): boolean {
    let at = start;
    const end = start + length;
    for (const v of this.vmas) {
      if (v.end <= at) continue;
      if (v.start > at) return false;
      at = v.end;
      if (at >= end) return true;
    }
    return at >= end;
  }

  /**
   * Top-down search for a free gap of `length` bytes below `ceiling`
   * (mm/mmap.c unmapped_area_topdown with mmap_base as the ceiling).
   */
  findFree(length: number, ceiling = MMAP_BASE): number | undefined {
    let top = ceiling;
    for (let i = this.vmas.length - 1; i >= -1; i--) {
      const v = i >= 0 ? this.vmas[i] : undefined;
      if (v && v.start >= top) continue;
      const gapStart = v ? Math.max(v.end, MMAP_MIN_ADDR) : MMAP_MIN_ADDR;
      if (top - gapStart >= length) return top - length;
      if (!v) break;
      top = Math.min(top, v.start);
    }
    return undefined;
  }

  /** Maps zero-filled pages, replacing whatever was there (MAP_FIXED semantics). */
  map(start: number, length: number, prot: number, attrs: VmaAttributes): void {
    assertPages(start, length);
    this.carve(start, start + length);
    if (attrs.object) this.cpu.mapShared(start, length, prot, attrs.object.id, attrs.object.page);
    else this.cpu.map(start, length, prot);
    this.insert({ start, end: start + length, prot, ...attrs });
  }

  unmap(start: number, length: number): void {
    assertPages(start, length);
    if (this.carve(start, start + length)) this.cpu.unmap(start, length);
  }

  /** Changes attributes that live only in this list (madvise flags) on [start, end), splitting areas. */
  updateRange(start: number, end: number, change: Partial<Vma>): void {
    const pieces = this.vmas.filter((v) => v.start < end && v.end > start).map((v) => ({ ...v }));
    const keptOutside: Vma[] = [];
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) {
        keptOutside.push(v);
        continue;
      }
      if (v.start < start) keptOutside.push(slice(v, v.start, start));
      if (v.end > end) keptOutside.push(slice(v, end, v.end));
    }
    this.vmas = keptOutside;
    for (const v of pieces) this.insert({ ...slice(v, Math.max(v.start, start), Math.min(v.end, end)), ...change });
  }

  /** Changes protection; the caller has checked the range is fully mapped. */
  protect(start: number, length: number, prot: number): void {
    assertPages(start, length);
    const end = start + length;
    const pieces = this.vmas.filter((v) => v.start < end && v.end > start).map((v) => ({ ...v }));
    this.carve(start, end);
    for (const v of pieces) this.insert({ ...slice(v, Math.max(v.start, start), Math.min(v.end, end)), prot });
    this.cpu.protect(start, length, prot);
  }

  /** Removes areas in [start, end), splitting those that straddle it. Returns whether anything was mapped there. */
  private carve(start: number, end: number): boolean {
    const kept: Vma[] = [];
    let touched = false;
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) {
        kept.push(v);
        continue;
      }
      touched = true;
      if (v.start < start) kept.push({ ...v, end: start });
      if (v.end > end) kept.push(slice(v, end, v.end));
    }
    // Still in address order: the areas were, and the pieces keep their places.
    this.vmas = kept;
    return touched;
  }

  /** Adds an area into a hole (carve made it) and merges it with alike neighbours, as vma_merge does. */
  private insert(vma: Vma): void {
    const vmas = this.vmas;
    let i = 0;
    while (i < vmas.length && vmas[i].start < vma.start) i++;
    vmas.splice(i, 0, vma);
    if (i + 1 < vmas.length && mergeable(vmas[i], vmas[i + 1])) {
      vmas[i].end = vmas[i + 1].end;
      vmas.splice(i + 1, 1);
    }
    if (i > 0 && mergeable(vmas[i - 1], vmas[i])) {
      vmas[i - 1].end = vmas[i].end;
      vmas.splice(i, 1);
    }
  }
}

/** Whether area b, right after a, continues it: same protection, kind, name, sharing, advice, file and object offsets. */
function mergeable(a: Vma, b: Vma): boolean {
  const sameFile = !a.file || (b.file?.data === a.file.data && b.file.offset === a.file.offset + (a.end - a.start));
  const sameObject = !a.object || (b.object?.id === a.object.id && b.object.page === a.object.page + (a.end - a.start) / PAGE_SIZE);
  const sameAdvice = !!a.dontFork === !!b.dontFork && !!a.wipeOnFork === !!b.wipeOnFork;
  return a.end === b.start && a.prot === b.prot && a.shared === b.shared && a.kind === b.kind && a.name === b.name && sameFile && !a.file === !b.file && sameObject && !a.object === !b.object && sameAdvice;
}

/** The part [start, end) of an area, with the file offset moved along. */
function slice(v: Vma, start: number, end: number): Vma {
  return {
    ...v, start, end,
    file: v.file ? { data: v.file.data, offset: v.file.offset + (start - v.start) } : undefined,
    object: v.object ? { id: v.object.id, page: v.object.page + (start - v.start) / PAGE_SIZE } : undefined,
  };
}

/** Sets madvise flags on [start, end), splitting areas at the edges. */
export function adviseRange(map: MemoryMap, start: number, end: number, change: Partial<Pick<Vma, 'dontFork' | 'wipeOnFork'>>): void {
  map.updateRange(start, end, change);
}

function assertPages(start: number, length: number): void {
  if (start % PAGE_SIZE !== 0 || length % PAGE_SIZE !== 0 || length <= 0) {
    throw new Error(`internal: memory map range ${hex(start)}+${hex(length)} is not whole pages`);
  }
}
