// rseq(2): argument conversion for kernel-model/rseq.ts, where the rules
// live; a registration or unregistration that succeeds is an event.

import { EBUSY, EINVAL, ENOSYS, EPERM } from '../errno.js';
import { hex } from '../layout.js';
import { RSEQ_FLAG_UNREGISTER, sysRseq } from '../rseq.js';
import { reportFinding } from '../rseq-checker.js';
import { sliceYield } from '../rseq-slice.js';
import { int, ptr, uint } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';

const ERRNO_NAMES: Record<number, string> = { [EBUSY]: 'EBUSY', [EINVAL]: 'EINVAL', [EPERM]: 'EPERM' };

function rseq(c: SyscallCall): number {
  const [addr, len, flags, sig] = [ptr(c.args[0]), uint(c.args[1]), int(c.args[2]), uint(c.args[3])];
  const before = c.task.rseq.registration;
  const r = sysRseq(c.task.rseq, c.mem, c.kernel.profile, addr, len, flags, sig);
  if (before && !(flags & RSEQ_FLAG_UNREGISTER) && r < 0 && ERRNO_NAMES[-r]) {
    // The checker: a library's own registration refused because the thread already has one (glibc's, usually).
    const owner = isGlibcArea(c, before.address) ? "glibc's area (thread pointer + __rseq_offset)" : 'an area';
    reportFinding(c.kernel, c.task, 'registration-refused',
      `rseq registration of ${hex(addr)} (length ${len}) refused with ${ERRNO_NAMES[-r]}: the thread already registered ${owner} at ${hex(before.address)}, length ${before.length}`, addr);
  }
  if (r === 0) {
    c.kernel.rseqAreasVersion++;
    const what = flags & RSEQ_FLAG_UNREGISTER ? 'unregister' : 'register';
    c.kernel.emit({ kind: 'rseq', t: c.kernel.timeOf(c.task), tid: c.task.tid, what, detail: `area ${hex(addr)}, length ${len}, signature ${hex(sig)}` });
  }
  return r;
}

/** Whether `address` is glibc's rseq area of this thread: fs base + __rseq_offset. */
function isGlibcArea(c: SyscallCall, address: number): boolean {
  const sym = c.group.image?.symbols.lookup('__rseq_offset');
  if (sym === undefined) return false;
  try {
    const offset = c.mem.readU64(sym.address);
    return BigInt.asUintN(64, c.task.ctx.fsBase + offset) === BigInt(address);
  } catch {
    return false;
  }
}

/** rseq_slice_yield (7.0): 1 if the call ended a granted time slice extension, else 0; ENOSYS before 7.0. */
function rseqSliceYield(c: SyscallCall): number {
  if (!c.kernel.profile.sliceExtension) return -ENOSYS;
  return sliceYield(c.task.rseq);
}

export const rseqSyscalls: SyscallFamily = { rseq, rseq_slice_yield: rseqSliceYield };
