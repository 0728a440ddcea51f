// siginfo_t as x86-64 Linux hands it to user space: the si_code values
// (include/uapi/asm-generic/siginfo.h), the layout of the union chosen by
// (signal, si_code) (kernel/signal.c siginfo_layout) and the 128 bytes
// copy_siginfo_to_user writes (kernel/signal.c): the 48-byte kernel_siginfo
// as the kernel filled it (cleared first, so every byte it did not set is
// zero) followed by 80 zero bytes of expansion. Offsets are the ones
// arch/x86/kernel/signal_64.c asserts at build time.
//
// Every 64-bit field is a bigint, every 32-bit field a number.

import { SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGIO, SIGSEGV, SIGSYS, SIGTRAP, signalName } from './signals.js';

/** sizeof(siginfo_t): SI_MAX_SIZE. */
export const SIGINFO_SIZE = 128;
/** sizeof(struct kernel_siginfo): the part the kernel actually fills; the rest is zeroed expansion. */
export const KERNEL_SIGINFO_SIZE = 48;

// Field offsets (static_asserts at the end of arch/x86/kernel/signal_64.c).
export const SI_SIGNO = 0x00;
export const SI_ERRNO = 0x04;
export const SI_CODE = 0x08;
/** _sifields: after three ints and 4 bytes of padding (the union holds pointers). */
export const SI_FIELDS = 0x10;
export const SI_PID = 0x10;
export const SI_UID = 0x14;
export const SI_TID = 0x10;
export const SI_OVERRUN = 0x14;
export const SI_VALUE = 0x18;
/** _timer._sys_private: kernel-internal, never meant for user space. */
export const SI_SYS_PRIVATE = 0x20;
export const SI_STATUS = 0x18;
export const SI_UTIME = 0x20;
export const SI_STIME = 0x28;
export const SI_ADDR = 0x10;
export const SI_ADDR_LSB = 0x18;
export const SI_LOWER = 0x20;
export const SI_UPPER = 0x28;
export const SI_PKEY = 0x20;
export const SI_PERF_DATA = 0x18;
export const SI_PERF_TYPE = 0x20;
export const SI_PERF_FLAGS = 0x24;
export const SI_BAND = 0x10;
export const SI_FD = 0x18;
export const SI_CALL_ADDR = 0x10;
export const SI_SYSCALL = 0x18;
export const SI_ARCH = 0x1c;

// si_code values common to every signal.
export const SI_USER = 0;
export const SI_KERNEL = 0x80;
export const SI_QUEUE = -1;
export const SI_TIMER = -2;
export const SI_MESGQ = -3;
export const SI_ASYNCIO = -4;
export const SI_SIGIO = -5;
export const SI_TKILL = -6;
export const SI_DETHREAD = -7;
export const SI_ASYNCNL = -60;

// SIGILL
export const ILL_ILLOPC = 1;
export const ILL_ILLOPN = 2;
export const ILL_ILLADR = 3;
export const ILL_ILLTRP = 4;
export const ILL_PRVOPC = 5;
export const ILL_PRVREG = 6;
export const ILL_COPROC = 7;
export const ILL_BADSTK = 8;
export const ILL_BADIADDR = 9;
export const NSIGILL = 11;

// SIGFPE
export const FPE_INTDIV = 1;
export const FPE_INTOVF = 2;
export const FPE_FLTDIV = 3;
export const FPE_FLTOVF = 4;
export const FPE_FLTUND = 5;
export const FPE_FLTRES = 6;
export const FPE_FLTINV = 7;
export const FPE_FLTSUB = 8;
export const FPE_FLTUNK = 14;
export const FPE_CONDTRAP = 15;
export const NSIGFPE = 15;

// SIGSEGV
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const SEGV_BNDERR = 3;
export const SEGV_PKUERR = 4;
export const SEGV_ACCADI = 5;
export const SEGV_ADIDERR = 6;
export const SEGV_ADIPERR = 7;
export const SEGV_MTEAERR = 8;
export const SEGV_MTESERR = 9;
export const SEGV_CPERR = 10;
export const NSIGSEGV = 10;

// SIGBUS
export const BUS_ADRALN = 1;
export const BUS_ADRERR = 2;
export const BUS_OBJERR = 3;
export const BUS_MCEERR_AR = 4;
export const BUS_MCEERR_AO = 5;
export const NSIGBUS = 5;

