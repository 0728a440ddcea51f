// File system calls (fs/read_write.c, fs/open.c, fs/stat.c, fs/namei.c,
// fs/ioctl.c, fs/fcntl.c, fs/readdir.c, fs/d_path.c, fs/utimes.c,
// fs/statfs.c, fs/sync.c): argument conversion over the descriptor table
// and the virtual file system (vfs.ts), where the rules live.

import { DEFAULT_EPOCH_NS, NSEC_PER_SEC } from '../clock.js';
import { EBADF, EFAULT, EINVAL, ENODEV, ENOENT, ENOTDIR, ENOTTY, EOPNOTSUPP, ERANGE, ESPIPE } from '../errno.js';
import {
  O_ACCMODE,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECTORY,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
  SEEK_CUR,
  isErrno,
  type FileStat,
  type OpenFile,
} from '../files.js';
import type { FdView } from '../procfs.js';
import { UserFault, type UserMemory } from '../user-memory.js';
import { failed, type At, type Caller, type DirectoryNode, type Vfs, type VfsNode } from '../vfs.js';
import { count, int, long, ptr, uint } from './args.js';
import type { SyscallCall, SyscallFamily } from './types.js';

export const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const AT_EACCESS = 0x200;
const AT_SYMLINK_FOLLOW = 0x400;
const AT_NO_AUTOMOUNT = 0x800;
const AT_EMPTY_PATH = 0x1000;
const AT_STATX_SYNC_TYPE = 0x6000;
const __O_TMPFILE = 0o20000000;

const F_DUPFD = 0;
const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const F_GETLK = 5;
const F_SETLK = 6;
const F_SETLKW = 7;
const F_OFD_GETLK = 36;
const F_OFD_SETLK = 37;
const F_OFD_SETLKW = 38;
const F_DUPFD_CLOEXEC = 1030;
const F_UNLCK = 2;
const FD_CLOEXEC = 1;
const FIONCLEX = 0x5450;
const FIOCLEX = 0x5451;
const FIONREAD = 0x541b;

const UTIME_NOW = (1n << 30n) - 1n;
const UTIME_OMIT = (1n << 30n) - 2n;

const UIO_MAXIOV = 1024;
const STAT_SIZE = 144;
const STATX_SIZE = 256;
const STATFS_SIZE = 120;
const enc = new TextEncoder();

function file(call: SyscallCall, fd: number): OpenFile | undefined {
  return fd < 0 ? undefined : call.group.fds.get(fd);
}

function vfsOf(call: SyscallCall): Vfs {
  const vfs = call.group.vfs;
  // Without a generator from the machine, /dev/urandom reads its own stream of the machine's seed.
  vfs.random ??= call.kernel.random.fork('dev-random');
  return vfs;
}

/** The calling thread as the file system sees it: its ids, umask and descriptors. */
function callerOf(call: SyscallCall): Caller {
  const g = call.group;
  const c = g.creds;
  return { pid: g.tgid, tid: call.task.tid, uid: c.euid, gid: c.egid, ruid: c.uid, rgid: c.gid, umask: g.umask, fds: () => listFds(call) };
}

function listFds(call: SyscallCall): FdView[] {
  const out: FdView[] = [];
  const limit = call.group.rlimits.fileLimit();
  for (let fd = 0; fd < limit; fd++) {
    const e = call.group.fds.entry(fd);
    if (e) out.push({ fd, file: e.file, closeOnExec: e.closeOnExec });
  }
  return out;
}

function isNode(x: unknown): x is VfsNode {
  return typeof x === 'object' && x !== null && 'type' in x && 'sb' in x && typeof (x as { stat?: unknown }).stat === 'function';
}

function isDirectory(x: unknown): x is DirectoryNode {
  return isNode(x) && x.type === 'directory';
}

function readPath(call: SyscallCall, addr: bigint): string {
  return call.mem.readCString(ptr(addr));
}

/** Where a path given with `dirfd` starts (the cwd, the root, or the directory dirfd names), or -EBADF / -ENOTDIR. */
function atOf(call: SyscallCall, dirfd: number, path: string): At | number {
  const caller = callerOf(call);
  const vfs = vfsOf(call);
  if (path.startsWith('/')) return { base: vfs.root, caller };
  if (dirfd === AT_FDCWD) return { base: vfs.fsContext(caller.pid).cwd, caller };
  const f = file(call, dirfd);
  if (!f) return -EBADF;
  if (!isDirectory(f.node)) return -ENOTDIR;
  return { base: f.node, caller };
}

