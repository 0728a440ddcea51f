// The guest's file system (Linux's VFS: fs/namei.c, fs/open.c, fs/stat.c).
// One tree of nodes, assembled like a small distribution's mounts:
//
//   /            read-only: the files the caller hands in (--file), host
//                directory trees (--dir), the directories their paths imply
//   /dev         devtmpfs: null zero full random urandom tty, fd -> /proc/self/fd,
//                stdin/stdout/stderr, and /dev/shm (tmpfs, for shm_open)
//   /tmp         tmpfs: writable, in memory, lost when the machine ends
//   /proc        generated when opened from the machine (procfs.ts, SystemView)
//   /sys         the CPU and NUMA topology (sysfs.ts)
//
// Nothing the guest does reaches the host. Paths resolve component by
// component as link_path_walk does: symlinks followed in every component
// but the last (and in the last unless told not to), at most 40 of them
// (ELOOP); ".." is physical (after a symlink it leaves the link's target);
// a missing component is ENOENT and a non-directory one ENOTDIR; a
// trailing slash demands a directory. Permissions are checked against the
// caller's credentials (the guest runs as uid 1000): search permission on
// every directory walked, read/write on open, write+search on the parent
// to create or remove. Creating anywhere but tmpfs fails as Linux would:
// EROFS on the read-only root, EACCES in /dev, /proc and /sys (root-owned).
//
// Each process has its own working directory and umask (fs_struct); they
// live here, keyed by pid (see fsContext / forkFs).

import { DEFAULT_EPOCH_NS } from './clock.js';
import { EACCES, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, EOPNOTSUPP, EPERM, EROFS } from './errno.js';
import { createDev, type RandomSource } from './devices.js';
import {
  ENOTEMPTY,
  EXDEV,
  O_ACCMODE,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_TMPFILE,
  O_TRUNC,
  O_WRONLY,
  openStatusFlags,
  DirectoryFile as DirectoryFileImpl,
  PathFile,
  S_IFDIR,
  S_IFMT,
  S_ISVTX,
  type DirEntry,
  type FileStat,
  type OpenFile,
} from './files.js';
import { StaticDir, ReadOnlyFile, type HostTree } from './rootfs.js';
import { createProcfs, type FdView, type SystemView } from './procfs.js';
import { createSysfs } from './sysfs.js';
import { Tmpfs } from './tmpfs.js';

export type { HostTree } from './rootfs.js';
export type { SystemView } from './procfs.js';

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

const MAX_SYMLINK_HOPS = 40;
const NAME_MAX = 255;
const PATH_MAX = 4096;
export const DEFAULT_UMASK = 0o022;

/** Who is asking: the calling process and thread (for /proc/self) and the credentials permissions are checked against. */
export interface Caller {
  /** The thread group id: what /proc/self names. */
  pid: number;
  /** The thread: what /proc/thread-self names. */
  tid: number;
  /** Effective (file-system) ids, for permission checks. */
  uid: number;
  gid: number;
  /** Real ids, for access(2) without AT_EACCESS; default the effective ones. */
  ruid?: number;
  rgid?: number;
  groups?: readonly number[];
  /** The umask new files get (the process's fs_struct); default the one the Vfs keeps for the pid. */
  umask?: number;
  /** The caller's descriptors, for /proc/<pid>/fd when the Vfs has no SystemView. */
  fds?: () => readonly FdView[];
}

/** A mounted file system (struct super_block + vfsmount). */
export class SuperBlock {
  private ino: number;
  private readonly inodes = new Map<string, number>();
  constructor(
    readonly type: string,
    /** st_dev, new_encode_dev form. */
    readonly dev: number,
    /** Mounted read-only: writes to its files and directories are EROFS. */
    readonly readOnly: boolean,
    readonly mountId: number,
    firstIno = 2,
  ) {
    this.ino = firstIno;
  }
  /** A fresh inode number. */
  nextIno(): number {
    return this.ino++;
  }
  /** A stable inode number for a generated file, by its key (/proc and /sys). */
  inoFor(key: string): number {
    let n = this.inodes.get(key);
    if (n === undefined) {
      n = this.nextIno();
      this.inodes.set(key, n);
    }
    return n;
  }
}

/** chmod / chown / utimensat changes, applied by setattr. */
export interface AttrChange {
  mode?: number;
  uid?: number;
  gid?: number;
  atimeNs?: bigint;
  mtimeNs?: bigint;
  ctimeNs: bigint;
}

interface NodeBase {
  readonly sb: SuperBlock;
  stat(): FileStat;
  /** Attribute changes; absent: the file system does not allow them (EPERM). */
  setattr?(change: AttrChange): void;
}