// SIGTRAP
export const TRAP_BRKPT = 1;
export const TRAP_TRACE = 2;
export const TRAP_BRANCH = 3;
export const TRAP_HWBKPT = 4;
export const TRAP_UNK = 5;
export const TRAP_PERF = 6;
export const NSIGTRAP = 6;

// SIGCHLD
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;
export const CLD_TRAPPED = 4;
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;
export const NSIGCHLD = 6;

// SIGPOLL (and any signal without codes of its own, e.g. an F_SETSIG realtime signal)
export const POLL_IN = 1;
export const POLL_OUT = 2;
export const POLL_MSG = 3;
export const POLL_ERR = 4;
export const POLL_PRI = 5;
export const POLL_HUP = 6;
export const NSIGPOLL = 6;

// SIGSYS
export const SYS_SECCOMP = 1;
export const SYS_USER_DISPATCH = 2;
export const NSIGSYS = 2;

interface SigInfoHead {
  signo: number;
  errno: number;
  code: number;
}

/** kill(), tkill() without value, SI_KERNEL: sender's pid and uid. */
export interface SigInfoKill extends SigInfoHead {
  kind: 'kill';
  pid: number;
  uid: number;
}

/** POSIX timers (SI_TIMER). */
export interface SigInfoTimer extends SigInfoHead {
  kind: 'timer';
  tid: number;
  overrun: number;
  /** union sigval, as the 8 bytes the sender gave. */
  value: bigint;
}

/** sigqueue, tkill/tgkill, mq_notify, ... (negative si_code): sender plus a sigval. */
export interface SigInfoRt extends SigInfoHead {
  kind: 'rt';
  pid: number;
  uid: number;
  value: bigint;
}

/** SIGCHLD from a child's state change. */
export interface SigInfoChld extends SigInfoHead {
  kind: 'chld';
  pid: number;
  uid: number;
  /** Exit code (CLD_EXITED) or signal number. */
  status: number;
  /** Clock ticks (clock_t). */
  utime: bigint;
  stime: bigint;
}

/**
 * SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP from a fault. The optional
 * members share the bytes after si_addr, each for its own si_code:
 * addrLsb for BUS_MCEERR_*, lower/upper for SEGV_BNDERR, pkey for
 * SEGV_PKUERR, perf* for TRAP_PERF.
 */
export interface SigInfoFault extends SigInfoHead {
  kind: 'fault';
  addr: bigint;
  addrLsb?: number;
  lower?: bigint;
  upper?: bigint;
  pkey?: number;
  perfData?: bigint;
  perfType?: number;
  perfFlags?: number;
}

/** SIGIO / F_SETSIG signals: poll band and the file descriptor. */
export interface SigInfoPoll extends SigInfoHead {
  kind: 'poll';
  band: bigint;
  fd: number;
}

/** SIGSYS from seccomp or syscall user dispatch. */
export interface SigInfoSys extends SigInfoHead {
  kind: 'sys';
  callAddr: bigint;
  syscall: number;
  /** AUDIT_ARCH_* (AUDIT_ARCH_X86_64 = 0xc000003e). */
  arch: number;
}

/** One siginfo_t; `kind` names the member of the union that is meaningful. */
export type SigInfo = SigInfoKill | SigInfoTimer | SigInfoRt | SigInfoChld | SigInfoFault | SigInfoPoll | SigInfoSys;
export type SigInfoKind = SigInfo['kind'];

/** Which fault variant of the union: kernel/signal.c siginfo_layout's SIL_FAULT_* exceptions. */
export type FaultLayout = 'plain' | 'mceerr' | 'bnderr' | 'pkuerr' | 'perf';

/** sig_sicodes[]: signals with si_codes of their own, with the last code and the union member they use. */
const SIGNAL_CODES: Record<number, { limit: number; kind: SigInfoKind }> = {
  [SIGILL]: { limit: NSIGILL, kind: 'fault' },
  [SIGFPE]: { limit: NSIGFPE, kind: 'fault' },
  [SIGSEGV]: { limit: NSIGSEGV, kind: 'fault' },
  [SIGBUS]: { limit: NSIGBUS, kind: 'fault' },
  [SIGTRAP]: { limit: NSIGTRAP, kind: 'fault' },
  [SIGCHLD]: { limit: NSIGCHLD, kind: 'chld' },
  [SIGIO]: { limit: NSIGPOLL, kind: 'poll' },
  [SIGSYS]: { limit: NSIGSYS, kind: 'sys' },
};

