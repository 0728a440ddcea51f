// /proc against Linux 6.x's formats, with a fake machine (SystemView): the
// exact bytes of status, stat, statm, maps, fdinfo, cpuinfo, /proc/stat,
// meminfo, uptime, loadavg; the directory structure, /proc/self, magic
// links; and cpuinfo's identity against what the real CPU's cpuid says.

import { describe, expect, it } from 'vitest';
import { createCpu, Reg, StopReason, PROT_EXEC, PROT_READ } from '../../emulator/index.js';
import { EACCES, EINVAL, ENOENT } from '../../kernel-model/errno.js';
import { S_IFDIR, S_IFLNK, S_IFREG, type OpenFile } from '../../kernel-model/files.js';
import {
  CPU_IDENTITY,
  bitmapHex,
  bitmapList,
  formatCpuinfo,
  formatLoadavg,
  formatMaps,
  formatMeminfo,
  formatProcStat,
  formatStat,
  formatStatm,
  formatStatus,
  formatUptime,
  nodeOfCpu,
  sigsetHex,
  type MapView,
} from '../../kernel-model/procfs.js';
import { failed } from '../../kernel-model/vfs.js';
import { O_APPEND, O_CREAT, O_DIRECTORY, O_RDWR, O_WRONLY, dec, enc, fakeSystem, listNames, makeFs, processView, readAll, thread, write } from './vfs-helpers.js';

const MAPS: MapView[] = [
  { start: 0x400000, end: 0x401000, prot: 1, shared: false, offset: 0, dev: 0x801, ino: 12, name: '/bin/prog' },
  { start: 0x401000, end: 0x495000, prot: 5, shared: false, offset: 0x1000, dev: 0x801, ino: 12, name: '/bin/prog' },
  { start: 0x495000, end: 0x4c0000, prot: 1, shared: false, offset: 0x95000, dev: 0x801, ino: 12, name: '/bin/prog' },
  { start: 0x4c0000, end: 0x4c7000, prot: 3, shared: false, offset: 0xc0000, dev: 0x801, ino: 12, name: '/bin/prog' },
  { start: 0x4c7000, end: 0x4ec000, prot: 3, shared: false, offset: 0, dev: 0, ino: 0, name: '[heap]' },
  { start: 0x7ffff7ff9000, end: 0x7ffff7ffd000, prot: 3, shared: false, offset: 0, dev: 0, ino: 0 },
  { start: 0x7ffffffde000, end: 0x7ffffffff000, prot: 3, shared: false, offset: 0, dev: 0, ino: 0, name: '[stack]' },
];

const MM = {
  startCode: 0x401000,
  endCode: 0x494a5d,
  startData: 0x4c0000,
  endData: 0x4c6f30,
  startBrk: 0x4c7000,
  brk: 0x4ec000,
  startStack: 0x7fffffffe5c0,
  argStart: 0x7fffffffe7a1,
  argEnd: 0x7fffffffe7ae,
  envStart: 0x7fffffffe7ae,
  envEnd: 0x7fffffffefe5,
};

function sampleProcess() {
  return processView(1000, {
    ppid: 1,
    pgid: 1000,
    sid: 999,
    mapList: MAPS,
    mm: MM,
    threadList: [
      thread(1000, { comm: 'pro\\g\n', state: 'S', cpu: 2, allowedCpus: 0b1011n, blocked: 1n << 9n, pending: 1n << 1n, utimeNs: 1_234_000_000n, startNs: 100_000_000_000n, voluntarySwitches: 7, involuntarySwitches: 3 }),
      thread(1001, { comm: 'worker', state: 'R', cpu: 3, utimeNs: 66_000_000n, startNs: 100_250_000_000n }),
    ],
    sigIgnored: 1n << 12n,
    sigCaught: (1n << 1n) | (1n << 33n),
    sharedPending: 1n << 14n,
    groups: [1000, 27],
  });
}