/** What creating, removing and renaming need from a directory (tmpfs has them; read-only and generated directories do not). */
export interface DirectoryOps {
  createFile(name: string, mode: number, caller: Caller): FileNode;
  mkdir(name: string, mode: number, caller: Caller): DirectoryNode;
  symlink(name: string, target: string, caller: Caller): SymlinkNode;
  /** A hard link to `node` (same file system, not a directory). */
  link(name: string, node: VfsNode): number;
  /** Removes the entry (the caller checked its type); 0 or a negative errno (ENOTEMPTY). */
  remove(name: string): number;
  /** Moves entry `name` to `to`/`toName`, replacing what is there (checked by the caller). 0 or a negative errno. */
  rename(name: string, to: DirectoryNode, toName: string): number;
  /** O_TMPFILE: an unnamed regular file in this directory's file system. */
  tmpfile(mode: number, caller: Caller): FileNode;
}

export interface DirectoryNode extends NodeBase {
  readonly type: 'directory';
  /** The directory ".." leads to; the root's is itself. A mounted file system's root names the directory it is mounted in. */
  readonly parent: DirectoryNode;
  /** The name in the parent ("" for the root). */
  readonly name: string;
  lookup(name: string, caller: Caller): VfsNode | undefined;
  /** The entries without "." and "..". */
  entries(caller: Caller): DirEntry[];
  readonly ops?: DirectoryOps;
  /** An rmdir'd directory (still someone's cwd or open). */
  readonly removed?: boolean;
}

export interface FileNode extends NodeBase {
  readonly type: 'file';
  /** Opens the file; permissions are already checked. `path` is what /proc/<pid>/fd shows. */
  open(flags: number, path: string, caller: Caller): OpenFile | { errno: number };
  /** truncate(2); 0 or a negative errno. Absent: read-only (EROFS is checked first). */
  truncate?(length: number): number;
}

/** A character device, or any other non-regular leaf (a pipe reached through /proc/<pid>/fd). */
export interface DeviceNode extends NodeBase {
  readonly type: 'device';
  open(flags: number, path: string, caller: Caller): OpenFile | { errno: number };
}

export interface SymlinkNode extends NodeBase {
  readonly type: 'symlink';
  /** The link text; magic links whose object is gone fail (ENOENT). */
  readlink(caller: Caller): string | Fail;
  /**
   * Magic links (/proc/<pid>/exe, cwd, fd/N): following one leads to the
   * object itself rather than to the path its text names (nd_jump_link).
   */
  follow?(caller: Caller): { node: VfsNode; path: string } | { errno: number };
}

export type VfsNode = DirectoryNode | FileNode | DeviceNode | SymlinkNode;

/** Where a relative path starts and who asks. */
export interface At {
  base: DirectoryNode;
  caller: Caller;
}

/** The result of a walk: the final component and the directory that holds it. */
export interface Resolved {
  /** The directory holding the last component; undefined after a magic link. */
  dir?: DirectoryNode;
  name: string;
  /** 'dot' / 'dotdot' / 'root' for ".", ".." and "/" as the last component (LAST_DOT, LAST_DOTDOT, LAST_ROOT). */
  last: 'normal' | 'dot' | 'dotdot' | 'root';
  node?: VfsNode;
  /** The absolute path of the last component as walked. */
  path: string;
  trailingSlash: boolean;
}

export type Fail = { errno: number };

export function failed<T>(r: T | Fail): r is Fail {
  return typeof r === 'object' && r !== null && 'errno' in r;
}

/** A process's working directory and umask (struct fs_struct). */
export interface FsContext {
  cwd: DirectoryNode;
  umask: number;
}

export interface VfsOptions {
  /** Read-only files the guest can open, path -> bytes. */
  files: ReadonlyMap<string, Uint8Array>;
  /** The program's own path: where /proc/<pid>/exe points when there is no SystemView. */
  exePath: string;
  /** The first process's working directory. */
  cwd: string;
  /** Owner of the files handed in. */
  uid: number;
  gid: number;
  /** Host directory trees shown read-only at guest paths (--dir). */
  trees?: readonly { guest: string; tree: HostTree }[];
  /** The machine as /proc and /sys show it. May be attached later (attachSystem). */
  system?: SystemView;
  /** Wall-clock time in ns for file times; default system.realtimeNs(), else the boot epoch. */
  now?: () => bigint;
  /** Bytes for /dev/random and /dev/urandom (the machine's seeded generator). */
  random?: RandomSource;
  /** The first process's umask (default 022). */
  umask?: number;
  /** Capacity of /tmp and of /dev/shm in bytes (default: half the modelled RAM each, as tmpfs). */
  tmpfsBytes?: number;
}

