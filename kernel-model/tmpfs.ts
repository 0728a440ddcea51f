// tmpfs (mm/shmem.c, fs/libfs.c): regular files, directories and symlinks
// in memory, for /tmp and /dev/shm. File contents are sparse 4 KiB pages,
// so a truncate far beyond the data costs nothing and st_blocks counts the
// pages really held; the file system's capacity (default half the modelled
// RAM) makes a write that needs one page too many fail with ENOSPC, after
// the bytes that fit. Directory sizes, link counts and times follow
// shmem: a directory's size is 40 bytes plus 20 per entry, its link count
// 2 plus its subdirectories; writes move mtime and ctime, reads atime
// (relatime), and every change to an entry moves the directory's mtime and
// ctime. Entries list in creation order (shmem's stable offsets).

import { EINVAL, ENOTTY } from './errno.js';
import {
  EFBIG,
  ENOSPC,
  ENOTEMPTY,
  MAX_FILE_SIZE,
  O_ACCMODE,
  O_APPEND,
  O_NOATIME,
  O_WRONLY,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  SETFL_MASK,
  dtype,
  isErrno,
  openStatusFlags,
  seekPosition,
  type DirEntry,
  type FileStat,
  type IoResult,
  type OpenFile,
} from './files.js';
import type { AttrChange, Caller, DirectoryNode, DirectoryOps, FileNode, SuperBlock, SymlinkNode, VfsNode } from './vfs.js';

const PAGE = 4096;
const BOGO_DIRENT_SIZE = 20;
const RELATIME_NS = 24n * 3600n * 1_000_000_000n;
/** Symlinks up to this length live in the inode (no block). */
const SHORT_SYMLINK_LEN = 128;

type TmpNode = TmpDir | TmpFile | TmpSymlink;

/** A name of a file (a dentry): the directory and the name, or the path it had once unlinked. */
export interface TmpLink {
  dir: TmpDir | undefined;
  name: string;
  deletedPath?: string;
}

/** One mounted tmpfs. */
export class Tmpfs {
  readonly root: TmpDir;
  private pagesUsed = 0;
  private readonly pageLimit: number;

  constructor(
    readonly sb: SuperBlock,
    parent: DirectoryNode,
    name: string,
    mode: number,
    capacityBytes: number,
    readonly now: () => bigint,
  ) {
    this.pageLimit = Math.floor(capacityBytes / PAGE);
    this.root = new TmpDir(this, parent, name, S_IFDIR | mode, 0, 0);
  }

  /** Takes one page of capacity; false when the file system is full. */
  allocPage(): boolean {
    if (this.pagesUsed >= this.pageLimit) return false;
    this.pagesUsed++;
    return true;
  }

  freePages(n: number): void {
    this.pagesUsed -= n;
  }

  /** Bytes in use (whole pages). */
  get usedBytes(): number {
    return this.pagesUsed * PAGE;
  }
}

abstract class TmpInode {
  readonly ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink = 1;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  readonly btimeNs: bigint;

  constructor(readonly fs: Tmpfs, mode: number, uid: number, gid: number) {
    this.ino = fs.sb.nextIno();
    this.mode = mode;
    this.uid = uid;
    this.gid = gid;
    const t = fs.now();
    this.atimeNs = this.mtimeNs = this.ctimeNs = this.btimeNs = t;
  }

  get sb(): SuperBlock {
    return this.fs.sb;
  }

  protected baseStat(size: number, blocks: number, nlink = this.nlink): FileStat {
    return {
      dev: this.fs.sb.dev,
      ino: this.ino,
      mode: this.mode,
      nlink,
      uid: this.uid,
      gid: this.gid,
      rdev: 0,
      size,
      blksize: PAGE,
      blocks,
      atimeNs: this.atimeNs,
      mtimeNs: this.mtimeNs,
      ctimeNs: this.ctimeNs,
      btimeNs: this.btimeNs,
    };
  }

  setattr(c: AttrChange): void {
    if (c.mode !== undefined) this.mode = (this.mode & S_IFMT) | (c.mode & 0o7777);
    if (c.uid !== undefined) this.uid = c.uid;
    if (c.gid !== undefined) this.gid = c.gid;
    if (c.atimeNs !== undefined) this.atimeNs = c.atimeNs;
    if (c.mtimeNs !== undefined) this.mtimeNs = c.mtimeNs;
    this.ctimeNs = c.ctimeNs;
  }

