// Argument conversions, as the kernel's SYSCALL_DEFINE types truncate and
// sign-extend the 64-bit registers.

import { EINVAL } from '../errno.js';
import { userPointer, type UserMemory } from '../user-memory.js';

/** `int` (fds, flags, pids): the low 32 bits, signed. */
export function int(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** `unsigned int`: the low 32 bits. */
export function uint(v: bigint): number {
  return Number(BigInt.asUintN(32, v));
}

/** `long` / `loff_t`: signed 64-bit. */
export function long(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** A user pointer (values beyond user space fail the access check). */
export function ptr(v: bigint): number {
  return userPointer(v);
}

/** `size_t` for counts: clamped to MAX_RW_COUNT (INT_MAX & PAGE_MASK), as rw_verify_area does. */
export const MAX_RW_COUNT = 0x7ffff000;
export function count(v: bigint): number {
  return v > BigInt(MAX_RW_COUNT) ? MAX_RW_COUNT : Number(v);
}

/** `size_t` / `unsigned long` lengths for memory calls (kept exact up to 2^53). */
export function length(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

const NSEC_PER_SEC = 1_000_000_000n;

/** A struct timespec from user memory in ns, or -EINVAL when not normalised (timespec64_valid). */
export function readTimespec(mem: UserMemory, addr: number): bigint | number {
  const sec = mem.readI64(addr);
  const nsec = mem.readI64(addr + 8);
  if (sec < 0n || nsec < 0n || nsec >= NSEC_PER_SEC) return -EINVAL;
  return sec * NSEC_PER_SEC + nsec;
}

export function writeTimespec(mem: UserMemory, addr: number, ns: bigint): void {
  mem.writeU64(addr, ns / NSEC_PER_SEC);
  mem.writeU64(addr + 8, ns % NSEC_PER_SEC);
}