describe('formats (fs/proc/array.c, task_mmu.c)', () => {
  it('status, exactly as Linux 6.x prints it', () => {
    const sys = fakeSystem([], { cpus: 4, nodes: 2 });
    const p = sampleProcess();
    expect(formatStatus(sys, p, p.threads()[0], 0o022)).toBe(
      [
        'Name:\tpro\\\\g\\n',
        'Umask:\t0022',
        'State:\tS (sleeping)',
        'Tgid:\t1000',
        'Ngid:\t0',
        'Pid:\t1000',
        'PPid:\t1',
        'TracerPid:\t0',
        'Uid:\t1000\t1000\t1000\t1000',
        'Gid:\t1000\t1000\t1000\t1000',
        'FDSize:\t64',
        'Groups:\t1000 27 ',
        'NStgid:\t1000',
        'NSpid:\t1000',
        'NSpgid:\t1000',
        'NSsid:\t999',
        'Kthread:\t0',
        'VmPeak:\t    1092 kB',
        'VmSize:\t    1092 kB',
        'VmLck:\t       0 kB',
        'VmPin:\t       0 kB',
        'VmHWM:\t    1092 kB',
        'VmRSS:\t    1092 kB',
        'RssAnon:\t     296 kB',
        'RssFile:\t     796 kB',
        'RssShmem:\t       0 kB',
        'VmData:\t     192 kB',
        'VmStk:\t     132 kB',
        'VmExe:\t     592 kB',
        'VmLib:\t       0 kB',
        'VmPTE:\t      28 kB',
        'VmSwap:\t       0 kB',
        'HugetlbPages:\t       0 kB',
        'CoreDumping:\t0',
        'THP_enabled:\t1',
        'untag_mask:\t0xffffffffffffffff',
        'Threads:\t2',
        'SigQ:\t2/63405',
        'SigPnd:\t0000000000000002',
        'ShdPnd:\t0000000000004000',
        'SigBlk:\t0000000000000200',
        'SigIgn:\t0000000000001000',
        'SigCgt:\t0000000200000002',
        'CapInh:\t0000000000000000',
        'CapPrm:\t0000000000000000',
        'CapEff:\t0000000000000000',
        'CapBnd:\t000001ffffffffff',
        'CapAmb:\t0000000000000000',
        'NoNewPrivs:\t0',
        'Seccomp:\t0',
        'Seccomp_filters:\t0',
        'Speculation_Store_Bypass:\tnot vulnerable',
        'SpeculationIndirectBranch:\tnot affected',
        'Cpus_allowed:\tb',
        'Cpus_allowed_list:\t0-1,3',
        `Mems_allowed:\t${'00000000,'.repeat(31)}00000003`,
        'Mems_allowed_list:\t0-1',
        'voluntary_ctxt_switches:\t7',
        'nonvoluntary_ctxt_switches:\t3',
        '',
      ].join('\n'),
    );
    // A thread's own status: its pid, state and masks; the process's signal actions.
    const t = formatStatus(sys, p, p.threads()[1], 0);
    expect(t).toContain('Umask:\t0000\nState:\tR (running)\nTgid:\t1000\nNgid:\t0\nPid:\t1001\n');
    expect(t).toContain('Cpus_allowed:\tf\nCpus_allowed_list:\t0-3\n');
  });

  it('stat: 52 fields, the comm unescaped in parentheses, processor = the CPU it last ran on', () => {
    const p = sampleProcess();
    const whole = formatStat(p, undefined);
    expect(whole).toBe(
      '1000 (pro\\g\n) S 1 1000 999 0 -1 0 0 0 0 0 130 0 0 0 20 0 2 0 10000 1118208 273 18446744073709551615 ' +
        '4198400 4803165 140737488348608 0 0 2 512 4096 2 0 0 0 17 2 0 0 0 0 0 ' +
        '4980736 5009200 5009408 140737488349089 140737488349102 140737488349102 140737488351205 0\n',
    );
    expect(whole.trim().replace(/\(.*\)/s, 'comm').split(' ')).toHaveLength(52);
    const t = formatStat(p, p.threads()[1]);
    expect(t.startsWith('1001 (worker) R 1 1000 999 0 -1 0 0 0 0 0 6 0 0 0 20 0 2 0 10025 ')).toBe(true);
    // A thread: exit_signal -1, processor 3, wchan 0 (running).
    expect(t.split(' ').slice(34, 39)).toEqual(['0', '0', '0', '-1', '3']);
  });

  it('statm in pages; a zombie has no mm', () => {
    expect(formatStatm(sampleProcess())).toBe('273 273 199 148 0 81 0\n');
    expect(formatStatm(processView(5, { maps: () => undefined }))).toBe('0 0 0 0 0 0 0\n');
  });

  it('maps: "start-end perms offset dev inode", the name in column 73', () => {
    const text = formatMaps(MAPS);
    const lines = text.split('\n');
    expect(lines[0]).toBe('00400000-00401000 r--p 00000000 08:01 12                                 /bin/prog');
    expect(lines[1]).toBe('00401000-00495000 r-xp 00001000 08:01 12                                 /bin/prog');
    expect(lines[4]).toBe('004c7000-004ec000 rw-p 00000000 00:00 0                                  [heap]');
    expect(lines[5]).toBe('7ffff7ff9000-7ffff7ffd000 rw-p 00000000 00:00 0 ');
    expect(lines[6]).toBe('7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]');
    expect(lines[6].indexOf('[stack]')).toBe(73);
    expect(lines[7]).toBe('');
    expect(formatMaps([{ start: 0x1000, end: 0x2000, prot: 7, shared: true, offset: 0x3000, dev: 0x1e, ino: 77, name: '/tmp/x (deleted)' }])).toBe(
      '00001000-00002000 rwxs 00003000 00:1e 77                                 /tmp/x (deleted)\n',
    );
  });

  it('bitmaps as %*pb and %*pbl print them', () => {
    expect(bitmapHex(0xfn, 4)).toBe('f');
    expect(bitmapHex(0x3n, 2)).toBe('3');
    expect(bitmapHex((1n << 33n) | 1n, 34)).toBe('2,00000001');
    expect(bitmapHex(0n, 64)).toBe('00000000,00000000');
    expect(bitmapList(0b1101110n, 8)).toBe('1-3,5-6');
    expect(bitmapList(0n, 8)).toBe('');
    expect(sigsetHex(1n << 63n)).toBe('8000000000000000');
    expect([0, 1, 2, 3, 4, 5].map((c) => nodeOfCpu(c, 6, 4))).toEqual([0, 0, 1, 2, 2, 3]);
  });

  it('cpuinfo: one block per vCPU, a package per node', () => {
    const text = formatCpuinfo(fakeSystem([], { cpus: 4, nodes: 2 }));
    const blocks = text.split('\n\n').filter(Boolean);
    expect(blocks).toHaveLength(4);
    expect(blocks[3] + '\n\n').toBe(
      [
        'processor\t: 3',
        'vendor_id\t: GenuineIntel',
        'cpu family\t: 6',
        'model\t\t: 15',
        'model name\t: rseqlab virtual x86-64 CPU',
        'stepping\t: 1',
        'cpu MHz\t\t: 1000.000',
        'cache size\t: 16384 KB',
        'physical id\t: 1',
        'siblings\t: 2',
        'core id\t\t: 1',
        'cpu cores\t: 2',
        'apicid\t\t: 3',
        'initial apicid\t: 3',
        'fpu\t\t: yes',
        'fpu_exception\t: yes',
        'cpuid level\t: 7',
        'wp\t\t: yes',
        'flags\t\t: fpu tsc cx8 cmov mmx fxsr sse sse2 syscall nx lm pni ssse3 cx16 sse4_1 sse4_2 popcnt lahf_lm abm bmi1',
        'bugs\t\t:',
        'bogomips\t: 2000.00',
        'clflush size\t: 64',
        'cache_alignment\t: 64',
        'address sizes\t: 48 bits physical, 48 bits virtual',
        'power management:',
        '',
        '',
      ].join('\n'),
    );
  });

  it('/proc/stat, meminfo, uptime, loadavg', () => {
    const p = sampleProcess();
    const sys = fakeSystem([p], { cpus: 2 });
    expect(formatProcStat(sys)).toBe(
      'cpu  7 0 0 0 0 0 0 0 0 0\ncpu0 2 0 0 0 0 0 0 0 0 0\ncpu1 5 0 0 0 0 0 0 0 0 0\n' +
        `intr 0${' 0'.repeat(16)}\nctxt 42\nbtime 1735689600\nprocesses 3\nprocs_running 1\nprocs_blocked 0\nsoftirq 0${' 0'.repeat(10)}\n`,
    );
    const mem = formatMeminfo();
    expect(mem.startsWith('MemTotal:        4194304 kB\nMemFree:         3145728 kB\nMemAvailable:    3145728 kB\nBuffers:               0 kB\n')).toBe(true);
    expect(mem).toContain('\nCommitLimit:     2097152 kB\n');
    expect(mem).toContain('\nVmallocTotal:   34359738367 kB\n');
    expect(mem).toContain('\nHugePages_Total:       0\n');
    expect(mem.endsWith('DirectMap4k:           0 kB\nDirectMap2M:     4194304 kB\nDirectMap1G:           0 kB\n')).toBe(true);
    expect(formatUptime(sys)).toBe('100.50 0.00\n');
    expect(formatLoadavg(sys)).toBe('0.00 0.00 0.00 1/2 1002\n');
  });
});

