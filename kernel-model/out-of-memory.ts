// Why a process was OOM-killed, in one line a person can act on. Two
// memories can run out: the machine's (the frame limit from --memory, what
// Linux's out_of_memory() answers when RAM is exhausted) and the host's
// (the CPU's wasm memory could not grow: wasm32 holds at most 4 GiB and a
// host may allow less). Linux knows only the first; the second is ours and
// the message says so, with what to change.

import type { MemoryExhaustion } from '../emulator/api.js';

export interface OomEvent {
  pid: number;
  /** The guest address whose fresh page could not get a frame; undefined inside a system call. */
  address?: number;
  exhausted: MemoryExhaustion;
  /** Guest memory in use (Cpu.framesInUse), bytes. */
  inUseBytes: number;
}

const mib = (bytes: number) => Math.round(bytes / (1 << 20));

export function oomKillReason(e: OomEvent): string {
  const where = e.address === undefined ? `needed memory in a system call` : `touched a fresh page at 0x${e.address.toString(16)}`;
  if (e.exhausted === 'host') {
    return (
      `out of memory: pid ${e.pid} ${where} but the host gave the emulator no more memory ` +
      `(${mib(e.inUseBytes)} MiB of guest pages in use; wasm memory holds at most 4 GiB) (OOM kill; a smaller --memory makes the guest meet its own limit first)`
    );
  }
  if (e.address === undefined) return `out of memory in a system call of pid ${e.pid} (OOM kill; --memory raises the limit)`;
  return `out of memory: pid ${e.pid} ${where} with all ${mib(e.inUseBytes)} MiB of the machine's memory in use (OOM kill; --memory raises the limit)`;
}
