// File system calls (fs/read_write.c, fs/open.c, fs/stat.c, fs/ioctl.c,
// fs/fcntl.c, fs/namei.c readlinkat, fs/d_path.c getcwd) over the
// descriptor table and the read-only virtual file system.

import { DEFAULT_EPOCH_NS, NSEC_PER_SEC } from '../clock.js';
import { EBADF, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, ENOTTY, ERANGE, EROFS, ESPIPE } from '../errno.js';
import {
  DirectoryFile,
  NullDevice,
  O_ACCMODE,
  O_RDONLY,
  O_WRONLY,
  RegularFile,
  isErrno,
  type FileStat,
  type OpenFile,
} from '../files.js';
import { UserFault, type UserMemory } from '../user-memory.js';
import type { VfsNode } from '../vfs.js';
import { count, int, long, ptr, uint } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';

export const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EACCESS = 0x200;
const AT_NO_AUTOMOUNT = 0x800;
const AT_EMPTY_PATH = 0x1000;

const O_CREAT = 0x40;
const O_EXCL = 0x80;
const O_TRUNC = 0x200;
const O_DIRECTORY = 0x10000;
const O_NOFOLLOW = 0x20000;
const O_CLOEXEC = 0x80000;
const O_PATH = 0x200000;

const F_DUPFD = 0;
const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const F_DUPFD_CLOEXEC = 1030;
const FD_CLOEXEC = 1;
const FIONCLEX = 0x5450;
const FIOCLEX = 0x5451;

const UIO_MAXIOV = 1024;
const STAT_SIZE = 144;

function file(call: SyscallCall, fd: number): OpenFile | undefined {
  return fd < 0 ? undefined : call.group.fds.get(fd);
}

// --- read and write ---------------------------------------------------------

function sysRead(call: SyscallCall): number {
  const [fd, buf, n] = call.args;
  const f = file(call, uint(fd));
  if (!f) return -EBADF;
  if ((f.statusFlags & O_ACCMODE) === O_WRONLY) return -EBADF;
  const data = f.read(count(n));
  if (isErrno(data)) return -data.errno;
  call.mem.write(ptr(buf), data);
  return data.length;
}

function sysWrite(call: SyscallCall): number {
  const [fd, buf, n] = call.args;
  const f = file(call, uint(fd));
  if (!f) return -EBADF;
  if ((f.statusFlags & O_ACCMODE) === O_RDONLY) return -EBADF;
  const data = call.mem.read(ptr(buf), count(n));
  const r = f.write(data);
  return isErrno(r) ? -r.errno : r;
}

function sysPread64(call: SyscallCall): number {
  const [fd, buf, n, pos] = call.args;
  const f = file(call, uint(fd));
  if (!f) return -EBADF;
  if ((f.statusFlags & O_ACCMODE) === O_WRONLY) return -EBADF;
  if (long(pos) < 0n) return -EINVAL;
  const data = f.pread(count(n), Number(long(pos)));
  if (isErrno(data)) return -data.errno;
  call.mem.write(ptr(buf), data);
  return data.length;
}

function sysPwrite64(call: SyscallCall): number {
  const [fd, , , pos] = call.args;
  const f = file(call, uint(fd));
  if (!f) return -EBADF;
  if ((f.statusFlags & O_ACCMODE) === O_RDONLY) return -EBADF;
  if (long(pos) < 0n) return -EINVAL;
  return f.kind === 'pipe' ? -ESPIPE : -EROFS;
}

interface IoVec {
  base: number;
  len: number;
}

function readIovecs(mem: UserMemory, addr: number, n: number): IoVec[] | number {
  if (n < 0 || n > UIO_MAXIOV) return -EINVAL;
  const out: IoVec[] = [];
  for (let i = 0; i < n; i++) {
    const base = mem.readU64(addr + i * 16);
    const len = long(mem.readU64(addr + i * 16 + 8));
    if (len < 0n) return -EINVAL;
    out.push({ base: ptr(base), len: count(len) });
  }
  return out;
}

