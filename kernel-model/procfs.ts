// /proc (fs/proc/): generated when a file is opened, from a view of the
// machine (SystemView) that the machine implements. Formats follow Linux
// 6.x byte for byte: fs/proc/array.c (status, stat, statm),
// fs/proc/task_mmu.c (maps, the Vm* lines), fs/proc/base.c (the per-process
// directory, fd links, fdinfo), fs/proc/stat.c, meminfo.c, uptime.c,
// loadavg.c, arch/x86/kernel/cpu/proc.c (cpuinfo) and kernel/sysctl.c.
//
// /proc/self and /proc/thread-self name the calling process and thread
// (the Caller of the lookup). /proc/<pid>/exe, cwd, root and fd/N are
// "magic" links: following one reaches the object itself (an open pipe, a
// deleted file), not the path its text names.

import { ENOENT, EINVAL } from './errno.js';
import {
  O_ACCMODE,
  O_CLOEXEC,
  O_RDONLY,
  O_WRONLY,
  RegularFile,
  S_IFDIR,
  S_IFLNK,
  S_IFREG,
  SEEK_CUR,
  dtype,
  fdLinkTarget,
  isErrno,
  openStatusFlags,
  type DirEntry,
  type FileStat,
  type IoResult,
  type OpenFile,
} from './files.js';
import { MODELLED_FREE_RAM_BYTES, MODELLED_RAM_BYTES } from './syscalls/misc.js';
import { failed, makeStat, type Caller, type DeviceNode, type DirectoryNode, type Fail, type FileNode, type SuperBlock, type SymlinkNode, type Vfs, type VfsNode } from './vfs.js';

// --- what the machine provides ---------------------------------------------------

/** The letter of a task state, as /proc/<pid>/stat shows it (R running or runnable, S sleeping, D uninterruptible, T stopped, t traced, Z zombie, X dead). */
export type TaskState = 'R' | 'S' | 'D' | 'T' | 't' | 'Z' | 'X';

/** One thread (task_struct) as /proc shows it. */
export interface ThreadView {
  tid: number;
  /** The thread's name (comm, at most 15 bytes). */
  comm: string;
  state: TaskState;
  /** The vCPU the thread runs on or last ran on. */
  cpu: number;
  /** sched_setaffinity mask: bit c set = may run on CPU c. */
  allowedCpus: bigint;
  /** Blocked and pending signals (bit sig-1). */
  blocked: bigint;
  pending: bigint;
  /** User CPU time (its retired instructions on the virtual clock), ns. */
  utimeNs: bigint;
  /** CLOCK_BOOTTIME when the thread was created, ns. */
  startNs: bigint;
  voluntarySwitches: number;
  involuntarySwitches: number;
  /** prctl(PR_SET_NAME) for writes to .../comm; absent: those writes fail with EINVAL. */
  setComm?(name: string): void;
}

/** One memory area (vm_area_struct) as /proc/<pid>/maps shows it. */
export interface MapView {
  start: number;
  /** Exclusive. */
  end: number;
  /** PROT_READ | PROT_WRITE | PROT_EXEC. */
  prot: number;
  /** MAP_SHARED ('s' in maps). */
  shared: boolean;
  /** File offset of `start` (0 for anonymous memory). */
  offset: number;
  /** The mapped file's st_dev and st_ino (0 for anonymous memory). */
  dev: number;
  ino: number;
  /** The file's path (with " (deleted)" when unlinked), "[heap]", "[stack]", or undefined for anonymous memory. */
  name?: string;
  /** Bytes of the area that are resident; default all of it. */
  residentBytes?: number;
}

/** Addresses the kernel keeps in mm_struct (fs/binfmt_elf.c sets them at exec). */
export interface MmLayout {
  startCode: number;
  endCode: number;
  startData: number;
  endData: number;
  startBrk: number;
  brk: number;
  startStack: number;
  argStart: number;
  argEnd: number;
  envStart: number;
  envEnd: number;
}

/** One descriptor of a process. */
export interface FdView {
  fd: number;
  file: OpenFile;
  closeOnExec: boolean;
}

export interface RlimitView {
  cur: bigint;
  max: bigint;
}

/** One process (thread group) as /proc/<pid> shows it. */
export interface ProcessView {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  /** Supplementary groups. */
  groups: readonly number[];
  /** Target of /proc/<pid>/exe; undefined once the process has exited (a zombie). */
  exe?: string;
  /** The bytes between arg_start and arg_end in the process's memory (NUL-separated, NUL-terminated). */
  cmdline(): Uint8Array;
  /** The bytes between env_start and env_end. */
  environ(): Uint8Array;
  /** The threads, the leader (tid == pid) first. */
  threads(): readonly ThreadView[];
  /** Memory areas in address order; undefined for a zombie (no mm). */
  maps(): readonly MapView[] | undefined;
  /** mm_struct addresses; undefined for a zombie. */
  mm?: MmLayout;
  /** Open descriptors in ascending order. */
  fds(): readonly FdView[];
  /** Signals whose action is SIG_IGN / a handler (bit sig-1). */
  sigIgnored: bigint;
  sigCaught: bigint;
  /** Pending for the whole process (shared_pending). */
  sharedPending: bigint;
  rlimit(resource: number): RlimitView;
  /** CPU time of the whole group including exited threads; default the live threads' sum. */
  utimeNs?: bigint;
  /** CPU time of waited-for children (cutime). */
  childrenUtimeNs?: bigint;
  /** Largest total_vm / resident set so far (VmPeak / VmHWM); default the current ones. */
  peakVmBytes?: number;
  peakRssBytes?: number;
  /** The umask (fs_struct); default the one the Vfs keeps for the pid. */
  umask?: number;
  /** A zombie's exit status in wait(2) form. */
  exitCode?: number;
  /** The signal the parent gets at exit (SIGCHLD, 17, by default). */
  exitSignal?: number;
  /** Forked and not yet exec'd (PF_FORKNOEXEC in stat's flags). */
  forkedNoExec?: boolean;
}

