// Open files: what a file descriptor refers to (Linux's struct file).
// stdin is a pipe fed from a byte array; stdout and stderr are pipes whose
// bytes are captured (and optionally streamed); files from the virtual file
// system are read-only. The standard streams look like pipes to the guest
// (S_IFIFO, ioctl(TCGETS) fails with ENOTTY), as when a program runs with
// its output redirected: glibc then buffers stdout fully, like natively.

import { EBADF, EINVAL, EISDIR, ESPIPE, ENOTTY } from './errno.js';

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_ACCMODE = 3;

export interface FileStat {
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
}

/** A result: bytes/count on success, a negative errno on failure. */
export type IoResult<T> = T | { errno: number };

export function isErrno<T>(r: IoResult<T>): r is { errno: number } {
  return typeof r === 'object' && !(r instanceof Uint8Array);
}

export interface OpenFile {
  readonly kind: 'pipe' | 'file' | 'directory' | 'null';
  /** O_RDONLY / O_WRONLY / O_RDWR and status flags, as F_GETFL reports them. */
  readonly statusFlags: number;
  read(count: number): IoResult<Uint8Array>;
  write(data: Uint8Array): IoResult<number>;
  pread(count: number, offset: number): IoResult<Uint8Array>;
  seek(offset: number, whence: number): IoResult<number>;
  stat(): FileStat;
  ioctl(request: number): number;
  /** File contents for a read-only mmap; undefined when the file cannot be mapped. */
  contents(): Uint8Array | undefined;
}

const SEEK_SET = 0;
const SEEK_CUR = 1;
const SEEK_END = 2;

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

/** A read-only regular file from the virtual file system. */
export class RegularFile implements OpenFile {
  readonly kind = 'file' as const;
  readonly statusFlags = O_RDONLY;
  private position = 0;
  constructor(
    private readonly data: Uint8Array,
    private readonly info: FileStat,
  ) {}
  read(count: number): IoResult<Uint8Array> {
    const chunk = this.data.subarray(Math.min(this.position, this.data.length), this.position + count);
    this.position += chunk.length;
    return chunk;
  }
  write(): IoResult<number> {
    return { errno: EBADF };
  }
  pread(count: number, offset: number): IoResult<Uint8Array> {
    if (offset < 0) return { errno: EINVAL };
    return this.data.subarray(Math.min(offset, this.data.length), offset + count);
  }
  seek(offset: number, whence: number): IoResult<number> {
    let base: number;
    if (whence === SEEK_SET) base = 0;
    else if (whence === SEEK_CUR) base = this.position;
    else if (whence === SEEK_END) base = this.data.length;
    else return { errno: EINVAL };
    const next = base + offset;
    if (next < 0) return { errno: EINVAL };
    this.position = next;
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
}

/** A directory opened for reading (O_DIRECTORY or plain open): read fails with EISDIR. */
export class DirectoryFile implements OpenFile {
  readonly kind = 'directory' as const;
  readonly statusFlags = O_RDONLY;
  constructor(
    /** Absolute path, the base for *at() calls with this descriptor. */
    readonly path: string,
    private readonly info: FileStat,
  ) {}
  read(): IoResult<Uint8Array> {
    return { errno: EISDIR };
  }
  write(): IoResult<number> {
    return { errno: EBADF };
  }
  pread(): IoResult<Uint8Array> {
    return { errno: EISDIR };
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
}

/** /dev/null: reads give EOF, writes vanish. */
export class NullDevice implements OpenFile {
  readonly kind = 'null' as const;
  constructor(readonly statusFlags: number, private readonly info: FileStat) {}
  read(): IoResult<Uint8Array> {
    return new Uint8Array(0);
  }
  write(data: Uint8Array): IoResult<number> {
    return data.length;
  }
  pread(): IoResult<Uint8Array> {
    return new Uint8Array(0);
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
}
