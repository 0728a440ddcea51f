// The rseq tables a program carries (the x86-64 conventions of the kernel
// selftests, tools/testing/selftests/rseq/rseq-x86.h): __rseq_cs_ptr_array
// lists the addresses of every `struct rseq_cs` descriptor (which live in
// __rseq_cs), and __rseq_exit_point_array lists (start_ip, exit_ip) pairs for
// every exit from a critical section to C code. Reading them before the
// first instruction lets rseqlab know every critical section of a program.
//
// The tables are metadata: a malformed entry becomes a warning, not an
// ElfError, because Linux would run the program all the same. Descriptors
// that break the ABI (version != 0, abort_ip inside the range, ...) are kept
// with a list of problems: showing those is one of rseqlab's jobs.

import type { ElfReader } from './elf-reader.js';
import type { SymbolTable } from './elf-symbols.js';
import { SHF_ALLOC, SHT_NOBITS, type ElfSection } from './elf.js';
import { TASK_SIZE, hex } from './layout.js';
import { RSEQ_CS_SIZE, RseqCsField } from './rseq.js';

const SHT_RELA = 4;
const RELA_SIZE = 24;
const R_X86_64_RELATIVE = 8;
/** sizeof(struct rseq_cs): u32 version, u32 flags, u64 start_ip, u64 post_commit_offset, u64 abort_ip. */

/** One critical section, addresses after the load bias. */
export interface CriticalSection {
  /** Address of its `struct rseq_cs` descriptor. */
  descriptorAddress: number;
  version: number;
  flags: number;
  /** start_ip: first instruction of the range. */
  start: number;
  /** start_ip + post_commit_offset: first address after the range (after the commit). */
  postCommit: number;
  /** abort_ip. */
  abort: number;
  /** The 4 bytes before abort_ip (the signature the kernel checks), if the file holds them. */
  abortSignature?: number;
  /** exit_ip of every __rseq_exit_point_array entry whose start_ip is this section's. */
  exitPoints: number[];
  /** The function holding start_ip, as "name+offset", if the symbol table knows it. */
  symbol?: string;
  /** ABI rules this descriptor breaks (rseq-abi.md section 4, step 4); empty when well formed. */
  problems: string[];
}

/** The index of the section whose [start_ip, post_commit_ip) holds ip, or -1. */
export function sectionIndexAt(sections: readonly CriticalSection[], ip: number): number {
  return sections.findIndex((s) => ip >= s.start && ip < s.postCommit);
}

/** The section whose [start_ip, post_commit_ip) holds ip, if any. */
export function sectionAt(sections: readonly CriticalSection[], ip: number): CriticalSection | undefined {
  const i = sectionIndexAt(sections, ip);
  return i >= 0 ? sections[i] : undefined;
}

/** Reads link-time values out of the file, honouring static-PIE RELATIVE relocations. */
class LinkTimeImage {
  private readonly relative = new Map<number, bigint>();

  constructor(
    private readonly r: ElfReader,
    private readonly sections: ElfSection[],
    withRelocations: boolean,
  ) {
    if (withRelocations) this.readRelativeRelocations();
  }

  // GNU ld also writes the addend into the section, lld writes 0: the
  // relocation's addend is the value glibc's _dl_relocate_static_pie stores.
  private readRelativeRelocations(): void {
    for (const s of this.sections) {
      if (s.type !== SHT_RELA || s.entSize !== RELA_SIZE) continue;
      const n = Math.floor(s.size / RELA_SIZE);
      for (let i = 0; i < n; i++) {
        const o = s.offset + i * RELA_SIZE;
        const info = this.r.u64(o + 8, `relocation ${i} of ${s.name}`);
        if (Number(info & 0xffffffffn) !== R_X86_64_RELATIVE) continue;
        const offset = this.r.u64(o, `relocation ${i} of ${s.name}`);
        if (offset > BigInt(Number.MAX_SAFE_INTEGER)) continue;
        this.relative.set(Number(offset), this.r.u64(o + 16, `relocation ${i} of ${s.name}`));
      }
    }
  }

  /** The allocated section with file contents that holds [addr, addr+len) at link time. */
  private sectionAt(addr: number, len: number): ElfSection | undefined {
    return this.sections.find(
      (s) => (s.flags & SHF_ALLOC) !== 0 && s.type !== SHT_NOBITS && s.type !== 0 && addr >= s.linkAddr && addr + len <= s.linkAddr + s.size,
    );
  }

  u64(addr: number): bigint | undefined {
    const s = this.sectionAt(addr, 8);
    if (!s) return undefined;
    return this.relative.get(addr) ?? this.r.u64(s.offset + (addr - s.linkAddr), `${s.name} contents`);
  }

  u32(addr: number): number | undefined {
    const s = this.sectionAt(addr, 4);
    if (!s) return undefined;
    return this.r.u32(s.offset + (addr - s.linkAddr), `${s.name} contents`);
  }
}

function asAddress(v: bigint | undefined): number | undefined {
  return v === undefined || v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
}

