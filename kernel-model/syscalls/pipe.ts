// pipe / pipe2, blocking reads and writes on pipes, and poll / ppoll /
// select / pselect6 (fs/pipe.c, fs/select.c). A read or write that would
// block on a descriptor without O_NONBLOCK sleeps on the pipe's wait queue
// and is tried again when woken; a write to a pipe without readers is EPIPE
// and SIGPIPE for the writer.

import { EBADF, EFAULT, EINVAL, EPIPE, ERESTARTNOHAND, ERESTARTSYS, EAGAIN } from '../errno.js';
import { O_CLOEXEC, O_NONBLOCK, type OpenFile } from '../files.js';
import { Pipe, PipeEnd, type Readiness } from '../pipe.js';
import { sendSignal, userSigInfo } from '../signal-delivery.js';
import { SIGPIPE, UNBLOCKABLE } from '../signals.js';
import { SI_USER } from '../siginfo.js';
import { block, type SyscallResult, type WaitQueue } from '../wait.js';
import { int, ptr, readTimespec, uint } from './args.js';
import type { SyscallCall, SyscallFamily, SyscallHandler } from './types.js';

function sysPipe2(call: SyscallCall): number {
  const flags = int(call.args[1]);
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | 0o40000 /* O_DIRECT */)) return -EINVAL;
  const k = call.kernel;
  const pipe = new Pipe(k.allocateInode(), (q) => q.wakeAll((t) => k.wake(t, 'woken')), call.group.creds.uid, call.group.creds.gid);
  const nonblock = (flags & O_NONBLOCK) !== 0;
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const r = new PipeEnd(pipe, 'read', nonblock);
  const w = new PipeEnd(pipe, 'write', nonblock);
  const rfd = call.group.fds.allocate(r, cloexec);
  if (rfd < 0) return rfd;
  const wfd = call.group.fds.allocate(w, cloexec);
  if (wfd < 0) {
    call.group.fds.close(rfd);
    return wfd;
  }
  try {
    call.mem.writeU32(ptr(call.args[0]), rfd);
    call.mem.writeU32(ptr(call.args[0]) + 4, wfd);
  } catch {
    call.group.fds.close(rfd);
    call.group.fds.close(wfd);
    return -EFAULT;
  }
  return 0;
}

/** A file's wait queue for a read or write that would block, if the file can block at all. */
function queueOf(f: OpenFile | undefined): WaitQueue | undefined {
  if (f instanceof PipeEnd && !f.nonblocking) return f.waitQueue();
  return undefined;
}

/**
 * Wraps read / write / readv / writev: -EAGAIN on a blocking descriptor
 * becomes a sleep on its wait queue and a retry when woken (-ERESTARTSYS if
 * a signal comes first); -EPIPE sends SIGPIPE to the writer.
 */
export function blockingIo(handler: SyscallHandler, side: 'read' | 'write'): SyscallHandler {
  const attempt = (call: SyscallCall): SyscallResult => {
    const r = handler(call);
    if (typeof r === 'object') return r;
    if (side === 'write' && Number(r) === -EPIPE) {
      sendSignal(call.kernel, call.task, SIGPIPE, userSigInfo(SIGPIPE, call.task, SI_USER), 'thread', call.task.tid);
      return r;
    }
    if (Number(r) !== -EAGAIN) return r;
    const f = call.group.fds.get(uint(call.args[0]));
    const q = queueOf(f);
    if (!q) return r;
    q.add(call.task);
    return block({
      what: { kind: side === 'read' ? 'pipe-read' : 'pipe-write', detail: `${side} of ${(f as PipeEnd).linkTarget()} (fd ${uint(call.args[0])})` },
      interruptible: true,
      cancel: () => q.remove(call.task),
      resume: (reason) => (reason === 'signal' ? -ERESTARTSYS : attempt(call)),
    });
  };
  return attempt;
}

// --- poll and select ---------------------------------------------------------------

const POLLIN = 0x1;
const POLLPRI = 0x2;
const POLLOUT = 0x4;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;
const POLLRDNORM = 0x40;
const POLLWRNORM = 0x100;

function readinessOf(f: OpenFile): Readiness {
  if (f instanceof PipeEnd) return f.readiness();
  // Regular files, devices and the captured standard streams never block.
  return { readable: true, writable: true, hangup: false, error: false };
}