/** The node for (dirfd, path): AT_EMPTY_PATH with "" names dirfd itself (its node, or undefined for a pipe). */
function nodeAt(call: SyscallCall, dirfd: number, path: string, follow: boolean, emptyPath: boolean): VfsNode | { file: OpenFile } | number {
  if (path === '' && emptyPath) {
    if (dirfd === AT_FDCWD) return vfsOf(call).fsContext(call.group.tgid).cwd;
    const f = file(call, dirfd);
    if (!f) return -EBADF;
    return isNode(f.node) ? f.node : { file: f };
  }
  const a = atOf(call, dirfd, path);
  if (typeof a === 'number') return a;
  const node = vfsOf(call).walkNode(a, path, follow);
  return failed(node) ? -node.errno : node;
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
  const [fd, buf, n, pos] = call.args;
  const f = file(call, uint(fd));
  if (!f) return -EBADF;
  if ((f.statusFlags & O_ACCMODE) === O_RDONLY) return -EBADF;
  if (long(pos) < 0n) return -EINVAL;
  if (!f.pwrite) return -ESPIPE;
  const r = f.pwrite(call.mem.read(ptr(buf), count(n)), Number(long(pos)));
  return isErrno(r) ? -r.errno : r;
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

/** do_writev / do_pwritev: a fault or error after some bytes went out returns the partial count. */
function writeVectors(call: SyscallCall, vecs: IoVec[], put: (data: Uint8Array, done: number) => ReturnType<OpenFile['write']>): number {
  let done = 0;
  for (const v of vecs) {
    let data: Uint8Array;
    try {
      data = call.mem.read(v.base, v.len);
    } catch (e) {
      if (e instanceof UserFault && done > 0) return done;
      throw e;
    }
    const r = put(data, done);
    if (isErrno(r)) return done > 0 ? done : -r.errno;
    done += r;
    if (r < data.length) break;
  }
  return done;
}

function readVectors(call: SyscallCall, vecs: IoVec[], get: (n: number, done: number) => ReturnType<OpenFile['read']>): number {
  let done = 0;
  for (const v of vecs) {
    if (v.len === 0) continue;
    const data = get(v.len, done);
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

function sysWritev(call: SyscallCall): number {
  const [fd, iov, n] = call.args;
  const f = file(call, uint(fd));
  if (!f) return -EBADF;
  if ((f.statusFlags & O_ACCMODE) === O_RDONLY) return -EBADF;
  const vecs = readIovecs(call.mem, ptr(iov), int(n));
  if (typeof vecs === 'number') return vecs;
  return writeVectors(call, vecs, (d) => f.write(d));
}

function sysReadv(call: SyscallCall): number {
  const [fd, iov, n] = call.args;
  const f = file(call, uint(fd));
  if (!f) return -EBADF;
  if ((f.statusFlags & O_ACCMODE) === O_WRONLY) return -EBADF;
  const vecs = readIovecs(call.mem, ptr(iov), int(n));
  if (typeof vecs === 'number') return vecs;
  return readVectors(call, vecs, (len) => f.read(len));
}

function sysPreadv(call: SyscallCall): number {
  const [fd, iov, n, pos] = call.args;
  const f = file(call, uint(fd));
  if (!f) return -EBADF;
  if ((f.statusFlags & O_ACCMODE) === O_WRONLY) return -EBADF;
  if (long(pos) < 0n) return -EINVAL;
  const vecs = readIovecs(call.mem, ptr(iov), int(n));
  if (typeof vecs === 'number') return vecs;
  const at = Number(long(pos));
  return readVectors(call, vecs, (len, done) => f.pread(len, at + done));
}

function sysPwritev(call: SyscallCall): number {
  const [fd, iov, n, pos] = call.args;
  const f = file(call, uint(fd));
  if (!f) return -EBADF;
  if ((f.statusFlags & O_ACCMODE) === O_RDONLY) return -EBADF;
  if (long(pos) < 0n) return -EINVAL;
  const vecs = readIovecs(call.mem, ptr(iov), int(n));
  if (typeof vecs === 'number') return vecs;
  const pwrite = f.pwrite?.bind(f);
  if (!pwrite) return -ESPIPE;
  const at = Number(long(pos));
  return writeVectors(call, vecs, (d, done) => pwrite(d, at + done));
}

// --- open, close, descriptors ------------------------------------------------

function openAt(call: SyscallCall, dirfd: number, pathAddr: bigint, flags: number, mode: number): number {
  const path = readPath(call, pathAddr);
  if (flags & __O_TMPFILE && !(flags & O_DIRECTORY)) return -EINVAL;
  const a = atOf(call, dirfd, path);
  if (typeof a === 'number') return a;
  const f = vfsOf(call).open(a, path, flags, mode);
  if (failed(f)) return -f.errno;
  return call.group.fds.allocate(f, (flags & O_CLOEXEC) !== 0);
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
      entry.file.setStatusFlags?.(int(arg));
      return 0;
    case F_GETLK:
    case F_OFD_GETLK:
      // One machine, no other lock holders: every lock would be granted (struct flock l_type = F_UNLCK).
      call.mem.write(ptr(arg), Uint8Array.of(F_UNLCK, 0));
      return 0;
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
      return 0;
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
  const f = entry.file;
  if (request === FIONREAD && (f.kind === 'file' || f.kind === 'tmpfs')) {
    const pos = f.seek(0, SEEK_CUR);
    const left = Math.max(0, f.stat().size - (isErrno(pos) ? 0 : pos));
    call.mem.writeU32(ptr(call.args[2]), Math.min(left, 0x7fffffff));
    return 0;
  }
  // TCGETS and every terminal request: the standard streams are pipes, not terminals.
  return f.ioctl(request) || -ENOTTY;
}

function sysLseek(call: SyscallCall): number {
  const f = file(call, uint(call.args[0]));
  if (!f) return -EBADF;
  const r = f.seek(Number(long(call.args[1])), uint(call.args[2]));
  return isErrno(r) ? -r.errno : r;
}

// --- stat ---------------------------------------------------------------------

function timeOf(ns: bigint | undefined): [bigint, bigint] {
  const t = ns ?? DEFAULT_EPOCH_NS;
  const sec = t >= 0n ? t / NSEC_PER_SEC : -((-t + NSEC_PER_SEC - 1n) / NSEC_PER_SEC);
  return [sec, t - sec * NSEC_PER_SEC];
}

/** struct stat for x86-64 (arch/x86/include/uapi/asm/stat.h), 144 bytes. */
function writeStat(mem: UserMemory, addr: number, st: FileStat): void {
  const b = new Uint8Array(STAT_SIZE);
  const v = new DataView(b.buffer);
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
  const times = [st.atimeNs, st.mtimeNs, st.ctimeNs];
  times.forEach((ns, i) => {
    const [sec, nsec] = timeOf(ns);
    v.setBigInt64(72 + i * 16, sec, true);
    v.setBigInt64(80 + i * 16, nsec, true);
  });
  mem.write(addr, b);
}

function statOf(x: VfsNode | { file: OpenFile }): FileStat {
  return 'file' in x ? x.file.stat() : x.stat();
}

function sysFstat(call: SyscallCall): number {
  const f = file(call, uint(call.args[0]));
  if (!f) return -EBADF;
  writeStat(call.mem, ptr(call.args[1]), f.stat());
  return 0;
}

function statPath(call: SyscallCall, dirfd: number, pathAddr: bigint, statAddr: bigint, flags: number): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)) return -EINVAL;
  const path = readPath(call, pathAddr);
  const node = nodeAt(call, dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) === 0, (flags & AT_EMPTY_PATH) !== 0);
  if (typeof node === 'number') return node;
  writeStat(call.mem, ptr(statAddr), statOf(node));
  return 0;
}