export function readCriticalSections(
  r: ElfReader,
  sections: ElfSection[],
  bias: number,
  symbols: SymbolTable,
  isPie: boolean,
  warnings: string[],
): CriticalSection[] {
  const ptrArray = sections.find((s) => s.name === '__rseq_cs_ptr_array');
  if (!ptrArray) return [];
  const image = new LinkTimeImage(r, sections, isPie);
  const warn = (msg: string) => warnings.push(`${msg}; rseqlab ignores that entry`);
  if (ptrArray.type === SHT_NOBITS) {
    warnings.push('__rseq_cs_ptr_array has no file contents; rseqlab cannot list critical sections');
    return [];
  }
  if (ptrArray.size % 8 !== 0) warn(`__rseq_cs_ptr_array is ${ptrArray.size} bytes, not a multiple of 8`);

  const result: CriticalSection[] = [];
  const byLinkStart = new Map<number, CriticalSection>();
  const seen = new Set<number>();
  for (let i = 0; i < Math.floor(ptrArray.size / 8); i++) {
    const entryAddr = ptrArray.linkAddr + i * 8;
    const ptr = asAddress(image.u64(entryAddr) ?? r.u64(ptrArray.offset + i * 8, '__rseq_cs_ptr_array'));
    if (ptr === undefined) {
      warn(`__rseq_cs_ptr_array entry ${i} is not an address`);
      continue;
    }
    if (seen.has(ptr)) continue;
    seen.add(ptr);
    const version = image.u32(ptr + RseqCsField.version);
    const flags = image.u32(ptr + RseqCsField.flags);
    const startRaw = image.u64(ptr + RseqCsField.startIp);
    const offsetRaw = image.u64(ptr + RseqCsField.postCommitOffset);
    const abortRaw = image.u64(ptr + RseqCsField.abortIp);
    if (version === undefined || flags === undefined || startRaw === undefined || offsetRaw === undefined || abortRaw === undefined) {
      warn(`__rseq_cs_ptr_array entry ${i} points to ${hex(ptr + bias)}, where no section holds a ${RSEQ_CS_SIZE}-byte struct rseq_cs`);
      continue;
    }
    const cs = describe(ptr, version, flags, startRaw, offsetRaw, abortRaw, bias, image, symbols);
    result.push(cs);
    byLinkStart.set(Number(startRaw), cs);
  }

  const exits = sections.find((s) => s.name === '__rseq_exit_point_array');
  if (exits && exits.type !== SHT_NOBITS) {
    if (exits.size % 16 !== 0) warn(`__rseq_exit_point_array is ${exits.size} bytes, not a multiple of 16`);
    for (let i = 0; i < Math.floor(exits.size / 16); i++) {
      const at = exits.linkAddr + i * 16;
      const start = asAddress(image.u64(at));
      const exit = asAddress(image.u64(at + 8));
      const cs = start === undefined ? undefined : byLinkStart.get(start);
      if (!cs || exit === undefined) {
        warn(`__rseq_exit_point_array entry ${i} (start_ip ${start === undefined ? '?' : hex(start + bias)}) matches no critical section`);
        continue;
      }
      cs.exitPoints.push(exit + bias);
    }
  }
  return result;
}

function describe(
  ptr: number,
  version: number,
  flags: number,
  startRaw: bigint,
  offsetRaw: bigint,
  abortRaw: bigint,
  bias: number,
  image: LinkTimeImage,
  symbols: SymbolTable,
): CriticalSection {
  // The checks of kernel/rseq.c rseq_get_rseq_cs, on link-time values.
  const problems: string[] = [];
  const b = BigInt(bias);
  const start = startRaw + b;
  const post = startRaw + offsetRaw + b;
  const abort = abortRaw + b;
  const user = BigInt(TASK_SIZE);
  if (version !== 0) problems.push(`version is ${version}, must be 0`);
  if (flags !== 0) problems.push(`flags is ${hex(flags)}; the NO_RESTART flags are deprecated and make the kernel kill the thread`);
  if (start >= user) problems.push(`start_ip ${hex(start)} is not a user address`);
  if (post >= user || startRaw + offsetRaw >= 1n << 64n) problems.push(`start_ip + post_commit_offset (${hex(post)}) is not a user address`);
  if (abort >= user) problems.push(`abort_ip ${hex(abort)} is not a user address`);
  if (abort >= start && abort < post) problems.push(`abort_ip ${hex(abort)} is inside the critical section [${hex(start)}, ${hex(post)})`);
  const clamp = (v: bigint) => Number(v > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : v);
  const startN = clamp(start);
  const abortLink = clamp(abortRaw);
  return {
    descriptorAddress: ptr + bias,
    version,
    flags,
    start: startN,
    postCommit: clamp(post),
    abort: clamp(abort),
    abortSignature: abortLink >= 4 ? image.u32(abortLink - 4) : undefined,
    exitPoints: [],
    symbol: symbols.describe(startN),
    problems,
  };
}
