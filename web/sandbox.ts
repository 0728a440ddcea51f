// The assembly sandbox without the DOM (issue #13 item 8): the user's
// critical section, in Intel syntax, is assembled by keystone at the exact
// address of the harness's reserved code area (programs/rseq_sandbox.c:
// rseq_sandbox_area, 512 bytes of .text), written over that area in a copy
// of the harness's ELF file, and the harness's descriptor (rseq_sandbox_cs
// in __rseq_cs) is pointed at the text's labels. The result is an ordinary
// static executable: the page opens it in a Session like any program, and
// Node tests run it on a Machine or fuzz it.
//
// Keystone is loaded by the caller (web/keystone.ts in the page, the npm
// package in Node) and handed in as a KeystoneModule.

import type { KeystoneModule } from '@alexaltea/keystone-js';
import { parseElf, SHF_ALLOC, SHT_NOBITS, type ElfSection } from '../kernel-model/elf.js';
import { RseqCsField } from '../kernel-model/rseq.js';

/** The harness in the page's program bundle (build/programs/rseq_sandbox). */
export const SANDBOX_PROGRAM = 'rseq_sandbox';
/** Arguments the page runs it with: threads, increments per thread (small, so Run to end is quick). */
export const SANDBOX_ARGS = '2 200';
/** The patchable code area and the descriptor, by symbol. */
export const AREA_SYMBOL = 'rseq_sandbox_area';
export const DESCRIPTOR_SYMBOL = 'rseq_sandbox_cs';
/** What fills the area after the user's code: int3, so running off the end traps (SIGTRAP) instead of running stale bytes. */
const FILL = 0xcc;

/** The labels the text must define: start_ip, start_ip + post_commit_offset and abort_ip. */
export const SECTION_LABELS = ['start', 'post_commit', 'abort'] as const;
export type SectionLabel = (typeof SECTION_LABELS)[number];

/**
 * The harness's own section, which the page starts with: byte for byte
 * what programs/rseq_sandbox.c assembles with gas (test/web/sandbox.test.ts
 * compares them), with the register contract in front.
 */
export const DEFAULT_SECTION = `# Intel syntax. The harness calls this code (its first instruction) once
# per increment, as a C function:
#   rdi = the per-CPU counters (64 bytes per CPU: add 1 at rdi + cpu * 64)
#   rsi = this thread's struct rseq (cpu_id_start at 0, cpu_id at 4,
#         rseq_cs at 8)
#   rdx = this section's struct rseq_cs (its start_ip, post_commit_offset
#         and abort_ip are set from the labels start:, post_commit:, abort:)
# Return eax = 0 once the increment committed, 1 after an abort (the
# harness calls again). Free: rax rcx rdx rsi rdi r8-r11. Keep: rbx rbp
# rsp r12-r15. Comments start with # or ;. At most 512 bytes.
	mov eax, dword ptr [rsi]	# cpu_id_start: always a valid CPU
	mov rcx, rax
	shl rcx, 6			# rcx = offset of that CPU's counter
	mov qword ptr [rsi + 8], rdx	# arm: rseq->rseq_cs = &descriptor
start:
	cmp eax, dword ptr [rsi + 4]	# still on that CPU?
	jne abort
	inc qword ptr [rdi + rcx]	# commit: the one store, and the last instruction
post_commit:
	xor eax, eax			# 0: committed
	ret
	.byte 0x0f, 0xb9, 0x3d		# ud1 whose 4-byte displacement is ...
	.long 0x53053053		# ... the signature the kernel checks before abort_ip
abort:
	mov eax, 1			# 1: aborted, call again
	ret
`;

/** Something the user can fix in the text (or a harness that is not one); line is 1-based when known. */
export class SandboxError extends Error {
  constructor(message: string, readonly line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'SandboxError';
  }
}

/** Machine code for a text at an address, or the assembler's error. */
export interface Assembler {
  assemble(text: string, address: number): { bytes: Uint8Array } | { error: string };
}

/** An Assembler over a loaded keystone module: x86-64, Intel syntax. */
export function keystoneAssembler(ks: KeystoneModule): Assembler {
  const encoder = new ks.Keystone(ks.ARCH_X86, ks.MODE_64);
  encoder.option(ks.OPT_SYNTAX, ks.OPT_SYNTAX_INTEL);
  return {
    assemble(text, address) {
      const r = encoder.asm(text, address);
      return r.failed ? { error: ks.strerror(encoder.errno()) } : { bytes: r.mc };
    },
  };
}

/** Where the area and the descriptor are, in memory and in the file. */
export interface SandboxArea {
  address: number;
  size: number;
  fileOffset: number;
  descriptorAddress: number;
  descriptorFileOffset: number;
}

/** The allocated section holding [linkAddr, linkAddr + len) with bytes in the file, as a file offset. */
function fileOffset(sections: ElfSection[], linkAddr: number, len: number, what: string): number {
  const s = sections.find((x) => (x.flags & SHF_ALLOC) !== 0 && x.type !== SHT_NOBITS && linkAddr >= x.linkAddr && linkAddr + len <= x.linkAddr + x.size);
  if (!s) throw new SandboxError(`no section of the harness holds ${what} in the file`);
  return s.offset + (linkAddr - s.linkAddr);
}