const STATX_BASIC_STATS = 0x7ff;
const STATX_BTIME = 0x800;
const STATX_MNT_ID = 0x1000;
const STATX__RESERVED = 0x80000000;
const STATX_ATTR_MOUNT_ROOT = 0x2000;
const STATX_ATTR_AUTOMOUNT = 0x1000;
const STATX_ATTR_DAX = 0x200000;

/** statx(2): struct statx, 256 bytes (include/uapi/linux/stat.h). */
function sysStatx(call: SyscallCall): number {
  const [dfd, pathAddr, flagsArg, maskArg, buf] = call.args;
  const flags = int(flagsArg);
  const mask = uint(maskArg);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) return -EINVAL;
  if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE) return -EINVAL;
  if (mask & STATX__RESERVED) return -EINVAL;
  const path = pathAddr === 0n && flags & AT_EMPTY_PATH ? '' : readPath(call, pathAddr);
  const x = nodeAt(call, int(dfd), path, (flags & AT_SYMLINK_NOFOLLOW) === 0, (flags & AT_EMPTY_PATH) !== 0);
  if (typeof x === 'number') return x;
  const st = statOf(x);
  const node = 'file' in x ? undefined : x;
  const mountRoot = node?.type === 'directory' && (node.parent === node || node.parent.sb !== node.sb);
  const b = new Uint8Array(STATX_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, STATX_BASIC_STATS | STATX_MNT_ID | (st.btimeNs !== undefined ? STATX_BTIME : 0), true);
  v.setUint32(4, st.blksize, true);
  v.setBigUint64(8, BigInt(mountRoot ? STATX_ATTR_MOUNT_ROOT : 0), true);
  v.setUint32(16, st.nlink, true);
  v.setUint32(20, st.uid, true);
  v.setUint32(24, st.gid, true);
  v.setUint16(28, st.mode, true);
  v.setBigUint64(32, BigInt(st.ino), true);
  v.setBigUint64(40, BigInt(st.size), true);
  v.setBigUint64(48, BigInt(st.blocks), true);
  v.setBigUint64(56, BigInt(STATX_ATTR_MOUNT_ROOT | STATX_ATTR_AUTOMOUNT | STATX_ATTR_DAX), true);
  const ts = (at: number, ns: bigint | undefined) => {
    const [sec, nsec] = timeOf(ns);
    v.setBigInt64(at, sec, true);
    v.setUint32(at + 8, Number(nsec), true);
  };
  ts(64, st.atimeNs);
  if (st.btimeNs !== undefined) ts(80, st.btimeNs);
  ts(96, st.ctimeNs);
  ts(112, st.mtimeNs);
  v.setUint32(128, major(st.rdev), true);
  v.setUint32(132, minor(st.rdev), true);
  v.setUint32(136, major(st.dev), true);
  v.setUint32(140, minor(st.dev), true);
  v.setBigUint64(144, BigInt(node ? node.sb.mountId : 15), true);
  call.mem.write(ptr(buf), b);
  return 0;
}

