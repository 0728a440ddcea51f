// Runs differential cases in the emulator with the same mappings as
// runner.c, and compares the result with the host's record field by field.

import { createCpu, PROT_EXEC, PROT_READ, PROT_WRITE, StopReason, type Cpu, type CpuContext } from '../../emulator/index.js';
import { OPCODE_TABLE, type OpcodeRow } from '../../emulator/table/index.js';
import { disassemble } from './disasm.js';
import { COMPARED_FLAGS, LAYOUT, flagMask, initialImages, type DiffCase, type MachineState } from './layout.js';

/** Instructions the emulator may run for one case: sequences are short and straight. */
const MAX_INSNS = 10_000;

/** Linux si_code for faults the kernel raises itself (#GP): SI_KERNEL. */
const SI_KERNEL = 128;
const SIGILL = 4, SIGTRAP = 5, SIGBUS = 7, SIGFPE = 8, SIGSEGV = 11, SIGALRM = 14;

/** What stopped a case, in terms both sides share. */
export type StopKind = 'end' | 'page-fault' | 'general-protection' | 'divide-error' | 'simd-exception' | 'invalid-opcode' | 'breakpoint-trap' | 'bus-error' | 'did-not-finish' | 'other';

export function hostStop(s: MachineState): StopKind {
  if (!s.fault) return 'end';
  switch (s.fault.signal) {
    case SIGSEGV: return s.fault.code === SI_KERNEL ? 'general-protection' : 'page-fault';
    // FPE_INTDIV / FPE_INTOVF come from #DE; the FPE_FLT* codes from #XM and #MF.
    case SIGFPE: return s.fault.code <= 2 ? 'divide-error' : 'simd-exception';
    case SIGILL: return 'invalid-opcode';
    case SIGTRAP: return 'breakpoint-trap';
    case SIGBUS: return 'bus-error';
    case SIGALRM: return 'did-not-finish';
    default: return 'other';
  }
}

export interface EmulatorResult extends MachineState {
  stop: StopReason;
}

export function emulatorStop(r: EmulatorResult, end: number): StopKind {
  switch (r.stop) {
    case StopReason.Breakpoint: return r.rip === BigInt(end) ? 'end' : 'other';
    case StopReason.PageFault: return 'page-fault';
    case StopReason.GeneralProtection: case StopReason.Hlt: return 'general-protection';
    case StopReason.DivideError: return 'divide-error';
    case StopReason.SimdException: case StopReason.X87Exception: return 'simd-exception';
    case StopReason.InvalidOpcode: case StopReason.Ud: return 'invalid-opcode';
    case StopReason.Int3: return 'breakpoint-trap';
    case StopReason.StackFault: return 'bus-error';
    case StopReason.Budget: return 'did-not-finish';
    default: return 'other';
  }
}

