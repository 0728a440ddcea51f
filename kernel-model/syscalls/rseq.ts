// rseq(2): argument conversion for kernel-model/rseq.ts, where the rules live.

import { sysRseq } from '../rseq.js';
import { int, ptr, uint } from './args.js';
import type { SyscallFamily } from './types.js';

export const rseqSyscalls: SyscallFamily = {
  rseq: (c) => sysRseq(c.task.rseq, c.mem, c.kernel.profile, ptr(c.args[0]), uint(c.args[1]), int(c.args[2]), uint(c.args[3])),
};
