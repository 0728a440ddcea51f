// The rseq ABI checker: rules a correct program keeps that Linux does not
// (always) enforce, reported as findings, always on. Each finding is one
// event ('finding') and one entry of Kernel.findings: the rule, the thread,
// the address involved and the thread's rip; the CLI adds the symbol and
// the disassembly. With --debug-rseq the dynamic rules a CONFIG_DEBUG_RSEQ
// kernel enforces (a system call inside a critical section, a write to a
// read-only field, inconsistent slice_ctrl) kill the process with SIGSEGV,
// as that kernel does. The static rules are checked once at load over the
// program's descriptor tables (elf-rseq.ts) and its code.

import type { Cpu, DecodedInstruction } from '../emulator/api.js';
import { OPCODE_TABLE } from '../emulator/table/index.js';
import type { CriticalSection } from './elf-rseq.js';
import { exitGroup } from './exit.js';
import type { Kernel } from './kernel.js';
import { hex } from './layout.js';
import { activeSection, type RseqRule } from './rseq.js';
import { dumpsCore } from './signal-delivery.js';
import { SIGSEGV } from './signals.js';
import type { Task } from './task.js';

/** Rules whose breach a CONFIG_DEBUG_RSEQ kernel answers with SIGSEGV. */
const DEBUG_FATAL: ReadonlySet<RseqRule> = new Set<RseqRule>(['syscall-in-critical-section', 'read-only-field-written', 'slice-state-inconsistent']);

/** Findings kept for the report; the event stream has every one. */
const MAX_KEPT = 1000;

/**
 * Records a finding of the checker for `task` (undefined: a static finding
 * about the program). Returns true when --debug-rseq made it fatal (the
 * process is then exiting with SIGSEGV).
 */
export function reportFinding(kernel: Kernel, task: Task | undefined, rule: RseqRule, detail: string, address: number, rip?: bigint): boolean {
  const fatal = task !== undefined && kernel.debugRseq && DEBUG_FATAL.has(rule);
  const e = {
    kind: 'finding' as const,
    t: task ? kernel.timeOf(task) : 0n,
    tid: task?.tid ?? 0,
    rule,
    address: BigInt(address),
    rip: rip ?? task?.ctx.rip ?? 0n,
    detail,
    fatal: fatal ? 1 : 0,
  };
  if (kernel.findings.length < MAX_KEPT) kernel.findings.push(e);
  kernel.emit(e);
  if (fatal && task) {
    exitGroup(kernel, task.group, { signal: SIGSEGV, core: dumpsCore(task.group, SIGSEGV), reason: `rseq (CONFIG_DEBUG_RSEQ): ${rule}: ${detail}` });
  }
  return fatal;
}

/** A static finding about one critical section. */
export interface SectionFinding {
  rule: RseqRule;
  detail: string;
  address: number;
}

/**
 * The static rules over every critical section the program lists: the
 * abort handler must not lie inside the section, and the section must end
 * with its commit, a store to memory, as its last instruction (rseq-abi.md
 * section 7): any instruction after the commit runs after the data changed
 * but would still be aborted and restarted by a preemption.
 */
export function checkSections(sections: readonly CriticalSection[], decode: Cpu['decode']): SectionFinding[] {
  const out: SectionFinding[] = [];
  for (const s of sections) {
    const name = `critical section ${s.symbol ?? hex(s.start)} [${hex(s.start)}, ${hex(s.postCommit)})`;
    if (s.abort >= s.start && s.abort < s.postCommit) {
      out.push({ rule: 'abort-inside-section', detail: `${name}: abort_ip ${hex(s.abort)} lies inside it`, address: s.abort });
    }
    const last = lastInstruction(s, decode);
    if (typeof last === 'string') {
      out.push({ rule: 'commit-not-last', detail: `${name}: ${last}`, address: s.start });
    } else if (last && !writesMemory(last.insn)) {
      out.push({
        rule: 'commit-not-last',
        detail: `${name}: its last instruction (${OPCODE_TABLE[last.insn.row]?.mnemonic ?? '?'}) does not store to memory, so the commit is not the last instruction`,
        address: last.address,
      });
    }
  }
  return out;
}

/** The instruction that ends exactly at post_commit, or why there is none. */
function lastInstruction(s: CriticalSection, decode: Cpu['decode']): { address: number; insn: DecodedInstruction } | string | undefined {
  if (s.postCommit <= s.start || s.postCommit - s.start > 4096) return undefined;
  let at = s.start;
  let last: { address: number; insn: DecodedInstruction } | undefined;
  while (at < s.postCommit) {
    const insn = decode(at);
    if (insn.status === 'fetch-fault') return undefined;
    if (insn.status !== 'ok') return `the bytes at ${hex(at)} do not decode as an instruction`;
    last = { address: at, insn };
    at += insn.length;
  }
  if (at !== s.postCommit) return `post_commit_ip ${hex(s.postCommit)} is not an instruction boundary (an instruction runs from ${hex(last!.address)} to ${hex(at)})`;
  return last;
}

