// rseq(2): argument conversion for kernel-model/rseq.ts, where the rules
// live; a registration or unregistration that succeeds is an event.

import { hex } from '../layout.js';
import { RSEQ_FLAG_UNREGISTER, sysRseq } from '../rseq.js';
import { int, ptr, uint } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';

function rseq(c: SyscallCall): number {
  const [addr, len, flags, sig] = [ptr(c.args[0]), uint(c.args[1]), int(c.args[2]), uint(c.args[3])];
  const r = sysRseq(c.task.rseq, c.mem, c.kernel.profile, addr, len, flags, sig);
  if (r === 0) {
    const what = flags & RSEQ_FLAG_UNREGISTER ? 'unregister' : 'register';
    c.kernel.emit({ kind: 'rseq', t: c.kernel.timeOf(c.task), tid: c.task.tid, what, detail: `area ${hex(addr)}, length ${len}, signature ${hex(sig)}` });
  }
  return r;
}

export const rseqSyscalls: SyscallFamily = { rseq };