  protected touch(): void {
    this.mtimeNs = this.ctimeNs = this.fs.now();
  }
}

export class TmpDir extends TmpInode implements DirectoryNode, DirectoryOps {
  readonly type = 'directory' as const;
  private readonly children = new Map<string, TmpNode>();
  removed = false;

  constructor(
    fs: Tmpfs,
    public parent: DirectoryNode,
    public name: string,
    mode: number,
    uid: number,
    gid: number,
  ) {
    super(fs, mode, uid, gid);
    this.nlink = 2;
  }

  get ops(): DirectoryOps | undefined {
    return this.removed ? undefined : this;
  }

  lookup(name: string): VfsNode | undefined {
    return this.children.get(name);
  }

  entries(): DirEntry[] {
    return [...this.children].map(([name, n]) => ({ name, ino: n.ino, type: dtype(n.mode) }));
  }

  get size(): number {
    return this.children.size;
  }

  stat(): FileStat {
    return this.baseStat(2 * BOGO_DIRENT_SIZE + this.children.size * BOGO_DIRENT_SIZE, 0);
  }

  private insert(name: string, node: TmpNode): void {
    this.children.set(name, node);
    if (node instanceof TmpDir) this.nlink++;
    if (node instanceof TmpFile) node.links.push({ dir: this, name });
    this.touch();
  }

  private detach(name: string): TmpNode | undefined {
    const node = this.children.get(name);
    if (!node) return undefined;
    this.children.delete(name);
    if (node instanceof TmpDir) this.nlink--;
    if (node instanceof TmpFile) node.unlinked(this, name);
    this.touch();
    return node;
  }

  createFile(name: string, mode: number, caller: Caller): FileNode {
    const f = new TmpFile(this.fs, S_IFREG | mode, caller.uid, this.groupFor(caller));
    this.insert(name, f);
    return f;
  }

  mkdir(name: string, mode: number, caller: Caller): DirectoryNode {
    const d = new TmpDir(this.fs, this, name, S_IFDIR | mode | (this.mode & 0o2000), caller.uid, this.groupFor(caller));
    this.insert(name, d);
    return d;
  }

  symlink(name: string, target: string, caller: Caller): SymlinkNode {
    const l = new TmpSymlink(this.fs, target, caller.uid, this.groupFor(caller));
    this.insert(name, l);
    return l;
  }

  link(name: string, node: VfsNode): number {
    if (!(node instanceof TmpFile) && !(node instanceof TmpSymlink)) return -EINVAL;
    node.nlink++;
    node.ctimeNs = this.fs.now();
    this.insert(name, node);
    return 0;
  }

  remove(name: string): number {
    const node = this.children.get(name);
    if (!node) return -EINVAL;
    if (node instanceof TmpDir) {
      if (node.children.size > 0) return -ENOTEMPTY;
      node.removed = true;
      node.nlink = 0;
    } else {
      node.nlink--;
      node.ctimeNs = this.fs.now();
      if (node instanceof TmpFile) node.maybeRelease();
    }
    this.detach(name);
    return 0;
  }

  rename(name: string, to: DirectoryNode, toName: string): number {
    if (!(to instanceof TmpDir) || to.fs !== this.fs) return -EINVAL;
    const node = this.children.get(name);
    if (!node) return -EINVAL;
    const existing = to.children.get(toName);
    if (existing === node) return 0;
    if (existing) {
      const r = to.remove(toName);
      if (r < 0) return r;
    }
    // d_move: the entry (and every descriptor opened through it) moves.
    this.children.delete(name);
    to.children.set(toName, node);
    if (node instanceof TmpDir) {
      this.nlink--;
      to.nlink++;
      node.parent = to;
      node.name = toName;
    }
    if (node instanceof TmpFile) {
      const link = node.links.find((l) => l.dir === this && l.name === name);
      if (link) {
        link.dir = to;
        link.name = toName;
      }
    }
    node.ctimeNs = this.fs.now();
    this.touch();
    to.touch();
    return 0;
  }

  tmpfile(mode: number, caller: Caller): TmpFile {
    const f = new TmpFile(this.fs, S_IFREG | mode, caller.uid, this.groupFor(caller));
    f.nlink = 0;
    f.lastPath = `${pathOf(this)}/#${f.ino}`;
    return f;
  }

