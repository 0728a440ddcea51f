// Memory system calls (mm/mmap.c, mm/mprotect.c, mm/mremap.c, mm/madvise.c,
// arch/x86/kernel/sys_x86_64.c): argument conversion only; the address
// space does the work.

import { MAP_ANONYMOUS } from '../address-space.js';
import { PROT_READ } from '../../emulator/api.js';
import { checkUnmapped } from '../rseq-checker.js';
import { EBADF, EINVAL } from '../errno.js';
import { int, length, ptr, uint } from './args.js';
import { MemfdFile } from '../memfd.js';
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

const MFD_CLOEXEC = 1;
const MFD_ALLOW_SEALING = 2;
const MFD_HUGETLB = 4;
const MFD_NOEXEC_SEAL = 8;
const MFD_EXEC = 0x10;
/** "memfd:" + name must fit NAME_MAX (mm/memfd.c MFD_NAME_MAX_LEN). */
const MFD_NAME_MAX_LEN = 255 - 6;

/** memfd_create: an anonymous file over a shared object (memfd.ts). */
function sysMemfdCreate(call: SyscallCall): number {
  const flags = uint(call.args[1]);
  if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC)) return -EINVAL;
  if (flags & MFD_HUGETLB) return -EINVAL; // no huge pages in this model
  if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL)) return -EINVAL;
  const name = call.mem.readCString(ptr(call.args[0]), MFD_NAME_MAX_LEN + 1);
  const k = call.kernel;
  const creds = call.group.creds;
  const file = new MemfdFile(k.cpu, name, k.allocateInode(), creds.uid, creds.gid, () => k.readClock(0, call.task) as bigint);
  const fd = call.group.fds.allocate(file, (flags & MFD_CLOEXEC) !== 0);
  if (fd < 0) file.release();
  return fd;
}

export const mmSyscalls: SyscallFamily = {
  memfd_create: sysMemfdCreate,
  brk: (c) => c.group.mm.setBrk(ptr(c.args[0])),
  mmap: sysMmap,
  munmap: (c) => {
    checkUnmapped(c.kernel, c.task, ptr(c.args[0]), length(c.args[1]), 'munmap');
    return c.group.mm.munmap(ptr(c.args[0]), length(c.args[1]));
  },
  mprotect: (c) => {
    if ((int(c.args[2]) & PROT_READ) === 0) checkUnmapped(c.kernel, c.task, ptr(c.args[0]), length(c.args[1]), 'mprotect to no access');
    return c.group.mm.mprotect(ptr(c.args[0]), length(c.args[1]), int(c.args[2]));
  },
  mremap: (c) => {
    checkUnmapped(c.kernel, c.task, ptr(c.args[0]), length(c.args[1]), 'mremap');
    return c.group.mm.mremap(ptr(c.args[0]), length(c.args[1]), length(c.args[2]), int(c.args[3]), ptr(c.args[4]));
  },
  madvise: (c) => c.group.mm.madvise(ptr(c.args[0]), length(c.args[1]), int(c.args[2])),
};