function major(dev: number): number {
  return (dev >> 8) & 0xfff;
}

function minor(dev: number): number {
  return (dev & 0xff) | ((dev >> 12) & 0xfff00);
}

const STATFS_MAGIC: Record<string, number> = { tmpfs: 0x01021994, devtmpfs: 0x01021994, proc: 0x9fa0, sysfs: 0x62656572, rootfs: 0x858458f6 };
const ST_RDONLY = 1;
const ST_NOSUID = 2;
const ST_NODEV = 4;
const ST_NOEXEC = 8;
const ST_VALID = 0x20;
const ST_RELATIME = 0x400;

/** struct statfs (x86-64), 120 bytes, for the file system holding `x`. */
function writeStatfs(call: SyscallCall, addr: number, x: VfsNode | { file: OpenFile }): void {
  const b = new Uint8Array(STATFS_SIZE);
  const v = new DataView(b.buffer);
  const vfs = vfsOf(call);
  const sb = 'file' in x ? undefined : x.sb;
  const type = sb?.type ?? 'pipefs';
  v.setBigInt64(0, BigInt(STATFS_MAGIC[type] ?? 0x50495045), true);
  v.setBigInt64(8, 4096n, true);
  const tmp = sb === vfs.tmp.sb ? vfs.tmp : sb === vfs.shm.sb ? vfs.shm : undefined;
  if (tmp) {
    const total = 2 * 1024 * 1024 * 1024 / 4096;
    const free = total - tmp.usedBytes / 4096;
    v.setBigUint64(16, BigInt(total), true);
    v.setBigUint64(24, BigInt(free), true);
    v.setBigUint64(32, BigInt(free), true);
    v.setBigUint64(40, 524288n, true);
    v.setBigUint64(48, 524288n - 1n, true);
  }
  v.setBigInt64(64, 255n, true);
  v.setBigInt64(72, 4096n, true);
  let flags = ST_VALID;
  if (type === 'rootfs') flags |= ST_RDONLY;
  if (type === 'tmpfs') flags |= ST_NOSUID | ST_NODEV;
  if (type === 'devtmpfs') flags |= ST_NOSUID;
  if (type === 'proc' || type === 'sysfs') flags |= ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RELATIME;
  v.setBigInt64(80, BigInt(flags), true);
  call.mem.write(addr, b);
}