function pollMask(f: OpenFile | undefined, events: number): number {
  if (!f) return POLLNVAL;
  const r = readinessOf(f);
  let m = 0;
  if (r.readable) m |= POLLIN | POLLRDNORM;
  if (r.writable) m |= POLLOUT | POLLWRNORM;
  if (r.hangup) m |= POLLHUP;
  if (r.error) m |= POLLERR;
  return m & (events | POLLERR | POLLHUP | POLLNVAL);
}

/** The queues a poller of these files sleeps on. */
function queuesOf(files: (OpenFile | undefined)[]): WaitQueue[] {
  const qs = new Set<WaitQueue>();
  for (const f of files) {
    if (f instanceof PipeEnd) {
      qs.add(f.pipe.readWait);
      qs.add(f.pipe.writeWait);
    }
  }
  return [...qs];
}

/**
 * The common sleep of poll and select: `check` returns the result when
 * something is ready (or the timeout is zero); otherwise sleep on every
 * queue until a wake, the deadline or a signal.
 */
function pollWait(call: SyscallCall, files: (OpenFile | undefined)[], deadline: bigint | undefined, check: (final: boolean) => number | undefined, restart: number, detail: string): SyscallResult {
  const attempt = (): SyscallResult => {
    const ready = check(false);
    if (ready !== undefined) return ready;
    if (deadline !== undefined && deadline <= call.kernel.timeOf(call.task)) return check(true) ?? 0;
    const qs = queuesOf(files);
    for (const q of qs) q.add(call.task);
    return block({
      what: { kind: 'poll', detail },
      deadline,
      interruptible: true,
      cancel: () => qs.forEach((q) => q.remove(call.task)),
      resume: (reason) => {
        if (reason === 'signal') return -restart;
        if (reason === 'timeout') return check(true) ?? 0;
        return attempt();
      },
    });
  };
  return attempt();
}

/** A temporary signal mask for ppoll / pselect6 (restored on return, or after the handler: set_user_sigmask). */
function applySigmask(call: SyscallCall, maskAddr: bigint, size: bigint): number | undefined {
  if (maskAddr === 0n) return undefined;
  if (size !== 8n) return -EINVAL;
  const mask = call.mem.readU64(ptr(maskAddr)) & ~UNBLOCKABLE;
  call.task.savedMask = call.task.blocked;
  call.task.blocked = mask;
  return undefined;
}

function timespecDeadline(call: SyscallCall, at: bigint): bigint | undefined | number {
  if (at === 0n) return undefined;
  const ns = readTimespec(call.mem, ptr(at));
  return typeof ns === 'number' ? ns : call.kernel.timeOf(call.task) + ns;
}

function doPoll(call: SyscallCall, fdsAddr: bigint, nfdsArg: bigint, deadline: bigint | undefined, restart: number): SyscallResult {
  const nfds = uint(nfdsArg);
  if (nfds > call.group.rlimits.fileLimit()) return -EINVAL;
  const base = ptr(fdsAddr);
  const entries: { fd: number; events: number }[] = [];
  for (let i = 0; i < nfds; i++) {
    entries.push({ fd: call.mem.readU32(base + i * 8) | 0, events: call.mem.readU32(base + i * 8 + 4) & 0xffff });
  }
  const files = entries.map((e) => (e.fd < 0 ? undefined : call.group.fds.get(e.fd)));
  const check = (final: boolean): number | undefined => {
    let n = 0;
    const revents = entries.map((e, i) => {
      if (e.fd < 0) return 0;
      const m = pollMask(files[i], e.events | POLLPRI);
      if (m) n++;
      return m;
    });
    if (n === 0 && !final) return undefined;
    for (let i = 0; i < entries.length; i++) call.mem.writeU32(base + i * 8 + 4, (entries[i].events & 0xffff) | ((revents[i] & 0xffff) << 16));
    return n;
  };
  return pollWait(call, files, deadline, check, restart, `poll on ${nfds} descriptor${nfds === 1 ? '' : 's'}`);
}

function sysPoll(call: SyscallCall): SyscallResult {
  const timeoutMs = int(call.args[2]);
  const deadline = timeoutMs < 0 ? undefined : call.kernel.timeOf(call.task) + BigInt(timeoutMs) * 1_000_000n;
  return doPoll(call, call.args[0], call.args[1], deadline, ERESTARTNOHAND);
}

function sysPpoll(call: SyscallCall): SyscallResult {
  const deadline = timespecDeadline(call, call.args[2]);
  if (typeof deadline === 'number') return deadline;
  const bad = applySigmask(call, call.args[3], call.args[4]);
  if (bad !== undefined) return bad;
  return restoreMaskUnlessInterrupted(call, doPoll(call, call.args[0], call.args[1], deadline, ERESTARTNOHAND));
}

