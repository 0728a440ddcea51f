// `rseqlab replay --trace`: the instruction-level view of a failing run.
// For each injected event, the critical section it hit, instruction by
// instruction (disassembled), with the event's instruction, the commit and
// the abort handler marked; then the machine events around each injected
// event and before the end, each address with its symbol and disassembly.

import type { Runner } from '../fuzz/runner.js';
import type { MachineEvent } from '../kernel-model/events.js';
import { disassembleOne } from './disassemble.js';

/** Events shown around each injected event, and before the end. */
const AROUND = 6;
const TAIL = 20;

export async function traceLines(runner: Runner, events: readonly MachineEvent[]): Promise<string[]> {
  const m = runner.machine;
  const bytesAt = (a: number) => {
    try {
      return m.readMemory(a, 16);
    } catch {
      return new Uint8Array(0);
    }
  };
  const insn = async (a: number) => (await disassembleOne(bytesAt(a), a))?.text ?? '(not readable)';
  const at = async (a: number | bigint) => {
    const n = Number(a);
    const sym = m.symbols.describe(n);
    return `0x${n.toString(16)}${sym ? ` <${sym}>` : ''}: ${await insn(n)}`;
  };
  const lines: string[] = [];
  const injected = events.filter((e): e is Extract<MachineEvent, { kind: 'inject' }> => e.kind === 'inject');
  for (const e of injected) {
    const rip = Number(e.rip);
    const cs = runner.sections.find((s) => rip >= s.start && rip <= s.postCommit);
    if (!cs) continue;
    lines.push(`trace: critical section ${cs.symbol ?? ''} [0x${cs.start.toString(16)}, 0x${cs.postCommit.toString(16)}), abort handler 0x${cs.abort.toString(16)}; ${e.what} in thread ${e.tid}:`);
    let last = cs.start;
    for (let a = cs.start; a < cs.postCommit;) {
      const d = m.cpu.decode(a);
      if (d.status !== 'ok') break;
      last = a;
      a += d.length;
    }
    for (let a = cs.start; a <= cs.postCommit;) {
      const d = m.cpu.decode(a);
      const mark = a === rip ? '=>' : '  ';
      const note = a === rip ? `   <- ${e.what.split(' at ')[0]} here` : a === last ? '   (the last instruction of the range)' : a === cs.postCommit ? '   (post_commit_ip)' : '';
      lines.push(`trace: ${mark} ${await at(a)}${note}`);
      if (d.status !== 'ok' || a === cs.postCommit) break;
      a += d.length;
    }
    lines.push(`trace:    ${await at(cs.abort)}   (abort handler)`);
  }
  const shown = new Set<number>();
  for (const e of injected) {
    const i = events.indexOf(e);
    for (let j = Math.max(0, i - AROUND); j <= Math.min(events.length - 1, i + AROUND); j++) shown.add(j);
  }
  for (let j = Math.max(0, events.length - TAIL); j < events.length; j++) shown.add(j);
  let previous = -1;
  for (const j of [...shown].sort((a, b) => a - b)) {
    if (j !== previous + 1) lines.push('trace: ...');
    previous = j;
    const line = await describe(events[j], at);
    if (line) lines.push(`trace: ${line}`);
  }
  return lines;
}

async function describe(e: MachineEvent, at: (a: number | bigint) => Promise<string>): Promise<string | undefined> {
  const t = `[${e.t.toString().padStart(9)} ns]`;
  switch (e.kind) {
    case 'inject': return `${t} thread ${e.tid} vCPU ${e.cpu}: injected ${e.what.replace(/ at 0x[0-9a-f]+/, '')} at ${await at(e.rip)}`;
    case 'rseq': {
      const abort = /^abort from (0x[0-9a-f]+) to (0x[0-9a-f]+)/.exec(e.detail);
      if (abort) return `${t} thread ${e.tid}: rseq abort from ${await at(parseInt(abort[1], 16))} to ${await at(parseInt(abort[2], 16))}`;
      return `${t} thread ${e.tid}: rseq ${e.what}: ${e.detail}`;
    }
    case 'finding': return `${t} thread ${e.tid}: rseq ABI ${e.rule}: ${e.detail} at ${await at(e.rip)}`;
    case 'switch': return `${t} vCPU ${e.cpu}: switch ${e.from || 'idle'} -> ${e.to || 'idle'} (${e.reason})`;
    case 'migrate': return `${t} thread ${e.tid}: migrate vCPU ${e.from} -> ${e.to} (${e.reason})`;
    case 'syscall': return `${t} thread ${e.tid} vCPU ${e.cpu}: ${e.name}(...) = ${e.result === 'blocked' ? 'blocked' : BigInt.asIntN(64, e.result)}`;
    case 'syscall-resume': return `${t} thread ${e.tid}: ${e.name} resumed (${e.reason})`;
    case 'signal-deliver': return `${t} thread ${e.tid}: signal ${e.sig} delivered (${e.action}) at ${await at(e.rip)}`;
    case 'sigreturn': return `${t} thread ${e.tid}: sigreturn to ${await at(e.rip)}`;
    case 'task-exit': return `${t} thread ${e.tid} exits (${e.code})`;
    case 'process-exit': return `${t} process ${e.pid}: ${e.description}`;
    default: return undefined;
  }
}