/** do_writev: a fault after some bytes went out returns the partial count. */
function sysWritev(call: SyscallCall): number {
  const [fd, iov, n] = call.args;
  const f = file(call, uint(fd));
  if (!f) return -EBADF;
  if ((f.statusFlags & O_ACCMODE) === O_RDONLY) return -EBADF;
  const vecs = readIovecs(call.mem, ptr(iov), int(n));
  if (typeof vecs === 'number') return vecs;
  let done = 0;
  for (const v of vecs) {
    let data: Uint8Array;
    try {
      data = call.mem.read(v.base, v.len);
    } catch (e) {
      if (e instanceof UserFault && done > 0) return done;
      throw e;
    }
    const r = f.write(data);
    if (isErrno(r)) return done > 0 ? done : -r.errno;
    done += r;
  }
  return done;
}

function sysReadv(call: SyscallCall): number {
  const [fd, iov, n] = call.args;
  const f = file(call, uint(fd));
  if (!f) return -EBADF;
  if ((f.statusFlags & O_ACCMODE) === O_WRONLY) return -EBADF;
  const vecs = readIovecs(call.mem, ptr(iov), int(n));
  if (typeof vecs === 'number') return vecs;
  let done = 0;
  for (const v of vecs) {
    if (v.len === 0) continue;
    const data = f.read(v.len);
    if (isErrno(data)) return done > 0 ? done : -data.errno;
    try {
      call.mem.write(v.base, data);
    } catch (e) {
      if (e instanceof UserFault && done > 0) return done;
      throw e;
    }
    done += data.length;
    if (data.length < v.len) break;
  }
  return done;
}

// --- open, close, descriptors ------------------------------------------------

/** The directory relative paths start from for an *at() call, or a negative errno. */
function baseDirectory(call: SyscallCall, dirfd: number, path: string): string | number {
  if (path.startsWith('/') || dirfd === AT_FDCWD) return call.group.vfs.cwd;
  const f = file(call, dirfd);
  if (!f) return -EBADF;
  if (!(f instanceof DirectoryFile)) return -ENOTDIR;
  return f.path;
}

function lookupAt(call: SyscallCall, dirfd: number, path: string, nofollow: boolean): VfsNode | number {
  const base = baseDirectory(call, dirfd, path);
  if (typeof base === 'number') return base;
  const node = call.group.vfs.lookup(path, { base, nofollow });
  return 'errno' in node ? -node.errno : node;
}

