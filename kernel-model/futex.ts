// Fast user-space mutexes (kernel/futex/: waitwake.c, requeue.c, pi.c,
// core.c handle_futex_death / exit_robust_list). The futex word lives in
// guest memory; the kernel keeps only the queues of sleeping tasks, keyed by
// (address space, address). Waking and timeouts go through the kernel's
// wake path, so a futex wait is an ordinary Block (wait.ts).
//
// PI futexes (FUTEX_LOCK_PI, UNLOCK_PI, TRYLOCK_PI, LOCK_PI2) follow the
// user-space protocol of Documentation/locking/pi-futex.rst: the word holds
// the owner's TID with FUTEX_WAITERS when someone sleeps; the kernel hands
// the lock to the first waiter on unlock (every task has the same priority
// in this model, so the order is FIFO and no boosting is needed).

import { EAGAIN, EDEADLK, EINVAL, ENOSYS, EPERM, ERESTARTSYS, ERESTART_RESTARTBLOCK, ESRCH, ETIMEDOUT } from './errno.js';
import { hex } from './layout.js';
import type { Task } from './task.js';
import type { UserMemory } from './user-memory.js';
import { block, type Block, type SyscallResult, type WakeReason } from './wait.js';

export const FUTEX_WAIT = 0;
export const FUTEX_WAKE = 1;
export const FUTEX_FD = 2;
export const FUTEX_REQUEUE = 3;
export const FUTEX_CMP_REQUEUE = 4;
export const FUTEX_WAKE_OP = 5;
export const FUTEX_LOCK_PI = 6;
export const FUTEX_UNLOCK_PI = 7;
export const FUTEX_TRYLOCK_PI = 8;
export const FUTEX_WAIT_BITSET = 9;
export const FUTEX_WAKE_BITSET = 10;
export const FUTEX_WAIT_REQUEUE_PI = 11;
export const FUTEX_CMP_REQUEUE_PI = 12;
export const FUTEX_LOCK_PI2 = 13;
export const FUTEX_PRIVATE_FLAG = 128;
export const FUTEX_CLOCK_REALTIME = 256;
export const FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

export const FUTEX_WAITERS = 0x80000000;
export const FUTEX_OWNER_DIED = 0x40000000;
export const FUTEX_TID_MASK = 0x3fffffff;
export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;
/** ROBUST_LIST_LIMIT: a robust list longer than this is treated as corrupt. */
const ROBUST_LIST_LIMIT = 2048;

interface Waiter {
  task: Task;
  key: string;
  bitset: number;
  /** Waiting in FUTEX_LOCK_PI for the lock itself. */
  pi: boolean;
  /** Set when a waker (or a PI hand-over) took the waiter off its queue. */
  woken: boolean;
}

/** What the futex code needs from the kernel. */
export interface FutexHost {
  wake(task: Task, reason: WakeReason): void;
  taskByTid(tid: number): Task | undefined;
}

export class FutexTable {
  private readonly queues = new Map<string, Waiter[]>();

  constructor(private readonly host: FutexHost) {}

  static key(mmId: number, addr: number): string {
    return `${mmId}:${addr}`;
  }

  /** Sleeping tasks, for deadlock reports. */
  waiters(): { task: Task; key: string; pi: boolean }[] {
    return [...this.queues.values()].flat().map((w) => ({ task: w.task, key: w.key, pi: w.pi }));
  }

  private queue(key: string): Waiter[] {
    let q = this.queues.get(key);
    if (!q) {
      q = [];
      this.queues.set(key, q);
    }
    return q;
  }

  private unqueue(w: Waiter): void {
    const q = this.queues.get(w.key);
    if (!q) return;
    const i = q.indexOf(w);
    if (i >= 0) q.splice(i, 1);
    if (q.length === 0) this.queues.delete(w.key);
  }

  /**
   * futex_wait: sleeps if the word still holds `expected`. `deadline` is
   * absolute machine time, or undefined for no timeout.
   */
  wait(task: Task, mem: UserMemory, key: string, addr: number, expected: number, bitset: number, deadline: bigint | undefined): SyscallResult {
    if (bitset === 0) return -EINVAL;
    const current = mem.readU32(addr);
    if (current !== expected >>> 0) return -EAGAIN;
    const w: Waiter = { task, key, bitset, pi: false, woken: false };
    this.queue(key).push(w);
    return this.sleep(w, addr, `futex ${hex(addr)} (value ${current})`, deadline, () => this.wait(task, mem, key, addr, expected, bitset, deadline));
  }

