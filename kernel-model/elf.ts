// ELF64 parser for statically linked x86-64 Linux executables: ET_EXEC and
// static PIE (ET_DYN without PT_INTERP). It checks what Linux's
// fs/binfmt_elf.c load_elf_binary checks before mapping anything (header,
// machine, program header table size, segment bounds), plus what would only
// show up later as a confusing crash (entry outside executable code,
// overlapping segments), and reads the section headers, the symbol table and
// the rseq tables so every critical section is known before the first
// instruction runs.
//
// Static PIE: the whole image is moved by one load bias (Linux picks
// ELF_ET_DYN_BASE when randomisation is off). The loader only maps; glibc's
// _dl_relocate_static_pie applies the R_X86_64_RELATIVE relocations itself,
// in the guest, before main. The parser reads relocations only to learn the
// link-time value of rseq table entries (see elf-rseq.ts).
//
// Every failure is an ElfError whose message says what is wrong and where;
// no byte input makes this module throw anything else.

import { ElfError, ElfReader } from './elf-reader.js';
import { readCriticalSections, type CriticalSection } from './elf-rseq.js';
import { readSymbolTable, SymbolTable } from './elf-symbols.js';
import { ET_DYN_BASE, MMAP_MIN_ADDR, PAGE_SIZE, STACK_BOTTOM, hex, pageDown, pageUp } from './layout.js';

export { ElfError } from './elf-reader.js';
export type { CriticalSection } from './elf-rseq.js';
export { SymbolTable, type ElfSymbol } from './elf-symbols.js';

// e_ident and header values (include/uapi/linux/elf.h).
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ELFDATA2MSB = 2;
const EV_CURRENT = 1;
const ET_REL = 1;
const ET_EXEC = 2;
const ET_DYN = 3;
const ET_CORE = 4;
const EM_X86_64 = 62;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const PN_XNUM = 0xffff;
const SHN_UNDEF = 0;
const SHN_XINDEX = 0xffff;

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_STACK = 0x6474e551;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const SHT_NOBITS = 8;
export const SHF_ALLOC = 2;

/** load_elf_phdrs refuses program header tables larger than this. */
const MAX_PHDR_TABLE_BYTES = 65536;

const MACHINE_NAMES: Record<number, string> = {
  2: 'SPARC', 3: 'i386', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC64', 22: 'S390', 40: 'ARM',
  43: 'SPARC64', 50: 'IA-64', 183: 'AArch64', 243: 'RISC-V', 258: 'LoongArch',
};

/** A PT_LOAD segment, with addresses already moved by the load bias. */
export interface LoadSegment {
  /** Index in the program header table. */
  index: number;
  vaddr: number;
  memSize: number;
  fileOffset: number;
  fileSize: number;
  /** PF_R | PF_W | PF_X bits. */
  flags: number;
  align: number;
}

/** The PT_TLS template (glibc's static start-up copies it into the TCB). */
export interface TlsTemplate {
  vaddr: number;
  fileSize: number;
  memSize: number;
  align: number;
}

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** Address after the load bias (0 for sections that are not allocated). */
  addr: number;
  /** Link-time address, as written in the file. */
  linkAddr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entSize: number;
}

export type ExecutableKind = 'exec' | 'static-pie';

export interface ElfImage {
  kind: ExecutableKind;
  /** Added to every link-time address: 0 for ET_EXEC. */
  loadBias: number;
  /** e_entry after the load bias. */
  entry: number;
  /** Where the program headers are in guest memory (AT_PHDR), 0 if no segment maps them. */
  phdrAddress: number;
  phnum: number;
  segments: LoadSegment[];
  tls?: TlsTemplate;
  /** PT_GNU_STACK asks for an executable stack (absent: Linux's default on x86-64 is non-executable for 64-bit). */
  executableStack: boolean;
  sections: ElfSection[];
  symbols: SymbolTable;
  criticalSections: CriticalSection[];
  /** Problems that do not stop the program from running (malformed rseq tables, ...). */
  warnings: string[];
  /** The file itself. */
  bytes: Uint8Array;
}