  /** A new entry's group: the directory's when it is setgid, else the creator's. */
  private groupFor(caller: Caller): number {
    return this.mode & 0o2000 ? this.gid : caller.gid;
  }
}

export class TmpSymlink extends TmpInode implements SymlinkNode {
  readonly type = 'symlink' as const;
  constructor(fs: Tmpfs, private readonly target: string, uid: number, gid: number) {
    super(fs, S_IFLNK | 0o777, uid, gid);
  }
  readlink(): string {
    this.atimeNs = this.fs.now();
    return this.target;
  }
  stat(): FileStat {
    const size = new TextEncoder().encode(this.target).length;
    return this.baseStat(size, size < SHORT_SYMLINK_LEN ? 0 : 8);
  }
}

export class TmpFile extends TmpInode implements FileNode {
  readonly type = 'file' as const;
  private readonly pages = new Map<number, Uint8Array>();
  private length = 0;
  /** The names this file has (hard links, like dentries); empty once unlinked. */
  readonly links: TmpLink[] = [];
  /** The path of an O_TMPFILE file ("/tmp/#ino"), shown with " (deleted)". */
  lastPath = '';
  /** Open descriptors; the pages go when the last name and the last descriptor are gone. */
  opens = 0;

  constructor(fs: Tmpfs, mode: number, uid: number, gid: number) {
    super(fs, mode, uid, gid);
  }

  get size(): number {
    return this.length;
  }

  stat(): FileStat {
    return this.baseStat(this.length, this.pages.size * 8);
  }

  /** Opens through the name `path` was resolved by: /proc/<pid>/fd follows that name (renames move it; unlinking it shows " (deleted)"). */
  open(flags: number, path: string): OpenFile {
    this.opens++;
    const link = this.links.find((l) => this.linkPath(l) === path) ?? this.links[0] ?? { dir: undefined, name: '', deletedPath: this.lastPath || path };
    return new TmpfsOpenFile(this, openStatusFlags(flags), link);
  }

  /** The name `name` in `dir` went away (unlink, or replaced by a rename). */
  unlinked(dir: TmpDir, name: string): void {
    const i = this.links.findIndex((l) => l.dir === dir && l.name === name);
    if (i < 0) return;
    const [link] = this.links.splice(i, 1);
    link.deletedPath = this.linkPath(link);
  }

  /** What /proc/<pid>/fd shows for a descriptor opened through `link`. */
  pathOf(link: TmpLink): string {
    return link.deletedPath !== undefined ? `${link.deletedPath} (deleted)` : this.linkPath(link);
  }

  linkPath(l: TmpLink): string {
    if (!l.dir) return l.deletedPath ?? '';
    const d = pathOf(l.dir);
    return d === '/' ? `/${l.name}` : `${d}/${l.name}`;
  }

  /** Frees the pages of a file with no name and no descriptor. */
  maybeRelease(): void {
    if (this.nlink > 0 || this.opens > 0) return;
    this.fs.freePages(this.pages.size);
    this.pages.clear();
  }

  read(offset: number, count: number): Uint8Array {
    if (offset >= this.length || count <= 0) return new Uint8Array(0);
    const end = Math.min(this.length, offset + count);
    const out = new Uint8Array(end - offset);
    for (let at = offset; at < end; ) {
      const page = Math.floor(at / PAGE);
      const within = at - page * PAGE;
      const n = Math.min(PAGE - within, end - at);
      const p = this.pages.get(page);
      if (p) out.set(p.subarray(within, within + n), at - offset);
      at += n;
    }
    return out;
  }

  /** Writes at offset; a count (possibly short when the file system fills) or ENOSPC / EFBIG. */
  write(offset: number, data: Uint8Array): IoResult<number> {
    if (data.length === 0) return 0;
    if (offset + data.length > MAX_FILE_SIZE) return { errno: EFBIG };
    let done = 0;
    while (done < data.length) {
      const at = offset + done;
      const page = Math.floor(at / PAGE);
      const within = at - page * PAGE;
      const n = Math.min(PAGE - within, data.length - done);
      let p = this.pages.get(page);
      if (!p) {
        if (!this.fs.allocPage()) break;
        p = new Uint8Array(PAGE);
        this.pages.set(page, p);
      }
      p.set(data.subarray(done, done + n), within);
      done += n;
    }
    if (done === 0) return { errno: ENOSPC };
    this.length = Math.max(this.length, offset + done);
    this.touch();
    return done;
  }

