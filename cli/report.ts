// The one line the CLI prints when the guest does not simply exit.

import type { FaultReport, RunResult } from '../kernel-model/index.js';
import { disassembleOne } from './disassemble.js';

const hex = (n: number) => `0x${n.toString(16)}`;

function hexBytes(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** "write to unmapped address 0x0", "ud2", ... */
function describeFault(f: FaultReport): string {
  const access = f.access ?? 'read';
  switch (f.cause) {
    case 'unmapped':
      return access === 'write' ? `write to unmapped address ${hex(f.address)}`
        : access === 'exec' ? `jump to unmapped address ${hex(f.address)}`
        : `read from unmapped address ${hex(f.address)}`;
    case 'protection':
      return access === 'write' ? `write to address ${hex(f.address)}, which is not writable`
        : access === 'exec' ? `execution at address ${hex(f.address)}, which is not executable`
        : `read from address ${hex(f.address)}, which is not readable`;
    case 'invalid-opcode':
      return "invalid instruction (or one rseqlab's CPU does not implement yet)";
    case 'ud':
      return 'undefined instruction (ud0/ud1/ud2) executed';
    case 'divide-error':
      return 'divide error (division by zero or quotient overflow)';
    case 'simd-exception':
      return 'SSE floating-point exception that MXCSR does not mask (#XM)';
    case 'x87-exception':
      return 'x87 floating-point exception that the control word does not mask (#MF)';
    case 'general-protection':
      return 'general protection fault';
    case 'stack-segment':
      return 'stack-segment fault (non-canonical address through rsp/rbp)';
    case 'hlt':
      return 'privileged instruction (hlt) in user mode';
    case 'breakpoint':
      return 'breakpoint (int3)';
    default:
      return 'fault';
  }
}

/**
 * The location and instruction: "at 0x401234 <main+20>: mov dword ptr [rax], 1";
 * for an instruction the CPU does not know, its bytes too.
 */
async function describeInstruction(f: FaultReport & { symbol?: string }): Promise<string> {
  const at = f.cause === 'breakpoint' ? f.rip - 1 : f.rip;
  const where = `at ${hex(at)}${f.symbol ? ` <${f.symbol}>` : ''}`;
  const insn = await disassembleOne(f.bytes, at);
  if (insn && f.cause === 'invalid-opcode') return `${where}: ${insn.text} (bytes ${hexBytes(f.bytes.subarray(0, insn.size))})`;
  if (insn) return `${where}: ${insn.text}`;
  return f.bytes.length > 0 ? `${where}: bytes ${hexBytes(f.bytes.subarray(0, 8))}` : where;
}

/** A message for every ending but a normal exit; undefined for a normal exit. */
export async function describeEnding(result: RunResult, maxInstructions: number): Promise<string | undefined> {
  switch (result.kind) {
    case 'exited':
      return undefined;
    case 'killed': {
      const name = result.signal?.name ?? 'a signal';
      if (result.fault) return `rseqlab: guest killed by ${name}: ${describeFault(result.fault)} ${await describeInstruction(result.fault)}`;
      if (result.message) return `rseqlab: guest killed by ${name}: ${result.message}`;
      return `rseqlab: guest killed by ${name}`;
    }
    case 'budget-exhausted':
      return `rseqlab: guest stopped after ${result.retired} instructions, the limit; raise it with --max-instructions (now ${maxInstructions})`;
    case 'deadlock':
      return `rseqlab: guest stopped: ${result.message}`;
    case 'unsupported':
      return `rseqlab: guest stopped: ${result.message}`;
    case 'paused':
      return undefined;
  }
}

/** The CLI's exit status for a run. */
export function exitStatus(result: RunResult): number {
  switch (result.kind) {
    case 'exited':
    case 'killed':
      return result.exitCode ?? 1;
    case 'budget-exhausted':
      return 124;
    case 'deadlock':
    case 'unsupported':
      return 125;
    case 'paused':
      return 0;
  }
}

type Finding = RunResult['findings'][number];

/** Rules whose address is the instruction to show; for the others the thread's rip is. */
const AT_ADDRESS = new Set(['syscall-in-critical-section', 'commit-not-last', 'abort-inside-section']);

/**
 * One line per ABI checker finding: the rule, the thread, what broke it,
 * and the instruction with its symbol and disassembly. Identical findings
 * are counted, not repeated.
 */
export async function describeFindings(
  findings: readonly Finding[],
  symbolAt: (address: number) => string | undefined,
  bytesAt: (address: number) => Uint8Array,
  limit = 20,
): Promise<string[]> {
  const seen = new Map<string, { f: Finding; count: number }>();
  for (const f of findings) {
    const key = `${f.rule} ${f.tid} ${f.detail}`;
    const s = seen.get(key);
    if (s) s.count++;
    else seen.set(key, { f, count: 1 });
  }
  const lines: string[] = [];
  for (const { f, count } of [...seen.values()].slice(0, limit)) {
    const at = Number(AT_ADDRESS.has(f.rule) || f.tid === 0 ? f.address : f.rip);
    const symbol = symbolAt(at);
    const insn = await disassembleOne(bytesAt(at), at);
    const where = `at ${hex(at)}${symbol ? ` <${symbol}>` : ''}${insn ? `: ${insn.text}` : ''}`;
    const who = f.tid === 0 ? 'program' : `thread ${f.tid}`;
    lines.push(`rseqlab: rseq ABI: ${f.rule}${f.fatal ? ' (fatal: --debug-rseq)' : ''}: ${who}: ${f.detail}; ${where}${count > 1 ? ` (${count} times)` : ''}`);
  }
  if (seen.size > limit) lines.push(`rseqlab: rseq ABI: ${seen.size - limit} more findings (see --trace)`);
  return lines;
}
