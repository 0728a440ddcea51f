// Kernel access to guest memory on behalf of a system call, like Linux's
// copy_from_user / copy_to_user / strncpy_from_user: the range must be
// below TASK_SIZE and mapped with the needed permission, else the call
// fails with EFAULT. A UserFault is thrown here and turned into -EFAULT by
// the dispatcher, so handlers read straight-line.

import { MemoryError, PROT_READ, PROT_WRITE, type AccessKind, type Cpu } from '../emulator/api.js';
import { ENAMETOOLONG } from './errno.js';
import { PAGE_SIZE, TASK_SIZE, hex } from './layout.js';

/** A system call touched guest memory it may not: the call returns -EFAULT. */
export class UserFault extends Error {
  constructor(
    readonly address: number,
    readonly access: AccessKind,
  ) {
    super(`bad user ${access} at ${hex(address)}`);
    this.name = 'UserFault';
  }
}

/** A path or string longer than the kernel accepts: the call returns -ENAMETOOLONG. */
export class NameTooLong extends Error {
  readonly errno = ENAMETOOLONG;
}

/** PATH_MAX, including the NUL. */
export const PATH_MAX = 4096;

/** A user pointer from a register: values that do not fit a number are beyond TASK_SIZE anyway. */
export function userPointer(v: bigint): number {
  return v >= BigInt(TASK_SIZE) ? TASK_SIZE : Number(v);
}

export class UserMemory {
  constructor(private readonly cpu: Cpu) {}

  /** access_ok plus the page permission check done by the fault handler. */
  check(addr: number, length: number, access: 'read' | 'write'): void {
    if (length === 0) return;
    if (addr < 0 || addr >= TASK_SIZE || length > TASK_SIZE - addr) throw new UserFault(addr, access);
    const prot = access === 'read' ? PROT_READ : PROT_WRITE;
    if (!this.cpu.accessible(addr, length, prot)) throw new UserFault(this.firstBad(addr, length, prot), access);
  }

  private firstBad(addr: number, length: number, prot: number): number {
    for (let p = addr; p < addr + length; p = p - (p % PAGE_SIZE) + PAGE_SIZE) {
      const pageProt = this.cpu.pageProt(p);
      if (pageProt < 0 || (pageProt & prot) !== prot) return p;
    }
    return addr;
  }

  read(addr: number, length: number): Uint8Array {
    this.check(addr, length, 'read');
    if (length === 0) return new Uint8Array(0);
    return this.guard(addr, 'read', () => this.cpu.read(addr, length));
  }

  write(addr: number, data: Uint8Array): void {
    this.check(addr, data.length, 'write');
    if (data.length === 0) return;
    this.guard(addr, 'write', () => this.cpu.write(addr, data));
  }

  readU32(addr: number): number {
    this.check(addr, 4, 'read');
    return this.guard(addr, 'read', () => this.cpu.readU32(addr));
  }

  readU64(addr: number): bigint {
    this.check(addr, 8, 'read');
    return this.guard(addr, 'read', () => this.cpu.readU64(addr));
  }

  readI64(addr: number): bigint {
    return BigInt.asIntN(64, this.readU64(addr));
  }

  writeU32(addr: number, value: number): void {
    this.check(addr, 4, 'write');
    this.guard(addr, 'write', () => this.cpu.writeU32(addr, value >>> 0));
  }

  writeU64(addr: number, value: bigint): void {
    this.check(addr, 8, 'write');
    this.guard(addr, 'write', () => this.cpu.writeU64(addr, BigInt.asUintN(64, value)));
  }

  /** strncpy_from_user: a NUL-terminated string of at most max bytes including the NUL. */
  readCString(addr: number, max = PATH_MAX): string {
    const bytes: number[] = [];
    let p = addr;
    while (bytes.length < max) {
      const chunk = Math.min(PAGE_SIZE - (p % PAGE_SIZE), max - bytes.length);
      const data = this.read(p, chunk);
      const nul = data.indexOf(0);
      if (nul >= 0) {
        for (let i = 0; i < nul; i++) bytes.push(data[i]);
        return new TextDecoder().decode(new Uint8Array(bytes));
      }
      for (const b of data) bytes.push(b);
      p += chunk;
    }
    throw new NameTooLong(`string at ${hex(addr)} is longer than ${max} bytes`);
  }

  private guard<T>(addr: number, access: AccessKind, f: () => T): T {
    try {
      return f();
    } catch (e) {
      // Running out of memory is not the caller's bad pointer: it reaches the dispatcher (OOM kill).
      if (e instanceof MemoryError && !(e as MemoryError & { outOfMemory?: boolean }).outOfMemory) throw new UserFault(e.address ?? addr, access);
      throw e;
    }
  }
}