  truncate(length: number): number {
    if (length < 0) return -EINVAL;
    if (length > MAX_FILE_SIZE) return -EFBIG;
    if (length < this.length) {
      const keep = Math.ceil(length / PAGE);
      let freed = 0;
      for (const k of [...this.pages.keys()]) {
        if (k >= keep) {
          this.pages.delete(k);
          freed++;
        }
      }
      this.fs.freePages(freed);
      const last = this.pages.get(keep - 1);
      if (last && length % PAGE !== 0) last.fill(0, length % PAGE);
    }
    this.length = length;
    this.touch();
    return 0;
  }

  /** relatime: atime moves when it is not after mtime/ctime or is a day old. */
  accessed(): void {
    const now = this.fs.now();
    if (this.atimeNs <= this.mtimeNs || this.atimeNs <= this.ctimeNs || now - this.atimeNs >= RELATIME_NS) this.atimeNs = now;
  }

  /** The bytes up to the last page held (the rest of the file reads as zeros), for a private mmap. */
  contents(): Uint8Array {
    let lastPage = -1;
    for (const k of this.pages.keys()) lastPage = Math.max(lastPage, k);
    const len = Math.min(this.length, (lastPage + 1) * PAGE);
    return this.read(0, len);
  }
}

/** An open tmpfs file: a position, the access mode and O_APPEND. */
export class TmpfsOpenFile implements OpenFile {
  readonly kind = 'tmpfs' as const;
  private position = 0;
  constructor(
    readonly node: TmpFile,
    public statusFlags: number,
    private readonly link: TmpLink,
  ) {}

  read(count: number): IoResult<Uint8Array> {
    const data = this.node.read(this.position, count);
    this.position += data.length;
    if (!(this.statusFlags & O_NOATIME)) this.node.accessed();
    return data;
  }

  write(data: Uint8Array): IoResult<number> {
    if (this.statusFlags & O_APPEND) this.position = this.node.size;
    const r = this.node.write(this.position, data);
    if (!isErrno(r)) this.position += r;
    return r;
  }

  pread(count: number, offset: number): IoResult<Uint8Array> {
    if (offset < 0) return { errno: EINVAL };
    if (!(this.statusFlags & O_NOATIME)) this.node.accessed();
    return this.node.read(offset, count);
  }

  /** pwrite on an O_APPEND file appends, whatever the offset (a known Linux quirk, see pwrite(2) BUGS). */
  pwrite(data: Uint8Array, offset: number): IoResult<number> {
    if (offset < 0) return { errno: EINVAL };
    return this.node.write(this.statusFlags & O_APPEND ? this.node.size : offset, data);
  }

  seek(offset: number, whence: number): IoResult<number> {
    const next = seekPosition(this.position, this.node.size, offset, whence);
    if (!isErrno(next)) this.position = next;
    return next;
  }

  stat(): FileStat {
    return this.node.stat();
  }

  ioctl(): number {
    return -ENOTTY;
  }

  contents(): Uint8Array {
    return this.node.contents();
  }

  setStatusFlags(flags: number): void {
    this.statusFlags = (this.statusFlags & ~SETFL_MASK) | (flags & SETFL_MASK);
  }

  truncate(length: number): number {
    const acc = this.statusFlags & O_ACCMODE;
    if (acc !== O_WRONLY && acc !== 2) return -EINVAL;
    return this.node.truncate(length);
  }

  linkTarget(): string {
    return this.node.pathOf(this.link);
  }

  /**
   * The last descriptor referring to this open file closed. Whoever counts
   * references (the fd table, fork) calls it; until then an unlinked file
   * keeps its pages.
   */
  release(): void {
    this.node.opens--;
    this.node.maybeRelease();
  }
}

function pathOf(d: DirectoryNode): string {
  const parts: string[] = [];
  let x = d;
  for (let guard = 0; x.parent !== x && guard < 4096; guard++) {
    parts.push(x.name);
    x = x.parent;
  }
  return '/' + parts.reverse().join('/');
}
