// A small read-only virtual file system: the files the caller hands the
// machine (path -> bytes), the directories their paths imply, /dev/null,
// and the symlink /proc/self/exe. Unknown paths are ENOENT; anything that
// would write is EROFS. Paths resolve like Linux's path walk for the cases
// that matter here: "." and "..", repeated slashes, relative to the cwd.

import { EACCES, ENAMETOOLONG, ENOENT, ENOTDIR } from './errno.js';
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG, type FileStat } from './files.js';

export type VfsNode =
  | { type: 'file'; path: string; data: Uint8Array; stat: FileStat }
  | { type: 'directory'; path: string; stat: FileStat }
  | { type: 'null'; path: string; stat: FileStat }
  | { type: 'symlink'; path: string; target: string; stat: FileStat };

const VFS_DEV = 0x801;
const MAX_SYMLINK_HOPS = 40;

export interface VfsOptions {
  files: ReadonlyMap<string, Uint8Array>;
  /** The program's own path: target of /proc/self/exe. */
  exePath: string;
  cwd: string;
  uid: number;
  gid: number;
}

export class Vfs {
  private readonly nodes = new Map<string, VfsNode>();
  readonly cwd: string;

  constructor(options: VfsOptions) {
    this.cwd = normalize(options.cwd, '/');
    let ino = 2;
    const dir = (path: string) => {
      if (!this.nodes.has(path)) {
        this.nodes.set(path, { type: 'directory', path, stat: stat(ino++, S_IFDIR | 0o755, 0, 0, 0) });
      }
    };
    const addParents = (path: string) => {
      const parts = path.split('/').filter(Boolean);
      for (let i = 0; i < parts.length; i++) dir('/' + parts.slice(0, i).join('/'));
    };
    dir('/');
    const sorted = [...options.files.keys()].sort();
    for (const raw of sorted) {
      const path = normalize(raw, this.cwd);
      addParents(path);
      const data = options.files.get(raw)!;
      this.nodes.set(path, { type: 'file', path, data, stat: stat(ino++, S_IFREG | 0o755, data.length, options.uid, options.gid) });
    }
    for (const p of ['/dev/null', '/proc/self/exe']) addParents(p);
    this.nodes.set('/dev/null', { type: 'null', path: '/dev/null', stat: { ...stat(ino++, S_IFCHR | 0o666, 0, 0, 0), rdev: 0x103 } });
    const exe = normalize(options.exePath, this.cwd);
    this.nodes.set('/proc/self/exe', { type: 'symlink', path: '/proc/self/exe', target: exe, stat: stat(ino++, S_IFLNK | 0o777, exe.length, options.uid, options.gid) });
  }

  /** Resolves a path; follows symlinks in the last component unless `nofollow`. Returns a node or an errno. */
  lookup(path: string, options: { nofollow?: boolean; base?: string } = {}): VfsNode | { errno: number } {
    if (path.length === 0) return { errno: ENOENT };
    if (path.length >= 4096) return { errno: ENAMETOOLONG };
    let full = normalize(path, options.base ?? this.cwd);
    for (let hops = 0; hops <= MAX_SYMLINK_HOPS; hops++) {
      const parentError = this.checkParents(full);
      if (parentError) return { errno: parentError };
      const node = this.nodes.get(full);
      if (!node) return { errno: ENOENT };
      if (path.endsWith('/') && node.type !== 'directory' && node.type !== 'symlink') return { errno: ENOTDIR };
      if (node.type !== 'symlink' || options.nofollow) return node;
      full = normalize(node.target, '/');
    }
    return { errno: EACCES };
  }

  /** A component before the last that is not a directory: ENOTDIR (missing ones: ENOENT). */
  private checkParents(full: string): number | undefined {
    const parts = full.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const node = this.nodes.get('/' + parts.slice(0, i).join('/'));
      if (!node) return ENOENT;
      if (node.type !== 'directory' && node.type !== 'symlink') return ENOTDIR;
    }
    return undefined;
  }
}

function stat(ino: number, mode: number, size: number, uid: number, gid: number): FileStat {
  return { dev: VFS_DEV, ino, mode, nlink: 1, uid, gid, rdev: 0, size, blksize: 4096, blocks: Math.ceil(size / 512) };
}

/** An absolute path without ".", ".." or empty components. */
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