/** The machine as /proc and /sys show it. */
export interface SystemView {
  /** vCPUs, all online: 0 .. cpus-1. */
  readonly cpus: number;
  /** NUMA nodes; CPUs are split evenly across them (nodeOfCpu). */
  readonly nodes: number;
  /** uname -r (the kernel profile's release). */
  readonly release: string;
  /** uname -v. */
  readonly version: string;
  /** CLOCK_REALTIME, ns. */
  realtimeNs(): bigint;
  /** CLOCK_BOOTTIME (time since boot), ns. */
  uptimeNs(): bigint;
  /** User time spent on CPU `cpu` (instructions retired there), ns. */
  cpuUserNs(cpu: number): bigint;
  /** Context switches since boot. */
  contextSwitches(): number;
  /** Processes and threads created since boot. */
  forks(): number;
  /** The last pid handed out. */
  lastPid(): number;
  /** Live processes and zombies. */
  processes(): readonly ProcessView[];
  /** Their pids, without building the views (listing /proc, looking up /proc/self). */
  pids(): readonly number[];
  process(pid: number): ProcessView | undefined;
}

/** The NUMA node of a CPU: CPUs are split evenly, node = floor(cpu / (cpus / nodes)). */
export function nodeOfCpu(cpu: number, cpus: number, nodes: number): number {
  if (nodes <= 1) return 0;
  return Math.min(nodes - 1, Math.floor(cpu / (cpus / nodes)));
}

/** CPUs of node `node`. */
export function cpusOfNode(node: number, cpus: number, nodes: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < cpus; c++) if (nodeOfCpu(c, cpus, nodes) === node) out.push(c);
  return out;
}

// --- the CPU as cpuid reports it (emulator/assembly/cpuid.ts) -------------------------

/**
 * What the emulated CPU's cpuid says, decoded as Linux decodes it
 * (arch/x86/kernel/cpu/common.c, intel.c, cacheinfo.c). Kept in step with
 * emulator/assembly/cpuid.ts by test/kernel-model/procfs.test.ts, which
 * runs cpuid on the real CPU.
 */
export const CPU_IDENTITY = {
  vendor: 'GenuineIntel',
  family: 6,
  model: 15,
  stepping: 1,
  modelName: 'rseqlab virtual x86-64 CPU',
  /** Highest basic leaf. */
  cpuidLevel: 7,
  /** cpuinfo's "cache size": the L3 from leaf 4 (16 MiB). */
  cacheSizeKb: 16384,
  clflushSize: 64,
  physBits: 48,
  virtBits: 48,
  /** 1 instruction per ns: the virtual clock runs the CPU at 1 GHz. */
  mhz: 1000,
  /** x86_cap_flags names of the advertised features, in Linux's word/bit order. */
  flags: ['fpu', 'tsc', 'cx8', 'cmov', 'mmx', 'fxsr', 'sse', 'sse2', 'syscall', 'nx', 'lm', 'pni', 'ssse3', 'cx16', 'sse4_1', 'sse4_2', 'popcnt', 'lahf_lm', 'abm', 'bmi1'],
} as const;

// --- formatting helpers ---------------------------------------------------------------

const NSEC_PER_TICK = 10_000_000n; // USER_HZ = 100
const PAGE = 4096;
const RLIMIT_RSS = 5;
const RLIMIT_SIGPENDING = 11;
/** MAX_NUMNODES with NODES_SHIFT = 10, as distribution kernels build. */
const MAX_NUMNODES = 1024;
const PROT_READ = 1;
const PROT_WRITE = 2;
const PROT_EXEC = 4;
const SIGCHLD = 17;
const PF_FORKNOEXEC = 0x40;
const FDTABLE_EMBEDDED = 64;
const enc = new TextEncoder();

function ticks(ns: bigint): bigint {
  return ns / NSEC_PER_TICK;
}

/** seq_put_decimal_ull_width(m, "", n, 8). */
function w8(n: number | bigint): string {
  return n.toString().padStart(8, ' ');
}

/** render_sigset_t: 64 signals as 16 hex digits, highest first. */
export function sigsetHex(mask: bigint): string {
  return BigInt.asUintN(64, mask).toString(16).padStart(16, '0');
}

/** "%*pb": a bitmap of nbits in comma-separated 32-bit hex chunks, the first only as wide as needed (lib/vsprintf.c bitmap_string). */
export function bitmapHex(mask: bigint, nbits: number): string {
  let chunk = nbits % 32 || 32;
  const parts: string[] = [];
  for (let i = Math.ceil(nbits / 32) * 32 - 32; i >= 0; i -= 32) {
    const val = (mask >> BigInt(i)) & ((1n << BigInt(chunk)) - 1n);
    parts.push(val.toString(16).padStart(Math.ceil(chunk / 4), '0'));
    chunk = 32;
  }
  return parts.join(',');
}

/** "%*pbl": ranges, e.g. "0-3,6" (lib/vsprintf.c bitmap_list_string). */
export function bitmapList(mask: bigint, nbits: number): string {
  const out: string[] = [];
  for (let i = 0; i < nbits; i++) {
    if (!((mask >> BigInt(i)) & 1n)) continue;
    let j = i;
    while (j + 1 < nbits && (mask >> BigInt(j + 1)) & 1n) j++;
    out.push(j > i ? `${i}-${j}` : `${i}`);
    i = j;
  }
  return out.join(',');
}

function rangeMask(n: number): bigint {
  return (1n << BigInt(n)) - 1n;
}

