// The file descriptor table of a process (Linux's struct files_struct):
// lowest free number first, close-on-exec per descriptor, at most
// RLIMIT_NOFILE descriptors.

import { EBADF, EMFILE } from './errno.js';
import type { OpenFile } from './files.js';

/**
 * Descriptors referring to each open file, across every table (fork and
 * dup share open files), kept on the file itself like struct file's
 * f_count (so a machine snapshot sees it): when the last one goes, the file
 * hears of it (OpenFile.release: a pipe's readers see EOF, an unlinked tmpfs
 * file frees its pages).
 */
type Counted = OpenFile & { fCount?: number };

function retain(f: OpenFile): void {
  const c = f as Counted;
  c.fCount = (c.fCount ?? 0) + 1;
}

function release(f: OpenFile): void {
  const c = f as Counted;
  c.fCount = (c.fCount ?? 1) - 1;
  if (c.fCount === 0) f.release?.();
}

/** How many descriptors refer to an open file (for tests and /proc). */
export function descriptorCount(f: OpenFile): number {
  return (f as Counted).fCount ?? 0;
}

export interface FdEntry {
  file: OpenFile;
  closeOnExec: boolean;
}

export class FdTable {
  private readonly entries = new Map<number, FdEntry>();

  constructor(private readonly limit: () => number) {}

  get(fd: number): OpenFile | undefined {
    return this.entries.get(fd)?.file;
  }

  entry(fd: number): FdEntry | undefined {
    return this.entries.get(fd);
  }

  /** Installs at a given number (used for 0, 1, 2 at start-up and by dup2). */
  install(fd: number, file: OpenFile, closeOnExec = false): void {
    const old = this.entries.get(fd);
    this.entries.set(fd, { file, closeOnExec });
    retain(file);
    if (old) release(old.file);
  }

  /** The lowest free descriptor at or above `min`, or -EMFILE. */
  allocate(file: OpenFile, closeOnExec: boolean, min = 0): number {
    const limit = this.limit();
    for (let fd = min; fd < limit; fd++) {
      if (!this.entries.has(fd)) {
        retain(file);
        this.entries.set(fd, { file, closeOnExec });
        return fd;
      }
    }
    return -EMFILE;
  }

  /** Every descriptor is closed (the last process using the table exited). */
  closeAll(): void {
    const files = [...this.entries.values()].map((e) => e.file);
    this.entries.clear();
    for (const f of files) release(f);
  }

  /** Descriptors marked close-on-exec are closed (execve). */
  closeOnExec(): void {
    for (const [fd, e] of [...this.entries]) {
      if (e.closeOnExec) {
        this.entries.delete(fd);
        release(e.file);
      }
    }
  }

  /** A copy for fork (or clone without CLONE_FILES): the same open files, each referenced once more. */
  clone(limit: () => number = this.limit): FdTable {
    const copy = new FdTable(limit);
    for (const [fd, e] of this.entries) {
      retain(e.file);
      copy.entries.set(fd, { ...e });
    }
    return copy;
  }

  numbers(): number[] {
    return [...this.entries.keys()].sort((a, b) => a - b);
  }

  close(fd: number): number {
    const e = this.entries.get(fd);
    if (!e) return -EBADF;
    this.entries.delete(fd);
    release(e.file);
    return 0;
  }
}
