// /dev: the character devices, /dev/tty without a controlling terminal,
// the links to /proc/self/fd, and /dev/shm as a tmpfs.

import { describe, expect, it } from 'vitest';
import { EACCES, ENOENT } from '../../kernel-model/errno.js';
import { ENOSPC, ENXIO, S_IFCHR, S_IFDIR, S_IFLNK, type OpenFile } from '../../kernel-model/files.js';
import { SeededRandom } from '../../kernel-model/prng.js';
import { O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, O_WRONLY, enc, fakeSystem, listNames, makeFs, processView, write } from './vfs-helpers.js';

function statOf(t: ReturnType<typeof makeFs>, path: string, follow = true) {
  const n = t.node(path, follow);
  if (typeof n === 'number') throw new Error(`${path}: errno ${n}`);
  return n.stat();
}

describe('/dev', () => {
  it('lists the devices, links and shm', () => {
    const t = makeFs();
    expect(listNames(t.openOk('/dev', O_DIRECTORY))).toEqual(['.', '..', 'null', 'zero', 'full', 'random', 'urandom', 'tty', 'fd', 'stdin', 'stdout', 'stderr', 'shm']);
    expect(statOf(t, '/dev')).toMatchObject({ mode: S_IFDIR | 0o755, uid: 0, dev: 5 });
    const dev = (major: number, minor: number) => (major << 8) | minor;
    expect(statOf(t, '/dev/null')).toMatchObject({ mode: S_IFCHR | 0o666, rdev: dev(1, 3) });
    expect(statOf(t, '/dev/zero').rdev).toBe(dev(1, 5));
    expect(statOf(t, '/dev/full').rdev).toBe(dev(1, 7));
    expect(statOf(t, '/dev/random').rdev).toBe(dev(1, 8));
    expect(statOf(t, '/dev/urandom').rdev).toBe(dev(1, 9));
    expect(statOf(t, '/dev/tty')).toMatchObject({ rdev: dev(5, 0), gid: 5 });
    expect(statOf(t, '/dev/fd', false).mode).toBe(S_IFLNK | 0o777);
    expect(t.vfs.readlink(t.at, '/dev/fd')).toBe('/proc/self/fd');
    expect(t.vfs.readlink(t.at, '/dev/stdin')).toBe('/proc/self/fd/0');
    expect(t.vfs.readlink(t.at, '/dev/stdout')).toBe('/proc/self/fd/1');
    expect(t.vfs.readlink(t.at, '/dev/stderr')).toBe('/proc/self/fd/2');
    expect(t.open('/dev/newfile', O_CREAT | O_WRONLY)).toBe(EACCES);
  });

  it('null: EOF and writes vanish; zero: zeros, maps as zero pages; full: ENOSPC', () => {
    const t = makeFs();
    const nul = t.openOk('/dev/null', O_RDWR);
    expect(nul.read(10)).toEqual(new Uint8Array(0));
    expect(write(nul, 'gone')).toBe(4);
    expect(nul.statusFlags).toBe(0o100002);
    expect(nul.linkTarget!()).toBe('/dev/null');
    expect(nul.contents()).toBeUndefined();
    const zero = t.openOk('/dev/zero', O_RDWR);
    expect(zero.kind).toBe('zero');
    expect(zero.read(5)).toEqual(new Uint8Array(5));
    expect(zero.pread(3, 100)).toEqual(new Uint8Array(3));
    expect(write(zero, 'gone')).toBe(4);
    expect(zero.contents()).toEqual(new Uint8Array(0));
    expect(zero.seek(100, 0)).toBe(0);
    const full = t.openOk('/dev/full', O_RDWR);
    expect(full.read(2)).toEqual(new Uint8Array(2));
    expect(full.write(enc.encode('x'))).toEqual({ errno: ENOSPC });
    expect(full.linkTarget!()).toBe('/dev/full');
  });

  it('random and urandom read the machine generator', () => {
    const t = makeFs({ random: new SeededRandom(9, 'dev') });
    const expected = new SeededRandom(9, 'dev').bytes(24);
    const u = t.openOk('/dev/urandom');
    expect(u.read(16)).toEqual(expected.subarray(0, 16));
    expect(t.openOk('/dev/random').read(8)).toEqual(expected.subarray(16, 24));
    expect(u.kind).toBe('random');
    expect(write(t.openOk('/dev/urandom', O_WRONLY), 'entropy')).toBe(7);
    // The same seed gives the same bytes in another machine.
    const t2 = makeFs({ random: new SeededRandom(9, 'dev') });
    expect(t2.openOk('/dev/urandom').read(16)).toEqual(expected.subarray(0, 16));
  });

  it('/dev/tty: no controlling terminal', () => {
    const t = makeFs();
    expect(t.open('/dev/tty', O_RDWR)).toBe(ENXIO);
  });

  it('/dev/stdout and /dev/fd/N reach the descriptors through /proc/self/fd', () => {
    const t = makeFs();
    const out: OpenFile = t.openOk('/dev/null', O_WRONLY);
    const p = processView(1000, { fdList: [{ fd: 1, file: out, closeOnExec: false }] });
    t.vfs.attachSystem(fakeSystem([p]));
    const again = t.openOk('/dev/stdout', O_WRONLY);
    expect(again.kind).toBe('null');
    expect(t.open('/dev/stdin', O_RDONLY)).toBe(ENOENT);
    expect(t.open('/dev/fd/1', O_WRONLY)).not.toBe(ENOENT);
  });

  it('/dev/shm is a tmpfs of its own (shm_open)', () => {
    const t = makeFs();
    expect(statOf(t, '/dev/shm')).toMatchObject({ mode: S_IFDIR | 0o1777, dev: 0x17 });
    const f = t.openOk('/dev/shm/seg', O_CREAT | O_RDWR, 0o600);
    expect(f.truncate!(8192)).toBe(0);
    expect(f.pwrite!(enc.encode('shared'), 4096)).toBe(6);
    const data = f.contents()!;
    expect(data.length).toBe(8192);
    expect(new TextDecoder().decode(data.subarray(4096, 4102))).toBe('shared');
    expect(t.vfs.unlink(t.at, '/dev/shm/seg')).toBe(0);
  });

  it('memfd_create files: unnamed, writable, "/memfd:NAME (deleted)"', () => {
    const t = makeFs();
    const f = t.vfs.memfd('ring', t.caller);
    expect(f.statusFlags & 3).toBe(O_RDWR);
    expect(f.truncate!(4096)).toBe(0);
    expect(write(f, 'abc')).toBe(3);
    expect(f.stat()).toMatchObject({ size: 4096, nlink: 0, mode: 0o100777 });
    expect(f.linkTarget!()).toBe('/memfd:ring (deleted)');
    expect(f.contents()!.subarray(0, 3)).toEqual(enc.encode('abc'));
    expect(listNames(t.openOk('/dev/shm', O_DIRECTORY))).toEqual(['.', '..']);
  });
});
