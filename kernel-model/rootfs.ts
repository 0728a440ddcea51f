// Fixed directories and read-only files: the root file system (files the
// caller hands in, host directory trees) and the skeleton of /dev. A
// StaticDir holds explicit entries and, optionally, a "lower" host
// directory whose entries show through where no explicit entry has the
// name (so --file entries stay visible inside a --dir tree). Host trees are
// read through the HostTree interface, so the browser can supply bundled
// files the same way the CLI supplies a host directory.

import { RegularFile, S_IFDIR, S_IFLNK, S_IFREG, dtype, openStatusFlags, type DirEntry, type FileStat, type OpenFile } from './files.js';
import { makeStat, type DirectoryNode, type SuperBlock, type SymlinkNode, type VfsNode } from './vfs.js';

/** One entry of a host directory. */
export interface HostEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
}

export interface HostStat {
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  /** Permission bits (0o7777). */
  mode: number;
}

/** Where a host symlink leads: link text shown as is, or a path inside the same tree (shown under the tree's guest path). */
export type HostLink = { text: string } | { inTree: string };

/**
 * A directory tree on the host (or bundled with a page), read-only. Paths
 * are relative to the tree's root: '' is the root, 'a/b' a file below it;
 * they never contain '.' or '..' components. Implementations must not
 * follow symlinks on the host (report them as symlinks) and must never
 * reach outside the tree.
 */
export interface HostTree {
  stat(path: string): HostStat | undefined;
  list(path: string): HostEntry[];
  read(path: string): Uint8Array;
  readlink(path: string): HostLink;
}

/** A host directory shown beneath a StaticDir: which tree, where in it, the guest path it shows at, and who owns its files in the guest. */
interface Lower {
  tree: HostTree;
  path: string;
  guest: string;
  uid: number;
  gid: number;
}

/** A directory whose entries are fixed by the machine: the root and its implied directories, /dev. */
export class StaticDir implements DirectoryNode {
  readonly type = 'directory' as const;
  readonly parent: DirectoryNode;
  private readonly children = new Map<string, VfsNode>();
  private readonly ino: number;
  private lower?: Lower;

  constructor(
    readonly sb: SuperBlock,
    parent: DirectoryNode | undefined,
    readonly name: string,
    private mode: number,
    private uid: number,
    private gid: number,
    private readonly time: bigint,
  ) {
    this.parent = parent ?? this;
    this.ino = sb.nextIno();
  }

  add(name: string, node: VfsNode): void {
    this.children.set(name, node);
  }

  /** The directory at `parts` below this one, created (read-only, 0755) where missing. */
  ensureDir(parts: readonly string[]): StaticDir {
    let d: StaticDir = this;
    for (const p of parts) {
      const existing = d.children.get(p);
      if (existing instanceof StaticDir) {
        d = existing;
        continue;
      }
      if (existing) throw new Error(`${pathOfStatic(d)}/${p} is already a file or a mount; it cannot also be a directory`);
      const child = new StaticDir(d.sb, d, p, 0o755, 0, 0, d.time);
      const lower = d.lowerChild(p);
      if (lower) child.setLower(lower);
      d.children.set(p, child);
      d = child;
    }
    return d;
  }

  /**
   * Shows a host directory beneath the explicit entries; the directory
   * takes the host directory's permissions and the tree's owner.
   */
  setLower(lower: Lower): void {
    this.lower = lower;
    const st = lower.tree.stat(lower.path);
    if (st) this.mode = st.mode & 0o7777;
    this.uid = lower.uid;
    this.gid = lower.gid;
    for (const [name, child] of this.children) {
      if (!(child instanceof StaticDir)) continue;
      const l = this.lowerChild(name);
      if (l) child.setLower(l);
    }
  }

  /** Shows host tree `tree` at this directory, its files owned by uid/gid. */
  mount(tree: HostTree, uid: number, gid: number): void {
    this.setLower({ tree, path: '', guest: pathOfStatic(this), uid, gid });
  }

  private lowerChild(name: string): Lower | undefined {
    if (!this.lower) return undefined;
    const path = join(this.lower.path, name);
    const st = this.lower.tree.stat(path);
    return st?.type === 'directory' ? { ...this.lower, path, guest: join(this.lower.guest, name) } : undefined;
  }

  lookup(name: string): VfsNode | undefined {
    const c = this.children.get(name);
    if (c) return c;
    if (!this.lower) return undefined;
    return hostNode(this.sb, this, this.lower, name, this.time);
  }

  entries(): DirEntry[] {
    const out: DirEntry[] = [];
    for (const [name, node] of this.children) out.push({ name, ino: node.stat().ino, type: dtype(node.stat().mode) });
    if (this.lower) {
      for (const e of this.lower.tree.list(this.lower.path)) {
        if (this.children.has(e.name)) continue;
        const node = this.lookup(e.name);
        if (node) out.push({ name: e.name, ino: node.stat().ino, type: dtype(node.stat().mode) });
      }
    }
    return out;
  }

