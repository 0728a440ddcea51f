// Pipes (fs/pipe.c): a bounded byte buffer with a read end and a write end.
// A read of an empty pipe with writers left, or a write to a full one with
// readers left, cannot complete now: the end reports EAGAIN and a wait
// queue, and the system call layer sleeps on it unless O_NONBLOCK (pipe
// I/O that blocks is an ordinary Block, wait.ts). The last writer gone means
// EOF; the last reader gone means EPIPE (and SIGPIPE) for writers.

import { EAGAIN, EBADF, EPIPE, ESPIPE, ENOTTY, EINVAL } from './errno.js';
import { O_NONBLOCK, O_RDONLY, O_WRONLY, S_IFIFO, type FileStat, type IoResult, type OpenFile } from './files.js';
import { WaitQueue } from './wait.js';

/** PIPE_DEF_BUFFERS pages of capacity (F_GETPIPE_SZ reports it). */
export const PIPE_CAPACITY = 65536;
/** Writes of at most PIPE_BUF bytes are atomic: all or nothing. */
export const PIPE_BUF = 4096;
const FIONREAD = 0x541b;

/** What poll/select see on one end. */
export interface Readiness {
  readable: boolean;
  writable: boolean;
  /** POLLHUP: the other side is gone (read end: no writers). */
  hangup: boolean;
  /** POLLERR: write end with no readers. */
  error: boolean;
}

/** The pipe itself (struct pipe_inode_info). */
export class Pipe {
  private chunks: Uint8Array[] = [];
  private bytes = 0;
  readers = 0;
  writers = 0;
  /** Woken when data arrives or the last writer leaves. */
  readonly readWait = new WaitQueue();
  /** Woken when space frees up or the last reader leaves. */
  readonly writeWait = new WaitQueue();

  constructor(
    readonly ino: number,
    private readonly wake: (q: WaitQueue) => void,
    readonly uid: number,
    readonly gid: number,
  ) {}

  get size(): number {
    return this.bytes;
  }

  read(count: number): IoResult<Uint8Array> {
    if (count === 0) return new Uint8Array(0);
    if (this.bytes === 0) return this.writers === 0 ? new Uint8Array(0) : { errno: EAGAIN };
    const n = Math.min(count, this.bytes);
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      const take = Math.min(c.length, n - at);
      out.set(c.subarray(0, take), at);
      at += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    this.bytes -= n;
    this.wake(this.writeWait);
    return out;
  }

  write(data: Uint8Array): IoResult<number> {
    if (this.readers === 0) return { errno: EPIPE };
    if (data.length === 0) return 0;
    const space = PIPE_CAPACITY - this.bytes;
    // pipe_write: a write of at most PIPE_BUF bytes goes in whole or not at all.
    if (space === 0 || (data.length <= PIPE_BUF && space < data.length)) return { errno: EAGAIN };
    const n = Math.min(space, data.length);
    this.chunks.push(data.slice(0, n));
    this.bytes += n;
    this.wake(this.readWait);
    return n;
  }

  closeEnd(side: 'read' | 'write'): void {
    if (side === 'read') {
      this.readers--;
      if (this.readers === 0) this.wake(this.writeWait);
    } else {
      this.writers--;
      if (this.writers === 0) this.wake(this.readWait);
    }
  }
}

/** One end of a pipe, as a descriptor refers to it. */
export class PipeEnd implements OpenFile {
  readonly kind = 'pipe' as const;
  private flags: number;

  constructor(
    readonly pipe: Pipe,
    readonly side: 'read' | 'write',
    nonblock: boolean,
  ) {
    this.flags = (side === 'read' ? O_RDONLY : O_WRONLY) | (nonblock ? O_NONBLOCK : 0);
    if (side === 'read') pipe.readers++;
    else pipe.writers++;
  }

  get statusFlags(): number {
    return this.flags;
  }

  setStatusFlags(flags: number): void {
    this.flags = (this.flags & ~O_NONBLOCK) | (flags & O_NONBLOCK);
  }

  get nonblocking(): boolean {
    return (this.flags & O_NONBLOCK) !== 0;
  }

  /** The queue a blocked reader or writer of this end sleeps on. */
  waitQueue(): WaitQueue {
    return this.side === 'read' ? this.pipe.readWait : this.pipe.writeWait;
  }

  readiness(): Readiness {
    const p = this.pipe;
    if (this.side === 'read') return { readable: p.size > 0 || p.writers === 0, writable: false, hangup: p.writers === 0, error: false };
    return { readable: false, writable: p.readers > 0 && p.size < PIPE_CAPACITY, hangup: false, error: p.readers === 0 };
  }

  read(count: number): IoResult<Uint8Array> {
    return this.side === 'read' ? this.pipe.read(count) : { errno: EBADF };
  }

  write(data: Uint8Array): IoResult<number> {
    return this.side === 'write' ? this.pipe.write(data) : { errno: EBADF };
  }

  pread(): IoResult<Uint8Array> {
    return { errno: ESPIPE };
  }

  seek(): IoResult<number> {
    return { errno: ESPIPE };
  }

  stat(): FileStat {
    return { dev: 0xc, ino: this.pipe.ino, mode: S_IFIFO | 0o600, nlink: 1, uid: this.pipe.uid, gid: this.pipe.gid, rdev: 0, size: 0, blksize: 4096, blocks: 0 };
  }

  ioctl(request: number): number {
    return request === FIONREAD ? -EINVAL : -ENOTTY;
  }

  contents(): undefined {
    return undefined;
  }

  linkTarget(): string {
    return `pipe:[${this.pipe.ino}]`;
  }

  /** The last descriptor of this end is closed. */
  release(): void {
    this.pipe.closeEnd(this.side);
  }
}