describe('the /proc tree', () => {
  function procFs(extra: { fds?: boolean } = {}) {
    const t = makeFs({ files: new Map([['/bin/prog', enc.encode('\x7fELF')]]) });
    const fds: { fd: number; file: OpenFile; closeOnExec: boolean }[] = [];
    const p = processView(1000, {
      threadList: [thread(1000), thread(1003, { comm: 'second' })],
      fdList: fds,
      mapList: MAPS,
      mm: MM,
    });
    const other = processView(1002, { threadList: [thread(1002)], euid: 1001, egid: 1001 });
    t.vfs.attachSystem(fakeSystem([p, other]));
    if (extra.fds !== false) {
      fds.push({ fd: 0, file: t.openOk('/dev/null'), closeOnExec: false });
      fds.push({ fd: 3, file: t.openOk('/tmp/log', O_CREAT | O_WRONLY | O_APPEND), closeOnExec: true });
      fds.push({ fd: 4, file: t.openOk('/tmp', O_DIRECTORY), closeOnExec: false });
    }
    return { t, p, fds };
  }

  it('/proc lists the processes; self and thread-self name the caller', () => {
    const { t } = procFs();
    const names = listNames(t.openOk('/proc', O_DIRECTORY));
    expect(names).toEqual(['.', '..', 'cpuinfo', 'loadavg', 'meminfo', 'mounts', 'self', 'stat', 'sys', 'thread-self', 'uptime', 'version', '1000', '1002']);
    expect(t.vfs.readlink(t.at, '/proc/self')).toBe('1000');
    expect(t.vfs.readlink(t.at, '/proc/thread-self')).toBe('1000/task/1000');
    expect(t.read('/proc/self/comm')).toBe('prog\n');
    expect(t.read('/proc/1003/comm')).toBe('second\n'); // a thread's id works, unlisted
    expect(t.read('/proc/self/task/1003/comm')).toBe('second\n');
    expect(listNames(t.openOk('/proc/self/task', O_DIRECTORY))).toEqual(['.', '..', '1000', '1003']);
    expect(t.open('/proc/1234/status')).toBe(ENOENT);
    expect(t.read('/proc/self/cmdline')).toBe('prog\0arg\0');
    expect(t.read('/proc/version')).toBe('Linux version 6.18.0-rseqlab (rseqlab@rseqlab) (rseqlab) #1 SMP PREEMPT_DYNAMIC rseqlab\n');
    const pid = t.node('/proc/1002');
    expect(typeof pid !== 'number' && pid.stat()).toMatchObject({ mode: S_IFDIR | 0o555, uid: 1001, gid: 1001 });
    const st = t.node('/proc/self/status');
    expect(typeof st !== 'number' && st.stat()).toMatchObject({ mode: S_IFREG | 0o444, uid: 1000, size: 0 });
    const env = t.node('/proc/1002/environ');
    expect(typeof env !== 'number' && env.stat().mode).toBe(S_IFREG | 0o400);
    expect(t.open('/proc/1002/environ')).toBe(EACCES);
    expect(t.open('/proc/self/status', O_WRONLY)).toBe(EACCES);
    expect(t.open('/proc/sys/kernel/hostname', O_WRONLY)).toBe(EACCES);
  });

  it('fd/: links named as Linux names them, modes by access, following reaches the object', () => {
    const { t, fds } = procFs();
    expect(listNames(t.openOk('/proc/self/fd', O_DIRECTORY))).toEqual(['.', '..', '0', '3', '4']);
    expect(t.vfs.readlink(t.at, '/proc/self/fd/0')).toBe('/dev/null');
    expect(t.vfs.readlink(t.at, '/proc/self/fd/3')).toBe('/tmp/log');
    expect(t.vfs.readlink(t.at, '/proc/self/fd/4')).toBe('/tmp');
    const l0 = t.node('/proc/self/fd/0', false);
    const l3 = t.node('/proc/self/fd/3', false);
    expect(typeof l0 !== 'number' && l0.stat()).toMatchObject({ mode: S_IFLNK | 0o500, size: 64 });
    expect(typeof l3 !== 'number' && l3.stat().mode).toBe(S_IFLNK | 0o300);
    const fdDir = t.node('/proc/self/fd');
    expect(typeof fdDir !== 'number' && fdDir.stat()).toMatchObject({ mode: S_IFDIR | 0o500, size: 3 });
    // Reopening through the link: a new open of the same file, by the access asked for.
    write(fds[1].file, 'one ');
    const again = t.openOk('/proc/self/fd/3', O_RDWR);
    expect(dec.decode(readAll(again))).toBe('one ');
    expect(t.read('/dev/fd/3')).toBe('one ');
    // /dev/fd/4 is the directory itself.
    expect(t.read('/dev/fd/4/log')).toBe('one ');
    expect(t.read('/proc/self/fdinfo/3')).toBe(`pos:\t4\nflags:\t02102001\nmnt_id:\t26\nino:\t${fds[1].file.stat().ino}\n`);
    // A pipe (no node): the link reads pipe:[ino]; opening it shares the open file.
    const pipe = { kind: 'pipe', statusFlags: 1, read: () => ({ errno: 9 }), write: (d: Uint8Array) => d.length, pread: () => ({ errno: 29 }), seek: () => ({ errno: 29 }), stat: () => ({ dev: 0xc, ino: 77, mode: 0o10600, nlink: 1, uid: 1000, gid: 1000, rdev: 0, size: 0, blksize: 4096, blocks: 0 }), ioctl: () => -25, contents: () => undefined } as OpenFile;
    fds.push({ fd: 9, file: pipe, closeOnExec: false });
    expect(t.vfs.readlink(t.at, '/proc/self/fd/9')).toBe('pipe:[77]');
    expect(t.openOk('/proc/self/fd/9', O_WRONLY)).toBe(pipe);
    expect(t.read('/proc/self/fdinfo/9')).toBe('pos:\t0\nflags:\t01\nmnt_id:\t15\nino:\t77\n');
  });

  it('exe, cwd and root are magic links', () => {
    const { t } = procFs();
    expect(t.vfs.readlink(t.at, '/proc/self/exe')).toBe('/bin/prog');
    expect(t.read('/proc/self/exe')).toBe('\x7fELF');
    expect(t.vfs.readlink(t.at, '/proc/self/cwd')).toBe('/');
    t.vfs.mkdir(t.at, '/tmp/w', 0o755);
    const w = t.node('/tmp/w');
    if (typeof w === 'number') throw new Error('missing');
    t.vfs.chdir(t.caller, w);
    expect(t.vfs.readlink(t.at, '/proc/self/cwd')).toBe('/tmp/w');
    write(t.openOk('/proc/self/cwd/f', O_CREAT | O_WRONLY), 'in cwd');
    expect(t.read('/tmp/w/f')).toBe('in cwd');
    expect(t.vfs.readlink(t.at, '/proc/self/root')).toBe('/');
    expect(t.read('/proc/self/root/tmp/w/f')).toBe('in cwd');
    t.vfs.unlink(t.at, '/tmp/w/f');
    t.vfs.rmdir(t.at, '/tmp/w');
    expect(t.vfs.readlink(t.at, '/proc/self/cwd')).toBe('/tmp/w (deleted)');
  });

  it('per-process files read the view when opened', () => {
    const { t, p } = procFs();
    expect(t.read('/proc/self/maps')).toBe(formatMaps(MAPS));
    expect(t.read('/proc/self/stat')).toBe(formatStat(p, undefined));
    expect(t.read('/proc/self/task/1003/stat')).toBe(formatStat(p, p.threads()[1]));
    expect(t.read('/proc/self/statm')).toBe(formatStatm(p));
    expect(t.read('/proc/1000/status')).toContain('Name:\tprog\nUmask:\t0022\nState:\tR (running)\nTgid:\t1000\n');
    expect(t.read('/proc/1000/task/1003/status')).toContain('\nPid:\t1003\n');
    expect(t.read('/proc/self/mounts')).toContain('tmpfs /tmp tmpfs rw,nosuid,nodev 0 0\n');
    expect(t.read('/proc/mounts')).toContain('proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n');
    const comm = t.openOk('/proc/self/comm', O_WRONLY);
    expect(comm.write(enc.encode('x'))).toEqual({ errno: EINVAL }); // the view cannot rename threads
  });

  it('sysctl entries glibc and programs read', () => {
    const { t } = procFs({ fds: false });
    const read = (p: string) => t.read(`/proc/sys/${p}`);
    expect(read('kernel/ostype')).toBe('Linux\n');
    expect(read('kernel/osrelease')).toBe('6.18.0-rseqlab\n');
    expect(read('kernel/version')).toBe('#1 SMP PREEMPT_DYNAMIC rseqlab\n');
    expect(read('kernel/hostname')).toBe('rseqlab\n');
    expect(read('kernel/pid_max')).toBe('32768\n');
    expect(read('kernel/threads-max')).toBe('32768\n');
    expect(read('kernel/ngroups_max')).toBe('65536\n');
    expect(read('vm/overcommit_memory')).toBe('0\n');
    const boot = read('kernel/random/boot_id');
    expect(boot).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$/);
    expect(read('kernel/random/boot_id')).toBe(boot);
    expect(read('kernel/random/uuid')).not.toBe(read('kernel/random/uuid'));
  });

  it('without a SystemView: only the caller, from what the Vfs knows', () => {
    const t = makeFs();
    expect(t.vfs.readlink(t.at, '/proc/self/exe')).toBe('/bin/prog');
    expect(listNames(t.openOk('/proc/self/fd', O_DIRECTORY))).toEqual(['.', '..']);
    expect(t.read('/proc/self/status')).toContain('Tgid:\t1000\n');
    expect(t.open('/proc/1001/status')).toBe(ENOENT);
    // Nothing is made up about the machine: no CPUs, clocks or release.
    for (const p of ['/proc/cpuinfo', '/proc/stat', '/proc/uptime', '/proc/sys/kernel/osrelease', '/sys/devices/system/cpu/online']) expect(t.open(p), p).toBe(ENOENT);
    expect(t.read('/proc/sys/kernel/hostname')).toBe('rseqlab\n');
    expect(failed(t.vfs.lookup('/proc/self', { caller: { pid: 0, tid: 0, uid: 0, gid: 0 } }))).toBe(true);
  });
});