/** Device numbers of the mounts (new_encode_dev: major << 8 | minor). */
export const DEV_ROOT = 0x801;
const DEV_DEVTMPFS = 0x05;
const DEV_SYSFS = 0x15;
const DEV_PROC = 0x16;
const DEV_SHM = 0x17;
const DEV_TMP = 0x18;
const DEV_SHMEM = 0x01;

export class Vfs {
  readonly root: StaticDir;
  readonly tmp: Tmpfs;
  readonly shm: Tmpfs;
  /** The kernel's internal tmpfs (shm_mnt): memfd_create files live here, reachable only through descriptors. */
  readonly shmem: Tmpfs;
  /** The first process's working directory, as given. */
  readonly cwd: string;
  system?: SystemView;
  random?: RandomSource;
  readonly exePath: string;
  private readonly nowFn?: () => bigint;
  private readonly contexts = new Map<number, FsContext>();
  private readonly initialUmask: number;
  private readonly defaultCaller: Caller;
  readonly rootSb: SuperBlock;

  constructor(options: VfsOptions) {
    this.cwd = normalize(options.cwd, '/');
    this.exePath = normalize(options.exePath, this.cwd);
    this.system = options.system;
    this.random = options.random;
    this.nowFn = options.now;
    this.initialUmask = options.umask ?? DEFAULT_UMASK;
    this.defaultCaller = { pid: 0, tid: 0, uid: options.uid, gid: options.gid };
    const now = () => this.now();
    const time = this.now();
    this.rootSb = new SuperBlock('rootfs', DEV_ROOT, true, 21);
    this.root = new StaticDir(this.rootSb, undefined, '', 0o755, 0, 0, time);
    for (const raw of [...options.files.keys()].sort()) {
      const path = normalize(raw, this.cwd);
      const parts = components(path);
      checkGuestPath(path);
      if (parts.length === 0) continue;
      const dir = this.root.ensureDir(parts.slice(0, -1));
      dir.add(parts[parts.length - 1], new ReadOnlyFile(this.rootSb, options.files.get(raw)!, 0o755, options.uid, options.gid, time));
    }
    for (const t of options.trees ?? []) this.mountTree(t.guest, t.tree);

    const tmpfsBytes = options.tmpfsBytes ?? DEFAULT_TMPFS_BYTES;
    const dev = createDev(new SuperBlock('devtmpfs', DEV_DEVTMPFS, false, 22), this.root, this, time);
    this.root.add('dev', dev);
    this.shm = new Tmpfs(new SuperBlock('tmpfs', DEV_SHM, false, 23), dev, 'shm', 0o1777, tmpfsBytes, now);
    dev.add('shm', this.shm.root);
    this.tmp = new Tmpfs(new SuperBlock('tmpfs', DEV_TMP, false, 26), this.root, 'tmp', 0o1777, tmpfsBytes, now);
    this.root.add('tmp', this.tmp.root);
    this.shmem = new Tmpfs(new SuperBlock('tmpfs', DEV_SHMEM, false, 27), this.root, '', 0o1777, tmpfsBytes, now);
    this.root.add('proc', createProcfs(new SuperBlock('proc', DEV_PROC, false, 24, 1), this.root, this));
    this.root.add('sys', createSysfs(new SuperBlock('sysfs', DEV_SYSFS, false, 25, 1), this.root, this));
  }

  /** Shows a host directory tree read-only at `guest` (files handed in stay visible on top). */
  mountTree(guest: string, tree: HostTree): void {
    const path = normalize(guest, this.cwd);
    checkGuestPath(path);
    const parts = components(path);
    this.root.ensureDir(parts).mount(tree, this.defaultCaller.uid, this.defaultCaller.gid);
  }

  /** Attaches the machine's view for /proc and /sys (when it could not be passed to the constructor). */
  attachSystem(system: SystemView): void {
    this.system = system;
  }

  now(): bigint {
    if (this.nowFn) return this.nowFn();
    if (this.system) return this.system.realtimeNs();
    return DEFAULT_EPOCH_NS;
  }

  /** The mounts, as /proc/<pid>/mounts lists them. */
  mounts(): string[] {
    return [
      'rootfs / rootfs ro 0 0',
      'devtmpfs /dev devtmpfs rw,nosuid,mode=755 0 0',
      'tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0',
      'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
      'sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0',
      'tmpfs /tmp tmpfs rw,nosuid,nodev 0 0',
    ];
  }

  // --- processes' fs_struct ----------------------------------------------------

