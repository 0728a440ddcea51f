// memfd_create (mm/memfd.c): an anonymous file whose pages are a shared
// object of the CPU (Cpu.createSharedObject), so read/write on the
// descriptor, MAP_SHARED mappings in any process and at any address, and
// fork all see the same bytes. Per-CPU memory pools map one memfd twice.

import type { Cpu } from '../emulator/api.js';
import { EINVAL } from './errno.js';
import { EFBIG, O_APPEND, O_RDWR, SEEK_CUR, SEEK_END, SEEK_SET, S_IFREG, type FileStat, type IoResult, type OpenFile } from './files.js';
import { PAGE_SIZE } from './layout.js';

/** Bytes a memfd may hold in this model (the machine's memory bounds it long before). */
const MAX_MEMFD_SIZE = 2 ** 40;

export class MemfdFile implements OpenFile {
  readonly kind = 'tmpfs' as const;
  private flags = O_RDWR;
  private position = 0;
  private length = 0;
  /** The CPU's shared object holding the pages. */
  readonly object: number;

  constructor(
    private readonly cpu: Cpu,
    readonly name: string,
    private readonly ino: number,
    private readonly uid: number,
    private readonly gid: number,
    private readonly now: () => bigint,
  ) {
    this.object = cpu.createSharedObject(0);
  }

  get statusFlags(): number {
    return this.flags;
  }

  setStatusFlags(flags: number): void {
    this.flags = (this.flags & ~O_APPEND) | (flags & O_APPEND);
  }

  get size(): number {
    return this.length;
  }

  private pages(bytes: number): number {
    return Math.ceil(bytes / PAGE_SIZE);
  }

  /** ftruncate: grows with zeros or shrinks (mappings beyond the end keep what they touched: see Cpu.resizeSharedObject). */
  truncate(length: number): number {
    if (length < 0 || length > MAX_MEMFD_SIZE) return -EINVAL;
    if (length < this.length && length % PAGE_SIZE !== 0) {
      // The tail of the last page must read back as zeros if the file grows again.
      const keep = this.pages(length) * PAGE_SIZE;
      this.cpu.writeShared(this.object, length, new Uint8Array(Math.min(keep, this.length) - length));
    }
    this.cpu.resizeSharedObject(this.object, this.pages(length));
    this.length = length;
    return 0;
  }

  pread(count: number, offset: number): IoResult<Uint8Array> {
    if (offset < 0) return { errno: EINVAL };
    const n = Math.max(0, Math.min(count, this.length - offset));
    return n === 0 ? new Uint8Array(0) : this.cpu.readShared(this.object, offset, n);
  }

  pwrite(data: Uint8Array, offset: number): IoResult<number> {
    if (offset < 0) return { errno: EINVAL };
    const end = offset + data.length;
    if (end > MAX_MEMFD_SIZE) return { errno: EFBIG };
    if (end > this.length) {
      this.cpu.resizeSharedObject(this.object, this.pages(end));
      this.length = end;
    }
    if (data.length > 0) this.cpu.writeShared(this.object, offset, data);
    return data.length;
  }

  read(count: number): IoResult<Uint8Array> {
    const r = this.pread(count, this.position);
    if (r instanceof Uint8Array) this.position += r.length;
    return r;
  }

  write(data: Uint8Array): IoResult<number> {
    if (this.flags & O_APPEND) this.position = this.length;
    const r = this.pwrite(data, this.position);
    if (typeof r === 'number') this.position += r;
    return r;
  }

  seek(offset: number, whence: number): IoResult<number> {
    const base = whence === SEEK_SET ? 0 : whence === SEEK_CUR ? this.position : whence === SEEK_END ? this.length : -1;
    if (base < 0 || base + offset < 0) return { errno: EINVAL };
    this.position = base + offset;
    return this.position;
  }

  stat(): FileStat {
    const t = this.now();
    return {
      dev: 0x1, ino: this.ino, mode: S_IFREG | 0o777, nlink: 1, uid: this.uid, gid: this.gid, rdev: 0,
      size: this.length, blksize: PAGE_SIZE, blocks: this.pages(this.length) * 8, atimeNs: t, mtimeNs: t, ctimeNs: t,
    };
  }

  ioctl(): number {
    return -25; // ENOTTY
  }

  /** A private mapping copies the bytes as they are now. */
  contents(): Uint8Array {
    return this.length === 0 ? new Uint8Array(0) : this.cpu.readShared(this.object, 0, this.length);
  }

  linkTarget(): string {
    return `/memfd:${this.name} (deleted)`;
  }

  /** The last descriptor is closed: the object lives on in its mappings only. */
  release(): void {
    this.cpu.releaseSharedObject(this.object);
  }
}