  private sleep(w: Waiter, addr: number, detail: string, deadline: bigint | undefined, restart: () => SyscallResult): Block {
    return block({
      what: { kind: 'futex', detail, address: addr },
      deadline,
      interruptible: true,
      cancel: () => this.unqueue(w),
      resume: (reason) => {
        if (reason === 'woken' || w.woken) return 0;
        if (reason === 'timeout') return -ETIMEDOUT;
        if (deadline === undefined) return -ERESTARTSYS;
        w.task.restartBlock = restart;
        return -ERESTART_RESTARTBLOCK;
      },
    });
  }

  /** futex_wake: wakes up to n waiters whose bitset intersects `bitset`; returns how many. */
  wakeUp(key: string, n: number, bitset = FUTEX_BITSET_MATCH_ANY): number {
    if (bitset === 0) return -EINVAL;
    const q = this.queues.get(key);
    if (!q) return 0;
    let woken = 0;
    for (const w of [...q]) {
      if (woken >= n) break;
      if (w.pi || (w.bitset & bitset) === 0) continue;
      this.unqueue(w);
      w.woken = true;
      this.host.wake(w.task, 'woken');
      woken++;
    }
    return woken;
  }

  /** futex_requeue: wake up to nWake on key1, move up to nRequeue of the rest to key2. */
  requeue(mem: UserMemory, key1: string, addr1: number, key2: string, nWake: number, nRequeue: number, cmp: number | undefined): number {
    if (nWake < 0 || nRequeue < 0) return -EINVAL;
    if (cmp !== undefined && mem.readU32(addr1) !== cmp >>> 0) return -EAGAIN;
    const woken = this.wakeUp(key1, nWake);
    const q = this.queues.get(key1);
    let moved = 0;
    if (q && key1 !== key2) {
      for (const w of [...q]) {
        if (moved >= nRequeue) break;
        if (w.pi) continue;
        this.unqueue(w);
        w.key = key2;
        this.queue(key2).push(w);
        moved++;
      }
    }
    return woken + moved;
  }

  /** futex_wake_op: *uaddr2 = op(*uaddr2); wake nWake on key1 and, if the comparison of the old value holds, nWake2 on key2. */
  wakeOp(mem: UserMemory, key1: string, key2: string, addr2: number, nWake: number, nWake2: number, encodedOp: number): number {
    const op = (encodedOp >>> 28) & 7;
    const cmp = (encodedOp >>> 24) & 15;
    let oparg = (encodedOp << 8) >> 20; // sign-extended 12 bits
    const cmparg = (encodedOp << 20) >> 20;
    if (encodedOp & (8 << 28)) {
      if (oparg < 0 || oparg > 31) return -EINVAL; // FUTEX_OP_OPARG_SHIFT with an out-of-range shift
      oparg = 1 << oparg;
    }
    const old = mem.readU32(addr2);
    let next: number;
    switch (op) {
      case 0: next = oparg; break; // FUTEX_OP_SET
      case 1: next = old + oparg; break; // ADD
      case 2: next = old | oparg; break; // OR
      case 3: next = old & ~oparg; break; // ANDN
      case 4: next = old ^ oparg; break; // XOR
      default: return -ENOSYS;
    }
    mem.writeU32(addr2, next >>> 0);
    let woken = this.wakeUp(key1, nWake);
    const o = old | 0;
    let hit: boolean;
    switch (cmp) {
      case 0: hit = o === cmparg; break;
      case 1: hit = o !== cmparg; break;
      case 2: hit = o < cmparg; break;
      case 3: hit = o <= cmparg; break;
      case 4: hit = o > cmparg; break;
      case 5: hit = o >= cmparg; break;
      default: return -ENOSYS;
    }
    if (hit) woken += this.wakeUp(key2, nWake2);
    return woken;
  }