function openAt(call: SyscallCall, dirfd: number, pathAddr: bigint, flags: number): number {
  const path = call.mem.readCString(ptr(pathAddr));
  const node = lookupAt(call, dirfd, path, (flags & O_NOFOLLOW) !== 0);
  const accmode = flags & O_ACCMODE;
  if (typeof node === 'number') return node === -ENOENT && flags & O_CREAT ? -EROFS : node;
  if ((flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) return -EEXIST;
  if (node.type === 'symlink') return -ELOOP;
  if ((flags & O_DIRECTORY) && node.type !== 'directory') return -ENOTDIR;
  const cloexec = (flags & O_CLOEXEC) !== 0;
  let f: OpenFile;
  switch (node.type) {
    case 'directory':
      if (accmode !== O_RDONLY && !(flags & O_PATH)) return -EISDIR;
      f = new DirectoryFile(node.path, node.stat);
      break;
    case 'null':
      f = new NullDevice(accmode, node.stat);
      break;
    case 'file':
      if ((accmode !== O_RDONLY || flags & O_TRUNC) && !(flags & O_PATH)) return -EROFS;
      f = new RegularFile(node.data, node.stat);
      break;
  }
  return call.group.fds.allocate(f, cloexec);
}

function sysOpen(call: SyscallCall): number {
  return openAt(call, AT_FDCWD, call.args[0], int(call.args[1]));
}

function sysOpenat(call: SyscallCall): number {
  return openAt(call, int(call.args[0]), call.args[1], int(call.args[2]));
}

function sysClose(call: SyscallCall): number {
  return call.group.fds.close(uint(call.args[0]));
}

function sysDup(call: SyscallCall): number {
  const f = file(call, uint(call.args[0]));
  if (!f) return -EBADF;
  return call.group.fds.allocate(f, false);
}

function dupTo(call: SyscallCall, oldfd: number, newfd: number, cloexec: boolean): number {
  const f = file(call, oldfd);
  if (!f) return -EBADF;
  if (newfd < 0 || newfd >= call.group.rlimits.fileLimit()) return -EBADF;
  call.group.fds.install(newfd, f, cloexec);
  return newfd;
}

function sysDup2(call: SyscallCall): number {
  const oldfd = uint(call.args[0]);
  const newfd = uint(call.args[1]);
  if (oldfd === newfd) return file(call, oldfd) ? newfd : -EBADF;
  return dupTo(call, oldfd, newfd, false);
}

function sysDup3(call: SyscallCall): number {
  const oldfd = uint(call.args[0]);
  const newfd = uint(call.args[1]);
  const flags = int(call.args[2]);
  if (flags & ~O_CLOEXEC) return -EINVAL;
  if (oldfd === newfd) return -EINVAL;
  return dupTo(call, oldfd, newfd, (flags & O_CLOEXEC) !== 0);
}

function sysFcntl(call: SyscallCall): number {
  const fd = uint(call.args[0]);
  const cmd = uint(call.args[1]);
  const arg = call.args[2];
  const entry = call.group.fds.entry(fd);
  if (!entry) return -EBADF;
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      const min = int(arg);
      if (min < 0 || min >= call.group.rlimits.fileLimit()) return -EINVAL;
      return call.group.fds.allocate(entry.file, cmd === F_DUPFD_CLOEXEC, min);
    }
    case F_GETFD:
      return entry.closeOnExec ? FD_CLOEXEC : 0;
    case F_SETFD:
      entry.closeOnExec = (int(arg) & FD_CLOEXEC) !== 0;
      return 0;
    case F_GETFL:
      return entry.file.statusFlags;
    case F_SETFL:
      return 0; // O_APPEND / O_NONBLOCK change nothing for captured pipes and read-only files
    default:
      return -EINVAL;
  }
}

function sysIoctl(call: SyscallCall): number {
  const entry = call.group.fds.entry(uint(call.args[0]));
  if (!entry) return -EBADF;
  const request = uint(call.args[1]);
  if (request === FIOCLEX || request === FIONCLEX) {
    entry.closeOnExec = request === FIOCLEX;
    return 0;
  }
  // TCGETS and every terminal request: the standard streams are pipes, not terminals.
  return entry.file.ioctl(request) || -ENOTTY;
}

function sysLseek(call: SyscallCall): number {
  const f = file(call, uint(call.args[0]));
  if (!f) return -EBADF;
  const r = f.seek(Number(long(call.args[1])), uint(call.args[2]));
  return isErrno(r) ? -r.errno : r;
}

// --- stat ---------------------------------------------------------------------

/** struct stat for x86-64 (arch/x86/include/uapi/asm/stat.h), 144 bytes. */
function writeStat(mem: UserMemory, addr: number, st: FileStat): void {
  const b = new Uint8Array(STAT_SIZE);
  const v = new DataView(b.buffer);
  const secs = DEFAULT_EPOCH_NS / NSEC_PER_SEC;
  v.setBigUint64(0, BigInt(st.dev), true);
  v.setBigUint64(8, BigInt(st.ino), true);
  v.setBigUint64(16, BigInt(st.nlink), true);
  v.setUint32(24, st.mode, true);
  v.setUint32(28, st.uid, true);
  v.setUint32(32, st.gid, true);
  v.setBigUint64(40, BigInt(st.rdev), true);
  v.setBigInt64(48, BigInt(st.size), true);
  v.setBigInt64(56, BigInt(st.blksize), true);
  v.setBigInt64(64, BigInt(st.blocks), true);
  for (const at of [72, 88, 104]) v.setBigInt64(at, secs, true);
  mem.write(addr, b);
}

function sysFstat(call: SyscallCall): number {
  const f = file(call, uint(call.args[0]));
  if (!f) return -EBADF;
  writeStat(call.mem, ptr(call.args[1]), f.stat());
  return 0;
}