/** ppoll/pselect: the temporary mask stays only when a signal interrupted the call (the handler runs with it). */
function restoreMaskUnlessInterrupted(call: SyscallCall, r: SyscallResult): SyscallResult {
  const done = (v: number | bigint): number | bigint => {
    if (Number(v) !== -ERESTARTNOHAND && call.task.savedMask !== undefined) {
      call.task.blocked = call.task.savedMask;
      call.task.savedMask = undefined;
    }
    return v;
  };
  if (typeof r !== 'object') return done(r);
  const inner = r;
  return block({ ...inner, resume: (reason) => {
    const v = inner.resume(reason);
    return typeof v === 'object' ? restoreMaskUnlessInterrupted(call, v) : done(v);
  } });
}

function doSelect(call: SyscallCall, nArg: bigint, sets: bigint[], deadline: bigint | undefined): SyscallResult {
  const n = int(nArg);
  if (n < 0) return -EINVAL;
  const limit = call.group.rlimits.fileLimit();
  const nfds = Math.min(n, limit);
  const words = Math.ceil(nfds / 64);
  const read = (addr: bigint): bigint[] => {
    const out: bigint[] = [];
    for (let i = 0; i < words; i++) out.push(addr === 0n ? 0n : call.mem.readU64(ptr(addr) + i * 8));
    return out;
  };
  const [rin, win, ein] = sets.map(read);
  const fds: number[] = [];
  for (let fd = 0; fd < nfds; fd++) {
    const bit = 1n << BigInt(fd % 64);
    const w = Math.floor(fd / 64);
    if ((rin[w] | win[w] | ein[w]) & bit) {
      if (!call.group.fds.get(fd)) return -EBADF;
      fds.push(fd);
    }
  }
  const files = fds.map((fd) => call.group.fds.get(fd));
  const check = (final: boolean): number | undefined => {
    const rout = new Array<bigint>(words).fill(0n);
    const wout = new Array<bigint>(words).fill(0n);
    const eout = new Array<bigint>(words).fill(0n);
    let count = 0;
    fds.forEach((fd, i) => {
      const r = readinessOf(files[i]!);
      const bit = 1n << BigInt(fd % 64);
      const w = Math.floor(fd / 64);
      if (rin[w] & bit && (r.readable || r.hangup)) { rout[w] |= bit; count++; }
      if (win[w] & bit && (r.writable || r.error)) { wout[w] |= bit; count++; }
    });
    if (count === 0 && !final) return undefined;
    [rout, wout, eout].forEach((out, k) => {
      if (sets[k] === 0n) return;
      for (let i = 0; i < words; i++) call.mem.writeU64(ptr(sets[k]) + i * 8, out[i]);
    });
    return count;
  };
  return pollWait(call, files, deadline, check, ERESTARTNOHAND, `select on ${fds.length} descriptor${fds.length === 1 ? '' : 's'}`);
}

function sysSelect(call: SyscallCall): SyscallResult {
  const [n, r, w, e, tv] = call.args;
  let deadline: bigint | undefined;
  if (tv !== 0n) {
    const sec = call.mem.readI64(ptr(tv));
    const usec = call.mem.readI64(ptr(tv) + 8);
    if (sec < 0n || usec < 0n) return -EINVAL;
    deadline = call.kernel.timeOf(call.task) + sec * 1_000_000_000n + usec * 1000n;
  }
  return doSelect(call, n, [r, w, e], deadline);
}

function sysPselect6(call: SyscallCall): SyscallResult {
  const [n, r, w, e, ts, sig] = call.args;
  const deadline = timespecDeadline(call, ts);
  if (typeof deadline === 'number') return deadline;
  if (sig !== 0n) {
    // struct { const sigset_t *ss; size_t ss_len; }
    const bad = applySigmask(call, call.mem.readU64(ptr(sig)), call.mem.readU64(ptr(sig) + 8));
    if (bad !== undefined) return bad;
  }
  return restoreMaskUnlessInterrupted(call, doSelect(call, n, [r, w, e], deadline));
}

export const pipeSyscalls: SyscallFamily = {
  pipe: (c) => sysPipe2({ ...c, args: [c.args[0], 0n, 0n, 0n, 0n, 0n] }),
  pipe2: sysPipe2,
  poll: sysPoll,
  ppoll: sysPpoll,
  select: sysSelect,
  pselect6: sysPselect6,
};