function sysStatfs(call: SyscallCall): number {
  const node = nodeAt(call, AT_FDCWD, readPath(call, call.args[0]), true, false);
  if (typeof node === 'number') return node;
  writeStatfs(call, ptr(call.args[1]), node);
  return 0;
}

function sysFstatfs(call: SyscallCall): number {
  const f = file(call, uint(call.args[0]));
  if (!f) return -EBADF;
  writeStatfs(call, ptr(call.args[1]), isNode(f.node) ? f.node : { file: f });
  return 0;
}

// --- directories ------------------------------------------------------------------

/** getdents64: struct linux_dirent64 records (d_ino, d_off, d_reclen, d_type, d_name), 8-byte aligned. */
function sysGetdents64(call: SyscallCall): number {
  const [fd, dirp, countArg] = call.args;
  const f = file(call, uint(fd));
  if (!f) return -EBADF;
  if (f.kind === 'path') return -EBADF;
  const cursor = f.readdir?.();
  if (!cursor) return -ENOTDIR;
  const room = count(countArg);
  const entries = cursor.entries();
  const out: Uint8Array[] = [];
  let used = 0;
  while (cursor.position < entries.length) {
    const e = entries[cursor.position];
    const name = enc.encode(e.name);
    const reclen = (19 + name.length + 1 + 7) & ~7;
    if (used + reclen > room) {
      if (used === 0) return -EINVAL;
      break;
    }
    const rec = new Uint8Array(reclen);
    const v = new DataView(rec.buffer);
    v.setBigUint64(0, BigInt(e.ino), true);
    v.setBigInt64(8, BigInt(cursor.position + 1), true);
    v.setUint16(16, reclen, true);
    rec[18] = e.type;
    rec.set(name, 19);
    out.push(rec);
    used += reclen;
    cursor.position++;
  }
  const buf = new Uint8Array(used);
  let at = 0;
  for (const r of out) {
    buf.set(r, at);
    at += r.length;
  }
  call.mem.write(ptr(dirp), buf);
  return used;
}

function sysGetcwd(call: SyscallCall): number {
  const cwd = vfsOf(call).getcwd(callerOf(call));
  if (failed(cwd)) return -cwd.errno;
  const bytes = enc.encode(cwd + '\0');
  if (Number(call.args[1]) < bytes.length) return -ERANGE;
  call.mem.write(ptr(call.args[0]), bytes);
  return bytes.length;
}

function sysChdir(call: SyscallCall): number {
  const node = nodeAt(call, AT_FDCWD, readPath(call, call.args[0]), true, false);
  if (typeof node === 'number') return node;
  if ('file' in node) return -ENOTDIR;
  return vfsOf(call).chdir(callerOf(call), node);
}

function sysFchdir(call: SyscallCall): number {
  const f = file(call, uint(call.args[0]));
  if (!f) return -EBADF;
  if (!isDirectory(f.node)) return -ENOTDIR;
  return vfsOf(call).chdir(callerOf(call), f.node);
}

// --- names ----------------------------------------------------------------------

/** Runs `op` with the At for (dirfd, path). */
function withAt(call: SyscallCall, dirfd: number, pathAddr: bigint, op: (a: At, path: string) => number): number {
  const path = readPath(call, pathAddr);
  const a = atOf(call, dirfd, path);
  return typeof a === 'number' ? a : op(a, path);
}

function mkdirAt(call: SyscallCall, dirfd: number, pathAddr: bigint, mode: number): number {
  return withAt(call, dirfd, pathAddr, (a, p) => vfsOf(call).mkdir(a, p, mode));
}

function unlinkAt(call: SyscallCall, dirfd: number, pathAddr: bigint, flags: number): number {
  if (flags & ~AT_REMOVEDIR) return -EINVAL;
  return withAt(call, dirfd, pathAddr, (a, p) => (flags & AT_REMOVEDIR ? vfsOf(call).rmdir(a, p) : vfsOf(call).unlink(a, p)));
}

