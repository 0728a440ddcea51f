// The code view as plain data: disassembly around a thread's instruction
// with every critical section drawn as a band (start … commit), its
// post-commit instruction, its abort handler and the 4-byte signature in
// front of abort_ip marked, function names as labels, and every thread's
// current instruction marked. The signature is data the kernel compares
// (rseq-abi.md section 4), not code: a linear sweep would decode it as part
// of an instruction (the selftests' ud1 trick), so the sweep stops in front
// of it and shows it as `.long`. No DOM and no capstone loading here: the
// caller passes a decoder (the page's fetched capstone, or Node's).

import { sectionIndexAt, type CriticalSection } from '../kernel-model/elf-rseq.js';
import type { SymbolTable } from '../kernel-model/elf-symbols.js';
import type { Disassembled } from './first-instruction.js';
import { hex } from '../kernel-model/layout.js';

/** What an instruction (or data line) is for a critical section. */
export type SectionRole = 'start' | 'inside' | 'commit' | 'post-commit' | 'abort' | 'signature';

/** The bytes of a signature: the u32 the kernel reads at abort_ip - 4. */
export const SIGNATURE_SIZE = 4;
/** ud1 with a rip-relative operand, less its displacement: rseq-abi.h (after the selftests) writes it in front of the signature. */
const UD1_PREFIX = [0x0f, 0xb9, 0x3d] as const;

/**
 * The role of [address, address + size) in the program's critical
 * sections, or undefined. A section's first instruction comes first, then
 * an abort handler's first instruction and a signature (both may lie inside
 * a section, which is a bug worth seeing: rseq_bug_abort_inside), then
 * inside and commit, then post-commit (a section's post-commit may be
 * another's start).
 */
export function sectionRole(sections: readonly CriticalSection[], address: number, size: number): SectionRole | undefined {
  for (const s of sections) if (address === s.start) return 'start';
  for (const s of sections) if (address === s.abort) return 'abort';
  for (const s of sections) if (address < s.abort && address + size > s.abort - SIGNATURE_SIZE) return 'signature';
  for (const s of sections) {
    if (address > s.start && address < s.postCommit) return address + size >= s.postCommit ? 'commit' : 'inside';
  }
  for (const s of sections) if (address === s.postCommit) return 'post-commit';
  return undefined;
}

/** Decodes up to max instructions from bytes at address (capstone; fewer when the bytes stop decoding). */
export type Decode = (bytes: Uint8Array, address: number, max: number) => (Disassembled & { address: number })[];

/** Reads guest memory of the thread's process; throws when it is not mapped. */
export type ReadCode = (address: number, length: number) => Uint8Array;

/** A thread whose current instruction the view marks. */
export interface ThreadMark {
  tid: number;
  cpu: number;
  state: string;
  rip: number;
}

export interface CodeLine {
  /** label: a symbol starts here; section: a critical section's band starts here; instruction; data: bytes shown as bytes. */
  kind: 'label' | 'section' | 'instruction' | 'data';
  address: number;
  /** Bytes the line covers (0 for label and section lines). */
  size: number;
  /** "mov rax, qword ptr [rip + 0x1234]", ".long 0x53053053", "percpu_add:", … */
  text: string;
  role?: SectionRole;
  /** A direct jump's or call's target, named: "abort handler #0", "section #1", "malloc+16". */
  target?: string;
  /** What a data line is, when it is known (the ud1 opcode bytes in front of a signature). */
  note?: string;
  /** Index in the program's critical sections of the section this line belongs to (band, post-commit, abort, signature). */
  section?: number;
  /** Index of the section whose band [start, post_commit) covers this line, whatever its role. */
  band?: number;
  /** Threads whose next instruction this is. */
  threads: ThreadMark[];
  /** The viewed thread's next instruction. */
  current: boolean;
}

export interface CodeBlock {
  /** Why this block is shown: around the thread's instruction, or a section's abort handler elsewhere in memory. */
  title: string;
  lines: CodeLine[];
}

export interface CodeView {
  rip: number;
  blocks: CodeBlock[];
  /** Threads whose instruction is in none of the blocks. */
  elsewhere: ThreadMark[];
}

