// A thread's register file as the page shows it: the sixteen general
// registers in the order debuggers print them (gdb's `info registers`), rip,
// rflags with its set status and control flags named, and the fs base
// (glibc's thread pointer, which the rseq area is found from). No DOM here.

import { Reg, type CpuContext } from '../emulator/api.js';

/** The part of a register file this reads (a live CpuContext, or a copy in tests). */
export type RegisterSource = Pick<CpuContext, 'gpr' | 'rip' | 'rflags' | 'fsBase'>;

export interface RegisterView {
  /** "rax", …, "r15", "rip", "rflags", "fs_base". */
  name: string;
  /** 0x-prefixed, 16 hex digits, so columns line up and a change of one digit shows. */
  value: string;
  /** rflags only: the flags that are set, e.g. "ZF PF IF". */
  decoded?: string;
}

/** gdb's order; the number is the register's encoding (emulator/api.ts Reg). */
const GENERAL: readonly [string, Reg][] = [
  ['rax', Reg.RAX], ['rbx', Reg.RBX], ['rcx', Reg.RCX], ['rdx', Reg.RDX],
  ['rsi', Reg.RSI], ['rdi', Reg.RDI], ['rbp', Reg.RBP], ['rsp', Reg.RSP],
  ['r8', Reg.R8], ['r9', Reg.R9], ['r10', Reg.R10], ['r11', Reg.R11],
  ['r12', Reg.R12], ['r13', Reg.R13], ['r14', Reg.R14], ['r15', Reg.R15],
];

/** RFLAGS bits user code can see change (Intel SDM Vol. 1, 3.4.3), lowest first. */
const FLAGS: readonly [string, number][] = [
  ['CF', 0], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9], ['DF', 10], ['OF', 11], ['AC', 18], ['ID', 21],
];

export const REGISTER_NAMES: readonly string[] = [...GENERAL.map(([n]) => n), 'rip', 'rflags', 'fs_base'];

function hex64(v: bigint): string {
  return '0x' + v.toString(16).padStart(16, '0');
}

/** "ZF PF IF": the named flags set in rflags, in the order the manual lists them (lowest bit first). */
export function decodeRflags(rflags: bigint): string {
  return FLAGS.filter(([, bit]) => (rflags >> BigInt(bit)) & 1n).map(([name]) => name).join(' ');
}

/** The registers of one register file, in REGISTER_NAMES order. */
export function readRegisters(ctx: RegisterSource): RegisterView[] {
  // gpr is a live view over wasm memory: read it once, now (api.ts: views detach when memory grows).
  const gpr = ctx.gpr;
  const rflags = ctx.rflags;
  return [
    ...GENERAL.map(([name, reg]) => ({ name, value: hex64(gpr[reg]) })),
    { name: 'rip', value: hex64(ctx.rip) },
    { name: 'rflags', value: hex64(rflags), decoded: decodeRflags(rflags) },
    { name: 'fs_base', value: hex64(ctx.fsBase) },
  ];
}