export interface ParseOptions {
  /** Load bias for static PIE; default ELF_ET_DYN_BASE (0x555555554000) aligned to the largest p_align. */
  pieBase?: number;
}

interface RawPhdr {
  index: number;
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  fileSize: number;
  memSize: number;
  align: number;
}

/** Parses and validates a static x86-64 executable. Throws ElfError. */
export function parseElf(bytes: Uint8Array, options: ParseOptions = {}): ElfImage {
  const r = new ElfReader(bytes);
  const header = readHeader(r);
  const phdrs = readProgramHeaders(r, header.phoff, header.phnum);

  const interp = phdrs.find((p) => p.type === PT_INTERP);
  if (interp) {
    const path = r.cString(interp.offset, interp.offset + interp.fileSize, `PT_INTERP (program header ${interp.index})`);
    throw new ElfError(`dynamically linked (PT_INTERP ${path}): rseqlab runs static executables only; build the program with gcc -static`);
  }

  const loads = phdrs.filter((p) => p.type === PT_LOAD);
  if (loads.length === 0) throw new ElfError('no PT_LOAD segment: nothing to map, this is not a runnable executable');

  const kind: ExecutableKind = header.type === ET_DYN ? 'static-pie' : 'exec';
  const loadBias = kind === 'exec' ? 0 : chooseLoadBias(loads, options.pieBase ?? ET_DYN_BASE);
  const segments = validateLoadSegments(r, loads, loadBias);

  const entry = header.entry + loadBias;
  if (!segments.some((s) => (s.flags & PF_X) !== 0 && entry >= s.vaddr && entry < s.vaddr + s.memSize)) {
    throw new ElfError(`entry point ${hex(entry)} is not inside an executable PT_LOAD segment`);
  }

  const tls = readTls(r, phdrs, loadBias);
  const stack = phdrs.find((p) => p.type === PT_GNU_STACK);
  const table = sectionTable(r, header);
  const sections = readSectionHeaders(r, header.shoff, table.shnum, table.shstrndx, loadBias);
  const warnings: string[] = [];
  const symbols = readSymbolTable(r, sections, loadBias);
  const criticalSections = readCriticalSections(r, sections, loadBias, symbols, kind === 'static-pie', warnings);

  return {
    kind,
    loadBias,
    entry,
    phdrAddress: phdrAddress(loads, header.phoff, loadBias),
    phnum: header.phnum,
    segments,
    tls,
    executableStack: stack ? (stack.flags & PF_X) !== 0 : false,
    sections,
    symbols,
    criticalSections,
    warnings,
    bytes,
  };
}

interface Header {
  type: number;
  entry: number;
  phoff: number;
  phnum: number;
  shoff: number;
  shnum: number;
  shstrndx: number;
  shentsize: number;
}

/** The section header table's real size (extended numbering lives in section 0); checked after the segments, whose errors matter more. */
function sectionTable(r: ElfReader, h: Header): { shnum: number; shstrndx: number } {
  let { shnum, shstrndx } = h;
  const { shoff, shentsize } = h;
  if (shoff === 0) return { shnum: 0, shstrndx: 0 };
  if (shentsize !== SHDR_SIZE) throw new ElfError(`e_shentsize is ${shentsize}, ELF64 section headers are ${SHDR_SIZE} bytes`);
  r.require(shoff, SHDR_SIZE, `section header 0 (e_shoff ${hex(shoff)})`);
  // Extended numbering: the real counts live in section header 0.
  if (shnum === 0) shnum = r.u64n(shoff + 32, 'section header 0 sh_size (extended e_shnum)');
  if (shstrndx === SHN_XINDEX) shstrndx = r.u32(shoff + 40, 'section header 0 sh_link (extended e_shstrndx)');
  if (shnum > Math.floor(r.size / SHDR_SIZE)) {
    throw new ElfError(`absurd section header count ${shnum} for a file of ${r.size} bytes`);
  }
  r.require(shoff, shnum * SHDR_SIZE, `section header table (${shnum} entries at e_shoff ${hex(shoff)})`);
  return { shnum, shstrndx };
}