/** Lines shown before and after the thread's instruction (more to show a whole section). */
export const CODE_BEFORE = 5;
export const CODE_AFTER = 16;
/** A function that starts at most this far before rip is disassembled from its start (a linear sweep needs a known instruction boundary). */
const FUNCTION_REACH = 1024;
/** An abort handler is assumed to still be running this far past abort_ip (it sweeps from the signature). */
const HANDLER_REACH = 128;
const ABORT_LINES = 6;

export interface CodeViewInput {
  rip: number;
  sections: readonly CriticalSection[];
  /** The program's symbols, or undefined when the thread runs another program (an exec'd one). */
  symbols?: SymbolTable;
  /** Threads running the same program (the viewed one among them). */
  threads: readonly ThreadMark[];
  read: ReadCode;
  decode: Decode;
}

/** Reads up to length bytes at address, less when the mapping ends first. */
function readUpTo(read: ReadCode, address: number, length: number): Uint8Array {
  for (let n = length; n > 0; n -= 16) {
    try {
      return read(address, n);
    } catch {
      // Past the end of the mapping: read less.
    }
  }
  return new Uint8Array();
}


/** capstone's disasm throws (with CS_ERR_OK) when not one instruction decodes: that is no instructions. */
function decodeOrNone(decode: Decode, bytes: Uint8Array, address: number, max: number): ReturnType<Decode> {
  if (bytes.length === 0) return [];
  try {
    return decode(bytes, address, max);
  } catch {
    return [];
  }
}

/**
 * A linear sweep of bytes at address that never decodes across a
 * signature: each signature becomes a `.long` data line, bytes that do not
 * decode, and the ud1 opcode bytes in front of a signature, become `.byte`
 * lines.
 */
function sweep(bytes: Uint8Array, address: number, sections: readonly CriticalSection[], decode: Decode): CodeLine[] {
  const end = address + bytes.length;
  const signatures = [...new Set(sections.map((s) => s.abort - SIGNATURE_SIZE))].filter((a) => a + SIGNATURE_SIZE > address && a < end).sort((a, b) => a - b);
  const lines: CodeLine[] = [];
  const data = (at: number, to: number): void => {
    const b = bytes.subarray(at - address, to - address);
    const isSignature = signatures.includes(at) && to - at === SIGNATURE_SIZE;
    const text = isSignature
      ? `.long ${hex(new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true))}`
      : `.byte ${[...b].map((x) => hex(x)).join(', ')}`;
    // rseq-abi.h (after the selftests) puts 0f b9 3d in front so that a disassembler reads ud1 with the signature as displacement.
    const ud1 = signatures.includes(to) && b.length === UD1_PREFIX.length && UD1_PREFIX.every((x, k) => b[k] === x);
    const note = isSignature ? 'rseq signature (abort_ip - 4)' : ud1 ? 'ud1 opcode: the signature is its displacement' : undefined;
    lines.push({ kind: 'data', address: at, size: to - at, text, role: sectionRole(sections, at, to - at), note, threads: [], current: false });
  };
  let at = address;
  while (at < end) {
    const sig = signatures.find((s) => s + SIGNATURE_SIZE > at);
    if (sig !== undefined && at >= sig) {
      data(at, Math.min(sig + SIGNATURE_SIZE, end));
      at = sig + SIGNATURE_SIZE;
      continue;
    }
    // The ud1 opcode bytes in front of a signature are data too: decoded alone, capstone reads `0f b9` as a 2-byte ud1.
    const prefix = sig !== undefined && sig - UD1_PREFIX.length >= address && UD1_PREFIX.every((x, k) => bytes[sig - UD1_PREFIX.length - address + k] === x) ? sig - UD1_PREFIX.length : undefined;
    if (prefix !== undefined && at >= prefix) {
      data(at, sig!);
      at = sig!;
      continue;
    }
    const stop = prefix ?? sig ?? end;
    const run = decodeOrNone(decode, bytes.subarray(at - address, stop - address), at, 64);
    for (const i of run) lines.push({ kind: 'instruction', address: i.address, size: i.size, text: i.text, role: sectionRole(sections, i.address, i.size), threads: [], current: false });
    const next = run.length ? run[run.length - 1].address + run[run.length - 1].size : at;
    if (next >= stop) {
      at = next;
    } else if (run.length === 64) {
      at = next;
    } else if (stop === end && end - next < 15) {
      break; // the window ends inside an instruction
    } else {
      // Not an instruction: one byte of data, and decoding goes on after it.
      data(next, next + 1);
      at = next + 1;
    }
  }
  return lines;
}

