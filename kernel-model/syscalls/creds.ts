// Credentials (kernel/sys.c, kernel/groups.c) for an unprivileged user: a
// process may switch among its real, effective and saved ids and nothing
// else (EPERM), as a process without CAP_SETUID / CAP_SETGID. And the
// socket calls shells and glibc's NSS make in passing: this machine has no
// sockets, so socket(2) answers EAFNOSUPPORT for every family and the
// socket-only calls on other descriptors ENOTSOCK, the errors a kernel
// without the address family gives.

import { EBADF, EINVAL, EPERM } from '../errno.js';
import type { Credentials } from '../thread-group.js';
import { int, ptr } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';

const EAFNOSUPPORT = 97;
const ENOTSOCK = 88;

type Ids = 'uid' | 'gid';

/** The saved id: this model starts every process with saved = effective and never changes it except here. */
function saved(c: Credentials, which: Ids): number {
  return which === 'uid' ? c.suid ?? c.euid : c.sgid ?? c.egid;
}

function allowed(c: Credentials, which: Ids, id: number): boolean {
  const real = which === 'uid' ? c.uid : c.gid;
  const eff = which === 'uid' ? c.euid : c.egid;
  return id === real || id === eff || id === saved(c, which);
}

/** setuid / setgid without privileges: only the effective id changes, to the real or saved one. */
function setOne(call: SyscallCall, which: Ids): number {
  const id = int(call.args[0]);
  const c = call.group.creds;
  if (id < 0) return -EINVAL;
  if (!allowed(c, which, id)) return -EPERM;
  if (which === 'uid') c.euid = id;
  else c.egid = id;
  return 0;
}

/** setresuid / setresgid (and setreuid / setregid through them): -1 keeps a value. */
function setRes(call: SyscallCall, which: Ids, r: number, e: number, s: number): number {
  const c = call.group.creds;
  for (const id of [r, e, s]) if (id !== -1 && !allowed(c, which, id)) return -EPERM;
  if (which === 'uid') {
    if (r !== -1) c.uid = r;
    if (e !== -1) c.euid = e;
    if (s !== -1) c.suid = s;
  } else {
    if (r !== -1) c.gid = r;
    if (e !== -1) c.egid = e;
    if (s !== -1) c.sgid = s;
  }
  return 0;
}

function getRes(call: SyscallCall, which: Ids): number {
  const c = call.group.creds;
  const [r, e, s] = which === 'uid' ? [c.uid, c.euid, saved(c, 'uid')] : [c.gid, c.egid, saved(c, 'gid')];
  call.mem.writeU32(ptr(call.args[0]), r);
  call.mem.writeU32(ptr(call.args[1]), e);
  call.mem.writeU32(ptr(call.args[2]), s);
  return 0;
}

/** getgroups: no supplementary groups. */
function sysGetgroups(call: SyscallCall): number {
  return int(call.args[0]) < 0 ? -EINVAL : 0;
}

/** setgroups needs CAP_SETGID. */
function sysSetgroups(): number {
  return -EPERM;
}

function notSocket(call: SyscallCall): number {
  return call.group.fds.get(int(call.args[0])) ? -ENOTSOCK : -EBADF;
}

export const credsSyscalls: SyscallFamily = {
  setuid: (c) => setOne(c, 'uid'),
  setgid: (c) => setOne(c, 'gid'),
  setreuid: (c) => setRes(c, 'uid', int(c.args[0]), int(c.args[1]), -1),
  setregid: (c) => setRes(c, 'gid', int(c.args[0]), int(c.args[1]), -1),
  setresuid: (c) => setRes(c, 'uid', int(c.args[0]), int(c.args[1]), int(c.args[2])),
  setresgid: (c) => setRes(c, 'gid', int(c.args[0]), int(c.args[1]), int(c.args[2])),
  getresuid: (c) => getRes(c, 'uid'),
  getresgid: (c) => getRes(c, 'gid'),
  setfsuid: (c) => c.group.creds.euid, // returns the previous fsuid; an unprivileged change to another id is ignored
  setfsgid: (c) => c.group.creds.egid,
  getgroups: sysGetgroups,
  setgroups: sysSetgroups,
  socket: () => -EAFNOSUPPORT,
  socketpair: () => -EAFNOSUPPORT,
  getpeername: notSocket,
  getsockname: notSocket,
  connect: notSocket,
  getsockopt: notSocket,
  setsockopt: notSocket,
};