  /** The working directory and umask of process `pid` (created on first use from the initial ones). */
  fsContext(pid: number): FsContext {
    let c = this.contexts.get(pid);
    if (!c) {
      const cwd = this.walkNode({ base: this.root, caller: this.callerFor(pid) }, this.cwd, true);
      c = { cwd: !failed(cwd) && cwd.type === 'directory' ? cwd : this.root, umask: this.initialUmask };
      this.contexts.set(pid, c);
    }
    return c;
  }

  /** fork/clone: the child gets a copy of the parent's cwd and umask, or shares them (CLONE_FS). */
  forkFs(parentPid: number, childPid: number, share = false): void {
    const p = this.fsContext(parentPid);
    this.contexts.set(childPid, share ? p : { cwd: p.cwd, umask: p.umask });
  }

  /** The process is gone. */
  releaseFs(pid: number): void {
    this.contexts.delete(pid);
  }

  /** A caller with the ids the Vfs was created with (tests, the machine before a process exists). */
  callerFor(pid: number, tid = pid): Caller {
    return { ...this.defaultCaller, pid, tid };
  }

  // --- path walk ---------------------------------------------------------------

  /**
   * Resolves a path to a node (compatible form): follows a final symlink
   * unless `nofollow`; relative paths start at `base` (a path or a
   * directory node; default the caller's cwd).
   */
  lookup(path: string, options: { nofollow?: boolean; base?: string | DirectoryNode; caller?: Caller } = {}): VfsNode | Fail {
    const caller = options.caller ?? this.callerFor(0);
    let base: DirectoryNode;
    if (options.base === undefined) base = this.fsContext(caller.pid).cwd;
    else if (typeof options.base === 'string') {
      const b = this.walkNode({ base: this.root, caller }, normalize(options.base, '/'), true);
      if (failed(b)) return b;
      if (b.type !== 'directory') return { errno: ENOTDIR };
      base = b;
    } else base = options.base;
    return this.walkNode({ base, caller }, path, !options.nofollow);
  }

  /** The node a path names (ENOENT when missing; ENOTDIR for a trailing slash on a non-directory). */
  walkNode(at: At, path: string, follow: boolean): VfsNode | Fail {
    const r = this.resolve(at, path, follow);
    if (failed(r)) return r;
    if (!r.node) return { errno: ENOENT };
    if (r.trailingSlash && r.node.type !== 'directory') return { errno: ENOTDIR };
    return r.node;
  }