/** The exit jump runner.c appends (its target differs per build; the emulator never executes it). */
const EXIT_JUMP = [0xff, 0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

export class EmulatorRunner {
  private constructor(private readonly cpu: Cpu, private readonly ctx: CpuContext) {}

  static async create(): Promise<EmulatorRunner> {
    const cpu = await createCpu();
    return new EmulatorRunner(cpu, cpu.createContext());
  }

  run(c: DiffCase): EmulatorResult {
    const { cpu, ctx } = this;
    const { data, stack } = initialImages(c);
    const page = new Uint8Array(LAYOUT.CODE_SIZE);
    page.set(c.code);
    page.set(EXIT_JUMP, c.code.length);
    cpu.map(LAYOUT.CODE, LAYOUT.CODE_SIZE, PROT_READ | PROT_WRITE);
    cpu.write(LAYOUT.CODE, page);
    cpu.protect(LAYOUT.CODE, LAYOUT.CODE_SIZE, PROT_READ | PROT_EXEC);
    cpu.map(LAYOUT.DATA, LAYOUT.DATA_SIZE, PROT_READ | PROT_WRITE);
    cpu.write(LAYOUT.DATA, data);
    cpu.map(LAYOUT.STACK, LAYOUT.STACK_SIZE, PROT_READ | PROT_WRITE);
    cpu.write(LAYOUT.STACK, stack);
    for (let i = 0; i < 16; i++) ctx.gpr[i] = c.gpr[i];
    ctx.rflags = (c.rflags & COMPARED_FLAGS) | 0x202n;
    ctx.xmm.set(c.xmm);
    ctx.mxcsr = c.mxcsr;
    ctx.fsBase = 0n;
    ctx.gsBase = 0n;
    ctx.rip = BigInt(LAYOUT.CODE);
    const stop = cpu.run(ctx, MAX_INSNS, LAYOUT.CODE + c.code.length);
    const writes = new Map<number, number>();
    const diff = (base: number, now: Uint8Array, init: Uint8Array) => {
      for (let i = 0; i < now.length; i++) if (now[i] !== init[i]) writes.set(base + i, now[i]);
    };
    diff(LAYOUT.DATA, cpu.read(LAYOUT.DATA, LAYOUT.DATA_SIZE), data);
    diff(LAYOUT.STACK, cpu.read(LAYOUT.STACK, LAYOUT.STACK_SIZE), stack);
    const kind = stop.reason;
    return {
      stop: kind,
      fault: kind === StopReason.Breakpoint ? undefined : { signal: -1, code: kind, address: BigInt(stop.faultAddress ?? 0) },
      rip: ctx.rip,
      gpr: Array.from(ctx.gpr),
      rflags: ctx.rflags,
      mxcsr: ctx.mxcsr,
      xmm: ctx.xmm.slice(),
      writes,
    };
  }
}

export interface Mismatch {
  field: string;
  host: string;
  emulator: string;
}

const GPR_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const hex = (v: bigint | number) => '0x' + v.toString(16);

function flagNames(v: bigint): string {
  const names: [string, bigint][] = [['CF', 1n], ['PF', 4n], ['AF', 0x10n], ['ZF', 0x40n], ['SF', 0x80n], ['DF', 0x400n], ['OF', 0x800n]];
  return names.filter(([, b]) => v & b).map(([n]) => n).join(' ') || '-';
}

/** The RFLAGS bits compared for a case: arithmetic flags and DF, less the undefined ones. */
export function comparedFlags(row: OpcodeRow, c: DiffCase): bigint {
  return COMPARED_FLAGS & ~flagMask(row.undefinedFlags) & ~flagMask(c.extraUndefined?.flags);
}

/** Every difference between the host's and the emulator's results. */
export function compare(row: OpcodeRow, c: DiffCase, host: MachineState, emu: EmulatorResult): Mismatch[] {
  const out: Mismatch[] = [];
  const end = LAYOUT.CODE + c.code.length;
  const hs = hostStop(host);
  const es = emulatorStop(emu, end);
  const describe = (k: StopKind, s: MachineState, isEmu: boolean) => {
    if (k === 'end') return 'ran to the end';
    if (isEmu) return `${StopReason[(emu as EmulatorResult).stop]} at ${hex(s.rip)}${k === 'page-fault' ? ` address ${hex(s.fault!.address)}` : ''}`;
    return `${k} (signal ${s.fault!.signal}, si_code ${s.fault!.code}) at ${hex(s.rip)}${k === 'page-fault' ? ` address ${hex(s.fault!.address)}` : ''}`;
  };
  if (hs !== es) {
    out.push({ field: 'stop', host: describe(hs, host, false), emulator: describe(es, emu, true) });
    return out; // the rest of the state is not comparable
  }
  if (host.rip !== emu.rip) out.push({ field: 'rip', host: hex(host.rip), emulator: hex(emu.rip) });
  if (hs === 'page-fault' && host.fault!.address !== emu.fault!.address && !sameWideAccess(c, host.fault!.address, emu.fault!.address)) {
    out.push({ field: 'fault address', host: hex(host.fault!.address), emulator: hex(emu.fault!.address) });
  }
  for (let i = 0; i < 16; i++) {
    if (host.gpr[i] !== emu.gpr[i]) out.push({ field: GPR_NAMES[i], host: hex(host.gpr[i]), emulator: hex(emu.gpr[i]) });
  }
  const fm = comparedFlags(row, c);
  if ((host.rflags & fm) !== (emu.rflags & fm)) {
    const diff = (host.rflags ^ emu.rflags) & fm;
    out.push({ field: `rflags (differ: ${flagNames(diff)})`, host: `${hex(host.rflags & fm)} [${flagNames(host.rflags & fm)}]`, emulator: `${hex(emu.rflags & fm)} [${flagNames(emu.rflags & fm)}]` });
  }
  for (let i = 0; i < 16; i++) {
    const h = host.xmm.subarray(i * 16, i * 16 + 16), e = emu.xmm.subarray(i * 16, i * 16 + 16);
    if (!h.every((b, j) => b === e[j])) out.push({ field: `xmm${i}`, host: xmmHex(h), emulator: xmmHex(e) });
  }
  if (host.mxcsr !== emu.mxcsr) out.push({ field: 'mxcsr', host: hex(host.mxcsr), emulator: hex(emu.mxcsr) });
  const addrs = new Set([...host.writes.keys(), ...emu.writes.keys()]);
  const ignored = (a: number) => (c.ignoreMemory ?? []).some((r) => a >= r.addr && a < r.addr + r.size);
  const bad = [...addrs].filter((a) => host.writes.get(a) !== emu.writes.get(a) && !ignored(a)).sort((a, b) => a - b);
  if (bad.length) {
    const { data, stack } = initialImages(c);
    const initial = (a: number) => (a >= LAYOUT.STACK ? stack[a - LAYOUT.STACK] : data[a - LAYOUT.DATA]);
    const val = (m: Map<number, number>, a: number) => (m.get(a) ?? initial(a)).toString(16).padStart(2, '0');
    // Runs of differing bytes (gaps under 8 bytes joined), the first few shown.
    const runs: [number, number][] = [];
    for (const a of bad) {
      const last = runs[runs.length - 1];
      if (last && a - last[1] < 8) last[1] = a;
      else runs.push([a, a]);
    }
    const show = (m: Map<number, number>) =>
      runs.slice(0, 4).map(([s, e]) => `${hex(s)}: ${Array.from({ length: Math.min(e - s + 1, 24) }, (_, i) => val(m, s + i)).join(' ')}`).join('; ');
    out.push({
      field: `memory (${bad.length} bytes differ in ${runs.length} runs; initial ${show(new Map())})`,
      host: show(host.writes),
      emulator: show(emu.writes),
    });
  }
  return out;
}

/**
 * Runs case c in the emulator and compares it with the host's run `host`:
 * compare()'s mismatches, then, when it found none, those of `more` (a test
 * file's own checks of the same two runs); an emulator that throws is a
 * mismatch too.
 */
export function runAndCompare(emu: EmulatorRunner, c: DiffCase, host: MachineState, more?: (e: EmulatorResult) => Mismatch[]): Mismatch[] {
  const row = OPCODE_TABLE[c.row];
  try {
    const e = emu.run(c);
    const ms = compare(row, c, host, e);
    return ms.length || !more ? ms : more(e);
  } catch (e) {
    return [{ field: 'emulator', host: 'ran', emulator: `threw ${(e as Error).message}` }];
  }
}

/**
 * Which byte of a wide access (FXSAVE's 512 bytes) a page fault names is
 * model-specific: AMD parts report the last byte, for one. Both addresses
 * inside the same operand are accepted.
 */
function sameWideAccess(c: DiffCase, a: bigint, b: bigint): boolean {
  if (!c.access || c.access.size <= 16) return false;
  const lo = BigInt(c.access.addr), hi = lo + BigInt(c.access.size);
  return a >= lo && a < hi && b >= lo && b < hi;
}

function xmmHex(b: Uint8Array): string {
  // Printed as two little-endian qwords, high first, like a debugger.
  const q = (o: number) => [...b.subarray(o, o + 8)].reverse().map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${q(8)}_${q(0)}`;
}

/** A mismatch report a person can act on: the code, the inputs, each differing field. */
export function formatMismatch(row: OpcodeRow, c: DiffCase, ms: Mismatch[]): string {
  const lines: string[] = [];
  lines.push(`case form ${c.form}${c.note ? ` (${c.note})` : ''}`);
  lines.push('  code:');
  for (const l of disassemble(c.code, LAYOUT.CODE)) lines.push('    ' + l);
  const insn = Buffer.from(c.code.subarray(c.insnOffset, c.insnOffset + c.insnLength)).toString('hex');
  lines.push(`  instruction under test at +${c.insnOffset}: ${insn}`);
  lines.push('  inputs: ' + GPR_NAMES.map((n, i) => `${n}=${hex(c.gpr[i])}`).join(' '));
  lines.push(`          rflags=${hex(c.rflags)} [${flagNames(c.rflags)}] mxcsr=${hex(c.mxcsr)} data seed=${hex(c.dataSeed)}`);
  if (c.xmm.some((b) => b)) lines.push('          ' + Array.from({ length: 16 }, (_, i) => `xmm${i}=${xmmHex(c.xmm.subarray(i * 16, i * 16 + 16))}`).join(' '));
  for (const p of c.patches.slice(0, 6)) {
    lines.push(`          memory ${hex(p.addr)}: ${Buffer.from(p.bytes.subarray(0, 32)).toString('hex')}${p.bytes.length > 32 ? '…' : ''}`);
  }
  for (const r of c.ignoreMemory ?? []) lines.push(`  not compared: ${hex(r.addr)}+${r.size} (${r.why})`);
  lines.push(`  undefined flags masked: ${row.undefinedFlags ?? '-'}${c.extraUndefined ? ` + ${c.extraUndefined.flags} (${c.extraUndefined.why})` : ''}`);
  for (const m of ms) lines.push(`  ${m.field}: host ${m.host}, emulator ${m.emulator}`);
  return lines.join('\n');
}