function readHeader(r: ElfReader): Header {
  if (r.size < 4 || r.bytes[0] !== 0x7f || r.bytes[1] !== 0x45 || r.bytes[2] !== 0x4c || r.bytes[3] !== 0x46) {
    throw new ElfError('not an ELF file (bad magic)');
  }
  if (r.size < EHDR_SIZE) throw new ElfError(`truncated: the ELF header needs ${EHDR_SIZE} bytes, the file has ${r.size}`);
  const cls = r.u8(4, 'EI_CLASS');
  if (cls === ELFCLASS32) throw new ElfError('32-bit ELF (ELFCLASS32): rseqlab runs 64-bit x86-64 programs; build without -m32');
  if (cls !== ELFCLASS64) throw new ElfError(`unknown ELF class ${cls} in e_ident[EI_CLASS] (expected 2, ELFCLASS64)`);
  const data = r.u8(5, 'EI_DATA');
  if (data === ELFDATA2MSB) throw new ElfError('big-endian ELF (ELFDATA2MSB): x86-64 programs are little-endian');
  if (data !== ELFDATA2LSB) throw new ElfError(`unknown ELF data encoding ${data} in e_ident[EI_DATA] (expected 1, little-endian)`);
  const identVersion = r.u8(6, 'EI_VERSION');
  if (identVersion !== EV_CURRENT) throw new ElfError(`unknown ELF version ${identVersion} in e_ident[EI_VERSION] (expected 1)`);

  const type = r.u16(16, 'e_type');
  const machine = r.u16(18, 'e_machine');
  if (machine !== EM_X86_64) {
    const name = MACHINE_NAMES[machine];
    throw new ElfError(`ELF is for machine ${machine}${name ? ` (${name})` : ''}, rseqlab runs x86-64 programs`);
  }
  if (type === ET_REL) throw new ElfError('relocatable object file (ET_REL), not an executable: link it, e.g. gcc -static foo.o -o foo');
  if (type === ET_CORE) throw new ElfError('core dump (ET_CORE), not an executable');
  if (type !== ET_EXEC && type !== ET_DYN) throw new ElfError(`unsupported ELF type ${type} in e_type (expected ET_EXEC or ET_DYN)`);
  const version = r.u32(20, 'e_version');
  if (version !== EV_CURRENT) throw new ElfError(`unknown ELF version ${version} in e_version (expected 1)`);

  const entry = r.u64n(24, 'e_entry');
  const phoff = r.u64n(32, 'e_phoff');
  const shoff = r.u64n(40, 'e_shoff');
  const ehsize = r.u16(52, 'e_ehsize');
  const phentsize = r.u16(54, 'e_phentsize');
  const phnum = r.u16(56, 'e_phnum');
  const shentsize = r.u16(58, 'e_shentsize');
  const shnum = r.u16(60, 'e_shnum');
  const shstrndx = r.u16(62, 'e_shstrndx');

  if (ehsize < EHDR_SIZE) throw new ElfError(`e_ehsize is ${ehsize}, an ELF64 header is ${EHDR_SIZE} bytes`);
  if (phentsize !== PHDR_SIZE) throw new ElfError(`e_phentsize is ${phentsize}, ELF64 program headers are ${PHDR_SIZE} bytes`);
  if (phnum === PN_XNUM) throw new ElfError('e_phnum is PN_XNUM (extended program header numbering), which Linux does not load');
  if (phnum === 0) throw new ElfError('no program headers (e_phnum is 0): nothing to load');
  if (phnum * PHDR_SIZE > MAX_PHDR_TABLE_BYTES) {
    throw new ElfError(`absurd program header count ${phnum}: the table would be ${phnum * PHDR_SIZE} bytes, Linux accepts at most ${MAX_PHDR_TABLE_BYTES}`);
  }
  r.require(phoff, phnum * PHDR_SIZE, `program header table (${phnum} entries at e_phoff ${hex(phoff)})`);

  return { type, entry, phoff, phnum, shoff, shnum, shstrndx, shentsize };
}