  stat(): FileStat {
    let subdirs = 0;
    for (const c of this.children.values()) if (c.type === 'directory') subdirs++;
    if (this.lower) {
      for (const e of this.lower.tree.list(this.lower.path)) if (e.type === 'directory' && !this.children.has(e.name)) subdirs++;
    }
    const t = timesOf(this.time);
    return makeStat(this.sb, this.ino, S_IFDIR | this.mode, { nlink: 2 + subdirs, uid: this.uid, gid: this.gid, size: 4096, blocks: 8, ...t });
  }
}

function pathOfStatic(d: DirectoryNode): string {
  const parts: string[] = [];
  let x = d;
  while (x.parent !== x) {
    parts.push(x.name);
    x = x.parent;
  }
  return '/' + parts.reverse().join('/');
}

/** Fixed nodes carry one time (the machine's start), so runs are reproducible whatever the host's file times. */
function timesOf(t: bigint): Pick<FileStat, 'atimeNs' | 'mtimeNs' | 'ctimeNs'> {
  return { atimeNs: t, mtimeNs: t, ctimeNs: t };
}

/** A read-only regular file with fixed bytes. */
export class ReadOnlyFile {
  readonly type = 'file' as const;
  private readonly ino: number;
  constructor(
    readonly sb: SuperBlock,
    private readonly data: Uint8Array | (() => Uint8Array),
    private readonly mode: number,
    private readonly uid: number,
    private readonly gid: number,
    private readonly time: bigint,
    ino?: number,
    private readonly knownSize?: number,
  ) {
    this.ino = ino ?? sb.nextIno();
  }
  private bytes(): Uint8Array {
    return typeof this.data === 'function' ? this.data() : this.data;
  }
  stat(): FileStat {
    const size = this.knownSize ?? this.bytes().length;
    return makeStat(this.sb, this.ino, S_IFREG | this.mode, { uid: this.uid, gid: this.gid, size, blocks: Math.ceil(size / 4096) * 8, ...timesOf(this.time) });
  }
  open(flags: number, path: string): OpenFile {
    return new RegularFile(this.bytes(), this.stat(), { statusFlags: openStatusFlags(flags), path, node: this });
  }
}

/** A symlink with fixed text. */
export class StaticSymlink implements SymlinkNode {
  readonly type = 'symlink' as const;
  private readonly ino: number;
  constructor(
    readonly sb: SuperBlock,
    private readonly target: string,
    private readonly uid: number,
    private readonly gid: number,
    private readonly time: bigint,
    ino?: number,
  ) {
    this.ino = ino ?? sb.nextIno();
  }
  readlink(): string {
    return this.target;
  }
  stat(): FileStat {
    return makeStat(this.sb, this.ino, S_IFLNK | 0o777, { uid: this.uid, gid: this.gid, size: new TextEncoder().encode(this.target).length, ...timesOf(this.time) });
  }
}

/** The node for entry `name` of host directory `lower`, or undefined when the host has nothing there. Nodes are cached per tree and path. */
function hostNode(sb: SuperBlock, parent: StaticDir, lower: Lower, name: string, time: bigint): VfsNode | undefined {
  const { tree, uid, gid } = lower;
  const path = join(lower.path, name);
  let cache = hostCaches.get(tree);
  if (!cache) hostCaches.set(tree, (cache = new Map()));
  const hit = cache.get(path);
  if (hit) return hit;
  const st = tree.stat(path);
  if (!st) return undefined;
  const ino = sb.inoFor(`host:${lower.guest}\0${path}`);
  let node: VfsNode;
  switch (st.type) {
    case 'directory': {
      const d = new StaticDir(sb, parent, name, st.mode & 0o7777, uid, gid, time);
      d.setLower({ ...lower, path, guest: join(lower.guest, name) });
      node = d;
      break;
    }
    case 'symlink': {
      const link = tree.readlink(path);
      const text = 'text' in link ? link.text : treeGuestPath(lower.guest, lower.path, link.inTree);
      node = new StaticSymlink(sb, text, uid, gid, time, ino);
      break;
    }
    case 'file': {
      let data: Uint8Array | undefined;
      node = new ReadOnlyFile(sb, () => (data ??= tree.read(path)), st.mode & 0o7777, uid, gid, time, ino, st.size);
      break;
    }
    default:
      return undefined;
  }
  cache.set(path, node);
  return node;
}
const hostCaches = new WeakMap<HostTree, Map<string, VfsNode>>();

/** The guest path of tree path `inTree`, seen from directory `dirPath` of the tree, which shows at `guestDir`. */
function treeGuestPath(guestDir: string, dirPath: string, inTree: string): string {
  let root = guestDir;
  for (let i = dirPath.split('/').filter(Boolean).length; i > 0; i--) root = root.slice(0, root.lastIndexOf('/')) || '/';
  return join(root, inTree) || '/';
}

function join(a: string, b: string): string {
  if (a === '' || a === '/') return a === '/' ? `/${b}` : b;
  return b === '' ? a : `${a}/${b}`;
}
