// Loads a parsed ELF image into a fresh address space, as Linux's
// fs/binfmt_elf.c load_elf_binary does with randomisation off: map each
// PT_LOAD segment (page aligned, protection from p_flags, file bytes copied
// from the page-aligned file offset so the ELF and program headers are
// visible in the first page, the rest zero: that is the .bss), set the
// program break after the highest segment, reserve the stack at the top of
// user space and build the initial stack (initial-stack.ts). Static PIE
// needs nothing more: glibc relocates itself (_dl_relocate_static_pie).

import { PROT_EXEC, PROT_READ, PROT_WRITE, type Cpu, type CpuContext, Reg } from '../emulator/api.js';
import type { AddressSpace } from './address-space.js';
import { PF_R, PF_W, PF_X, type ElfImage } from './elf.js';
import { buildInitialStack, type AuxEntry, type StackParameters } from './initial-stack.js';
import { PAGE_SIZE, STACK_BOTTOM, STACK_SIZE, STACK_TOP, pageDown, pageUp } from './layout.js';

export interface LoadedProgram {
  entry: number;
  rsp: number;
  brkStart: number;
  auxv: AuxEntry[];
  argvAddresses: number[];
  envpAddresses: number[];
}

export type LoadParameters = Omit<StackParameters, 'phdrAddress' | 'phnum' | 'entry' | 'stackTop'>;

/** PF_* to PROT_* (fs/binfmt_elf.c make_prot). */
export function segmentProt(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

export function loadElf(image: ElfImage, mm: AddressSpace, cpu: Cpu, params: LoadParameters, name: string): LoadedProgram {
  mapSegments(image, mm, cpu, name);

  let highest = 0;
  for (const s of image.segments) highest = Math.max(highest, s.vaddr + s.memSize);
  mm.initBrk(highest);

  const stackProt = PROT_READ | PROT_WRITE | (image.executableStack ? PROT_EXEC : 0);
  mm.map.map(STACK_BOTTOM, STACK_SIZE, stackProt, { kind: 'stack', shared: false, name: '[stack]' });
  const stack = buildInitialStack({ ...params, phdrAddress: image.phdrAddress, phnum: image.phnum, entry: image.entry, stackTop: STACK_TOP });
  cpu.write(stack.base, stack.bytes);

  return {
    entry: image.entry,
    rsp: stack.rsp,
    brkStart: mm.brkStart,
    auxv: stack.auxv,
    argvAddresses: stack.argvAddresses,
    envpAddresses: stack.envpAddresses,
  };
}

function mapSegments(image: ElfImage, mm: AddressSpace, cpu: Cpu, name: string): void {
  let prevEnd = 0;
  let prevProt = 0;
  for (const seg of image.segments) {
    if (seg.memSize === 0) continue;
    const prot = segmentProt(seg.flags);
    const first = pageDown(seg.vaddr);
    const end = pageUp(seg.vaddr + seg.memSize);
    let copyFrom = first;
    if (first < prevEnd) {
      // The segment starts in the page where the previous one ends: that
      // page gets both protections, and keeps the previous segment's bytes.
      mm.map.protect(first, PAGE_SIZE, prevProt | prot);
      copyFrom = seg.vaddr;
      if (end > prevEnd) mm.map.map(prevEnd, end - prevEnd, prot, { kind: 'elf', shared: false, name });
    } else {
      mm.map.map(first, end - first, prot, { kind: 'elf', shared: false, name });
    }
    const fileStart = seg.fileOffset - (seg.vaddr - copyFrom);
    const fileEnd = seg.fileOffset + seg.fileSize;
    if (fileEnd > fileStart) cpu.write(copyFrom, image.bytes.subarray(fileStart, fileEnd));
    prevEnd = end;
    prevProt = prot;
  }
}

/** The registers at the first instruction (ELF_PLAT_INIT and start_thread on x86-64): rdx = 0 means no atexit function. */
export function setInitialRegisters(ctx: CpuContext, loaded: LoadedProgram): void {
  ctx.gpr.fill(0n);
  ctx.gpr[Reg.RSP] = BigInt(loaded.rsp);
  ctx.gpr[Reg.RDX] = 0n;
  ctx.rip = BigInt(loaded.entry);
  ctx.rflags = 0x202n;
  ctx.fsBase = 0n;
  ctx.gsBase = 0n;
}
