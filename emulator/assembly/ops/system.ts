// Instructions that leave user-mode computation: syscall, int3, int, hlt,
// ud0/ud1/ud2, invalid encodings; plus the flag-control instructions,
// cpuid and rdtsc.

import { argOf } from '../insn';
import {
  getReg64, setReg64, R, CTX_RETIRED, RIP,
  stopRetired, stopFault, STOP_SYSCALL, STOP_INT3, STOP_HLT, STOP_UD, STOP_INVALID_OPCODE, STOP_GENERAL_PROTECTION,
} from '../state';
import { getFlags, setArithFlags, materializeFlags, FLAGS, setFlags, CF, DF, AF, PF, ZF, SF } from '../flags';
import { cpuidLeaf, CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX } from '../cpuid';
import { retiredInRun } from '../run-state';
import { BLOCK_COUNT } from '../cache';

/** Stops for an opcode the decoder does not know (#UD, not retired). */
export function Invalid(d: usize): void { stopFault(STOP_INVALID_OPCODE); }

/** ud0 / ud1 / ud2: architecturally #UD on purpose. */
export function Ud(d: usize): void { stopFault(STOP_UD); }

/**
 * syscall: rcx = address of the next instruction, r11 = rflags (Vol. 2,
 * SYSCALL); the kernel model takes over from the stop.
 */
export function Syscall(d: usize): void {
  setReg64(1, RIP);
  setReg64(11, getFlags() & ~<u64>0x10000);
  stopRetired(STOP_SYSCALL);
}

/** int3 traps after it retires; Linux reports SIGTRAP with rip past it. */
export function Int3(d: usize): void { stopRetired(STOP_INT3); }

/** int n from user mode: vectors without a DPL-3 gate raise #GP (Linux delivers SIGSEGV). */
export function IntIb(d: usize): void { stopFault(STOP_GENERAL_PROTECTION); }

/** hlt is privileged: #GP in user mode. */
export function Hlt(d: usize): void { stopFault(STOP_HLT); }

export function Cmc(d: usize): void {
  materializeFlags();
  setArithFlags(CF, FLAGS ^ CF);
}

export function SetCarry(d: usize): void { setArithFlags(CF, argOf(d) != 0 ? CF : 0); }

export function SetDirection(d: usize): void {
  materializeFlags();
  setFlags(argOf(d) != 0 ? FLAGS | DF : FLAGS & ~DF);
}

/** sahf: SF, ZF, AF, PF, CF from ah. */
export function Sahf(d: usize): void {
  const ah = (getReg64(0) >> 8) & 0xff;
  setArithFlags(SF | ZF | AF | PF | CF, ah);
}

/** lahf: ah = SF:ZF:0:AF:0:PF:1:CF. */
export function Lahf(d: usize): void {
  const f = (getFlags() & (SF | ZF | AF | PF | CF)) | 2;
  setReg64(0, (getReg64(0) & ~<u64>0xff00) | (f << 8));
}

export function Cpuid(d: usize): void {
  cpuidLeaf(<u32>getReg64(0), <u32>getReg64(1));
  setReg64(0, CPUID_EAX);
  setReg64(3, CPUID_EBX);
  setReg64(1, CPUID_ECX);
  setReg64(2, CPUID_EDX);
}

/**
 * rdtsc: virtual time, one tick per retired instruction of this context.
 * rdtsc ends its block, so its place in the run is the block's start count
 * plus the instructions before it in the block.
 */
export function Rdtsc(d: usize): void {
  const tsc = load<u64>(R + CTX_RETIRED) + retiredInRun() + <u64>BLOCK_COUNT - 1;
  setReg64(0, tsc & 0xffffffff);
  setReg64(2, tsc >> 32);
}