function statPath(call: SyscallCall, dirfd: number, pathAddr: bigint, statAddr: bigint, flags: number): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)) return -EINVAL;
  const path = call.mem.readCString(ptr(pathAddr));
  if (path === '' && flags & AT_EMPTY_PATH) {
    if (dirfd === AT_FDCWD) {
      const cwd = call.group.vfs.lookup(call.group.vfs.cwd);
      if ('errno' in cwd) return -cwd.errno;
      writeStat(call.mem, ptr(statAddr), cwd.stat);
      return 0;
    }
    const f = file(call, dirfd);
    if (!f) return -EBADF;
    writeStat(call.mem, ptr(statAddr), f.stat());
    return 0;
  }
  const node = lookupAt(call, dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) !== 0);
  if (typeof node === 'number') return node;
  writeStat(call.mem, ptr(statAddr), node.stat);
  return 0;
}

function sysNewfstatat(call: SyscallCall): number {
  return statPath(call, int(call.args[0]), call.args[1], call.args[2], int(call.args[3]));
}

function sysStat(call: SyscallCall): number {
  return statPath(call, AT_FDCWD, call.args[0], call.args[1], 0);
}

function sysLstat(call: SyscallCall): number {
  return statPath(call, AT_FDCWD, call.args[0], call.args[1], AT_SYMLINK_NOFOLLOW);
}

// --- names ----------------------------------------------------------------------

function readlinkAt(call: SyscallCall, dirfd: number, pathAddr: bigint, buf: bigint, size: bigint): number {
  const bufsiz = int(size);
  if (bufsiz <= 0) return -EINVAL;
  const path = call.mem.readCString(ptr(pathAddr));
  const node = lookupAt(call, dirfd, path, true);
  if (typeof node === 'number') return node;
  if (node.type !== 'symlink') return -EINVAL;
  const target = new TextEncoder().encode(node.target).subarray(0, bufsiz);
  call.mem.write(ptr(buf), target);
  return target.length;
}

function sysReadlink(call: SyscallCall): number {
  return readlinkAt(call, AT_FDCWD, call.args[0], call.args[1], call.args[2]);
}

function sysReadlinkat(call: SyscallCall): number {
  return readlinkAt(call, int(call.args[0]), call.args[1], call.args[2], call.args[3]);
}

function accessAt(call: SyscallCall, dirfd: number, pathAddr: bigint, mode: number, flags: number): number {
  if (mode & ~7) return -EINVAL;
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH)) return -EINVAL;
  const path = call.mem.readCString(ptr(pathAddr));
  const node = lookupAt(call, dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) !== 0);
  if (typeof node === 'number') return node;
  if (mode & 2 && (node.type === 'file' || node.type === 'directory')) return -EROFS;
  return 0;
}

function sysGetcwd(call: SyscallCall): number {
  const cwd = new TextEncoder().encode(call.group.vfs.cwd + '\0');
  if (Number(call.args[1]) < cwd.length) return -ERANGE;
  call.mem.write(ptr(call.args[0]), cwd);
  return cwd.length;
}

export const fsSyscalls: SyscallFamily = {
  read: sysRead,
  write: sysWrite,
  pread64: sysPread64,
  pwrite64: sysPwrite64,
  readv: sysReadv,
  writev: sysWritev,
  open: sysOpen,
  openat: sysOpenat,
  close: sysClose,
  dup: sysDup,
  dup2: sysDup2,
  dup3: sysDup3,
  fcntl: sysFcntl,
  ioctl: sysIoctl,
  lseek: sysLseek,
  fstat: sysFstat,
  stat: sysStat,
  lstat: sysLstat,
  newfstatat: sysNewfstatat,
  readlink: sysReadlink,
  readlinkat: sysReadlinkat,
  access: (c) => accessAt(c, AT_FDCWD, c.args[0], int(c.args[1]), 0),
  faccessat: (c) => accessAt(c, int(c.args[0]), c.args[1], int(c.args[2]), 0),
  faccessat2: (c) => accessAt(c, int(c.args[0]), c.args[1], int(c.args[2]), int(c.args[3])),
  getcwd: sysGetcwd,
};

