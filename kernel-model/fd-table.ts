// The file descriptor table of a process (Linux's struct files_struct):
// lowest free number first, close-on-exec per descriptor, at most
// RLIMIT_NOFILE descriptors.

import { EBADF, EMFILE } from './errno.js';
import type { OpenFile } from './files.js';

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
    this.entries.set(fd, { file, closeOnExec });
  }

  /** The lowest free descriptor at or above `min`, or -EMFILE. */
  allocate(file: OpenFile, closeOnExec: boolean, min = 0): number {
    const limit = this.limit();
    for (let fd = min; fd < limit; fd++) {
      if (!this.entries.has(fd)) {
        this.entries.set(fd, { file, closeOnExec });
        return fd;
      }
    }
    return -EMFILE;
  }

  close(fd: number): number {
    return this.entries.delete(fd) ? 0 : -EBADF;
  }
}
