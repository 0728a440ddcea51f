// Open files: what a file descriptor refers to (Linux's struct file).
// stdin is a pipe fed from a byte array; stdout and stderr are pipes whose
// bytes are captured (and optionally streamed). The standard streams look
// like pipes to the guest (S_IFIFO, ioctl(TCGETS) fails with ENOTTY), as
// when a program runs with its output redirected: glibc then buffers stdout
// fully, like natively. Files of the virtual file system (vfs.ts) open into
// the classes here and in tmpfs.ts / devices.ts.
//
// Every I/O method returns bytes / a count on success and { errno } on
// failure; the syscall layer turns that into -errno. Pipes with blocking
// semantics implement the same interface.

import { EBADF, EINVAL, EISDIR, ENOTTY, ESPIPE } from './errno.js';

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFDIR = 0o040000;
export const S_IFBLK = 0o060000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_ISVTX = 0o1000;

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_ACCMODE = 3;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const O_ASYNC = 0o20000;
export const O_DIRECT = 0o40000;
export const O_LARGEFILE = 0o100000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;
export const O_TMPFILE = 0o20000000 | O_DIRECTORY;
/** What F_SETFL may change (fs/fcntl.c SETFL_MASK). */
export const SETFL_MASK = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_ASYNC;

/**
 * f_flags of a file opened with `flags`, as F_GETFL reports them:
 * do_dentry_open drops O_CREAT, O_EXCL, O_NOCTTY and O_TRUNC; O_CLOEXEC
 * belongs to the descriptor; 64-bit opens are O_LARGEFILE.
 */