/** The index of the section a line's role refers to (its band, post-commit, abort handler or signature), for captions and data attributes. */
function sectionOf(sections: readonly CriticalSection[], line: CodeLine): number | undefined {
  const i = sections.findIndex((s) => {
    switch (line.role) {
      case 'start': case 'inside': case 'commit': return line.address >= s.start && line.address < s.postCommit;
      case 'post-commit': return line.address === s.postCommit;
      case 'abort': return line.address === s.abort;
      case 'signature': return line.address < s.abort && line.address + line.size > s.abort - SIGNATURE_SIZE;
      default: return false;
    }
  });
  return i < 0 ? undefined : i;
}

/** A direct branch's target as objdump names it (<symbol+offset>), and rseq's own places by their role. */
function targetName(text: string, sections: readonly CriticalSection[], symbols: SymbolTable | undefined): string | undefined {
  const m = /^(?:j[a-z]+|call|loop[a-z]*)\s+0x([0-9a-f]+)$/.exec(text);
  if (!m) return undefined;
  const target = parseInt(m[1], 16);
  const abort = sections.findIndex((s) => s.abort === target);
  if (abort >= 0) return `abort handler #${abort}`;
  const start = sections.findIndex((s) => s.start === target);
  if (start >= 0) return `section #${start}`;
  return symbols?.describe(target);
}

/** Adds symbol labels and section captions in front of the lines they start, and the section index of each line. */
function annotate(lines: CodeLine[], sections: readonly CriticalSection[], symbols: SymbolTable | undefined): CodeLine[] {
  const out: CodeLine[] = [];
  for (const line of lines) {
    line.section = sectionOf(sections, line);
    const band = line.kind === 'label' || line.kind === 'section' ? -1 : sectionIndexAt(sections, line.address);
    if (band >= 0) line.band = band;
    const sym = line.kind === 'instruction' ? symbols?.symbolize(line.address) : undefined;
    if (sym && sym.offset === 0) out.push({ kind: 'label', address: line.address, size: 0, text: `${sym.symbol.name}:`, threads: [], current: false });
    if (line.kind === 'instruction') line.target = targetName(line.text, sections, symbols);
    if (line.role === 'start') {
      const s = sections[line.section!];
      out.push({
        kind: 'section', address: line.address, size: 0, section: line.section, threads: [], current: false,
        // Start and end are the band itself; the caption names what the band does not show.
        text: `critical section #${line.section} · abort ${hex(s.abort)} · rseq_cs ${hex(s.descriptorAddress)}`,
      });
    }
    out.push(line);
  }
  return out;
}

/** The index of a handler's first unconditional jump or return at or after from (what follows it is padding or other code), or -1. */
function handlerEnd(lines: readonly CodeLine[], from: number): number {
  const i = lines.slice(from).findIndex((l) => l.kind === 'instruction' && /^(jmp|ret|ud2)\b/.test(l.text));
  return i < 0 ? -1 : from + i;
}

/** Section s's band (with a line before and its post-commit), for a thread in its abort handler. */
function sectionBlock(s: CriticalSection, sections: readonly CriticalSection[], symbols: SymbolTable | undefined, read: ReadCode, decode: Decode): CodeBlock {
  const fn = symbols?.symbolize(s.start);
  const from = fn && fn.offset <= FUNCTION_REACH ? s.start - fn.offset : s.start;
  const swept = sweep(readUpTo(read, from, s.postCommit - from + 16), from, sections, decode);
  const start = Math.max(0, swept.findIndex((l) => l.address === s.start));
  const post = swept.findIndex((l) => l.address === s.postCommit);
  const lines = swept.slice(Math.max(0, start - 2), post < 0 ? undefined : post + 1);
  return { title: `critical section #${sections.indexOf(s)}, which it aborted`, lines: annotate(lines, sections, symbols) };
}