function readProgramHeaders(r: ElfReader, phoff: number, phnum: number): RawPhdr[] {
  const list: RawPhdr[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * PHDR_SIZE;
    const what = (field: string) => `program header ${i} ${field}`;
    list.push({
      index: i,
      type: r.u32(o, what('p_type')),
      flags: r.u32(o + 4, what('p_flags')),
      offset: r.u64n(o + 8, what('p_offset')),
      vaddr: r.u64n(o + 16, what('p_vaddr')),
      fileSize: r.u64n(o + 32, what('p_filesz')),
      memSize: r.u64n(o + 40, what('p_memsz')),
      align: r.u64n(o + 48, what('p_align')),
    });
  }
  return list;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && Number.isInteger(Math.log2(n));
}

/**
 * fs/binfmt_elf.c load_elf_binary for ET_DYN: load_bias = ELF_ET_DYN_BASE,
 * aligned up to the largest power-of-two p_align (maximum_alignment), minus
 * the first segment's page-aligned vaddr.
 */
function chooseLoadBias(loads: RawPhdr[], base: number): number {
  let align = PAGE_SIZE;
  for (const p of loads) if (isPowerOfTwo(p.align) && p.align > align) align = p.align;
  if (align > 2 ** 40) throw new ElfError(`PT_LOAD alignment ${hex(align)} is too large to place the program`);
  const aligned = Math.ceil(base / align) * align;
  return aligned - pageDown(loads[0].vaddr);
}

function validateLoadSegments(r: ElfReader, loads: RawPhdr[], bias: number): LoadSegment[] {
  const out: LoadSegment[] = [];
  let prevEnd = 0;
  let prevIndex = -1;
  for (const p of loads) {
    const where = `PT_LOAD segment (program header ${p.index})`;
    if (p.fileSize > p.memSize) {
      throw new ElfError(`${where}: p_filesz ${hex(p.fileSize)} > p_memsz ${hex(p.memSize)}`);
    }
    if (p.offset + p.fileSize > r.size) {
      throw new ElfError(`truncated: program header ${p.index} extends past end of file (offset ${hex(p.offset)} + ${hex(p.fileSize)} > size ${hex(r.size)})`);
    }
    if ((p.vaddr - p.offset) % PAGE_SIZE !== 0) {
      throw new ElfError(`${where}: p_vaddr ${hex(p.vaddr)} and p_offset ${hex(p.offset)} differ modulo the page size, it cannot be mapped`);
    }
    const vaddr = p.vaddr + bias;
    const end = vaddr + p.memSize;
    if (p.memSize > 0 && pageDown(vaddr) < MMAP_MIN_ADDR) {
      throw new ElfError(`${where} maps ${hex(vaddr)}, below vm.mmap_min_addr (${hex(MMAP_MIN_ADDR)}); Linux refuses it`);
    }
    if (pageUp(end) > STACK_BOTTOM) {
      throw new ElfError(`${where} ends at ${hex(end)}, beyond the user address space left below the stack (${hex(STACK_BOTTOM)})`);
    }
    if (p.memSize > 0 && vaddr < prevEnd) {
      throw new ElfError(`${where} at ${hex(vaddr)} overlaps program header ${prevIndex} (which ends at ${hex(prevEnd)}); PT_LOAD segments must be sorted and disjoint`);
    }
    if (p.memSize > 0) {
      prevEnd = end;
      prevIndex = p.index;
    }
    out.push({ index: p.index, vaddr, memSize: p.memSize, fileOffset: p.offset, fileSize: p.fileSize, flags: p.flags & 7, align: p.align });
  }
  return out;
}