/** ALU operation 7 of the 80-83 / 00-3B rows is cmp; bt (0F A3, BA /4) only reads. */
const ALU_CMP = 7;

/**
 * Whether an instruction writes a memory operand, from its row's handler
 * name (the manual's operand notation: the first operand is the
 * destination; E, M, W and O name memory when the ModRM or moffs says so).
 */
export function writesMemory(insn: DecodedInstruction): boolean {
  const row = OPCODE_TABLE[insn.row];
  if (!row) return false;
  // The mnemonic part is one capitalised word, except IncDec (inc and dec share a handler).
  const m = /^(IncDec|[A-Z][a-z0-9]*)(.*)$/.exec(row.handler);
  if (!m) return false;
  const [, name, operands] = m;
  if (name === 'Stos' || name === 'Movs' || name === 'Cmpxchg16b') return true;
  if (name === 'MovObAl' || row.handler === 'MovOvRax') return true;
  if (!insn.memory || !/^[EMWO]/.test(operands)) return false;
  if (name === 'Test' || name === 'Cmp' || name === 'Ucomisd' || name === 'Ucomiss') return false;
  // x87 and MXCSR loads name their memory source first (FldM, FildM, FarithM, LdmxcsrMd, ...).
  if (/^(Fld|Fild|Farith|Fbld|Frstor|Fxrstor|Ldmxcsr|Fcom)/.test(row.handler)) return false;
  if (name === 'Alu' && row.arg === ALU_CMP) return false;
  if (name === 'Bt' && (row.arg ?? 0) === 0) return false;
  if (name === 'Push' || name === 'Call' || name === 'Jmp' || name === 'Clflush') return false;
  return true;
}

/** The checker at a system call: a call from inside the active critical section. */
export function checkSyscallInSection(kernel: Kernel, task: Task, syscallIp: bigint): boolean {
  const cs = activeSection(task.rseq, kernel.mem);
  if (!cs || syscallIp < cs.start || syscallIp >= cs.end) return false;
  return reportFinding(kernel, task, 'syscall-in-critical-section',
    `system call at ${hex(syscallIp)} inside the critical section [${hex(cs.start)}, ${hex(cs.end)}) (descriptor ${hex(cs.descriptor)})`, Number(syscallIp));
}

/**
 * The checker at munmap / mprotect / mremap: a thread whose rseq_cs still
 * names a descriptor, or a section, in the range [addr, addr + length).
 */
export function checkUnmapped(kernel: Kernel, task: Task, addr: number, length: number, what: string): void {
  const end = addr + length;
  const overlaps = (a: number, b: number) => a < end && b > addr;
  for (const t of task.group.tasks) {
    const cs = activeSection(t.rseq, kernel.mem);
    if (!cs) continue;
    const start = Number(cs.start), stop = Number(cs.end), abort = Number(cs.abort);
    if (overlaps(cs.descriptor, cs.descriptor + 32) || overlaps(start, stop) || overlaps(abort - 4, abort + 1)) {
      reportFinding(kernel, t, 'descriptor-unmapped',
        `${what} of [${hex(addr)}, ${hex(end)}) while thread ${t.tid}'s rseq_cs names the descriptor at ${hex(cs.descriptor)} (section [${hex(start)}, ${hex(stop)}), abort ${hex(abort)})`, cs.descriptor);
    }
  }
}

/**
 * The checker at a guest store into a critical section the program lists
 * (its descriptor, code or signature): a finding when some thread's rseq_cs
 * names that section at that moment, since the kernel may read the
 * descriptor and jump to its abort handler at any preemption.
 */
export function checkSectionWrite(kernel: Kernel, task: Task, address: number, rip: bigint): void {
  const sections = task.group.image?.criticalSections ?? [];
  const s = sections.find((x) => (address >= x.descriptorAddress && address < x.descriptorAddress + 32)
    || (address >= x.start && address < x.postCommit) || (address >= x.abort - 4 && address < x.abort));
  if (!s) return;
  const part = address >= s.descriptorAddress && address < s.descriptorAddress + 32 ? 'descriptor' : address >= s.start && address < s.postCommit ? 'code' : 'abort signature';
  for (const t of task.group.tasks) {
    const cs = activeSection(t.rseq, kernel.mem);
    if (!cs || (cs.descriptor !== s.descriptorAddress && !(Number(cs.start) === s.start && Number(cs.end) === s.postCommit))) continue;
    reportFinding(kernel, task, 'descriptor-rewritten',
      `user write to the ${part} of critical section ${s.symbol ?? hex(s.start)} (descriptor ${hex(s.descriptorAddress)}) at ${hex(address)} while thread ${t.tid}'s rseq_cs names it`, Number(rip), rip);
    return;
  }
}
