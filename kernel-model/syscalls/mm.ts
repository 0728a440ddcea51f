// Memory system calls (mm/mmap.c, mm/mprotect.c, mm/mremap.c, mm/madvise.c,
// arch/x86/kernel/sys_x86_64.c): argument conversion only; the address
// space does the work.

import { MAP_ANONYMOUS } from '../address-space.js';
import { EBADF } from '../errno.js';
import { int, length, ptr } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';

function sysMmap(call: SyscallCall): number {
  const [addr, len, prot, flags, fd, off] = call.args;
  const f = int(flags);
  let file;
  if (!(f & MAP_ANONYMOUS)) {
    file = call.group.fds.get(int(fd));
    if (!file) return -EBADF;
  }
  const offset = off > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(off);
  return call.group.mm.mmap(ptr(addr), length(len), int(prot), f, file, offset);
}

export const mmSyscalls: SyscallFamily = {
  brk: (c) => c.group.mm.setBrk(ptr(c.args[0])),
  mmap: sysMmap,
  munmap: (c) => c.group.mm.munmap(ptr(c.args[0]), length(c.args[1])),
  mprotect: (c) => c.group.mm.mprotect(ptr(c.args[0]), length(c.args[1]), int(c.args[2])),
  mremap: (c) => c.group.mm.mremap(ptr(c.args[0]), length(c.args[1]), length(c.args[2]), int(c.args[3]), ptr(c.args[4])),
  madvise: (c) => c.group.mm.madvise(ptr(c.args[0]), length(c.args[1]), int(c.args[2])),
};
