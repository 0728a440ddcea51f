// Shared by the file-system tests: a Vfs with a fake machine (SystemView)
// and a caller, and shorthands for the calls the syscall layer makes.

import { isErrno, type OpenFile } from '../../kernel-model/files.js';
import type { FdView, MapView, ProcessView, SystemView, ThreadView } from '../../kernel-model/procfs.js';
import { SeededRandom } from '../../kernel-model/prng.js';
import { failed, Vfs, type At, type Caller, type VfsNode, type VfsOptions } from '../../kernel-model/vfs.js';

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_PATH = 0o10000000;
export const O_TMPFILE = 0o20000000 | O_DIRECTORY;

export const enc = new TextEncoder();
export const dec = new TextDecoder();

/** A clock the tests move by hand. */
export class TestClock {
  ns = 1_735_689_600_000_000_000n;
  now = (): bigint => this.ns;
  advance(ns: bigint): void {
    this.ns += ns;
  }
}

export interface TestFs {
  vfs: Vfs;
  clock: TestClock;
  caller: Caller;
  at: At;
  /** Opens, or returns the errno. */
  open(path: string, flags?: number, mode?: number): OpenFile | number;
  /** Opens and expects success. */
  openOk(path: string, flags?: number, mode?: number): OpenFile;
  node(path: string, follow?: boolean): VfsNode | number;
  /** The whole contents of a path as text. */
  read(path: string): string;
}

export function makeFs(options: Partial<VfsOptions> = {}, caller: Partial<Caller> = {}): TestFs {
  const clock = new TestClock();
  const vfs = new Vfs({ files: new Map(), exePath: '/bin/prog', cwd: '/', uid: 1000, gid: 1000, now: clock.now, random: new SeededRandom(5, 'test'), ...options });
  const c: Caller = { pid: 1000, tid: 1000, uid: 1000, gid: 1000, ...caller };
  const at = (): At => ({ base: vfs.fsContext(c.pid).cwd, caller: c });
  const open = (path: string, flags = O_RDONLY, mode = 0o666) => {
    const f = vfs.open(at(), path, flags, mode);
    return failed(f) ? f.errno : f;
  };
  const t: TestFs = {
    vfs,
    clock,
    caller: c,
    get at() {
      return at();
    },
    open,
    openOk(path, flags = O_RDONLY, mode = 0o666) {
      const f = open(path, flags, mode);
      if (typeof f === 'number') throw new Error(`open ${path}: errno ${f}`);
      return f;
    },
    node(path, follow = true) {
      const n = vfs.walkNode(at(), path, follow);
      return failed(n) ? n.errno : n;
    },
    read(path) {
      return dec.decode(readAll(t.openOk(path)));
    },
  };
  return t;
}

/** Reads an open file to EOF. */
export function readAll(f: OpenFile): Uint8Array {
  const parts: Uint8Array[] = [];
  for (;;) {
    const r = f.read(65536);
    if (isErrno(r)) throw new Error(`read: errno ${r.errno}`);
    if (r.length === 0) break;
    parts.push(r.slice());
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function write(f: OpenFile, text: string): number {
  const r = f.write(enc.encode(text));
  if (isErrno(r)) return -r.errno;
  return r;
}

/** Names getdents would list, "." and ".." included, in order. */
export function listNames(f: OpenFile): string[] {
  const cursor = f.readdir?.();
  if (!cursor) throw new Error('not a directory');
  cursor.position = 0;
  return cursor.entries().map((e) => e.name);
}

// --- a fake machine -----------------------------------------------------------------

export function thread(tid: number, fields: Partial<ThreadView> = {}): ThreadView {
  return {
    tid,
    comm: 'prog',
    state: 'R',
    cpu: 0,
    allowedCpus: 0xfn,
    blocked: 0n,
    pending: 0n,
    utimeNs: 0n,
    startNs: 0n,
    voluntarySwitches: 0,
    involuntarySwitches: 0,
    ...fields,
  };
}

export function processView(pid: number, fields: Partial<ProcessView> & { threadList?: ThreadView[]; mapList?: MapView[]; fdList?: FdView[] } = {}): ProcessView {
  const { threadList, mapList, fdList, ...rest } = fields;
  const threads = threadList ?? [thread(pid)];
  return {
    pid,
    ppid: 1,
    pgid: pid,
    sid: pid,
    uid: 1000,
    euid: 1000,
    gid: 1000,
    egid: 1000,
    groups: [],
    exe: '/bin/prog',
    cmdline: () => enc.encode('prog\0arg\0'),
    environ: () => enc.encode('A=1\0'),
    threads: () => threads,
    maps: () => mapList ?? [],
    fds: () => fdList ?? [],
    sigIgnored: 0n,
    sigCaught: 0n,
    sharedPending: 0n,
    rlimit: (r) => (r === 11 ? { cur: 63405n, max: 63405n } : { cur: 0xffffffffffffffffn, max: 0xffffffffffffffffn }),
    ...rest,
  };
}

export function fakeSystem(processes: ProcessView[], fields: Partial<SystemView> = {}): SystemView {
  return {
    cpus: 4,
    nodes: 1,
    release: '6.18.0-rseqlab',
    version: '#1 SMP PREEMPT_DYNAMIC rseqlab',
    realtimeNs: () => 1_735_689_700_500_000_000n,
    uptimeNs: () => 100_500_000_000n,
    cpuUserNs: (c) => BigInt(c + 1) * 25_000_000n,
    contextSwitches: () => 42,
    forks: () => 3,
    lastPid: () => 1002,
    processes: () => processes,
    pids: () => processes.map((p) => p.pid),
    process: (pid) => processes.find((p) => p.pid === pid),
    ...fields,
  };
}