/** Finds the patchable area and the descriptor of a harness file (rseq_sandbox) by their symbols. */
export function sandboxArea(harness: Uint8Array): SandboxArea {
  const elf = parseElf(harness);
  const area = elf.symbols.lookup(AREA_SYMBOL);
  const cs = elf.symbols.lookup(DESCRIPTOR_SYMBOL);
  if (!area || !cs || area.size === 0) throw new SandboxError(`the harness has no ${AREA_SYMBOL} area or ${DESCRIPTOR_SYMBOL} descriptor: is it build/programs/${SANDBOX_PROGRAM}?`);
  return {
    address: area.address,
    size: area.size,
    fileOffset: fileOffset(elf.sections, area.address - elf.loadBias, area.size, AREA_SYMBOL),
    descriptorAddress: cs.address,
    descriptorFileOffset: fileOffset(elf.sections, cs.address - elf.loadBias, 32, DESCRIPTOR_SYMBOL),
  };
}

/** A harness with the user's section in it, and where its parts ended up. */
export interface SandboxBuild {
  program: Uint8Array;
  area: SandboxArea;
  /** Bytes of the area the section uses (the rest is int3). */
  used: number;
  /** The labels' addresses: start_ip, post_commit_ip (start_ip + post_commit_offset), abort_ip. */
  labels: Record<SectionLabel, number>;
}

/** A line without its comment (# or ; to the end). */
function code(line: string): string {
  return line.replace(/[#;].*$/, '');
}

/** The label definitions at the start of a line ("a: b: mov ..." -> ["a", "b"]). */
function labelsOf(line: string): string[] {
  const out: string[] = [];
  let rest = line;
  for (let m = /^\s*([A-Za-z_.$][\w.$]*)\s*:/.exec(rest); m; m = /^\s*([A-Za-z_.$][\w.$]*)\s*:/.exec(rest)) {
    out.push(m[1]);
    rest = rest.slice(m[0].length);
  }
  return out;
}

/**
 * Keystone says what went wrong but not where. The first line whose
 * statement breaks the text: line k is to blame when lines 1..k assemble
 * (with only the label definitions of the lines after them, so references
 * forward still resolve) and lines 1..k-1 do not fail. Label definitions
 * alone are tried first (a label defined twice).
 */
function failingLine(asm: Assembler, lines: string[], address: number): number | undefined {
  const labelsOnly = lines.map((l) => labelsOf(l).map((n) => `${n}:`).join(' '));
  const fails = (text: string[]) => 'error' in asm.assemble(text.join('\n'), address);
  if (fails(labelsOnly)) {
    for (let k = 1; k <= lines.length; k++) if (fails(labelsOnly.slice(0, k))) return k;
    return undefined;
  }
  for (let k = 1; k <= lines.length; k++) if (fails([...lines.slice(0, k), ...labelsOnly.slice(k)])) return k;
  return undefined;
}

/** Assembles text at the harness's area and returns the patched harness. Throws SandboxError. */
export function buildSandbox(asm: Assembler, harness: Uint8Array, text: string): SandboxBuild {
  const area = sandboxArea(harness);
  const lines = text.split(/\r?\n/).map(code);
  for (const label of SECTION_LABELS) {
    const at = lines.flatMap((l, i) => (labelsOf(l).includes(label) ? [i + 1] : []));
    if (at.length === 0) throw new SandboxError(`the section needs the labels ${SECTION_LABELS.map((l) => `${l}:`).join(', ')}; ${label}: is missing`);
    if (at.length > 1) throw new SandboxError(`${label}: is defined twice (lines ${at.join(' and ')})`, at[1]);
  }
  // The labels' values come back as 8-byte words after the code, so keystone
  // does the arithmetic and nothing before them moves.
  const trailer = `\n.quad ${SECTION_LABELS.join(', ')}\n`;
  const r = asm.assemble(lines.join('\n') + trailer, area.address);
  if ('error' in r) {
    const line = failingLine(asm, lines, area.address);
    throw new SandboxError(line === undefined ? r.error : `${r.error} in "${lines[line - 1].trim()}"`, line);
  }
  const used = r.bytes.length - 8 * SECTION_LABELS.length;
  if (used > area.size) throw new SandboxError(`the code is ${used} bytes; the area holds ${area.size}`);
  const words = new DataView(r.bytes.buffer, r.bytes.byteOffset + used, 8 * SECTION_LABELS.length);
  const labels = Object.fromEntries(SECTION_LABELS.map((l, i) => [l, Number(words.getBigUint64(8 * i, true))])) as Record<SectionLabel, number>;
  const end = area.address + area.size;
  for (const l of SECTION_LABELS) {
    if (labels[l] < area.address || labels[l] > end) throw new SandboxError(`${l}: is at 0x${labels[l].toString(16)}, outside the area [0x${area.address.toString(16)}, 0x${end.toString(16)})`);
  }
  if (labels.post_commit < labels.start) throw new SandboxError('post_commit: must come after start: (the section is [start, post_commit))');

  const program = harness.slice();
  program.fill(FILL, area.fileOffset, area.fileOffset + area.size);
  program.set(r.bytes.subarray(0, used), area.fileOffset);
  const cs = new DataView(program.buffer, program.byteOffset + area.descriptorFileOffset, 32);
  cs.setBigUint64(RseqCsField.startIp, BigInt(labels.start), true);
  cs.setBigUint64(RseqCsField.postCommitOffset, BigInt(labels.post_commit - labels.start), true);
  cs.setBigUint64(RseqCsField.abortIp, BigInt(labels.abort), true);
  return { program, area, used, labels };
}