function readTls(r: ElfReader, phdrs: RawPhdr[], bias: number): TlsTemplate | undefined {
  const tlsList = phdrs.filter((p) => p.type === PT_TLS);
  if (tlsList.length === 0) return undefined;
  if (tlsList.length > 1) throw new ElfError(`${tlsList.length} PT_TLS program headers; at most one is allowed`);
  const t = tlsList[0];
  if (t.fileSize > t.memSize) throw new ElfError(`PT_TLS (program header ${t.index}): p_filesz ${hex(t.fileSize)} > p_memsz ${hex(t.memSize)}`);
  if (t.offset + t.fileSize > r.size) {
    throw new ElfError(`truncated: program header ${t.index} (PT_TLS) extends past end of file (offset ${hex(t.offset)} + ${hex(t.fileSize)} > size ${hex(r.size)})`);
  }
  return { vaddr: t.vaddr + bias, fileSize: t.fileSize, memSize: t.memSize, align: t.align };
}

/**
 * AT_PHDR as fs/binfmt_elf.c computes it (Linux 5.18+): the PT_LOAD whose
 * file range holds e_phoff maps the headers at e_phoff - p_offset + p_vaddr.
 */
function phdrAddress(loads: RawPhdr[], phoff: number, bias: number): number {
  for (const p of loads) {
    if (p.offset <= phoff && phoff < p.offset + p.fileSize) return phoff - p.offset + p.vaddr + bias;
  }
  return 0;
}

function readSectionHeaders(r: ElfReader, shoff: number, shnum: number, shstrndx: number, bias: number): ElfSection[] {
  if (shnum === 0) return [];
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * SHDR_SIZE;
    const what = (field: string) => `section header ${i} ${field}`;
    const s = {
      index: i,
      nameOffset: r.u32(o, what('sh_name')),
      type: r.u32(o + 4, what('sh_type')),
      flags: Number(r.u64(o + 8, what('sh_flags')) & 0xffffffffn),
      linkAddr: i === 0 ? 0 : r.u64n(o + 16, what('sh_addr')),
      offset: r.u64n(o + 24, what('sh_offset')),
      size: r.u64n(o + 32, what('sh_size')),
      link: r.u32(o + 40, what('sh_link')),
      info: r.u32(o + 44, what('sh_info')),
      entSize: r.u64n(o + 56, what('sh_entsize')),
    };
    if (i > 0 && s.type !== SHT_NOBITS && s.type !== 0 && s.offset + s.size > r.size) {
      throw new ElfError(`truncated: section header ${i} extends past end of file (offset ${hex(s.offset)} + ${hex(s.size)} > size ${hex(r.size)})`);
    }
    raw.push(s);
  }
  let names: { offset: number; end: number } | undefined;
  if (shstrndx !== SHN_UNDEF) {
    if (shstrndx >= shnum) {
      throw new ElfError(`e_shstrndx ${shstrndx} is not a section (there are ${shnum})`);
    }
    const strtab = raw[shstrndx];
    if (strtab.type === SHT_NOBITS) throw new ElfError(`section name table (section ${shstrndx}) has no file contents`);
    names = { offset: strtab.offset, end: strtab.offset + strtab.size };
  }
  return raw.map((s) => ({
    index: s.index,
    name: names && s.index > 0 ? r.cString(names.offset + s.nameOffset, names.end, `name of section ${s.index}`) : '',
    type: s.type,
    flags: s.flags,
    linkAddr: s.linkAddr,
    addr: (s.flags & SHF_ALLOC) !== 0 ? s.linkAddr + bias : 0,
    offset: s.offset,
    size: s.size,
    link: s.link,
    info: s.info,
    entSize: s.entSize,
  }));
}