function renameAt(call: SyscallCall, oldfd: number, oldAddr: bigint, newfd: number, newAddr: bigint, flags: number): number {
  const oldPath = readPath(call, oldAddr);
  const newPath = readPath(call, newAddr);
  const o = atOf(call, oldfd, oldPath);
  if (typeof o === 'number') return o;
  const n = atOf(call, newfd, newPath);
  if (typeof n === 'number') return n;
  return vfsOf(call).rename(o, oldPath, n, newPath, flags);
}

function linkAt(call: SyscallCall, oldfd: number, oldAddr: bigint, newfd: number, newAddr: bigint, flags: number): number {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  const oldPath = readPath(call, oldAddr);
  const newPath = readPath(call, newAddr);
  if (oldPath === '') return -ENOENT;
  const o = atOf(call, oldfd, oldPath);
  if (typeof o === 'number') return o;
  const n = atOf(call, newfd, newPath);
  if (typeof n === 'number') return n;
  return vfsOf(call).link(o, oldPath, n, newPath, (flags & AT_SYMLINK_FOLLOW) !== 0);
}

function symlinkAt(call: SyscallCall, targetAddr: bigint, dirfd: number, pathAddr: bigint): number {
  const target = readPath(call, targetAddr);
  return withAt(call, dirfd, pathAddr, (a, p) => vfsOf(call).symlink(target, a, p));
}

function readlinkAt(call: SyscallCall, dirfd: number, pathAddr: bigint, buf: bigint, size: bigint): number {
  const bufsiz = int(size);
  if (bufsiz <= 0) return -EINVAL;
  const path = readPath(call, pathAddr);
  const a = atOf(call, dirfd, path);
  if (typeof a === 'number') return a;
  const text = vfsOf(call).readlink(a, path);
  if (failed(text)) return -text.errno;
  const bytes = enc.encode(text).subarray(0, bufsiz);
  call.mem.write(ptr(buf), bytes);
  return bytes.length;
}

// --- attributes ------------------------------------------------------------------

function accessAt(call: SyscallCall, dirfd: number, pathAddr: bigint, mode: number, flags: number): number {
  if (mode & ~7) return -EINVAL;
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH)) return -EINVAL;
  const node = nodeAt(call, dirfd, readPath(call, pathAddr), (flags & AT_SYMLINK_NOFOLLOW) === 0, (flags & AT_EMPTY_PATH) !== 0);
  if (typeof node === 'number') return node;
  if ('file' in node) return 0;
  return vfsOf(call).access(node, mode, callerOf(call), (flags & AT_EACCESS) !== 0);
}

function chmodAt(call: SyscallCall, dirfd: number, pathAddr: bigint | undefined, mode: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  const node = pathAddr === undefined ? fdNode(call, dirfd) : nodeAt(call, dirfd, readPath(call, pathAddr), (flags & AT_SYMLINK_NOFOLLOW) === 0, (flags & AT_EMPTY_PATH) !== 0);
  if (typeof node === 'number') return node;
  if ('file' in node) return 0;
  return vfsOf(call).chmod(node, mode, callerOf(call));
}

function chownAt(call: SyscallCall, dirfd: number, pathAddr: bigint | undefined, uid: number, gid: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  const node = pathAddr === undefined ? fdNode(call, dirfd) : nodeAt(call, dirfd, readPath(call, pathAddr), (flags & AT_SYMLINK_NOFOLLOW) === 0, (flags & AT_EMPTY_PATH) !== 0);
  if (typeof node === 'number') return node;
  if ('file' in node) return 0;
  return vfsOf(call).chown(node, uid, gid, callerOf(call));
}

/** The node an fd names (fchmod, fchown, futimens): EBADF for O_PATH descriptors. */
function fdNode(call: SyscallCall, fd: number): VfsNode | { file: OpenFile } | number {
  const f = file(call, fd);
  if (!f || f.kind === 'path') return -EBADF;
  return isNode(f.node) ? f.node : { file: f };
}

type TimeSpec = bigint | 'now' | 'omit';