/** seq_escape_str(m, comm, ESCAPE_SPACE | ESCAPE_SPECIAL, "\n\\"): only newline and backslash are escaped. */
function escapeComm(comm: string): string {
  return comm.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

const STATE_NAMES: Record<TaskState, string> = {
  R: 'R (running)',
  S: 'S (sleeping)',
  D: 'D (disk sleep)',
  T: 'T (stopped)',
  t: 't (tracing stop)',
  X: 'X (dead)',
  Z: 'Z (zombie)',
};

/** fdtable size (max_fds): 64 embedded, then 128 * a power of two (fs/file.c alloc_fdtable). */
function fdTableSize(fds: readonly FdView[]): number {
  let max = -1;
  for (const f of fds) max = Math.max(max, f.fd);
  if (max < FDTABLE_EMBEDDED) return FDTABLE_EMBEDDED;
  let n = Math.floor(max / 128) + 1;
  let p = 1;
  while (p < n) p *= 2;
  return 128 * p;
}

function popcount(m: bigint): number {
  let n = 0;
  for (let x = BigInt.asUintN(64, m); x; x &= x - 1n) n++;
  return n;
}

/** What task_mem and task_statm count, from the memory areas. */
export interface MemStats {
  totalVm: number;
  execVm: number;
  dataVm: number;
  stackVm: number;
  rssAnon: number;
  rssFile: number;
  rssShmem: number;
  text: number;
  lib: number;
  pteBytes: number;
}

/** mm counters (include/linux/mm.h is_exec_mapping / is_data_mapping / is_stack_mapping), in bytes. */
export function memStats(maps: readonly MapView[], mm: MmLayout | undefined): MemStats {
  const s = { totalVm: 0, execVm: 0, dataVm: 0, stackVm: 0, rssAnon: 0, rssFile: 0, rssShmem: 0, text: 0, lib: 0, pteBytes: 0 };
  const pte = new Set<number>();
  const pmd = new Set<number>();
  const pud = new Set<number>();
  for (const m of maps) {
    const size = m.end - m.start;
    const stack = m.name === '[stack]';
    s.totalVm += size;
    if (stack) s.stackVm += size;
    else if (m.prot & PROT_EXEC && !(m.prot & PROT_WRITE)) s.execVm += size;
    if (!stack && m.prot & PROT_WRITE && !m.shared) s.dataVm += size;
    const resident = m.residentBytes ?? size;
    if (m.ino !== 0 && !(m.shared && m.dev === 1)) s.rssFile += resident;
    else if (m.shared) s.rssShmem += resident;
    else s.rssAnon += resident;
    for (let a = m.start; a < m.end; a += 2 ** 21 - (a % 2 ** 21)) pte.add(Math.floor(a / 2 ** 21));
    for (let a = m.start; a < m.end; a += 2 ** 30 - (a % 2 ** 30)) pmd.add(Math.floor(a / 2 ** 30));
    for (let a = m.start; a < m.end; a += 2 ** 39 - (a % 2 ** 39)) pud.add(Math.floor(a / 2 ** 39));
  }
  s.pteBytes = (pte.size + pmd.size + pud.size) * PAGE;
  if (mm) {
    const text = Math.ceil(mm.endCode / PAGE) * PAGE - (mm.startCode - (mm.startCode % PAGE));
    s.text = Math.max(0, Math.min(text, s.execVm));
  }
  s.lib = s.execVm - s.text;
  return s;
}

// --- file contents -----------------------------------------------------------------------

/** /proc/<pid>/status (fs/proc/array.c proc_pid_status) for `thread` of `p`. */
export function formatStatus(sys: SystemView, p: ProcessView, t: ThreadView, umask: number | undefined): string {
  const threads = p.threads();
  const fds = p.fds();
  const maps = p.maps();
  let s = `Name:\t${escapeComm(t.comm)}\n`;
  if (umask !== undefined) s += `Umask:\t${(umask ? '0' + umask.toString(8) : '0').padStart(4, '0')}\n`;
  s += `State:\t${STATE_NAMES[t.state]}\n`;
  s += `Tgid:\t${p.pid}\nNgid:\t0\nPid:\t${t.tid}\nPPid:\t${p.ppid}\nTracerPid:\t0\n`;
  s += `Uid:\t${p.uid}\t${p.euid}\t${p.euid}\t${p.euid}\n`;
  s += `Gid:\t${p.gid}\t${p.egid}\t${p.egid}\t${p.egid}\n`;
  s += `FDSize:\t${fdTableSize(fds)}\n`;
  s += `Groups:\t${p.groups.join(' ')} \n`;
  s += `NStgid:\t${p.pid}\nNSpid:\t${t.tid}\nNSpgid:\t${p.pgid}\nNSsid:\t${p.sid}\n`;
  s += 'Kthread:\t0\n';
  if (maps) {
    const m = memStats(maps, p.mm);
    const rss = m.rssAnon + m.rssFile + m.rssShmem;
    const kb = (b: number) => w8(Math.floor(b / 1024));
    s += `VmPeak:\t${kb(Math.max(p.peakVmBytes ?? 0, m.totalVm))} kB\n`;
    s += `VmSize:\t${kb(m.totalVm)} kB\n`;
    s += `VmLck:\t${kb(0)} kB\n`;
    s += `VmPin:\t${kb(0)} kB\n`;
    s += `VmHWM:\t${kb(Math.max(p.peakRssBytes ?? 0, rss))} kB\n`;
    s += `VmRSS:\t${kb(rss)} kB\n`;
    s += `RssAnon:\t${kb(m.rssAnon)} kB\n`;
    s += `RssFile:\t${kb(m.rssFile)} kB\n`;
    s += `RssShmem:\t${kb(m.rssShmem)} kB\n`;
    s += `VmData:\t${kb(m.dataVm)} kB\n`;
    s += `VmStk:\t${kb(m.stackVm)} kB\n`;
    s += `VmExe:\t${kb(m.text)} kB\n`;
    s += `VmLib:\t${kb(m.lib)} kB\n`;
    s += `VmPTE:\t${kb(m.pteBytes)} kB\n`;
    s += `VmSwap:\t${kb(0)} kB\n`;
    s += `HugetlbPages:\t${kb(0)} kB\n`;
    s += 'CoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\n';
  }
  let queued = p.sharedPending;
  for (const x of threads) queued |= x.pending;
  s += `Threads:\t${threads.length}\n`;
  s += `SigQ:\t${popcount(queued)}/${p.rlimit(RLIMIT_SIGPENDING).cur}\n`;
  s += `SigPnd:\t${sigsetHex(t.pending)}\n`;
  s += `ShdPnd:\t${sigsetHex(p.sharedPending)}\n`;
  s += `SigBlk:\t${sigsetHex(t.blocked)}\n`;
  s += `SigIgn:\t${sigsetHex(p.sigIgnored)}\n`;
  s += `SigCgt:\t${sigsetHex(p.sigCaught)}\n`;
  const root = p.euid === 0;
  const caps = root ? '000001ffffffffff' : '0000000000000000';
  s += `CapInh:\t0000000000000000\nCapPrm:\t${caps}\nCapEff:\t${caps}\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n`;
  s += 'NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n';
  // cpuid advertises none of the speculation bugs' mitigations and cpuinfo lists no bugs: "not affected".
  s += 'Speculation_Store_Bypass:\tnot vulnerable\nSpeculationIndirectBranch:\tnot affected\n';
  s += `Cpus_allowed:\t${bitmapHex(t.allowedCpus, sys.cpus)}\n`;
  s += `Cpus_allowed_list:\t${bitmapList(t.allowedCpus, sys.cpus)}\n`;
  s += `Mems_allowed:\t${bitmapHex(rangeMask(sys.nodes), MAX_NUMNODES)}\n`;
  s += `Mems_allowed_list:\t${bitmapList(rangeMask(sys.nodes), sys.nodes)}\n`;
  s += `voluntary_ctxt_switches:\t${t.voluntarySwitches}\n`;
  s += `nonvoluntary_ctxt_switches:\t${t.involuntarySwitches}\n`;
  return s;
}

/**
 * /proc/<pid>/stat (whole process, `thread` undefined) and
 * /proc/<pid>/task/<tid>/stat (fs/proc/array.c do_task_stat): 52 fields.
 */
export function formatStat(p: ProcessView, thread: ThreadView | undefined): string {
  const threads = p.threads();
  const t = thread ?? threads[0];
  const whole = thread === undefined;
  const maps = p.maps();
  const mm = p.mm;
  const m = maps ? memStats(maps, mm) : undefined;
  const utime = whole ? p.utimeNs ?? threads.reduce((a, x) => a + x.utimeNs, 0n) : t.utimeNs;
  const wchan = !whole || threads.length < 2 ? (t.state === 'R' ? 0 : 1) : 0;
  const rsslim = p.rlimit(RLIMIT_RSS).cur;
  const leader = t.tid === p.pid;
  const exitSignal = leader ? p.exitSignal ?? SIGCHLD : -1;
  const rss = m ? Math.floor((m.rssAnon + m.rssFile + m.rssShmem) / PAGE) : 0;
  const f: (string | number | bigint)[] = [
    t.tid,
    `(${t.comm})`,
    t.state,
    p.ppid,
    p.pgid,
    p.sid,
    0, // tty_nr
    -1, // tty_pgrp
    p.forkedNoExec ? PF_FORKNOEXEC : 0, // flags
    0, 0, 0, 0, // minflt cminflt majflt cmajflt
    ticks(utime),
    0, // stime
    ticks(p.childrenUtimeNs ?? 0n),
    0, // cstime
    20, // priority
    0, // nice
    threads.length,
    0, // itrealvalue
    ticks(t.startNs),
    m ? m.totalVm : 0,
    rss,
    BigInt.asUintN(64, rsslim),
    mm ? mm.startCode : 0,
    mm ? mm.endCode : 0,
    mm ? mm.startStack : 0,
    0, 0, // kstkesp kstkeip
    BigInt.asUintN(64, t.pending) & 0x7fffffffn,
    BigInt.asUintN(64, t.blocked) & 0x7fffffffn,
    BigInt.asUintN(64, p.sigIgnored) & 0x7fffffffn,
    BigInt.asUintN(64, p.sigCaught) & 0x7fffffffn,
    wchan,
    0, 0, // nswap cnswap
    exitSignal,
    t.cpu,
    0, 0, 0, // rt_priority policy delayacct_blkio_ticks
    0, 0, // guest_time cguest_time
    ...(mm ? [mm.startData, mm.endData, mm.startBrk, mm.argStart, mm.argEnd, mm.envStart, mm.envEnd] : [0, 0, 0, 0, 0, 0, 0]),
    p.exitCode ?? 0,
  ];
  return f.join(' ') + '\n';
}

/** /proc/<pid>/statm (proc_pid_statm): size resident shared text lib data dt, in pages. */
export function formatStatm(p: ProcessView): string {
  const maps = p.maps();
  if (!maps) return '0 0 0 0 0 0 0\n';
  const m = memStats(maps, p.mm);
  const pg = (b: number) => Math.floor(b / PAGE);
  return `${pg(m.totalVm)} ${pg(m.rssAnon + m.rssFile + m.rssShmem)} ${pg(m.rssFile + m.rssShmem)} ${pg(m.text)} 0 ${pg(m.dataVm + m.stackVm)} 0\n`;
}

/** /proc/<pid>/maps (fs/proc/task_mmu.c show_map_vma): the name starts in column 73. */
export function formatMaps(maps: readonly MapView[]): string {
  let s = '';
  for (const m of maps) {
    const major = (m.dev >> 8) & 0xfff;
    const minor = (m.dev & 0xff) | ((m.dev >> 12) & 0xfff00);
    let line =
      `${hex8(m.start)}-${hex8(m.end)} ` +
      (m.prot & PROT_READ ? 'r' : '-') +
      (m.prot & PROT_WRITE ? 'w' : '-') +
      (m.prot & PROT_EXEC ? 'x' : '-') +
      (m.shared ? 's' : 'p') +
      ` ${hex8(m.ino !== 0 ? m.offset : 0)} ${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')} ${m.ino} `;
    if (m.name !== undefined) line = line.padEnd(72, ' ') + ' ' + m.name.replace(/\n/g, '\\012');
    s += line + '\n';
  }
  return s;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** /proc/<pid>/fdinfo/<fd> (fs/proc/fd.c seq_show). */
export function formatFdinfo(fd: FdView, mountId: number): string {
  const pos = fd.file.seek(0, SEEK_CUR);
  const flags = fd.file.statusFlags | (fd.closeOnExec ? O_CLOEXEC : 0);
  return `pos:\t${isErrno(pos) ? 0 : pos}\nflags:\t0${flags.toString(8)}\nmnt_id:\t${mountId}\nino:\t${fd.file.stat().ino}\n`;
}

/** /proc/cpuinfo (arch/x86/kernel/cpu/proc.c show_cpuinfo): one block per vCPU; a package per NUMA node. */
export function formatCpuinfo(sys: SystemView): string {
  const id = CPU_IDENTITY;
  let s = '';
  for (let c = 0; c < sys.cpus; c++) {
    const node = nodeOfCpu(c, sys.cpus, sys.nodes);
    const siblings = cpusOfNode(node, sys.cpus, sys.nodes);
    s += `processor\t: ${c}\n`;
    s += `vendor_id\t: ${id.vendor}\n`;
    s += `cpu family\t: ${id.family}\n`;
    s += `model\t\t: ${id.model}\n`;
    s += `model name\t: ${id.modelName}\n`;
    s += `stepping\t: ${id.stepping}\n`;
    s += `cpu MHz\t\t: ${id.mhz}.000\n`;
    s += `cache size\t: ${id.cacheSizeKb} KB\n`;
    s += `physical id\t: ${node}\n`;
    s += `siblings\t: ${siblings.length}\n`;
    s += `core id\t\t: ${siblings.indexOf(c)}\n`;
    s += `cpu cores\t: ${siblings.length}\n`;
    s += `apicid\t\t: ${c}\n`;
    s += `initial apicid\t: ${c}\n`;
    s += 'fpu\t\t: yes\nfpu_exception\t: yes\n';
    s += `cpuid level\t: ${id.cpuidLevel}\n`;
    s += 'wp\t\t: yes\n';
    s += `flags\t\t: ${id.flags.join(' ')}\n`;
    s += 'bugs\t\t:\n';
    s += `bogomips\t: ${id.mhz * 2}.00\n`;
    s += `clflush size\t: ${id.clflushSize}\n`;
    s += `cache_alignment\t: ${id.clflushSize}\n`;
    s += `address sizes\t: ${id.physBits} bits physical, ${id.virtBits} bits virtual\n`;
    s += 'power management:\n\n';
  }
  return s;
}

/** /proc/stat (fs/proc/stat.c show_stat): user time per CPU from the virtual clock, the other columns 0. */
export function formatProcStat(sys: SystemView): string {
  const per: bigint[] = [];
  let total = 0n;
  for (let c = 0; c < sys.cpus; c++) {
    const ns = sys.cpuUserNs(c);
    per.push(ns);
    total += ns;
  }
  const row = (label: string, ns: bigint) => `${label}${ticks(ns)} 0 0 0 0 0 0 0 0 0\n`;
  let s = row('cpu  ', total);
  per.forEach((ns, c) => (s += row(`cpu${c} `, ns)));
  let running = 0;
  for (const p of sys.processes()) for (const t of p.threads()) if (t.state === 'R') running++;
  const btime = (sys.realtimeNs() - sys.uptimeNs()) / 1_000_000_000n;
  s += 'intr 0' + ' 0'.repeat(16) + '\n';
  s += `ctxt ${sys.contextSwitches()}\nbtime ${btime}\nprocesses ${sys.forks()}\nprocs_running ${running}\nprocs_blocked 0\n`;
  s += 'softirq 0' + ' 0'.repeat(10) + '\n';
  return s;
}

/** /proc/meminfo (fs/proc/meminfo.c), consistent with sysinfo(2): the modelled RAM, nothing else in use. */
export function formatMeminfo(): string {
  const total = Number(MODELLED_RAM_BYTES / 1024n);
  const free = Number(MODELLED_FREE_RAM_BYTES / 1024n);
  const rows: [string, number][] = [
    ['MemTotal', total], ['MemFree', free], ['MemAvailable', free], ['Buffers', 0], ['Cached', 0], ['SwapCached', 0],
    ['Active', 0], ['Inactive', 0], ['Active(anon)', 0], ['Inactive(anon)', 0], ['Active(file)', 0], ['Inactive(file)', 0],
    ['Unevictable', 0], ['Mlocked', 0], ['SwapTotal', 0], ['SwapFree', 0], ['Zswap', 0], ['Zswapped', 0], ['Dirty', 0],
    ['Writeback', 0], ['AnonPages', 0], ['Mapped', 0], ['Shmem', 0], ['KReclaimable', 0], ['Slab', 0], ['SReclaimable', 0],
    ['SUnreclaim', 0], ['KernelStack', 0], ['PageTables', 0], ['SecPageTables', 0], ['NFS_Unstable', 0], ['Bounce', 0],
    ['WritebackTmp', 0], ['CommitLimit', Math.floor(total / 2)], ['Committed_AS', 0], ['VmallocTotal', 34359738367],
    ['VmallocUsed', 0], ['VmallocChunk', 0], ['Percpu', 0], ['AnonHugePages', 0], ['ShmemHugePages', 0], ['ShmemPmdMapped', 0],
    ['FileHugePages', 0], ['FilePmdMapped', 0],
  ];
  let s = '';
  for (const [k, v] of rows) s += `${(k + ':').padEnd(16, ' ')}${w8(v)} kB\n`;
  s += 'HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\nHugePages_Surp:        0\n';
  s += `Hugepagesize:   ${w8(2048)} kB\nHugetlb:        ${w8(0)} kB\n`;
  s += `DirectMap4k:    ${w8(0)} kB\nDirectMap2M:    ${w8(total)} kB\nDirectMap1G:    ${w8(0)} kB\n`;
  return s;
}

/** /proc/uptime: seconds up and seconds idle (summed over CPUs; 0, as /proc/stat says), two decimals. */
export function formatUptime(sys: SystemView): string {
  const up = sys.uptimeNs();
  return `${up / 1_000_000_000n}.${((up % 1_000_000_000n) / NSEC_PER_TICK).toString().padStart(2, '0')} 0.00\n`;
}

/** /proc/loadavg: loads 0 (as sysinfo says), runnable/total threads, the last pid. */
export function formatLoadavg(sys: SystemView): string {
  let running = 0;
  let total = 0;
  for (const p of sys.processes()) {
    for (const t of p.threads()) {
      total++;
      if (t.state === 'R') running++;
    }
  }
  return `0.00 0.00 0.00 ${running}/${total} ${sys.lastPid()}\n`;
}

// --- generated nodes (shared with sysfs.ts) ------------------------------------------------

export interface GenAttrs {
  mode: number;
  uid?: number;
  gid?: number;
}

/** Ownership, mode and inode of a generated node; times are those of the machine's start. */
function genStat(sb: SuperBlock, key: string, type: number, a: GenAttrs, time: bigint, fields: Partial<FileStat> = {}): FileStat {
  return makeStat(sb, sb.inoFor(key), type | a.mode, { uid: a.uid ?? 0, gid: a.gid ?? 0, atimeNs: time, mtimeNs: time, ctimeNs: time, ...fields });
}

export type GenChildren = (caller: Caller) => Iterable<[string, () => VfsNode]>;

/** A directory whose entries are computed on each lookup and listing. */
export class GenDir implements DirectoryNode {
  readonly type = 'directory' as const;
  constructor(
    readonly sb: SuperBlock,
    readonly parent: DirectoryNode,
    readonly name: string,
    private readonly key: string,
    private readonly attrs: GenAttrs,
    private readonly time: bigint,
    private readonly children: GenChildren,
    private readonly extra: Partial<FileStat> = {},
    /** Names found by lookup but not listed (/proc/<tid> of a thread). */
    private readonly unlisted?: (name: string, caller: Caller) => VfsNode | undefined,
  ) {}
  lookup(name: string, caller: Caller): VfsNode | undefined {
    for (const [n, make] of this.children(caller)) if (n === name) return make();
    return this.unlisted?.(name, caller);
  }
  entries(caller: Caller): DirEntry[] {
    const out: DirEntry[] = [];
    for (const [name, make] of this.children(caller)) {
      const st = make().stat();
      out.push({ name, ino: st.ino, type: dtype(st.mode) });
    }
    return out;
  }
  stat(): FileStat {
    return genStat(this.sb, this.key, S_IFDIR, this.attrs, this.time, { nlink: 2, ...this.extra });
  }
}

/** A file whose bytes are generated when it is opened. */
export class GenFile implements FileNode {
  readonly type = 'file' as const;
  constructor(
    readonly sb: SuperBlock,
    private readonly key: string,
    private readonly attrs: GenAttrs,
    private readonly time: bigint,
    private readonly generate: (caller: Caller) => Uint8Array | string | Fail,
    private readonly writer?: (data: Uint8Array, caller: Caller) => IoResult<number>,
    /** st_size (sysfs reports 4096, procfs 0). */
    private readonly size = 0,
  ) {}
  stat(): FileStat {
    return genStat(this.sb, this.key, S_IFREG, this.attrs, this.time, { size: this.size });
  }
  open(flags: number, path: string, caller: Caller): OpenFile | Fail {
    const acc = flags & O_ACCMODE;
    let bytes: Uint8Array = new Uint8Array(0);
    if (acc !== O_WRONLY) {
      const g = this.generate(caller);
      if (failed(g)) return g;
      bytes = typeof g === 'string' ? enc.encode(g) : g;
    }
    const writer = this.writer;
    return new RegularFile(bytes, this.stat(), {
      statusFlags: openStatusFlags(flags),
      path,
      node: this,
      kind: 'proc',
      write: writer ? (d) => writer(d, caller) : () => ({ errno: EINVAL }),
    });
  }
}

/** A symlink whose text is computed when read; magic when it can be followed to an object. */
export class GenLink implements SymlinkNode {
  readonly type = 'symlink' as const;
  constructor(
    readonly sb: SuperBlock,
    private readonly key: string,
    private readonly attrs: GenAttrs,
    private readonly time: bigint,
    private readonly text: (caller: Caller) => string | Fail,
    private readonly magic?: (caller: Caller) => { node: VfsNode; path: string } | Fail,
    private readonly size?: number,
  ) {
    if (magic) this.follow = magic;
  }
  readonly follow?: (caller: Caller) => { node: VfsNode; path: string } | Fail;
  readlink(caller: Caller): string | Fail {
    return this.text(caller);
  }
  stat(): FileStat {
    return genStat(this.sb, this.key, S_IFLNK, this.attrs, this.time, { size: this.size ?? 0 });
  }
}

/** An object reached through /proc/<pid>/fd/N that has no node of its own (a pipe): opening it again shares the open file. */
class OpenFileNode implements DeviceNode {
  readonly type = 'device' as const;
  constructor(
    readonly sb: SuperBlock,
    private readonly file: OpenFile,
  ) {}
  stat(): FileStat {
    return this.file.stat();
  }
  open(): OpenFile {
    return this.file;
  }
}

function isVfsNode(x: unknown): x is VfsNode {
  return typeof x === 'object' && x !== null && 'type' in x && 'sb' in x && typeof (x as { stat?: unknown }).stat === 'function';
}

// --- the tree ------------------------------------------------------------------------------

const RO = { mode: 0o444 };
const RW_ROOT = { mode: 0o644 };
const DIR = { mode: 0o555 };
const RLIM_INFINITY = 0xffffffffffffffffn;

/**
 * The view /proc uses when the machine has not attached one: only the
 * calling process, from what the Vfs and the caller know (its ids, its
 * descriptors when the syscall layer lists them, the program path).
 */
export function callerOnlySystem(vfs: Vfs, caller: Caller): SystemView {
  const exe = vfs.exePath;
  const thread: ThreadView = {
    tid: caller.tid || caller.pid,
    comm: exe.slice(exe.lastIndexOf('/') + 1).slice(0, 15),
    state: 'R',
    cpu: 0,
    allowedCpus: 1n,
    blocked: 0n,
    pending: 0n,
    utimeNs: 0n,
    startNs: 0n,
    voluntarySwitches: 0,
    involuntarySwitches: 0,
  };
  const proc: ProcessView = {
    pid: caller.pid,
    ppid: 0,
    pgid: caller.pid,
    sid: caller.pid,
    uid: caller.ruid ?? caller.uid,
    euid: caller.uid,
    gid: caller.rgid ?? caller.gid,
    egid: caller.gid,
    groups: caller.groups ?? [],
    exe,
    cmdline: () => new Uint8Array(0),
    environ: () => new Uint8Array(0),
    threads: () => [thread],
    maps: () => [],
    fds: () => caller.fds?.() ?? [],
    sigIgnored: 0n,
    sigCaught: 0n,
    sharedPending: 0n,
    rlimit: () => ({ cur: RLIM_INFINITY, max: RLIM_INFINITY }),
  };
  const procs = caller.pid ? [proc] : [];
  return {
    cpus: 1,
    nodes: 1,
    release: 'unknown',
    version: '#1',
    realtimeNs: () => vfs.now(),
    uptimeNs: () => 0n,
    cpuUserNs: () => 0n,
    contextSwitches: () => 0,
    forks: () => procs.length,
    lastPid: () => caller.pid,
    processes: () => procs,
    pids: () => procs.map((p) => p.pid),
    process: (pid) => procs.find((p) => p.pid === pid),
  };
}

/** Builds /proc under `parent`. The machine's view is read from vfs.system on every lookup. */
export function createProcfs(sb: SuperBlock, parent: DirectoryNode, vfs: Vfs): DirectoryNode {
  const time = vfs.now();
  const sysFor = (caller: Caller): SystemView => vfs.system ?? callerOnlySystem(vfs, caller);
  const file = (key: string, gen: (caller: Caller) => Uint8Array | string | Fail, attrs: GenAttrs = RO) => () => new GenFile(sb, key, attrs, time, gen);
  const withSys = (f: (s: SystemView) => string) => (caller: Caller): string => f(sysFor(caller));

  const root: DirectoryNode = new GenDir(
    sb,
    parent,
    'proc',
    '/',
    DIR,
    time,
    (caller) => {
      // Without the machine's view the CPUs, clocks and release are unknown: those files are absent
      // (so glibc's get_nprocs falls back to sched_getaffinity rather than believing a guess).
      const machine = vfs.system !== undefined;
      const out: [string, () => VfsNode][] = [
        ...(machine ? [['cpuinfo', file('/cpuinfo', withSys(formatCpuinfo))], ['loadavg', file('/loadavg', withSys(formatLoadavg))]] as [string, () => VfsNode][] : []),
        ['meminfo', file('/meminfo', formatMeminfo)],
        ['mounts', () => new GenLink(sb, '/mounts', { mode: 0o777 }, time, () => 'self/mounts', undefined, 11)],
        ['self', () => new GenLink(sb, '/self', { mode: 0o777 }, time, (c) => (c.pid ? `${c.pid}` : { errno: ENOENT }))],
        ...(machine ? [['stat', file('/stat', withSys(formatProcStat))]] as [string, () => VfsNode][] : []),
        ['sys', () => sysctlDir()],
        ['thread-self', () => new GenLink(sb, '/thread-self', { mode: 0o777 }, time, (c) => (c.pid ? `${c.pid}/task/${c.tid}` : { errno: ENOENT }))],
        ...(machine
          ? ([
              ['uptime', file('/uptime', withSys(formatUptime))],
              ['version', file('/version', withSys((s) => `Linux version ${s.release} (rseqlab@rseqlab) (rseqlab) ${s.version}\n`))],
            ] as [string, () => VfsNode][])
          : []),
      ];
      const pids = [...sysFor(caller).pids()].sort((a, b) => a - b);
      for (const pid of pids) out.push([`${pid}`, () => pidDir(pid, undefined, caller)]);
      return out;
    },
    {},
    // /proc/<tid> of a thread that is not a leader: found, not listed.
    (name, caller) => (/^[1-9][0-9]*$/.test(name) && processOf(Number(name), caller) ? pidDir(Number(name), undefined, caller) : undefined),
  );

  function processOf(pid: number, caller: Caller): { p: ProcessView; t: ThreadView } | undefined {
    const s = sysFor(caller);
    const p = s.process(pid);
    if (p) return { p, t: p.threads()[0] };
    for (const q of s.processes()) {
      const t = q.threads().find((x) => x.tid === pid);
      if (t) return { p: q, t };
    }
    return undefined;
  }

  function owner(p: ProcessView): { uid: number; gid: number } {
    return { uid: p.euid, gid: p.egid };
  }

  /** /proc/<pid> (tid undefined) or /proc/<pid>/task/<tid>. */
  function pidDir(pid: number, tid: number | undefined, opener: Caller): DirectoryNode {
    const key = tid === undefined ? `/${pid}` : `/${pid}/task/${tid}`;
    const parentDir = tid === undefined ? root : taskDir(pid, opener);
    const now = processOf(pid, opener);
    const attrs = { ...DIR, ...(now ? owner(now.p) : {}) };
    const dir: DirectoryNode = new GenDir(sb, parentDir, `${tid ?? pid}`, key, attrs, time, (caller) => {
      const found = processOf(pid, caller);
      if (!found) return [];
      const { p } = found;
      const t = tid === undefined ? found.t : p.threads().find((x) => x.tid === tid);
      if (!t) return [];
      const own = owner(p);
      const ro = { mode: 0o444, ...own };
      const f = (name: string, gen: () => string | Uint8Array | Fail, a: GenAttrs = ro, writer?: (d: Uint8Array) => IoResult<number>) =>
        [name, () => new GenFile(sb, `${key}/${name}`, a, time, gen, writer)] as [string, () => VfsNode];
      const entries: [string, () => VfsNode][] = [
        f('cmdline', () => p.cmdline()),
        f('comm', () => `${t.comm}\n`, { mode: 0o644, ...own }, (d) => writeComm(t, d)),
        ['cwd', () => new GenLink(sb, `${key}/cwd`, { mode: 0o777, ...own }, time, () => cwdText(p.pid), () => cwdTarget(p.pid))],
        f('environ', () => p.environ(), { mode: 0o400, ...own }),
        ['exe', () => new GenLink(sb, `${key}/exe`, { mode: 0o777, ...own }, time, () => p.exe ?? { errno: ENOENT }, (c) => exeTarget(p, c))],
        ['fd', () => fdDir(p, `${key}/fd`, dir, own)],
        ['fdinfo', () => fdinfoDir(p, `${key}/fdinfo`, dir, own)],
        f('maps', () => formatMaps(p.maps() ?? [])),
        f('mounts', () => vfs.mounts().join('\n') + '\n'),
        ['root', () => new GenLink(sb, `${key}/root`, { mode: 0o777, ...own }, time, () => '/', () => ({ node: vfs.root, path: '/' }))],
        f('stat', () => formatStat(p, tid === undefined ? undefined : t)),
        f('statm', () => formatStatm(p)),
        f('status', () => formatStatus(sysFor(caller), p, t, p.umask ?? vfs.fsContext(p.pid).umask)),
      ];
      if (tid === undefined) entries.push(['task', () => taskDir(pid, caller)]);
      return entries.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    });
    return dir;
  }

  function taskDir(pid: number, opener: Caller): DirectoryNode {
    const found = processOf(pid, opener);
    const attrs = { ...DIR, ...(found ? owner(found.p) : {}) };
    return new GenDir(sb, pidDir(pid, undefined, opener), 'task', `/${pid}/task`, attrs, time, (caller) => {
      const f = processOf(pid, caller);
      if (!f) return [];
      return f.p.threads().map((t) => [`${t.tid}`, () => pidDir(pid, t.tid, caller)] as [string, () => VfsNode]);
    });
  }

  function fdDir(p: ProcessView, key: string, parentDir: DirectoryNode, own: { uid: number; gid: number }): DirectoryNode {
    return new GenDir(
      sb,
      parentDir,
      'fd',
      key,
      { mode: 0o500, ...own },
      time,
      () =>
        p.fds().map((fd) => {
          const acc = fd.file.statusFlags & O_ACCMODE;
          const mode = fd.file.kind === 'path' ? 0o500 : acc === O_RDONLY ? 0o500 : acc === O_WRONLY ? 0o300 : 0o700;
          const target = fdLinkTarget(fd.file);
          return [
            `${fd.fd}`,
            () =>
              new GenLink(sb, `${key}/${fd.fd}`, { mode, ...own }, time, () => target, () => {
                const n = fd.file.node;
                return { node: isVfsNode(n) ? n : new OpenFileNode(sb, fd.file), path: target };
              }, 64),
          ] as [string, () => VfsNode];
        }),
      { size: p.fds().length },
    );
  }

  function fdinfoDir(p: ProcessView, key: string, parentDir: DirectoryNode, own: { uid: number; gid: number }): DirectoryNode {
    return new GenDir(sb, parentDir, 'fdinfo', key, { mode: 0o500, ...own }, time, () =>
      p.fds().map((fd) => [
        `${fd.fd}`,
        () =>
          new GenFile(sb, `${key}/${fd.fd}`, { mode: 0o444, ...own }, time, () => {
            const n = fd.file.node;
            return formatFdinfo(fd, isVfsNode(n) ? n.sb.mountId : PIPEFS_MOUNT_ID);
          }),
      ] as [string, () => VfsNode]),
    );
  }

  function cwdText(pid: number): string {
    const cwd = vfs.fsContext(pid).cwd;
    return vfs.pathOf(cwd) + (cwd.removed ? ' (deleted)' : '');
  }

  function cwdTarget(pid: number): { node: VfsNode; path: string } {
    const cwd = vfs.fsContext(pid).cwd;
    return { node: cwd, path: vfs.pathOf(cwd) };
  }

  function exeTarget(p: ProcessView, caller: Caller): { node: VfsNode; path: string } | Fail {
    if (!p.exe) return { errno: ENOENT };
    const node = vfs.lookup(p.exe, { caller });
    if (failed(node)) return node;
    return { node, path: p.exe };
  }

  function writeComm(t: ThreadView, data: Uint8Array): IoResult<number> {
    if (!t.setComm) return { errno: EINVAL };
    let name = '';
    for (const b of data.subarray(0, 15)) {
      if (b === 0) break;
      name += String.fromCharCode(b);
    }
    t.setComm(name);
    return data.length;
  }

  function sysctlDir(): DirectoryNode {
    const sysDir: DirectoryNode = new GenDir(sb, root, 'sys', '/sys', DIR, time, () => [
      ['fs', fsDir],
      ['kernel', kernelDir],
      ['vm', vmDir],
    ]);
    const rw = (dir: string, name: string, value: (caller: Caller) => string) => [name, file(`/sys/${dir}/${name}`, value, RW_ROOT)] as [string, () => VfsNode];
    function kernelDir(): DirectoryNode {
      const k: DirectoryNode = new GenDir(sb, sysDir, 'kernel', '/sys/kernel', DIR, time, () => sorted([
        ...(vfs.system ? machineSysctls() : []),
        rw('kernel', 'cap_last_cap', () => '40\n'),
        rw('kernel', 'domainname', () => '(none)\n'),
        rw('kernel', 'hostname', () => 'rseqlab\n'),
        rw('kernel', 'ngroups_max', () => '65536\n'),
        rw('kernel', 'ostype', () => 'Linux\n'),
        rw('kernel', 'overflowgid', () => '65534\n'),
        rw('kernel', 'overflowuid', () => '65534\n'),
        ['random', (): VfsNode => randomDir(k)],
        // No address-space randomisation: the model lays memory out the same every run.
        rw('kernel', 'randomize_va_space', () => '0\n'),
        // set_max_threads: RAM / (THREAD_SIZE * 8).
        rw('kernel', 'threads-max', () => `${MODELLED_RAM_BYTES / (16384n * 8n)}\n`),
      ]));
      return k;
    }
    /** The sysctls that come from the machine's view. */
    function machineSysctls(): [string, () => VfsNode][] {
      return [
        rw('kernel', 'osrelease', withSys((x) => `${x.release}\n`)),
        // pid_idr_init: max(PID_MAX_DEFAULT, PIDS_PER_CPU_DEFAULT * possible CPUs).
        rw('kernel', 'pid_max', withSys((x) => `${Math.max(32768, 1024 * x.cpus)}\n`)),
        rw('kernel', 'version', withSys((x) => `${x.version}\n`)),
      ];
    }
    function vmDir(): DirectoryNode {
      return new GenDir(sb, sysDir, 'vm', '/sys/vm', DIR, time, () => [
        rw('vm', 'max_map_count', () => '65530\n'),
        rw('vm', 'mmap_min_addr', () => '65536\n'),
        rw('vm', 'overcommit_memory', () => '0\n'),
        rw('vm', 'overcommit_ratio', () => '50\n'),
      ]);
    }
    function fsDir(): DirectoryNode {
      return new GenDir(sb, sysDir, 'fs', '/sys/fs', DIR, time, () => [
        // files_maxfiles_init: a tenth of RAM in KiB.
        rw('fs', 'file-max', () => `${MODELLED_RAM_BYTES / 1024n / 10n}\n`),
        rw('fs', 'nr_open', () => '1048576\n'),
        rw('fs', 'pipe-max-size', () => '1048576\n'),
      ]);
    }
    return sysDir;
  }

  let bootId: string | undefined;
  function randomDir(kernel: DirectoryNode): DirectoryNode {
    return new GenDir(sb, kernel, 'random', '/sys/kernel/random', DIR, time, () => [
      ['boot_id', file('/sys/kernel/random/boot_id', () => `${(bootId ??= uuid(randomBytes(16)))}\n`)],
      ['entropy_avail', file('/sys/kernel/random/entropy_avail', () => '256\n')],
      ['poolsize', file('/sys/kernel/random/poolsize', () => '256\n')],
      ['uuid', file('/sys/kernel/random/uuid', () => `${uuid(randomBytes(16))}\n`)],
    ]);
  }

  function randomBytes(n: number): Uint8Array {
    return vfs.random ? vfs.random.bytes(n) : new Uint8Array(n);
  }

  return root;
}

/** Entries in name order, as sysctl's rbtree lists them. */
function sorted(entries: [string, () => VfsNode][]): [string, () => VfsNode][] {
  return entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The mount id fdinfo shows for objects without a file-system node (pipes: pipefs). */
const PIPEFS_MOUNT_ID = 15;

/** A version 4 UUID from 16 random bytes (drivers/char/random.c generate_random_uuid). */
function uuid(b: Uint8Array): string {
  const x = b.slice();
  x[6] = (x[6] & 0x0f) | 0x40;
  x[8] = (x[8] & 0x3f) | 0x80;
  const h = [...x].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