export function openStatusFlags(flags: number): number {
  return (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | O_LARGEFILE;
}

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

// errno values the file system needs beyond errno.ts.
export const ENXIO = 6;
export const EXDEV = 18;
export const EFBIG = 27;
export const ENOSPC = 28;
export const EMLINK = 31;
export const ENOTEMPTY = 39;

/** The largest file offset (MAX_LFS_FILESIZE), as a number. */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;

export interface FileStat {
  /** st_dev as new_encode_dev packs it (major << 8 | minor for small numbers). */
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  /** Times in ns since the epoch; absent: the machine's boot epoch. */
  atimeNs?: bigint;
  mtimeNs?: bigint;
  ctimeNs?: bigint;
  /** Birth time (statx STATX_BTIME), where the file system records one. */
  btimeNs?: bigint;
}

/** A result: bytes/count on success, { errno } on failure. */
export type IoResult<T> = T | { errno: number };

export function isErrno<T>(r: IoResult<T>): r is { errno: number } {
  return typeof r === 'object' && r !== null && !(r instanceof Uint8Array) && 'errno' in (r as object);
}

/**
 * What a descriptor points at. 'pipe' for pipes and the standard streams;
 * 'file' for read-only regular files; 'tmpfs' for writable in-memory files;
 * 'directory'; the character devices by name; 'path' for O_PATH
 * descriptors. Add a kind for a new object (eventfd, socket, ...).
 */
export type FileKind = 'pipe' | 'file' | 'tmpfs' | 'directory' | 'null' | 'zero' | 'full' | 'random' | 'path' | 'proc';

export interface OpenFile {
  readonly kind: FileKind;
  /** O_RDONLY / O_WRONLY / O_RDWR and status flags, as F_GETFL reports them. */
  readonly statusFlags: number;
  read(count: number): IoResult<Uint8Array>;
  write(data: Uint8Array): IoResult<number>;
  pread(count: number, offset: number): IoResult<Uint8Array>;
  /** Absent: ESPIPE (pipes). */
  pwrite?(data: Uint8Array, offset: number): IoResult<number>;
  seek(offset: number, whence: number): IoResult<number>;
  stat(): FileStat;
  /** 0 or a negative errno (TCGETS on a non-terminal: -ENOTTY). */
  ioctl(request: number): number;
  /** File contents for a private mmap; undefined when the file cannot be mapped (ENODEV). An empty array maps zero pages (/dev/zero). */
  contents(): Uint8Array | undefined;
  /** F_SETFL: replaces the SETFL_MASK bits. Absent: the flags do not change. */
  setStatusFlags?(flags: number): void;
  /** ftruncate: 0 or a negative errno. Absent: -EINVAL. */
  truncate?(length: number): number;
  /** What /proc/<pid>/fd/N reads as: a path, "pipe:[ino]", "/dev/null". Absent: derived from kind and inode. */
  linkTarget?(): string;
  /** The file-system node the descriptor was opened from (fchmod, fchdir, reopening through /proc/<pid>/fd). */
  readonly node?: unknown;
  /** getdents64 on a directory: the next entries. Absent: -ENOTDIR. */
  readdir?(): DirentCursor | undefined;
  /**
   * The last descriptor referring to this open file is gone (close, exit,
   * exec of every sharer). Called by whoever counts the references (the
   * fd table once it does); pipes signal EOF, unlinked tmpfs files free
   * their pages.
   */
  release?(): void;
}

/** One directory entry (struct linux_dirent64 without the offsets). */
export interface DirEntry {
  name: string;
  ino: number;
  /** DT_* type. */
  type: number;
}

export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

/** The DT_* type of a mode. */
export function dtype(mode: number): number {
  return (mode & S_IFMT) >> 12;
}

/** What getdents64 reads from a directory: the entries and the position in them (d_off of entry i is i + 1). */
export interface DirentCursor {
  entries(): readonly DirEntry[];
  position: number;
}

/** What /proc/<pid>/fd/N shows for an open file. */
export function fdLinkTarget(f: OpenFile): string {
  if (f.linkTarget) return f.linkTarget();
  if (f.kind === 'pipe') return `pipe:[${f.stat().ino}]`;
  return `anon_inode:[${f.kind}]`;
}

function pipeStat(ino: number, uid: number, gid: number): FileStat {
  return { dev: 0xc, ino, mode: S_IFIFO | 0o600, nlink: 1, uid, gid, rdev: 0, size: 0, blksize: 4096, blocks: 0 };
}

abstract class Pipe implements OpenFile {
  readonly kind = 'pipe' as const;
  abstract readonly statusFlags: number;
  constructor(
    private readonly ino: number,
    private readonly uid: number,
    private readonly gid: number,
  ) {}
  read(_count: number): IoResult<Uint8Array> {
    return { errno: EBADF };
  }
  write(_data: Uint8Array): IoResult<number> {
    return { errno: EBADF };
  }
  pread(): IoResult<Uint8Array> {
    return { errno: ESPIPE };
  }
  seek(): IoResult<number> {
    return { errno: ESPIPE };
  }
  stat(): FileStat {
    return pipeStat(this.ino, this.uid, this.gid);
  }
  ioctl(): number {
    return -ENOTTY;
  }
  contents(): undefined {
    return undefined;
  }
}

/** The read end of a pipe holding the guest's stdin; EOF after the last byte. */
export class InputPipe extends Pipe {
  readonly statusFlags = O_RDONLY;
  private position = 0;
  constructor(private readonly data: Uint8Array, ino: number, uid: number, gid: number) {
    super(ino, uid, gid);
  }
  override read(count: number): IoResult<Uint8Array> {
    const chunk = this.data.subarray(this.position, this.position + count);
    this.position += chunk.length;
    return chunk;
  }
}

/** The write end of a pipe whose bytes rseqlab captures: stdout, stderr. */
export class OutputPipe extends Pipe {
  readonly statusFlags = O_WRONLY;
  private chunks: Uint8Array[] = [];
  private length = 0;
  constructor(private readonly sink: ((bytes: Uint8Array) => void) | undefined, ino: number, uid: number, gid: number) {
    super(ino, uid, gid);
  }
  override write(data: Uint8Array): IoResult<number> {
    const copy = data.slice();
    this.chunks.push(copy);
    this.length += copy.length;
    this.sink?.(copy);
    return copy.length;
  }
  /** Everything written so far. */
  captured(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    this.chunks = [out];
    return out;
  }
}

/** lseek's arithmetic for a file of `size` bytes (fs/read_write.c generic_file_llseek_size). */
export function seekPosition(position: number, size: number, offset: number, whence: number): IoResult<number> {
  let next: number;
  switch (whence) {
    case SEEK_SET:
      next = offset;
      break;
    case SEEK_CUR:
      next = position + offset;
      break;
    case SEEK_END:
      next = size + offset;
      break;
    case SEEK_DATA:
      if (offset < 0 || offset >= size) return { errno: ENXIO };
      next = offset;
      break;
    case SEEK_HOLE:
      if (offset < 0 || offset >= size) return { errno: ENXIO };
      next = size;
      break;
    default:
      return { errno: EINVAL };
  }
  if (next < 0 || next > MAX_FILE_SIZE) return { errno: EINVAL };
  return next;
}

/**
 * A read-only regular file: bytes fixed at open (a file handed in by the
 * caller, a host file, or a /proc or /sys file generated when opened).
 */
export interface RegularFileOptions {
  statusFlags?: number;
  /** What /proc/<pid>/fd/N shows. */
  path?: string;
  node?: unknown;
  kind?: FileKind;
  /** Writes (/proc/<pid>/comm); absent: EBADF. */
  write?: (data: Uint8Array) => IoResult<number>;
}

export class RegularFile implements OpenFile {
  readonly kind: FileKind;
  readonly statusFlags: number;
  readonly node?: unknown;
  private position = 0;
  private readonly path?: string;
  private readonly writer?: (data: Uint8Array) => IoResult<number>;
  constructor(
    private readonly data: Uint8Array,
    private readonly info: FileStat,
    options: RegularFileOptions = {},
  ) {
    this.statusFlags = options.statusFlags ?? O_RDONLY;
    this.path = options.path;
    this.node = options.node;
    this.kind = options.kind ?? 'file';
    this.writer = options.write;
  }
  read(count: number): IoResult<Uint8Array> {
    const chunk = this.data.subarray(Math.min(this.position, this.data.length), this.position + count);
    this.position += chunk.length;
    return chunk;
  }
  write(data: Uint8Array): IoResult<number> {
    return this.writer ? this.writer(data) : { errno: EBADF };
  }
  pread(count: number, offset: number): IoResult<Uint8Array> {
    if (offset < 0) return { errno: EINVAL };
    return this.data.subarray(Math.min(offset, this.data.length), offset + count);
  }
  pwrite(data: Uint8Array): IoResult<number> {
    return this.write(data);
  }
  seek(offset: number, whence: number): IoResult<number> {
    const next = seekPosition(this.position, this.data.length, offset, whence);
    if (!isErrno(next)) this.position = next;
    return next;
  }
  stat(): FileStat {
    return this.info;
  }
  ioctl(): number {
    return -ENOTTY;
  }
  contents(): Uint8Array {
    return this.data;
  }
  linkTarget(): string {
    return this.path ?? '/';
  }
}

/**
 * A directory opened for reading (O_DIRECTORY or plain open): read fails
 * with EISDIR; getdents64 lists ".", ".." and the entries, which are taken
 * when the listing starts (position 0), so removing entries while listing
 * (rm -r) neither skips nor repeats any.
 */
export class DirectoryFile implements OpenFile {
  readonly kind = 'directory' as const;
  private listing: DirEntry[] | undefined;
  private readonly cursor: DirentCursor;
  constructor(
    /** The directory node (vfs.ts DirectoryNode), the base for *at() calls with this descriptor. */
    readonly node: unknown,
    private readonly info: () => FileStat,
    /** ".", "..", then the entries, listed now. */
    private readonly list: () => DirEntry[],
    private readonly path: () => string,
    readonly statusFlags = O_RDONLY | O_DIRECTORY | O_LARGEFILE,
  ) {
    const self = this;
    this.cursor = {
      position: 0,
      entries(): readonly DirEntry[] {
        if (self.listing === undefined || this.position === 0) self.listing = self.list();
        return self.listing;
      },
    };
  }
  read(): IoResult<Uint8Array> {
    return { errno: EISDIR };
  }
  write(): IoResult<number> {
    return { errno: EBADF };
  }
  pread(): IoResult<Uint8Array> {
    return { errno: EISDIR };
  }
  /** dcache_dir_lseek: SEEK_SET / SEEK_CUR move the listing position (0 restarts it). */
  seek(offset: number, whence: number): IoResult<number> {
    let next: number;
    if (whence === SEEK_SET) next = offset;
    else if (whence === SEEK_CUR) next = this.cursor.position + offset;
    else return { errno: EINVAL };
    if (next < 0) return { errno: EINVAL };
    this.cursor.position = next;
    return next;
  }
  stat(): FileStat {
    return this.info();
  }
  ioctl(): number {
    return -ENOTTY;
  }
  contents(): undefined {
    return undefined;
  }
  readdir(): DirentCursor {
    return this.cursor;
  }
  linkTarget(): string {
    return this.path();
  }
}

/** An O_PATH descriptor: names a file without opening it (fs/open.c do_o_path). Only fstat, *at() bases, fchdir, close, dup. */
export class PathFile implements OpenFile {
  readonly kind = 'path' as const;
  readonly statusFlags: number;
  constructor(
    readonly node: unknown,
    private readonly info: () => FileStat,
    private readonly path: string,
    flags: number,
  ) {
    this.statusFlags = O_PATH | (flags & (O_DIRECTORY | O_NOFOLLOW));
  }
  read(): IoResult<Uint8Array> {
    return { errno: EBADF };
  }
  write(): IoResult<number> {
    return { errno: EBADF };
  }
  pread(): IoResult<Uint8Array> {
    return { errno: EBADF };
  }
  seek(): IoResult<number> {
    return { errno: EBADF };
  }
  stat(): FileStat {
    return this.info();
  }
  ioctl(): number {
    return -EBADF;
  }
  contents(): undefined {
    return undefined;
  }
  readdir(): undefined {
    return undefined;
  }
  linkTarget(): string {
    return this.path;
  }
}

/** /dev/null: reads give EOF, writes vanish. */
export class NullDevice implements OpenFile {
  readonly kind = 'null' as const;
  constructor(readonly statusFlags: number, private readonly info: FileStat, readonly node?: unknown) {}
  read(): IoResult<Uint8Array> {
    return new Uint8Array(0);
  }
  write(data: Uint8Array): IoResult<number> {
    return data.length;
  }
  pread(): IoResult<Uint8Array> {
    return new Uint8Array(0);
  }
  pwrite(data: Uint8Array): IoResult<number> {
    return data.length;
  }
  seek(): IoResult<number> {
    return 0;
  }
  stat(): FileStat {
    return this.info;
  }
  ioctl(): number {
    return -ENOTTY;
  }
  contents(): undefined {
    return undefined;
  }
  linkTarget(): string {
    return '/dev/null';
  }
}