function readTimes(call: SyscallCall, addr: bigint): [TimeSpec, TimeSpec] | number {
  if (addr === 0n) return ['now', 'now'];
  const out: TimeSpec[] = [];
  for (let i = 0; i < 2; i++) {
    const sec = call.mem.readI64(ptr(addr) + i * 16);
    const nsec = call.mem.readI64(ptr(addr) + i * 16 + 8);
    if (nsec === UTIME_NOW) out.push('now');
    else if (nsec === UTIME_OMIT) out.push('omit');
    else if (nsec < 0n || nsec >= NSEC_PER_SEC) return -EINVAL;
    else out.push(sec * NSEC_PER_SEC + nsec);
  }
  return [out[0], out[1]];
}

function sysUtimensat(call: SyscallCall): number {
  const [dfd, pathAddr, timesAddr, flagsArg] = call.args;
  const flags = int(flagsArg);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  const times = readTimes(call, timesAddr);
  if (typeof times === 'number') return times;
  let node;
  if (pathAddr === 0n) {
    if (int(dfd) === AT_FDCWD) return -EFAULT;
    node = fdNode(call, int(dfd));
  } else {
    node = nodeAt(call, int(dfd), readPath(call, pathAddr), (flags & AT_SYMLINK_NOFOLLOW) === 0, (flags & AT_EMPTY_PATH) !== 0);
  }
  if (typeof node === 'number') return node;
  if ('file' in node) return 0;
  return vfsOf(call).utimes(node, times[0], times[1], callerOf(call));
}

function sysTruncate(call: SyscallCall): number {
  const length = long(call.args[1]);
  if (length < 0n) return -EINVAL;
  return withAt(call, AT_FDCWD, call.args[0], (a, p) => vfsOf(call).truncate(a, p, Number(length)));
}

function sysFtruncate(call: SyscallCall): number {
  const f = file(call, uint(call.args[0]));
  const length = long(call.args[1]);
  if (length < 0n) return -EINVAL;
  if (!f) return -EBADF;
  if (!f.truncate || f.kind === 'path') return -EINVAL;
  return f.truncate(Number(length));
}

/** fallocate mode 0 / FALLOC_FL_KEEP_SIZE on tmpfs files: the size grows (pages are taken when written). */
function sysFallocate(call: SyscallCall): number {
  const [fd, modeArg, offArg, lenArg] = call.args;
  const mode = int(modeArg);
  const off = long(offArg);
  const len = long(lenArg);
  if (off < 0n || len <= 0n) return -EINVAL;
  const f = file(call, int(fd));
  if (!f) return -EBADF;
  if ((f.statusFlags & O_ACCMODE) === O_RDONLY) return -EBADF;
  if (f.kind === 'pipe') return -ESPIPE;
  if (!f.truncate) return -ENODEV;
  if (mode & ~1) return -EOPNOTSUPP;
  const end = Number(off + len);
  if (mode === 0 && end > f.stat().size) return f.truncate(end);
  return 0;
}

function sysFsync(call: SyscallCall): number {
  const f = file(call, uint(call.args[0]));
  if (!f) return -EBADF;
  return f.kind === 'file' || f.kind === 'tmpfs' || f.kind === 'directory' ? 0 : -EINVAL;
}

function sysUmask(call: SyscallCall): number {
  const old = call.group.umask;
  call.group.umask = uint(call.args[0]) & 0o777;
  return old;
}

function sysFadvise64(call: SyscallCall): number {
  const f = file(call, int(call.args[0]));
  if (!f) return -EBADF;
  if (f.kind === 'pipe') return -ESPIPE;
  const advice = int(call.args[3]);
  return advice < 0 || advice > 5 ? -EINVAL : 0;
}