  /**
   * Walks `path` from at.base (or the root for absolute paths). The last
   * component may be missing (node undefined): creation calls use `dir`
   * and `name`.
   */
  resolve(at: At, path: string, follow: boolean, hops = { n: 0 }): Resolved | Fail {
    if (path.length === 0) return { errno: ENOENT };
    if (path.length >= PATH_MAX) return { errno: ENAMETOOLONG };
    const caller = at.caller;
    let cur: DirectoryNode = path.startsWith('/') ? this.root : at.base;
    const parts = components(path);
    const trailingSlash = path.endsWith('/');
    if (parts.length === 0) return { dir: this.root, name: '/', last: 'root', node: this.root, path: '/', trailingSlash };
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i];
      if (name.length > NAME_MAX) return { errno: ENAMETOOLONG };
      if (!permission(cur.stat(), MAY_EXEC, caller)) return { errno: EACCES };
      let next: VfsNode | undefined;
      if (name === '.') next = cur;
      else if (name === '..') next = cur.parent;
      else next = cur.lookup(name, caller);
      if (i === parts.length - 1) {
        if (next && next.type === 'symlink' && (follow || trailingSlash)) {
          const target = this.followLink(next, cur, caller, hops);
          if (failed(target)) return target;
          return { ...target, trailingSlash: trailingSlash || target.trailingSlash };
        }
        const last = name === '.' ? 'dot' : name === '..' ? 'dotdot' : 'normal';
        const path = next && next.type === 'directory' ? this.pathOf(next) : joinPath(this.pathOf(cur), name);
        return { dir: cur, name, last, node: next, path, trailingSlash };
      }
      if (!next) return { errno: ENOENT };
      if (next.type === 'symlink') {
        const target = this.followLink(next, cur, caller, hops);
        if (failed(target)) return target;
        if (!target.node) return { errno: ENOENT };
        next = target.node;
      }
      if (next.type !== 'directory') return { errno: ENOTDIR };
      cur = next;
    }
    throw new Error('internal: path walk fell through');
  }

  private followLink(link: SymlinkNode, dir: DirectoryNode, caller: Caller, hops: { n: number }): Resolved | Fail {
    if (++hops.n > MAX_SYMLINK_HOPS) return { errno: ELOOP };
    if (link.follow) {
      const t = link.follow(caller);
      if (failed(t)) return t;
      return { dir: undefined, name: lastName(t.path), last: 'normal', node: t.node, path: t.path, trailingSlash: false };
    }
    const text = link.readlink(caller);
    if (failed(text)) return text;
    if (text.length === 0) return { errno: ENOENT };
    return this.resolve({ base: dir, caller }, text, true, hops);
  }

  /** The absolute path of a directory (d_path); "(deleted)" is not appended. */
  pathOf(dir: DirectoryNode): string {
    const parts: string[] = [];
    let d = dir;
    for (let guard = 0; d.parent !== d && guard < 4096; guard++) {
      parts.push(d.name);
      d = d.parent;
    }
    return '/' + parts.reverse().join('/');
  }

  // --- open ----------------------------------------------------------------------

  /** do_sys_openat2: opens or creates; `mode` applies when creating (less the umask). */
  open(at: At, path: string, flags: number, mode: number): OpenFile | Fail {
    const caller = at.caller;
    const umask = caller.umask ?? this.fsContext(caller.pid).umask;
    if ((flags & O_TMPFILE) === O_TMPFILE) return this.openTmpfile(at, path, flags, mode & ~umask & 0o7777);
    if (flags & O_PATH) flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    const creat = (flags & O_CREAT) !== 0 && !(flags & O_PATH);
    const follow = !(flags & O_NOFOLLOW) && !(creat && flags & O_EXCL);
    const r = this.resolve(at, path, follow);
    if (failed(r)) return r;
    let node = r.node;
    let created = false;
    if (creat) {
      // open_last_lookups: "." / ".." / "/" or a trailing slash cannot name a file to create.
      if (r.last !== 'normal' || r.trailingSlash) return { errno: EISDIR };
      if (node) {
        if (flags & O_EXCL) return { errno: EEXIST };
        if (node.type === 'directory') return { errno: EISDIR };
      } else {
        const dir = r.dir!;
        const denied = this.mayCreate(dir, caller);
        if (denied) return { errno: denied };
        node = dir.ops!.createFile(r.name, mode & ~umask & 0o7777, caller);
        created = true;
      }
    }
    if (!node) return { errno: ENOENT };
    if (r.trailingSlash && node.type !== 'directory') return { errno: ENOTDIR };
    if (node.type === 'symlink') {
      if (flags & O_PATH) return new PathFile(node, () => node.stat(), r.path, flags);
      return { errno: ELOOP };
    }
    if (flags & O_DIRECTORY && node.type !== 'directory') return { errno: ENOTDIR };
    if (flags & O_PATH) {
      const n = node;
      return new PathFile(n, () => n.stat(), r.path, flags);
    }
    const acc = flags & O_ACCMODE;
    const wantWrite = acc === O_WRONLY || acc === 2 || acc === 3 || (flags & O_TRUNC) !== 0;
    if (node.type === 'directory') {
      if (wantWrite) return { errno: EISDIR };
      if (!permission(node.stat(), MAY_READ, caller)) return { errno: EACCES };
      return this.openDirectory(node, openStatusFlags(flags), caller);
    }
    if (!created) {
      const mask = (acc === O_RDONLY ? MAY_READ : acc === O_WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE) | (flags & O_TRUNC ? MAY_WRITE : 0);
      if (mask & MAY_WRITE && node.type === 'file' && node.sb.readOnly) return { errno: EROFS };
      if (!permission(node.stat(), mask, caller)) return { errno: EACCES };
    }
    const f = node.open(flags, r.path, caller);
    if (failed(f)) return f;
    if (flags & O_TRUNC && !created && node.type === 'file' && (acc === O_WRONLY || acc === 2)) {
      const t = node.truncate ? node.truncate(0) : -EROFS;
      if (t < 0) return { errno: -t };
    }
    return f;
  }

  /**
   * memfd_create (mm/memfd.c): an unnamed tmpfs file, O_RDWR, shown as
   * "/memfd:NAME (deleted)". Sharing its pages with MAP_SHARED mappings is
   * the memory manager's part.
   */
  memfd(name: string, caller: Caller): OpenFile {
    const node = this.shmem.root.tmpfile(0o777, caller);
    node.lastPath = `/memfd:${name}`;
    return node.open(2, node.lastPath);
  }

  /** An open directory for getdents64 and *at() calls. */
  openDirectory(node: DirectoryNode, flags = O_RDONLY | O_DIRECTORY, caller?: Caller): OpenFile {
    return directoryFile(this, node, flags, caller ?? this.callerFor(0));
  }

  private openTmpfile(at: At, path: string, flags: number, mode: number): OpenFile | Fail {
    const acc = flags & O_ACCMODE;
    if (acc !== O_WRONLY && acc !== 2) return { errno: EINVAL };
    const dir = this.walkNode(at, path, true);
    if (failed(dir)) return dir;
    if (dir.type !== 'directory') return { errno: ENOTDIR };
    if (dir.sb.readOnly) return { errno: EROFS };
    if (!permission(dir.stat(), MAY_WRITE | MAY_EXEC, at.caller)) return { errno: EACCES };
    if (!dir.ops) return { errno: EOPNOTSUPP };
    const node = dir.ops.tmpfile(mode, at.caller);
    const f = node.open(flags & ~(O_CREAT | O_EXCL), `${this.pathOf(dir)}/#${node.stat().ino}`, at.caller);
    return f;
  }

  /** may_create: 0, or why the directory cannot take a new entry. */
  private mayCreate(dir: DirectoryNode, caller: Caller): number {
    if (dir.removed) return ENOENT;
    if (dir.sb.readOnly) return EROFS;
    if (!permission(dir.stat(), MAY_WRITE | MAY_EXEC, caller)) return EACCES;
    if (!dir.ops) return EACCES;
    return 0;
  }

  /** may_delete: 0, or why `node` cannot be removed from `dir` (search+write on the directory; the sticky bit). */
  private mayDelete(dir: DirectoryNode, node: VfsNode, caller: Caller): number {
    const d = dir.stat();
    if (!permission(d, MAY_WRITE | MAY_EXEC, caller)) return EACCES;
    if (d.mode & S_ISVTX && caller.uid !== 0 && caller.uid !== node.stat().uid && caller.uid !== d.uid) return EPERM;
    if (!dir.ops) return EPERM;
    return 0;
  }

  // --- names -----------------------------------------------------------------------

  mkdir(at: At, path: string, mode: number): number {
    const r = this.resolve(at, path, false);
    if (failed(r)) return -r.errno;
    if (r.last !== 'normal' || r.node) return -EEXIST;
    const dir = r.dir!;
    const denied = this.mayCreate(dir, at.caller);
    if (denied) return -denied;
    dir.ops!.mkdir(r.name, mode & ~(at.caller.umask ?? this.fsContext(at.caller.pid).umask) & 0o1777, at.caller);
    return 0;
  }

  symlink(target: string, at: At, path: string): number {
    if (target.length === 0) return -ENOENT;
    if (target.length >= PATH_MAX) return -ENAMETOOLONG;
    const r = this.resolve(at, path, false);
    if (failed(r)) return -r.errno;
    if (r.last !== 'normal' || r.node) return -EEXIST;
    const dir = r.dir!;
    const denied = this.mayCreate(dir, at.caller);
    if (denied) return -denied;
    dir.ops!.symlink(r.name, target, at.caller);
    return 0;
  }

  link(oldAt: At, oldPath: string, newAt: At, newPath: string, follow: boolean): number {
    const o = this.resolve(oldAt, oldPath, follow);
    if (failed(o)) return -o.errno;
    const n = this.resolve(newAt, newPath, false);
    if (failed(n)) return -n.errno;
    if (n.last !== 'normal' || n.node) return -EEXIST;
    const dir = n.dir!;
    if (dir.removed) return -ENOENT;
    if (dir.sb.readOnly) return -EROFS;
    if (!o.node) return -ENOENT;
    if (o.trailingSlash && o.node.type !== 'directory') return -ENOTDIR;
    if (o.node.sb !== dir.sb) return -EXDEV;
    if (!permission(dir.stat(), MAY_WRITE | MAY_EXEC, newAt.caller)) return -EACCES;
    if (!dir.ops || o.node.type === 'directory') return -EPERM;
    return dir.ops.link(n.name, o.node);
  }

  unlink(at: At, path: string): number {
    const r = this.resolve(at, path, false);
    if (failed(r)) return -r.errno;
    if (r.last !== 'normal') return -EISDIR;
    const dir = r.dir!;
    if (dir.sb.readOnly) return -EROFS;
    const node = r.node;
    if (!node) return -ENOENT;
    if (node.type === 'directory') return -EISDIR;
    if (r.trailingSlash) return -ENOTDIR;
    const denied = this.mayDelete(dir, node, at.caller);
    if (denied) return -denied;
    return dir.ops!.remove(r.name);
  }

  rmdir(at: At, path: string): number {
    const r = this.resolve(at, path, false);
    if (failed(r)) return -r.errno;
    if (r.last === 'dot') return -EINVAL;
    if (r.last === 'dotdot') return -ENOTEMPTY;
    if (r.last === 'root') return -EBUSY;
    const dir = r.dir!;
    if (dir.sb.readOnly) return -EROFS;
    const node = r.node;
    if (!node) return -ENOENT;
    if (node.type !== 'directory') return -ENOTDIR;
    const denied = this.mayDelete(dir, node, at.caller);
    if (denied) return -denied;
    if (node.sb !== dir.sb) return -EBUSY;
    return dir.ops!.remove(r.name);
  }

  /** renameat2 with flags 0 or RENAME_NOREPLACE (fs/namei.c do_renameat2, vfs_rename). */
  rename(oldAt: At, oldPath: string, newAt: At, newPath: string, flags: number): number {
    const RENAME_NOREPLACE = 1;
    if (flags & ~RENAME_NOREPLACE) return -EINVAL;
    const o = this.resolve(oldAt, oldPath, false);
    if (failed(o)) return -o.errno;
    const n = this.resolve(newAt, newPath, false);
    if (failed(n)) return -n.errno;
    const od = o.dir!;
    const nd = n.dir!;
    if (od.sb !== nd.sb) return -EXDEV;
    if (o.last !== 'normal') return -EBUSY;
    if (n.last !== 'normal') return flags & RENAME_NOREPLACE ? -EEXIST : -EBUSY;
    if (od.sb.readOnly) return -EROFS;
    const src = o.node;
    if (!src) return -ENOENT;
    const dst = n.node;
    if (flags & RENAME_NOREPLACE && dst) return -EEXIST;
    if (src.type !== 'directory' && (o.trailingSlash || n.trailingSlash)) return -ENOTDIR;
    if (src.type === 'directory' && this.isAncestor(src, nd)) return -EINVAL;
    if (dst && dst.type === 'directory' && this.isAncestor(dst, od)) return -ENOTEMPTY;
    if (src === dst) return 0;
    let denied = this.mayDelete(od, src, oldAt.caller);
    if (denied) return -denied;
    if (dst) {
      denied = this.mayDelete(nd, dst, newAt.caller);
      if (denied) return -denied;
      if (src.type === 'directory' && dst.type !== 'directory') return -ENOTDIR;
      if (src.type !== 'directory' && dst.type === 'directory') return -EISDIR;
    } else {
      denied = this.mayCreate(nd, newAt.caller);
      if (denied) return -denied;
    }
    if (src.sb !== od.sb || (dst && dst.sb !== nd.sb)) return -EBUSY;
    return od.ops!.rename(o.name, nd, n.name);
  }

  /** Whether `a` is `d` or one of its ancestors. */
  private isAncestor(a: DirectoryNode, d: DirectoryNode): boolean {
    let x = d;
    for (let guard = 0; guard < 4096; guard++) {
      if (x === a) return true;
      if (x.parent === x) return false;
      x = x.parent;
    }
    return false;
  }

  readlink(at: At, path: string): string | Fail {
    const r = this.resolve(at, path, false);
    if (failed(r)) return r;
    if (!r.node) return { errno: ENOENT };
    if (r.node.type !== 'symlink') return { errno: EINVAL };
    return r.node.readlink(at.caller);
  }

  // --- attributes --------------------------------------------------------------------

  /** faccessat2: existence and permission by the real ids (effective with AT_EACCESS). */
  access(node: VfsNode, mode: number, caller: Caller, effective: boolean): number {
    if (mode === 0) return 0;
    if (mode & MAY_WRITE && node.sb.readOnly && node.type !== 'device') return -EROFS;
    const who = effective ? caller : { ...caller, uid: caller.ruid ?? caller.uid, gid: caller.rgid ?? caller.gid };
    return permission(node.stat(), mode, who) ? 0 : -EACCES;
  }

  chmod(node: VfsNode, mode: number, caller: Caller): number {
    if (node.sb.readOnly) return -EROFS;
    if (node.type === 'symlink') return -EOPNOTSUPP;
    const st = node.stat();
    if (caller.uid !== 0 && caller.uid !== st.uid) return -EPERM;
    if (!node.setattr) return -EPERM;
    node.setattr({ mode: (st.mode & S_IFMT) | (mode & 0o7777), ctimeNs: this.now() });
    return 0;
  }

  chown(node: VfsNode, uid: number, gid: number, caller: Caller): number {
    if (node.sb.readOnly) return -EROFS;
    const st = node.stat();
    const root = caller.uid === 0;
    if (uid !== -1 && uid !== st.uid && !root) return -EPERM;
    if (gid !== -1 && gid !== st.gid && !root && !(caller.uid === st.uid && (gid === caller.gid || caller.groups?.includes(gid)))) return -EPERM;
    if (!node.setattr) return -EPERM;
    node.setattr({ uid: uid === -1 ? undefined : uid, gid: gid === -1 ? undefined : gid, ctimeNs: this.now() });
    return 0;
  }

  /**
   * utimensat: times in ns, 'now' or 'omit'. Setting both to now needs
   * ownership or write permission; any explicit time needs ownership.
   */
  utimes(node: VfsNode, atime: bigint | 'now' | 'omit', mtime: bigint | 'now' | 'omit', caller: Caller): number {
    if (atime === 'omit' && mtime === 'omit') return 0;
    if (node.sb.readOnly) return -EROFS;
    const st = node.stat();
    const owner = caller.uid === 0 || caller.uid === st.uid;
    const explicit = (atime !== 'now' && atime !== 'omit') || (mtime !== 'now' && mtime !== 'omit');
    if (explicit && !owner) return -EPERM;
    if (!explicit && !owner && !permission(st, MAY_WRITE, caller)) return -EACCES;
    if (!node.setattr) return owner ? -EPERM : -EACCES;
    const now = this.now();
    node.setattr({
      atimeNs: atime === 'omit' ? undefined : atime === 'now' ? now : atime,
      mtimeNs: mtime === 'omit' ? undefined : mtime === 'now' ? now : mtime,
      ctimeNs: now,
    });
    return 0;
  }

  /** truncate(2) by path (vfs_truncate). */
  truncate(at: At, path: string, length: number): number {
    const node = this.walkNode(at, path, true);
    if (failed(node)) return -node.errno;
    if (node.type === 'directory') return -EISDIR;
    if (node.type !== 'file') return -EINVAL;
    if (node.sb.readOnly) return -EROFS;
    if (!permission(node.stat(), MAY_WRITE, at.caller)) return -EACCES;
    return node.truncate ? node.truncate(length) : -EROFS;
  }

  // --- working directory --------------------------------------------------------------

  chdir(caller: Caller, node: VfsNode): number {
    if (node.type !== 'directory') return -ENOTDIR;
    if (!permission(node.stat(), MAY_EXEC, caller)) return -EACCES;
    this.fsContext(caller.pid).cwd = node;
    return 0;
  }

  /** getcwd: ENOENT once the directory was removed. */
  getcwd(caller: Caller): string | Fail {
    const cwd = this.fsContext(caller.pid).cwd;
    if (cwd.removed) return { errno: ENOENT };
    return this.pathOf(cwd);
  }
}