  /** futex_lock_pi (and TRYLOCK_PI when `trylock`). */
  lockPi(task: Task, mem: UserMemory, key: string, addr: number, deadline: bigint | undefined, trylock: boolean): SyscallResult {
    const value = mem.readU32(addr);
    const owner = value & FUTEX_TID_MASK;
    if (owner === 0) {
      // Free (perhaps with OWNER_DIED left by a dead owner): take it, keeping the bits user space must see.
      mem.writeU32(addr, ((value & FUTEX_OWNER_DIED) | task.tid | (this.hasPiWaiters(key) ? FUTEX_WAITERS : 0)) >>> 0);
      return 0;
    }
    if (owner === task.tid) return -EDEADLK;
    if (!this.host.taskByTid(owner)) {
      // The owner is gone without the robust list cleaning up: attach_to_pi_owner's ESRCH.
      return -ESRCH;
    }
    if (trylock) return -EAGAIN;
    mem.writeU32(addr, (value | FUTEX_WAITERS) >>> 0);
    const w: Waiter = { task, key, bitset: FUTEX_BITSET_MATCH_ANY, pi: true, woken: false };
    this.queue(key).push(w);
    return block({
      what: { kind: 'futex', detail: `PI futex ${hex(addr)} owned by tid ${owner}`, address: addr },
      deadline,
      interruptible: true,
      cancel: () => this.unqueue(w),
      resume: (reason) => {
        // A hand-over made us the owner: the word already holds our TID.
        if (w.woken) return 0;
        if (reason === 'timeout') return -ETIMEDOUT;
        // futex_lock_pi restarts after a signal (ERESTARTNOINTR).
        return this.lockPi(task, mem, key, addr, deadline, false);
      },
    });
  }

  private hasPiWaiters(key: string): boolean {
    return (this.queues.get(key) ?? []).some((w) => w.pi);
  }

  /** futex_unlock_pi: hands the lock to the first waiter, or frees it. */
  unlockPi(task: Task, mem: UserMemory, key: string, addr: number): number {
    const value = mem.readU32(addr);
    if ((value & FUTEX_TID_MASK) !== task.tid) return -EPERM;
    this.handOver(mem, key, addr, value & FUTEX_OWNER_DIED);
    return 0;
  }

  private handOver(mem: UserMemory, key: string, addr: number, keepBits: number): void {
    const q = this.queues.get(key) ?? [];
    const next = q.find((w) => w.pi);
    if (!next) {
      mem.writeU32(addr, keepBits >>> 0);
      return;
    }
    this.unqueue(next);
    next.woken = true;
    // wake_futex_pi: the new owner's TID with FUTEX_WAITERS (it may have company).
    mem.writeU32(addr, (next.task.tid | FUTEX_WAITERS | keepBits) >>> 0);
    this.host.wake(next.task, 'woken');
  }

  /**
   * exit_robust_list + handle_futex_death: for each futex on the dying
   * thread's robust list that it still owns, set FUTEX_OWNER_DIED and wake
   * a waiter (PI futexes: hand the lock to the first waiter).
   */
  exitRobustList(task: Task, mem: UserMemory, keyOf: (addr: number) => string, head: bigint): void {
    if (head === 0n) return;
    const headAddr = Number(head);
    try {
      const fetch = (at: number): { entry: number; pi: boolean } => {
        const raw = mem.readU64(at);
        return { entry: Number(raw & ~1n), pi: (raw & 1n) !== 0n };
      };
      let { entry, pi } = fetch(headAddr);
      const futexOffset = Number(BigInt.asIntN(64, mem.readU64(headAddr + 8)));
      const pending = fetch(headAddr + 16);
      let limit = ROBUST_LIST_LIMIT;
      while (entry !== headAddr) {
        const next = fetch(entry);
        if (entry !== pending.entry) this.futexDeath(task, mem, keyOf, entry + futexOffset, pi, false);
        entry = next.entry;
        pi = next.pi;
        if (--limit === 0) break;
      }
      if (pending.entry !== 0) this.futexDeath(task, mem, keyOf, pending.entry + futexOffset, pending.pi, true);
    } catch {
      // A fault while walking the list ends the walk, as the kernel's get_user failure does.
    }
  }

  private futexDeath(task: Task, mem: UserMemory, keyOf: (addr: number) => string, addr: number, pi: boolean, pendingOp: boolean): void {
    if (addr % 4 !== 0) return;
    // handle_futex_death wakes with FLAGS_SHARED: the key of the memory the word lives in.
    const key = keyOf(addr);
    const value = mem.readU32(addr);
    if (pendingOp && !pi && value === 0) {
      this.wakeUp(key, 1);
      return;
    }
    if ((value & FUTEX_TID_MASK) !== task.tid) return;
    const died = ((value & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0;
    if (pi) {
      this.handOver(mem, key, addr, FUTEX_OWNER_DIED);
      if (!this.hasPiWaiters(key) && (mem.readU32(addr) & FUTEX_TID_MASK) === 0) mem.writeU32(addr, died);
      return;
    }
    mem.writeU32(addr, died);
    if (value & FUTEX_WAITERS) this.wakeUp(key, 1);
  }
}