/** The disassembly around input.rip, plus the abort handler of each section it shows when that is elsewhere. */
export function buildCodeView(input: CodeViewInput): CodeView {
  const { rip, sections, symbols, decode, read } = input;
  const fn = symbols?.symbolize(rip);
  const handler = sections.find((s) => rip >= s.abort && rip < s.abort + HANDLER_REACH);
  // A known instruction boundary to sweep from: the function's start, the
  // signature in front of the abort handler rip is in, or rip itself.
  const from = fn && fn.offset <= FUNCTION_REACH ? rip - fn.offset : handler ? handler.abort - SIGNATURE_SIZE : rip;
  const swept = sweep(readUpTo(read, from, rip - from + 15 * (CODE_AFTER + 24)), from, sections, decode);
  let at = swept.findIndex((l) => l.address === rip && l.kind === 'instruction');
  if (at < 0) {
    // rip is not on the sweep's boundaries (data in code, or a jump into an instruction): sweep from rip.
    swept.splice(0, swept.length, ...sweep(readUpTo(read, rip, 15 * (CODE_AFTER + 24)), rip, sections, decode));
    at = 0;
  }
  // Whole sections: back to the start of the one rip is in, on to the post-commit of any that starts in view.
  let first = Math.max(0, at - CODE_BEFORE);
  // The function's label when its start is only a few lines further back.
  if (fn && fn.offset <= FUNCTION_REACH && at <= CODE_BEFORE + 8) first = 0;
  const inSection = sections.find((x) => rip > x.start && rip < x.postCommit);
  if (inSection) {
    const s = inSection;
    const startAt = swept.findIndex((l) => l.address === s.start);
    if (startAt >= 0 && at - startAt <= 40) first = Math.min(first, startAt);
  }
  let last = Math.min(swept.length - 1, at + CODE_AFTER);
  for (let i = first; i <= last; i++) {
    if (swept[i].role !== 'start') continue;
    const s = sections.find((x) => x.start === swept[i].address)!;
    const post = swept.findIndex((l) => l.address === s.postCommit);
    if (post > last && post - at <= 48) last = post;
  }
  if (!fn && handler) {
    // Out-of-line handler code (no symbol covers it) ends at its jump back: what follows was swept from the wrong boundary.
    const end = handlerEnd(swept, at);
    if (end >= 0) last = Math.min(last, end);
  }
  const main = annotate(swept.slice(first, last + 1), sections, symbols);
  const blocks: CodeBlock[] = [{ title: fn ? `around ${symbols!.describe(rip)}` : handler ? `abort handler of critical section #${sections.indexOf(handler)}` : `around ${hex(rip)}`, lines: main }];
  if (!fn && handler) blocks.push(sectionBlock(handler, sections, symbols, read, decode));

  // Abort handlers live apart (rseq-abi.h puts them in __rseq_failure): show each section's that is not in view.
  const shown = (a: number) => blocks.some((b) => b.lines.some((l) => l.address === a && l.kind === 'instruction'));
  const bands = [...new Set(main.filter((l) => l.band !== undefined).map((l) => l.band!))];
  for (const i of bands) {
    const s = sections[i];
    if (shown(s.abort)) continue;
    const swept = sweep(readUpTo(read, s.abort - SIGNATURE_SIZE, SIGNATURE_SIZE + 15 * ABORT_LINES), s.abort - SIGNATURE_SIZE, sections, decode).slice(0, ABORT_LINES + 1);
    const end = handlerEnd(swept, 0);
    const lines = end < 0 ? swept : swept.slice(0, end + 1);
    blocks.push({ title: `abort handler of critical section #${i}`, lines: annotate(lines, sections, symbols) });
  }

  const elsewhere: ThreadMark[] = [];
  for (const t of input.threads) {
    const line = blocks.flatMap((b) => b.lines).find((l) => l.kind === 'instruction' && l.address === t.rip);
    if (line) line.threads.push(t);
    else elsewhere.push(t);
  }
  for (const b of blocks) for (const l of b.lines) l.current = l.kind === 'instruction' && l.address === rip;
  return { rip, blocks, elsewhere };
}