/** The top-level directories the machine generates; files and trees from the caller may not go there. */
export const GENERATED_DIRS: readonly string[] = ['dev', 'proc', 'sys', 'tmp'];

function checkGuestPath(path: string): void {
  const top = components(path)[0];
  if (top !== undefined && GENERATED_DIRS.includes(top)) {
    throw new Error(`${path}: /${top} is generated by the machine; files and directories from the caller go elsewhere`);
  }
}

/** Default tmpfs size: half of the modelled RAM (mm/shmem.c shmem_default_max_blocks). */
export const DEFAULT_TMPFS_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * generic_permission: the owner, group or other bits by the caller's ids.
 * Root may do anything except execute a file with no execute bit at all.
 */
export function permission(st: FileStat, mask: number, caller: Pick<Caller, 'uid' | 'gid' | 'groups'>): boolean {
  if (caller.uid === 0) {
    if (mask & MAY_EXEC && (st.mode & S_IFMT) !== S_IFDIR && !(st.mode & 0o111)) return false;
    return true;
  }
  let bits = st.mode & 7;
  if (st.uid === caller.uid) bits = (st.mode >> 6) & 7;
  else if (st.gid === caller.gid || caller.groups?.includes(st.gid)) bits = (st.mode >> 3) & 7;
  return (bits & mask) === mask;
}

/** The listing an open directory reads: ".", "..", then the entries. */
function directoryFile(vfs: Vfs, node: DirectoryNode, flags: number, caller: Caller): OpenFile {
  return new DirectoryFileImpl(node, () => node.stat(), () => [
    { name: '.', ino: node.stat().ino, type: 4 },
    { name: '..', ino: node.parent.stat().ino, type: 4 },
    ...node.entries(caller),
  ], () => vfs.pathOf(node) + (node.removed ? ' (deleted)' : ''), flags);
}

/** The non-empty components of a path. */
export function components(path: string): string[] {
  return path.split('/').filter((p) => p.length > 0);
}

function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

function lastName(path: string): string {
  const i = path.lastIndexOf('/');
  return path.slice(i + 1);
}

/** An absolute path without ".", ".." or empty components (lexical, for paths the caller gives). */
export function normalize(path: string, cwd: string): string {
  const parts = (path.startsWith('/') ? path : `${cwd}/${path}`).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return '/' + out.join('/');
}

/** A FileStat with the defaults most nodes share. */
export function makeStat(sb: SuperBlock, ino: number, mode: number, fields: Partial<FileStat> = {}): FileStat {
  return { dev: sb.dev, ino, mode, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0, ...fields };
}