/** kernel/signal.c siginfo_layout: which union member a (signal, si_code) pair uses. */
export function siginfoLayout(signo: number, code: number): SigInfoKind {
  if (code > SI_USER && code < SI_KERNEL) {
    const own = SIGNAL_CODES[signo];
    if (own !== undefined && code <= own.limit) return own.kind;
    // Any other small positive code reads as SIGPOLL's (F_SETSIG realtime
    // signals use POLL_*), even past the limit of a signal with its own codes.
    if (code <= NSIGPOLL) return 'poll';
    return 'kill';
  }
  if (code === SI_TIMER) return 'timer';
  if (code === SI_SIGIO) return 'poll';
  if (code < 0) return 'rt';
  return 'kill';
}

/** The fault variant for a 'fault' layout (siginfo_layout's exceptions). */
export function faultLayout(signo: number, code: number): FaultLayout {
  if (signo === SIGBUS && (code === BUS_MCEERR_AR || code === BUS_MCEERR_AO)) return 'mceerr';
  if (signo === SIGSEGV && code === SEGV_BNDERR) return 'bnderr';
  if (signo === SIGSEGV && code === SEGV_PKUERR) return 'pkuerr';
  if (signo === SIGTRAP && code === TRAP_PERF) return 'perf';
  return 'plain';
}

/** The 128-byte siginfo_t copy_siginfo_to_user writes. */
export function encodeSigInfo(info: SigInfo): Uint8Array {
  const bytes = new Uint8Array(SIGINFO_SIZE);
  const v = new DataView(bytes.buffer);
  v.setInt32(SI_SIGNO, info.signo, true);
  v.setInt32(SI_ERRNO, info.errno, true);
  v.setInt32(SI_CODE, info.code, true);
  const u64 = (off: number, x: bigint) => v.setBigUint64(off, BigInt.asUintN(64, x), true);
  switch (info.kind) {
    case 'kill':
      v.setInt32(SI_PID, info.pid, true);
      v.setUint32(SI_UID, info.uid >>> 0, true);
      break;
    case 'timer':
      v.setInt32(SI_TID, info.tid, true);
      v.setInt32(SI_OVERRUN, info.overrun, true);
      u64(SI_VALUE, info.value);
      break;
    case 'rt':
      v.setInt32(SI_PID, info.pid, true);
      v.setUint32(SI_UID, info.uid >>> 0, true);
      u64(SI_VALUE, info.value);
      break;
    case 'chld':
      v.setInt32(SI_PID, info.pid, true);
      v.setUint32(SI_UID, info.uid >>> 0, true);
      v.setInt32(SI_STATUS, info.status, true);
      u64(SI_UTIME, info.utime);
      u64(SI_STIME, info.stime);
      break;
    case 'fault':
      u64(SI_ADDR, info.addr);
      if (info.addrLsb !== undefined) v.setInt16(SI_ADDR_LSB, info.addrLsb, true);
      if (info.perfData !== undefined) u64(SI_PERF_DATA, info.perfData);
      if (info.lower !== undefined) u64(SI_LOWER, info.lower);
      if (info.upper !== undefined) u64(SI_UPPER, info.upper);
      if (info.pkey !== undefined) v.setUint32(SI_PKEY, info.pkey >>> 0, true);
      if (info.perfType !== undefined) v.setUint32(SI_PERF_TYPE, info.perfType >>> 0, true);
      if (info.perfFlags !== undefined) v.setUint32(SI_PERF_FLAGS, info.perfFlags >>> 0, true);
      break;
    case 'poll':
      u64(SI_BAND, info.band);
      v.setInt32(SI_FD, info.fd, true);
      break;
    case 'sys':
      u64(SI_CALL_ADDR, info.callAddr);
      v.setInt32(SI_SYSCALL, info.syscall, true);
      v.setUint32(SI_ARCH, info.arch >>> 0, true);
      break;
  }
  return bytes;
}

/**
 * Reads a siginfo_t (rt_sigqueueinfo, rt_tgsigqueueinfo, tests): the
 * union member is the one siginfo_layout picks for (si_signo, si_code).
 * Bytes outside that member are ignored (copy_siginfo_from_user keeps
 * them in the kernel_siginfo; the model only keeps named fields).
 */