export const fsSyscalls: SyscallFamily = {
  read: sysRead,
  write: sysWrite,
  pread64: sysPread64,
  pwrite64: sysPwrite64,
  readv: sysReadv,
  writev: sysWritev,
  preadv: sysPreadv,
  pwritev: sysPwritev,
  open: (c) => openAt(c, AT_FDCWD, c.args[0], int(c.args[1]), uint(c.args[2])),
  openat: (c) => openAt(c, int(c.args[0]), c.args[1], int(c.args[2]), uint(c.args[3])),
  creat: (c) => openAt(c, AT_FDCWD, c.args[0], O_CREAT | O_WRONLY | O_TRUNC, uint(c.args[1])),
  close: sysClose,
  dup: sysDup,
  dup2: sysDup2,
  dup3: sysDup3,
  fcntl: sysFcntl,
  ioctl: sysIoctl,
  lseek: sysLseek,
  fstat: sysFstat,
  stat: (c) => statPath(c, AT_FDCWD, c.args[0], c.args[1], 0),
  lstat: (c) => statPath(c, AT_FDCWD, c.args[0], c.args[1], AT_SYMLINK_NOFOLLOW),
  newfstatat: (c) => statPath(c, int(c.args[0]), c.args[1], c.args[2], int(c.args[3])),
  statx: sysStatx,
  statfs: sysStatfs,
  fstatfs: sysFstatfs,
  getdents64: sysGetdents64,
  readlink: (c) => readlinkAt(c, AT_FDCWD, c.args[0], c.args[1], c.args[2]),
  readlinkat: (c) => readlinkAt(c, int(c.args[0]), c.args[1], c.args[2], c.args[3]),
  access: (c) => accessAt(c, AT_FDCWD, c.args[0], int(c.args[1]), 0),
  faccessat: (c) => accessAt(c, int(c.args[0]), c.args[1], int(c.args[2]), 0),
  faccessat2: (c) => accessAt(c, int(c.args[0]), c.args[1], int(c.args[2]), int(c.args[3])),
  getcwd: sysGetcwd,
  chdir: sysChdir,
  fchdir: sysFchdir,
  mkdir: (c) => mkdirAt(c, AT_FDCWD, c.args[0], uint(c.args[1])),
  mkdirat: (c) => mkdirAt(c, int(c.args[0]), c.args[1], uint(c.args[2])),
  rmdir: (c) => unlinkAt(c, AT_FDCWD, c.args[0], AT_REMOVEDIR),
  unlink: (c) => unlinkAt(c, AT_FDCWD, c.args[0], 0),
  unlinkat: (c) => unlinkAt(c, int(c.args[0]), c.args[1], int(c.args[2])),
  rename: (c) => renameAt(c, AT_FDCWD, c.args[0], AT_FDCWD, c.args[1], 0),
  renameat: (c) => renameAt(c, int(c.args[0]), c.args[1], int(c.args[2]), c.args[3], 0),
  renameat2: (c) => renameAt(c, int(c.args[0]), c.args[1], int(c.args[2]), c.args[3], uint(c.args[4])),
  link: (c) => linkAt(c, AT_FDCWD, c.args[0], AT_FDCWD, c.args[1], 0),
  linkat: (c) => linkAt(c, int(c.args[0]), c.args[1], int(c.args[2]), c.args[3], int(c.args[4])),
  symlink: (c) => symlinkAt(c, c.args[0], AT_FDCWD, c.args[1]),
  symlinkat: (c) => symlinkAt(c, c.args[0], int(c.args[1]), c.args[2]),
  chmod: (c) => chmodAt(c, AT_FDCWD, c.args[0], uint(c.args[1]), 0),
  fchmod: (c) => chmodAt(c, int(c.args[0]), undefined, uint(c.args[1]), 0),
  fchmodat: (c) => chmodAt(c, int(c.args[0]), c.args[1], uint(c.args[2]), 0),
  fchmodat2: (c) => chmodAt(c, int(c.args[0]), c.args[1], uint(c.args[2]), int(c.args[3])),
  chown: (c) => chownAt(c, AT_FDCWD, c.args[0], int(c.args[1]), int(c.args[2]), 0),
  lchown: (c) => chownAt(c, AT_FDCWD, c.args[0], int(c.args[1]), int(c.args[2]), AT_SYMLINK_NOFOLLOW),
  fchown: (c) => chownAt(c, int(c.args[0]), undefined, int(c.args[1]), int(c.args[2]), 0),
  fchownat: (c) => chownAt(c, int(c.args[0]), c.args[1], int(c.args[2]), int(c.args[3]), int(c.args[4])),
  utimensat: sysUtimensat,
  truncate: sysTruncate,
  ftruncate: sysFtruncate,
  fallocate: sysFallocate,
  fsync: sysFsync,
  fdatasync: sysFsync,
  sync: () => 0,
  syncfs: (c) => (file(c, int(c.args[0])) ? 0 : -EBADF),
  umask: sysUmask,
  fadvise64: sysFadvise64,
  flock: (c) => (file(c, int(c.args[0])) ? 0 : -EBADF),
};
