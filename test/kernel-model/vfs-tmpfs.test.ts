// The writable /tmp (and /dev/shm) and the read-only rest of the tree:
// errno values and their order as Linux gives them, file contents, sizes,
// link counts, times, the umask and permissions as uid 1000.

import { describe, expect, it } from 'vitest';
import { EACCES, EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, EPERM, EROFS } from '../../kernel-model/errno.js';
import { ENOSPC, ENOTEMPTY, EXDEV, isErrno, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../kernel-model/files.js';
import { failed } from '../../kernel-model/vfs.js';
import {
  O_APPEND,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_RDWR,
  O_TMPFILE,
  O_TRUNC,
  O_WRONLY,
  dec,
  enc,
  listNames,
  makeFs,
  readAll,
  write,
} from './vfs-helpers.js';

describe('tmpfs files', () => {
  it('O_CREAT / O_EXCL / O_TRUNC / O_APPEND, read, write, pread, pwrite, lseek', () => {
    const t = makeFs();
    const f = t.openOk('/tmp/a', O_CREAT | O_EXCL | O_RDWR, 0o666);
    expect(f.kind).toBe('tmpfs');
    expect(f.statusFlags).toBe(0o100002); // O_LARGEFILE | O_RDWR, as F_GETFL shows it
    expect(write(f, 'hello world')).toBe(11);
    expect(t.open('/tmp/a', O_CREAT | O_EXCL | O_WRONLY)).toBe(EEXIST);
    expect(f.seek(0, 0)).toBe(0);
    expect(dec.decode(readAll(f))).toBe('hello world');
    expect(dec.decode(f.pread(5, 6) as Uint8Array)).toBe('world');
    expect(f.pwrite!(enc.encode('W'), 6)).toBe(1);
    expect(t.read('/tmp/a')).toBe('hello World');
    expect(f.seek(-5, 2)).toBe(6);
    expect(f.seek(-100, 1)).toEqual({ errno: EINVAL });

    const app = t.openOk('/tmp/a', O_WRONLY | O_APPEND);
    expect(write(app, '!')).toBe(1);
    // pwrite on an O_APPEND descriptor appends whatever the offset (pwrite(2) BUGS).
    expect(app.pwrite!(enc.encode('?'), 0)).toBe(1);
    expect(t.read('/tmp/a')).toBe('hello World!?');

    t.openOk('/tmp/a', O_WRONLY | O_TRUNC);
    expect(t.read('/tmp/a')).toBe('');
    expect(f.stat().size).toBe(0);
  });

  it('sparse files: truncate up reads zeros, blocks count only pages written', () => {
    const t = makeFs();
    const f = t.openOk('/tmp/s', O_CREAT | O_RDWR);
    expect(f.truncate!(1 << 30)).toBe(0);
    expect(f.stat()).toMatchObject({ size: 1 << 30, blocks: 0 });
    expect(f.pwrite!(enc.encode('x'), 5000)).toBe(1);
    expect(f.stat().blocks).toBe(8);
    expect([...(f.pread(3, 4999) as Uint8Array)]).toEqual([0, 120, 0]);
    expect(f.truncate!(5000)).toBe(0);
    expect(f.stat()).toMatchObject({ size: 5000, blocks: 8 });
    expect(f.truncate!(4096)).toBe(0);
    expect(f.stat().blocks).toBe(0);
    expect(f.truncate!(5001)).toBe(0);
    expect([...(f.pread(1, 5000) as Uint8Array)]).toEqual([0]); // the dropped byte does not come back
  });

  it('a full tmpfs: the bytes that fit are written, then ENOSPC', () => {
    const t = makeFs({ tmpfsBytes: 8192 });
    const f = t.openOk('/tmp/big', O_CREAT | O_WRONLY);
    expect(f.write(new Uint8Array(10000))).toBe(8192);
    expect(f.write(new Uint8Array(1))).toEqual({ errno: ENOSPC });
    expect(t.vfs.unlink(t.at, '/tmp/big')).toBe(0);
  });

  it('the umask, ownership, sizes and link counts of new entries', () => {
    const t = makeFs({}, { umask: 0o027 });
    const f = t.openOk('/tmp/f', O_CREAT | O_WRONLY, 0o666);
    expect(f.stat()).toMatchObject({ mode: S_IFREG | 0o640, uid: 1000, gid: 1000, nlink: 1, size: 0 });
    expect(t.vfs.mkdir(t.at, '/tmp/d', 0o777)).toBe(0);
    const d = t.node('/tmp/d');
    expect(typeof d !== 'number' && d.stat()).toMatchObject({ mode: S_IFDIR | 0o750, nlink: 2, size: 40 });
    expect(t.vfs.mkdir(t.at, '/tmp/d/e', 0o700)).toBe(0);
    expect(t.vfs.symlink('f', t.at, '/tmp/d/l')).toBe(0);
    expect(typeof d !== 'number' && d.stat()).toMatchObject({ nlink: 3, size: 80 });
    const tmp = t.node('/tmp');
    expect(typeof tmp !== 'number' && tmp.stat()).toMatchObject({ mode: S_IFDIR | 0o1777, uid: 0, gid: 0 });
    const l = t.node('/tmp/d/l', false);
    expect(typeof l !== 'number' && l.stat()).toMatchObject({ mode: S_IFLNK | 0o777, size: 1, blocks: 0 });
  });

  it('times: creation sets all, writes move mtime and ctime, reads atime (relatime), entries the directory', () => {
    const t = makeFs();
    const t0 = t.clock.ns;
    const f = t.openOk('/tmp/f', O_CREAT | O_RDWR);
    expect(f.stat()).toMatchObject({ atimeNs: t0, mtimeNs: t0, ctimeNs: t0, btimeNs: t0 });
    t.clock.advance(1000n);
    write(f, 'x');
    expect(f.stat()).toMatchObject({ atimeNs: t0, mtimeNs: t0 + 1000n, ctimeNs: t0 + 1000n });
    t.clock.advance(1000n);
    f.pread(1, 0);
    expect(f.stat().atimeNs).toBe(t0 + 2000n);
    t.clock.advance(1000n);
    f.pread(1, 0); // atime is after mtime now: relatime leaves it
    expect(f.stat().atimeNs).toBe(t0 + 2000n);
    t.clock.advance(1000n);
    expect(t.vfs.mkdir(t.at, '/tmp/d', 0o755)).toBe(0);
    const tmp = t.node('/tmp');
    expect(typeof tmp !== 'number' && tmp.stat().mtimeNs).toBe(t0 + 4000n);
    const fnode = t.node('/tmp/f');
    if (typeof fnode === 'number') throw new Error('missing');
    expect(t.vfs.utimes(fnode, 5n, 'omit', t.caller)).toBe(0);
    expect(fnode.stat()).toMatchObject({ atimeNs: 5n, mtimeNs: t0 + 1000n, ctimeNs: t0 + 4000n });
    expect(t.vfs.utimes(fnode, 'now', 'now', t.caller)).toBe(0);
    expect(fnode.stat()).toMatchObject({ atimeNs: t0 + 4000n, mtimeNs: t0 + 4000n });
  });

  it('O_TMPFILE: an unnamed file, shown as "/tmp/#ino (deleted)"', () => {
    const t = makeFs();
    const f = t.openOk('/tmp', O_TMPFILE | O_RDWR, 0o600);
    expect(write(f, 'data')).toBe(4);
    expect(f.stat()).toMatchObject({ nlink: 0, size: 4, mode: S_IFREG | 0o600 });
    expect(f.linkTarget!()).toBe(`/tmp/#${f.stat().ino} (deleted)`);
    expect(t.open('/tmp', O_TMPFILE | O_RDONLY)).toBe(EINVAL);
    expect(t.open('/', O_TMPFILE | O_RDWR)).toBe(EROFS);
    expect(listNames(t.openOk('/tmp', O_DIRECTORY))).toEqual(['.', '..']);
  });

  it('ftruncate needs a writable descriptor', () => {
    const t = makeFs();
    t.openOk('/tmp/f', O_CREAT | O_WRONLY);
    expect(t.openOk('/tmp/f', O_RDONLY).truncate!(0)).toBe(-EINVAL);
    expect(t.vfs.truncate(t.at, '/tmp/f', 10)).toBe(0);
    expect(t.vfs.truncate(t.at, '/tmp', 10)).toBe(-EISDIR);
    expect(t.vfs.truncate(t.at, '/dev/null', 10)).toBe(-EINVAL);
  });
});

describe('names: mkdir, unlink, rmdir, rename, link, symlink', () => {
  it('errors in Linux order', () => {
    const t = makeFs({ files: new Map([['/etc/conf', enc.encode('x')]]) });
    const at = t.at;
    const v = t.vfs;
    t.openOk('/tmp/f', O_CREAT | O_WRONLY);
    expect(v.mkdir(at, '/tmp/d', 0o755)).toBe(0);
    expect(v.mkdir(at, '/tmp/d', 0o755)).toBe(-EEXIST);
    expect(v.mkdir(at, '/tmp/d/', 0o755)).toBe(-EEXIST);
    expect(v.mkdir(at, '/tmp/x/y', 0o755)).toBe(-ENOENT);
    expect(v.mkdir(at, '/tmp/f/y', 0o755)).toBe(-ENOTDIR);
    expect(v.mkdir(at, '/tmp/.', 0o755)).toBe(-EEXIST);
    expect(v.mkdir(at, '/etc/conf', 0o755)).toBe(-EEXIST); // EEXIST before EROFS
    expect(v.mkdir(at, '/etc/new', 0o755)).toBe(-EROFS);
    expect(v.mkdir(at, '/proc/new', 0o755)).toBe(-EACCES);
    expect(v.mkdir(at, '/dev/new', 0o755)).toBe(-EACCES);
    expect(v.mkdir(at, '/sys/new', 0o755)).toBe(-EACCES);

    expect(v.unlink(at, '/tmp/d')).toBe(-EISDIR);
    expect(v.unlink(at, '/tmp/missing')).toBe(-ENOENT);
    expect(v.unlink(at, '/tmp/f/')).toBe(-ENOTDIR);
    expect(v.unlink(at, '/etc/missing')).toBe(-EROFS); // EROFS before the lookup
    expect(v.unlink(at, '/proc/meminfo')).toBe(-EACCES);
    expect(v.unlink(at, '/tmp/.')).toBe(-EISDIR);
    expect(v.rmdir(at, '/tmp/f')).toBe(-ENOTDIR);
    expect(v.rmdir(at, '/tmp/d/.')).toBe(-EINVAL);
    expect(v.rmdir(at, '/tmp/d/..')).toBe(-ENOTEMPTY);
    expect(v.rmdir(at, '/')).toBe(-EBUSY);
    expect(v.rmdir(at, '/tmp')).toBe(-EROFS);
    expect(v.rmdir(at, '/dev/shm')).toBe(-EACCES);
    expect(v.mkdir(at, '/tmp/d/e', 0o755)).toBe(0);
    expect(v.rmdir(at, '/tmp/d')).toBe(-ENOTEMPTY);
    expect(v.rmdir(at, '/tmp/d/e')).toBe(0);
    expect(v.rmdir(at, '/tmp/d')).toBe(0);
  });

  it('rename: replaces files and empty directories, refuses the rest', () => {
    const t = makeFs({ files: new Map([['/etc/conf', enc.encode('x')]]) });
    const { vfs: v, at } = t;
    write(t.openOk('/tmp/a', O_CREAT | O_WRONLY), 'A');
    write(t.openOk('/tmp/b', O_CREAT | O_WRONLY), 'B');
    v.mkdir(at, '/tmp/d', 0o755);
    v.mkdir(at, '/tmp/e', 0o755);
    v.mkdir(at, '/tmp/e/x', 0o755);
    expect(v.rename(at, '/tmp/a', at, '/tmp/b', 0)).toBe(0);
    expect(t.read('/tmp/b')).toBe('A');
    expect(t.open('/tmp/a')).toBe(ENOENT);
    expect(v.rename(at, '/tmp/b', at, '/tmp/b', 0)).toBe(0);
    expect(v.rename(at, '/tmp/b', at, '/tmp/d', 0)).toBe(-EISDIR);
    expect(v.rename(at, '/tmp/d', at, '/tmp/b', 0)).toBe(-ENOTDIR);
    expect(v.rename(at, '/tmp/d', at, '/tmp/e', 0)).toBe(-ENOTEMPTY);
    expect(v.rename(at, '/tmp/e', at, '/tmp/e/x/y', 0)).toBe(-EINVAL);
    expect(v.rename(at, '/tmp/b', at, '/tmp/c/', 0)).toBe(-ENOTDIR);
    expect(v.rename(at, '/tmp/missing', at, '/tmp/c', 0)).toBe(-ENOENT);
    expect(v.rename(at, '/tmp/b', at, '/dev/shm/b', 0)).toBe(-EXDEV);
    expect(v.rename(at, '/etc/conf', at, '/etc/c2', 0)).toBe(-EROFS);
    expect(v.rename(at, '/tmp/b', at, '/tmp/d/.', 0)).toBe(-EBUSY);
    expect(v.rename(at, '/tmp/b', at, '/tmp/c', 1 /* RENAME_NOREPLACE */)).toBe(0);
    write(t.openOk('/tmp/b', O_CREAT | O_WRONLY), 'B');
    expect(v.rename(at, '/tmp/b', at, '/tmp/c', 1)).toBe(-EEXIST);
    expect(v.rename(at, '/tmp/b', at, '/tmp/c', 2 /* RENAME_EXCHANGE */)).toBe(-EINVAL);
    v.rmdir(at, '/tmp/e/x');
    expect(v.rename(at, '/tmp/d', at, '/tmp/e', 0)).toBe(0);
    const e = t.node('/tmp/e');
    expect(typeof e !== 'number' && t.vfs.pathOf(e as never)).toBe('/tmp/e');
    expect(t.node('/tmp/d')).toBe(ENOENT);
  });

  it('descriptors follow renames and show " (deleted)" once their name goes', () => {
    const t = makeFs();
    const { vfs: v, at } = t;
    const f = t.openOk('/tmp/a', O_CREAT | O_WRONLY);
    expect(v.link(at, '/tmp/a', at, '/tmp/h', false)).toBe(0);
    const g = t.openOk('/tmp/h');
    v.mkdir(at, '/tmp/d', 0o755);
    expect(v.rename(at, '/tmp/a', at, '/tmp/d/b', 0)).toBe(0);
    expect(f.linkTarget!()).toBe('/tmp/d/b');
    expect(g.linkTarget!()).toBe('/tmp/h');
    expect(f.stat().nlink).toBe(2);
    expect(v.unlink(at, '/tmp/d/b')).toBe(0);
    expect(f.linkTarget!()).toBe('/tmp/d/b (deleted)');
    expect(g.linkTarget!()).toBe('/tmp/h');
    expect(f.stat().nlink).toBe(1);
    const dir = t.openOk('/tmp/d', O_DIRECTORY);
    expect(v.rmdir(at, '/tmp/d')).toBe(0);
    expect(dir.linkTarget!()).toBe('/tmp/d (deleted)');
    expect(listNames(dir)).toEqual(['.', '..']);
  });

  it('symlinks: relative to their directory, ELOOP after 40, trailing slash, O_NOFOLLOW, dangling creation', () => {
    const t = makeFs();
    const { vfs: v, at } = t;
    v.mkdir(at, '/tmp/d', 0o755);
    write(t.openOk('/tmp/d/f', O_CREAT | O_WRONLY), 'F');
    expect(v.symlink('d/f', at, '/tmp/l')).toBe(0);
    expect(v.symlink('../d', at, '/tmp/d/up')).toBe(0);
    expect(t.read('/tmp/l')).toBe('F');
    expect(t.read('/tmp/d/up/up/up/f')).toBe('F');
    expect(v.readlink(at, '/tmp/l')).toBe('d/f');
    expect(v.readlink(at, '/tmp/d/f')).toEqual({ errno: EINVAL });
    expect(t.open('/tmp/l', O_NOFOLLOW)).toBe(ELOOP);
    expect(t.open('/tmp/l/')).toBe(ENOTDIR);
    expect(t.openOk('/tmp/l', O_PATH | O_NOFOLLOW).stat().mode & S_IFMT).toBe(S_IFLNK);
    expect(v.symlink('self', at, '/tmp/self')).toBe(0);
    expect(t.open('/tmp/self')).toBe(ELOOP);
    expect(v.symlink('', at, '/tmp/empty')).toBe(-ENOENT);
    expect(v.symlink('x', at, '/tmp/l')).toBe(-EEXIST);
    // ".." after a symlink is physical: d/up is /tmp/d's parent... of /tmp/d.
    expect(t.node('/tmp/d/up/..') !== ENOENT).toBe(true);
    expect(v.symlink('created', at, '/tmp/dangling')).toBe(0);
    write(t.openOk('/tmp/dangling', O_CREAT | O_WRONLY), 'via link');
    expect(t.read('/tmp/created')).toBe('via link');
    expect(t.open('/tmp/dangling', O_CREAT | O_EXCL | O_WRONLY)).toBe(EEXIST);
  });

  it('hard links: same inode, nlink, no directories, no crossing file systems', () => {
    const t = makeFs();
    const { vfs: v, at } = t;
    t.openOk('/tmp/f', O_CREAT | O_WRONLY);
    expect(v.link(at, '/tmp/f', at, '/tmp/g', false)).toBe(0);
    const f = t.node('/tmp/f');
    const g = t.node('/tmp/g');
    expect(f).toBe(g);
    expect(typeof f !== 'number' && f.stat().nlink).toBe(2);
    expect(v.link(at, '/tmp/f', at, '/tmp/g', false)).toBe(-EEXIST);
    expect(v.mkdir(at, '/tmp/d', 0o755)).toBe(0);
    expect(v.link(at, '/tmp/d', at, '/tmp/d2', false)).toBe(-EPERM);
    expect(v.link(at, '/tmp/f', at, '/dev/shm/f', false)).toBe(-EXDEV);
    expect(v.link(at, '/tmp/missing', at, '/tmp/h', false)).toBe(-ENOENT);
  });

  it('getdents lists ".", "..", then entries in creation order; inode numbers match stat', () => {
    const t = makeFs();
    for (const n of ['c', 'a', 'b']) t.openOk(`/tmp/${n}`, O_CREAT | O_WRONLY);
    const d = t.openOk('/tmp', O_RDONLY | O_DIRECTORY);
    expect(d.statusFlags).toBe(0o300000);
    const cursor = d.readdir!()!;
    const entries = cursor.entries();
    expect(entries.map((e) => e.name)).toEqual(['.', '..', 'c', 'a', 'b']);
    const a = t.node('/tmp/a');
    expect(entries[3]).toEqual({ name: 'a', ino: typeof a !== 'number' ? a.stat().ino : 0, type: 8 });
    const root = t.node('/');
    expect(entries[1].ino).toBe(typeof root !== 'number' ? root.stat().ino : 0);
    // Removing while listing neither skips nor repeats.
    cursor.position = 3;
    t.vfs.unlink(t.at, '/tmp/a');
    expect(cursor.entries().slice(cursor.position).map((e) => e.name)).toEqual(['a', 'b']);
    cursor.position = 0;
    expect(cursor.entries().map((e) => e.name)).toEqual(['.', '..', 'c', 'b']);
    expect(d.read(10)).toEqual({ errno: EISDIR });
  });

  it('chdir, getcwd, relative paths, a removed cwd', () => {
    const t = makeFs();
    const { vfs: v } = t;
    v.mkdir(t.at, '/tmp/w', 0o755);
    const w = t.node('/tmp/w');
    if (typeof w === 'number') throw new Error('missing');
    expect(v.chdir(t.caller, w)).toBe(0);
    expect(v.getcwd(t.caller)).toBe('/tmp/w');
    write(t.openOk('rel', O_CREAT | O_WRONLY), 'r');
    expect(t.read('/tmp/w/rel')).toBe('r');
    expect(t.read('../w/./rel')).toBe('r');
    const f = t.node('rel');
    if (typeof f === 'number') throw new Error('missing');
    expect(v.chdir(t.caller, f)).toBe(-ENOTDIR);
    v.unlink(t.at, 'rel');
    expect(v.rmdir(t.at, '/tmp/w')).toBe(0);
    expect(v.getcwd(t.caller)).toEqual({ errno: ENOENT });
    expect(t.open('new', O_CREAT | O_WRONLY)).toBe(ENOENT);
    // fork: the child starts where the parent is.
    v.forkFs(1000, 1001);
    expect(v.fsContext(1001).cwd).toBe(w);
  });
});

describe('permissions as uid 1000', () => {
  it('mode bits decide open, access and search; chmod keeps them; only the owner may chmod', () => {
    const t = makeFs();
    const { vfs: v, at, caller } = t;
    t.openOk('/tmp/f', O_CREAT | O_WRONLY, 0o644);
    const f = t.node('/tmp/f');
    if (typeof f === 'number') throw new Error('missing');
    expect(v.chmod(f, 0o400, caller)).toBe(0);
    expect(f.stat().mode).toBe(S_IFREG | 0o400);
    expect(t.open('/tmp/f', O_WRONLY)).toBe(EACCES);
    expect(t.open('/tmp/f', O_RDONLY) !== EACCES).toBe(true);
    expect(v.access(f, 2, caller, false)).toBe(-EACCES);
    expect(v.access(f, 4, caller, false)).toBe(0);
    expect(v.chmod(f, 0o4755, caller)).toBe(0);
    expect(f.stat().mode).toBe(S_IFREG | 0o4755);
    v.mkdir(at, '/tmp/d', 0o755);
    t.openOk('/tmp/d/x', O_CREAT | O_WRONLY);
    const d = t.node('/tmp/d');
    if (typeof d === 'number') throw new Error('missing');
    expect(v.chmod(d, 0o600, caller)).toBe(0);
    expect(t.open('/tmp/d/x')).toBe(EACCES); // no search permission
    expect(v.chmod(d, 0o500, caller)).toBe(0);
    expect(t.open('/tmp/d/y', O_CREAT | O_WRONLY)).toBe(EACCES); // no write permission
    const other = { ...caller, uid: 1001, gid: 1001 };
    expect(v.chmod(d, 0o777, other)).toBe(-EPERM);
    expect(v.chown(d, 0, -1, caller)).toBe(-EPERM);
    expect(v.chown(d, -1, 1000, caller)).toBe(0);
    const root = { ...caller, uid: 0, gid: 0 };
    expect(v.chmod(d, 0o700, root)).toBe(0);
  });

  it('the sticky /tmp: others may not remove or rename your files', () => {
    const t = makeFs();
    t.openOk('/tmp/mine', O_CREAT | O_WRONLY);
    const other = { ...t.caller, uid: 1001, gid: 1001 };
    const at = { base: t.vfs.root, caller: other };
    expect(t.vfs.unlink(at, '/tmp/mine')).toBe(-EPERM);
    expect(t.vfs.rename(at, '/tmp/mine', at, '/tmp/theirs', 0)).toBe(-EPERM);
    expect(t.vfs.unlink(t.at, '/tmp/mine')).toBe(0);
  });

  it('the read-only tree: EROFS for writing, reading works, mode 0755 files of the caller', () => {
    const t = makeFs({ files: new Map([['/etc/data', enc.encode('payload')], ['rel/x', enc.encode('relative')]]) });
    expect(t.open('/etc/data', O_WRONLY)).toBe(EROFS);
    expect(t.open('/etc/data', O_RDONLY | O_TRUNC)).toBe(EROFS);
    expect(t.open('/etc/new', O_CREAT | O_WRONLY)).toBe(EROFS);
    expect(t.open('/etc/data', O_CREAT | O_EXCL | O_WRONLY)).toBe(EEXIST);
    expect(t.open('/etc', O_WRONLY)).toBe(EISDIR);
    expect(t.open('/etc/data/', O_RDONLY)).toBe(ENOTDIR);
    expect(t.open('/etc/data', O_RDONLY | O_DIRECTORY)).toBe(ENOTDIR);
    expect(t.read('/etc/data')).toBe('payload');
    expect(t.read('/rel/x')).toBe('relative');
    const n = t.node('/etc/data');
    expect(typeof n !== 'number' && n.stat()).toMatchObject({ mode: S_IFREG | 0o755, uid: 1000, size: 7, dev: 0x801 });
    expect(typeof n !== 'number' && t.vfs.access(n, 2, t.caller, false)).toBe(-EROFS);
    const p = t.openOk('/etc/data', O_PATH);
    expect(p.read(1)).toEqual({ errno: EBADF });
    expect(p.statusFlags).toBe(O_PATH);
    const r = t.openOk('/etc/data', O_RDONLY);
    expect(isErrno(r.write(enc.encode('x')))).toBe(true);
    expect(() => makeFs({ files: new Map([['/tmp/x', enc.encode('')]]) })).toThrow(/generated by the machine/);
    expect(failed(t.vfs.lookup('/etc/../etc/data'))).toBe(false);
    expect(failed(t.vfs.lookup('/etc/data/..'))).toBe(true);
  });
});