export function decodeSigInfo(bytes: Uint8Array): SigInfo {
  if (bytes.length < SIGINFO_SIZE) throw new RangeError(`a siginfo_t is ${SIGINFO_SIZE} bytes, got ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = { signo: v.getInt32(SI_SIGNO, true), errno: v.getInt32(SI_ERRNO, true), code: v.getInt32(SI_CODE, true) };
  const u64 = (off: number) => v.getBigUint64(off, true);
  const i64 = (off: number) => v.getBigInt64(off, true);
  const kind = siginfoLayout(head.signo, head.code);
  switch (kind) {
    case 'kill':
      return { ...head, kind, pid: v.getInt32(SI_PID, true), uid: v.getUint32(SI_UID, true) };
    case 'timer':
      return { ...head, kind, tid: v.getInt32(SI_TID, true), overrun: v.getInt32(SI_OVERRUN, true), value: u64(SI_VALUE) };
    case 'rt':
      return { ...head, kind, pid: v.getInt32(SI_PID, true), uid: v.getUint32(SI_UID, true), value: u64(SI_VALUE) };
    case 'chld':
      return {
        ...head, kind, pid: v.getInt32(SI_PID, true), uid: v.getUint32(SI_UID, true),
        status: v.getInt32(SI_STATUS, true), utime: i64(SI_UTIME), stime: i64(SI_STIME),
      };
    case 'fault': {
      const info: SigInfoFault = { ...head, kind, addr: u64(SI_ADDR) };
      switch (faultLayout(head.signo, head.code)) {
        case 'mceerr':
          info.addrLsb = v.getInt16(SI_ADDR_LSB, true);
          break;
        case 'bnderr':
          info.lower = u64(SI_LOWER);
          info.upper = u64(SI_UPPER);
          break;
        case 'pkuerr':
          info.pkey = v.getUint32(SI_PKEY, true);
          break;
        case 'perf':
          info.perfData = u64(SI_PERF_DATA);
          info.perfType = v.getUint32(SI_PERF_TYPE, true);
          info.perfFlags = v.getUint32(SI_PERF_FLAGS, true);
          break;
        case 'plain':
          break;
      }
      return info;
    }
    case 'poll':
      return { ...head, kind, band: i64(SI_BAND), fd: v.getInt32(SI_FD, true) };
    case 'sys':
      return { ...head, kind, callAddr: u64(SI_CALL_ADDR), syscall: v.getInt32(SI_SYSCALL, true), arch: v.getUint32(SI_ARCH, true) };
  }
}

/** A kill()-style siginfo (SI_USER by default; SI_KERNEL for signals the kernel sends). */
export function killSigInfo(signo: number, pid: number, uid: number, code = SI_USER): SigInfoKill {
  return { signo, errno: 0, code, kind: 'kill', pid, uid };
}

/** A fault siginfo (force_sig_fault): si_addr and the si_code. */
export function faultSigInfo(signo: number, code: number, addr: bigint): SigInfoFault {
  return { signo, errno: 0, code, kind: 'fault', addr };
}

const COMMON_CODES: Record<number, string> = {
  [SI_USER]: 'SI_USER', [SI_KERNEL]: 'SI_KERNEL', [SI_QUEUE]: 'SI_QUEUE', [SI_TIMER]: 'SI_TIMER',
  [SI_MESGQ]: 'SI_MESGQ', [SI_ASYNCIO]: 'SI_ASYNCIO', [SI_SIGIO]: 'SI_SIGIO', [SI_TKILL]: 'SI_TKILL',
  [SI_DETHREAD]: 'SI_DETHREAD', [SI_ASYNCNL]: 'SI_ASYNCNL',
};

const SIGNAL_CODE_NAMES: Record<number, string[]> = {
  [SIGILL]: ['', 'ILL_ILLOPC', 'ILL_ILLOPN', 'ILL_ILLADR', 'ILL_ILLTRP', 'ILL_PRVOPC', 'ILL_PRVREG', 'ILL_COPROC', 'ILL_BADSTK', 'ILL_BADIADDR', '__ILL_BREAK', '__ILL_BNDMOD'],
  [SIGFPE]: ['', 'FPE_INTDIV', 'FPE_INTOVF', 'FPE_FLTDIV', 'FPE_FLTOVF', 'FPE_FLTUND', 'FPE_FLTRES', 'FPE_FLTINV', 'FPE_FLTSUB',
    '__FPE_DECOVF', '__FPE_DECDIV', '__FPE_DECERR', '__FPE_INVASC', '__FPE_INVDEC', 'FPE_FLTUNK', 'FPE_CONDTRAP'],
  [SIGSEGV]: ['', 'SEGV_MAPERR', 'SEGV_ACCERR', 'SEGV_BNDERR', 'SEGV_PKUERR', 'SEGV_ACCADI', 'SEGV_ADIDERR', 'SEGV_ADIPERR', 'SEGV_MTEAERR', 'SEGV_MTESERR', 'SEGV_CPERR'],
  [SIGBUS]: ['', 'BUS_ADRALN', 'BUS_ADRERR', 'BUS_OBJERR', 'BUS_MCEERR_AR', 'BUS_MCEERR_AO'],
  [SIGTRAP]: ['', 'TRAP_BRKPT', 'TRAP_TRACE', 'TRAP_BRANCH', 'TRAP_HWBKPT', 'TRAP_UNK', 'TRAP_PERF'],
  [SIGCHLD]: ['', 'CLD_EXITED', 'CLD_KILLED', 'CLD_DUMPED', 'CLD_TRAPPED', 'CLD_STOPPED', 'CLD_CONTINUED'],
  [SIGSYS]: ['', 'SYS_SECCOMP', 'SYS_USER_DISPATCH'],
};
const POLL_CODE_NAMES = ['', 'POLL_IN', 'POLL_OUT', 'POLL_MSG', 'POLL_ERR', 'POLL_PRI', 'POLL_HUP'];

/** The name of si_code for this signal ('SEGV_MAPERR', 'SI_TKILL', ...), or the number. */
export function sigCodeName(signo: number, code: number): string {
  if (code > SI_USER && code < SI_KERNEL) {
    const own = SIGNAL_CODE_NAMES[signo];
    if (own !== undefined && code < own.length) return own[code];
    if (siginfoLayout(signo, code) === 'poll') return POLL_CODE_NAMES[code];
    return `si_code ${code}`;
  }
  return COMMON_CODES[code] ?? `si_code ${code}`;
}

const hex = (v: bigint | number) => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;

/** One line for traces: "SIGSEGV SEGV_MAPERR addr=0x10", "SIGUSR1 SI_TKILL pid=5 uid=0 value=0x0". */
export function describeSigInfo(info: SigInfo): string {
  const head = `${signalName(info.signo)} ${sigCodeName(info.signo, info.code)}${info.errno !== 0 ? ` errno=${info.errno}` : ''}`;
  switch (info.kind) {
    case 'kill':
      return `${head} pid=${info.pid} uid=${info.uid}`;
    case 'timer':
      return `${head} timer=${info.tid} overrun=${info.overrun} value=${hex(info.value)}`;
    case 'rt':
      return `${head} pid=${info.pid} uid=${info.uid} value=${hex(info.value)}`;
    case 'chld': {
      const status = info.code === CLD_EXITED ? `exit status ${info.status}` : `signal ${signalName(info.status)}`;
      return `${head} pid=${info.pid} uid=${info.uid} ${status} utime=${info.utime} stime=${info.stime}`;
    }
    case 'fault': {
      const extra: string[] = [];
      if (info.addrLsb !== undefined) extra.push(`addr_lsb=${info.addrLsb}`);
      if (info.lower !== undefined) extra.push(`lower=${hex(info.lower)}`);
      if (info.upper !== undefined) extra.push(`upper=${hex(info.upper)}`);
      if (info.pkey !== undefined) extra.push(`pkey=${info.pkey}`);
      if (info.perfData !== undefined) extra.push(`perf_data=${hex(info.perfData)}`);
      if (info.perfType !== undefined) extra.push(`perf_type=${info.perfType}`);
      if (info.perfFlags !== undefined) extra.push(`perf_flags=${hex(info.perfFlags)}`);
      return [`${head} addr=${hex(info.addr)}`, ...extra].join(' ');
    }
    case 'poll':
      return `${head} band=${hex(info.band)} fd=${info.fd}`;
    case 'sys':
      return `${head} call_addr=${hex(info.callAddr)} syscall=${info.syscall} arch=${hex(info.arch)}`;
  }
}