describe('cpuinfo says what the CPU says', () => {
  // Linux's x86_cap_flags names for the bits we may meet (arch/x86/include/asm/cpufeatures.h).
  const NAMES: Record<string, Record<number, string>> = {
    '1.edx': { 0: 'fpu', 1: 'vme', 2: 'de', 3: 'pse', 4: 'tsc', 5: 'msr', 6: 'pae', 7: 'mce', 8: 'cx8', 9: 'apic', 11: 'sep', 12: 'mtrr', 13: 'pge', 14: 'mca', 15: 'cmov', 16: 'pat', 17: 'pse36', 19: 'clflush', 23: 'mmx', 24: 'fxsr', 25: 'sse', 26: 'sse2', 28: 'ht' },
    'ext.edx': { 11: 'syscall', 20: 'nx', 22: 'mmxext', 26: 'pdpe1gb', 27: 'rdtscp', 29: 'lm' },
    '1.ecx': { 0: 'pni', 1: 'pclmulqdq', 9: 'ssse3', 12: 'fma', 13: 'cx16', 19: 'sse4_1', 20: 'sse4_2', 22: 'movbe', 23: 'popcnt', 25: 'aes', 26: 'xsave', 28: 'avx', 29: 'f16c', 30: 'rdrand' },
    'ext.ecx': { 0: 'lahf_lm', 5: 'abm', 6: 'sse4a', 8: '3dnowprefetch' },
    '7.ebx': { 0: 'fsgsbase', 3: 'bmi1', 5: 'avx2', 8: 'bmi2', 9: 'erms' },
  };

  it('vendor, family/model/stepping, brand, flags, cache, clflush, address sizes', async () => {
    const cpu = await createCpu();
    const ctx = cpu.createContext();
    cpu.map(0x400000, 0x1000, PROT_READ | PROT_EXEC);
    const cpuid = (leaf: number, sub = 0): [number, number, number, number] => {
      const code = new Uint8Array([0xb8, 0, 0, 0, 0, 0xb9, 0, 0, 0, 0, 0x0f, 0xa2, 0x0f, 0x0b]);
      new DataView(code.buffer).setUint32(1, leaf >>> 0, true);
      new DataView(code.buffer).setUint32(6, sub >>> 0, true);
      cpu.write(0x400000, code);
      ctx.rip = 0x400000n;
      expect(cpu.run(ctx, 10).reason).toBe(StopReason.Ud);
      const g = ctx.gpr;
      return [Number(g[Reg.RAX] & 0xffffffffn), Number(g[Reg.RBX] & 0xffffffffn), Number(g[Reg.RCX] & 0xffffffffn), Number(g[Reg.RDX] & 0xffffffffn)];
    };
    const str = (...regs: number[]) => String.fromCharCode(...regs.flatMap((r) => [r & 0xff, (r >>> 8) & 0xff, (r >>> 16) & 0xff, r >>> 24])).replace(/\0+$/, '');
    const [maxLeaf, vb, vc, vd] = cpuid(0);
    expect(str(vb, vd, vc)).toBe(CPU_IDENTITY.vendor);
    expect(maxLeaf).toBe(CPU_IDENTITY.cpuidLevel);
    const [l1a, l1b, l1c, l1d] = cpuid(1);
    let family = (l1a >>> 8) & 0xf;
    let model = (l1a >>> 4) & 0xf;
    if (family === 6 || family === 15) model += ((l1a >>> 16) & 0xf) << 4;
    if (family === 15) family += (l1a >>> 20) & 0xff;
    expect({ family, model, stepping: l1a & 0xf }).toEqual({ family: CPU_IDENTITY.family, model: CPU_IDENTITY.model, stepping: CPU_IDENTITY.stepping });
    expect(((l1b >>> 8) & 0xff) * 8).toBe(CPU_IDENTITY.clflushSize);
    const brand = [0x80000002, 0x80000003, 0x80000004].flatMap((l) => cpuid(l));
    expect(str(...brand).trim()).toBe(CPU_IDENTITY.modelName);
    const [, , ec, ed] = cpuid(0x80000001);
    const [, l7b] = cpuid(7, 0);
    const flags: string[] = [];
    const decode = (word: string, value: number) => {
      for (let bit = 0; bit < 32; bit++) {
        if (!(value & (1 << bit))) continue;
        const name = NAMES[word][bit];
        if (!name) throw new Error(`cpuid ${word} bit ${bit} is set and the test does not know its Linux name: add it`);
        flags.push(name);
      }
    };
    // Linux's capability words in order: 0 = 1.edx, 1 = 0x80000001.edx, 4 = 1.ecx, 6 = 0x80000001.ecx, 9 = 7.ebx.
    decode('1.edx', l1d);
    decode('ext.edx', ed);
    decode('1.ecx', l1c);
    decode('ext.ecx', ec);
    decode('7.ebx', l7b);
    expect(flags).toEqual([...CPU_IDENTITY.flags]);
    const [c4a, c4b, c4c] = cpuid(4, 3);
    expect((c4a >>> 5) & 7).toBe(3); // the L3
    const bytes = (((c4b >>> 22) & 0x3ff) + 1) * (((c4b >>> 12) & 0x3ff) + 1) * ((c4b & 0xfff) + 1) * (c4c + 1);
    expect(bytes / 1024).toBe(CPU_IDENTITY.cacheSizeKb);
    const [sizes] = cpuid(0x80000008);
    expect({ phys: sizes & 0xff, virt: (sizes >>> 8) & 0xff }).toEqual({ phys: CPU_IDENTITY.physBits, virt: CPU_IDENTITY.virtBits });
  });
});



