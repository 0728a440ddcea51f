import { beforeAll, describe, expect, it } from 'vitest';
import {
  BUS_ADRERR, BUS_MCEERR_AR, CLD_EXITED, CLD_KILLED, decodeSigInfo, describeSigInfo, encodeSigInfo, faultLayout, faultSigInfo,
  FPE_INTDIV, ILL_ILLOPN, killSigInfo, POLL_IN, SEGV_ACCERR, SEGV_BNDERR, SEGV_MAPERR, SEGV_PKUERR, SI_KERNEL, SI_QUEUE, SI_SIGIO,
  SI_TIMER, SI_TKILL, SI_USER, SIGINFO_SIZE, siginfoLayout, sigCodeName, SYS_SECCOMP, TRAP_BRKPT, TRAP_PERF, type SigInfo,
} from '../../kernel-model/siginfo.js';
import { RT_SIGFRAME_INFO } from '../../kernel-model/signal-frame.js';
import {
  SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGIO, SIGKILL, SIGSEGV, SIGSYS, SIGTERM, SIGTRAP, SIGUSR1, SIGUSR2,
} from '../../kernel-model/signals.js';
import { runSigframeFixture, type NativeRun } from './sigframe-native.js';

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** The bytes a siginfo should have: zero except the listed little-endian fields. */
function expected(fields: Array<[offset: number, size: 2 | 4 | 8, value: number | bigint]>): Uint8Array {
  const b = new Uint8Array(SIGINFO_SIZE);
  const v = view(b);
  for (const [off, size, value] of fields) {
    if (size === 2) v.setInt16(off, Number(value), true);
    else if (size === 4) v.setUint32(off, Number(BigInt.asUintN(32, BigInt(value))), true);
    else v.setBigUint64(off, BigInt.asUintN(64, BigInt(value)), true);
  }
  return b;
}

const head = (signo: number, code: number, errno = 0): Array<[number, 4, number]> => [[0, 4, signo], [4, 4, errno], [8, 4, code]];

describe('encodeSigInfo', () => {
  it('kill: pid at 16, uid at 20', () => {
    expect(encodeSigInfo(killSigInfo(SIGTERM, 42, 1000))).toEqual(expected([...head(SIGTERM, SI_USER), [16, 4, 42], [20, 4, 1000]]));
  });

  it('timer: tid at 16, overrun at 20, sigval at 24', () => {
    const info: SigInfo = { signo: 34, errno: 0, code: SI_TIMER, kind: 'timer', tid: 3, overrun: 7, value: 0xfeedbeefcafen };
    expect(encodeSigInfo(info)).toEqual(expected([...head(34, SI_TIMER), [16, 4, 3], [20, 4, 7], [24, 8, 0xfeedbeefcafen]]));
  });

  it('rt: pid at 16, uid at 20, sigval at 24', () => {
    const info: SigInfo = { signo: SIGUSR1, errno: 0, code: SI_QUEUE, kind: 'rt', pid: 9, uid: 0xfffffffe, value: 0x8123456789abcdefn };
    expect(encodeSigInfo(info)).toEqual(expected([...head(SIGUSR1, SI_QUEUE), [16, 4, 9], [20, 4, 0xfffffffe], [24, 8, 0x8123456789abcdefn]]));
  });

  it('chld: pid, uid, status at 24, utime at 32, stime at 40', () => {
    const info: SigInfo = { signo: SIGCHLD, errno: 0, code: CLD_KILLED, kind: 'chld', pid: 5, uid: 0, status: SIGKILL, utime: 12n, stime: 34n };
    expect(encodeSigInfo(info)).toEqual(expected([...head(SIGCHLD, CLD_KILLED), [16, 4, 5], [24, 4, SIGKILL], [32, 8, 12n], [40, 8, 34n]]));
  });

  it('fault: addr at 16, and the per-code extras after it', () => {
    expect(encodeSigInfo(faultSigInfo(SIGSEGV, SEGV_MAPERR, 0x10n))).toEqual(expected([...head(SIGSEGV, SEGV_MAPERR), [16, 8, 0x10n]]));
    const mce: SigInfo = { ...faultSigInfo(SIGBUS, BUS_MCEERR_AR, 0x7000n), addrLsb: 12 };
    expect(encodeSigInfo(mce)).toEqual(expected([...head(SIGBUS, BUS_MCEERR_AR), [16, 8, 0x7000n], [24, 2, 12]]));
    const bnd: SigInfo = { ...faultSigInfo(SIGSEGV, SEGV_BNDERR, 0x10n), lower: 0x1000n, upper: 0x2000n };
    expect(encodeSigInfo(bnd)).toEqual(expected([...head(SIGSEGV, SEGV_BNDERR), [16, 8, 0x10n], [32, 8, 0x1000n], [40, 8, 0x2000n]]));
    const pku: SigInfo = { ...faultSigInfo(SIGSEGV, SEGV_PKUERR, 0x10n), pkey: 5 };
    expect(encodeSigInfo(pku)).toEqual(expected([...head(SIGSEGV, SEGV_PKUERR), [16, 8, 0x10n], [32, 4, 5]]));
    const perf: SigInfo = { ...faultSigInfo(SIGTRAP, TRAP_PERF, 0x10n), perfData: 0xabcn, perfType: 2, perfFlags: 1 };
    expect(encodeSigInfo(perf)).toEqual(expected([...head(SIGTRAP, TRAP_PERF), [16, 8, 0x10n], [24, 8, 0xabcn], [32, 4, 2], [36, 4, 1]]));
  });

  it('poll: band at 16, fd at 24', () => {
    const info: SigInfo = { signo: SIGIO, errno: 0, code: POLL_IN, kind: 'poll', band: 0x41n, fd: 3 };
    expect(encodeSigInfo(info)).toEqual(expected([...head(SIGIO, POLL_IN), [16, 8, 0x41n], [24, 4, 3]]));
  });

  it('sys: call_addr at 16, syscall at 24, arch at 28', () => {
    const info: SigInfo = { signo: SIGSYS, errno: 0, code: SYS_SECCOMP, kind: 'sys', callAddr: 0x401000n, syscall: 39, arch: 0xc000003e };
    expect(encodeSigInfo(info)).toEqual(expected([...head(SIGSYS, SYS_SECCOMP), [16, 8, 0x401000n], [24, 4, 39], [28, 4, 0xc000003e]]));
  });

  it('errno and negative codes are plain ints', () => {
    const info: SigInfo = { signo: SIGUSR2, errno: 5, code: SI_TKILL, kind: 'rt', pid: 1, uid: 2, value: 0n };
    const b = encodeSigInfo(info);
    expect([view(b).getInt32(4, true), view(b).getInt32(8, true)]).toEqual([5, -6]);
  });
});

describe('siginfoLayout and decodeSigInfo', () => {
  it('picks the union member as kernel/signal.c siginfo_layout does', () => {
    expect(siginfoLayout(SIGSEGV, SEGV_ACCERR)).toBe('fault');
    expect(siginfoLayout(SIGILL, ILL_ILLOPN)).toBe('fault');
    expect(siginfoLayout(SIGFPE, FPE_INTDIV)).toBe('fault');
    expect(siginfoLayout(SIGTRAP, TRAP_BRKPT)).toBe('fault');
    expect(siginfoLayout(SIGBUS, BUS_ADRERR)).toBe('fault');
    expect(siginfoLayout(SIGCHLD, CLD_EXITED)).toBe('chld');
    expect(siginfoLayout(SIGSYS, SYS_SECCOMP)).toBe('sys');
    expect(siginfoLayout(SIGIO, POLL_IN)).toBe('poll');
    expect(siginfoLayout(36, POLL_IN)).toBe('poll'); // an F_SETSIG realtime signal
    expect(siginfoLayout(SIGUSR1, 2)).toBe('poll'); // any small positive code without codes of its own
    expect(siginfoLayout(SIGSYS, 3)).toBe('poll'); // past SIGSYS's last code, still <= NSIGPOLL
    expect(siginfoLayout(SIGSEGV, 11)).toBe('kill'); // past NSIGSEGV and NSIGPOLL
    expect(siginfoLayout(SIGUSR1, SI_USER)).toBe('kill');
    expect(siginfoLayout(SIGSEGV, SI_KERNEL)).toBe('kill');
    expect(siginfoLayout(SIGUSR1, SI_TIMER)).toBe('timer');
    expect(siginfoLayout(SIGIO, SI_SIGIO)).toBe('poll');
    expect(siginfoLayout(SIGUSR1, SI_TKILL)).toBe('rt');
    expect(siginfoLayout(SIGUSR1, SI_QUEUE)).toBe('rt');
    expect(faultLayout(SIGBUS, BUS_MCEERR_AR)).toBe('mceerr');
    expect(faultLayout(SIGSEGV, SEGV_PKUERR)).toBe('pkuerr');
    expect(faultLayout(SIGSEGV, SEGV_MAPERR)).toBe('plain');
  });

  it('decodes what it encodes, for every kind', () => {
    const all: SigInfo[] = [
      killSigInfo(SIGTERM, 42, 1000),
      killSigInfo(SIGSEGV, 0, 0, SI_KERNEL),
      { signo: 34, errno: 0, code: SI_TIMER, kind: 'timer', tid: 3, overrun: 7, value: 0xfeedbeefcafen },
      { signo: SIGUSR1, errno: 0, code: SI_QUEUE, kind: 'rt', pid: 9, uid: 0xfffffffe, value: 0x8123456789abcdefn },
      { signo: SIGCHLD, errno: 0, code: CLD_EXITED, kind: 'chld', pid: 5, uid: 0, status: 3, utime: -1n, stime: 34n },
      faultSigInfo(SIGSEGV, SEGV_MAPERR, 0xffff800000000000n),
      { ...faultSigInfo(SIGBUS, BUS_MCEERR_AR, 0x7000n), addrLsb: -3 },
      { ...faultSigInfo(SIGSEGV, SEGV_BNDERR, 0x10n), lower: 0x1000n, upper: 0x2000n },
      { ...faultSigInfo(SIGSEGV, SEGV_PKUERR, 0x10n), pkey: 5 },
      { ...faultSigInfo(SIGTRAP, TRAP_PERF, 0x10n), perfData: 0xabcn, perfType: 2, perfFlags: 1 },
      { signo: SIGIO, errno: 0, code: POLL_IN, kind: 'poll', band: -1n, fd: 3 },
      { signo: SIGSYS, errno: 0, code: SYS_SECCOMP, kind: 'sys', callAddr: 0x401000n, syscall: -1, arch: 0xc000003e },
    ];
    for (const info of all) expect(decodeSigInfo(encodeSigInfo(info))).toEqual(info);
  });

  it('rejects a short buffer', () => {
    expect(() => decodeSigInfo(new Uint8Array(48))).toThrow(/128 bytes/);
  });
});

describe('describeSigInfo', () => {
  it('names the signal, the code and the fields', () => {
    expect(describeSigInfo(faultSigInfo(SIGSEGV, SEGV_MAPERR, 0x10n))).toBe('SIGSEGV SEGV_MAPERR addr=0x10');
    expect(describeSigInfo({ signo: SIGUSR1, errno: 0, code: SI_TKILL, kind: 'rt', pid: 5, uid: 0, value: 0n }))
      .toBe('SIGUSR1 SI_TKILL pid=5 uid=0 value=0x0');
    expect(describeSigInfo({ signo: SIGCHLD, errno: 0, code: CLD_EXITED, kind: 'chld', pid: 7, uid: 0, status: 3, utime: 0n, stime: 0n }))
      .toBe('SIGCHLD CLD_EXITED pid=7 uid=0 exit status 3 utime=0 stime=0');
    expect(describeSigInfo({ signo: SIGCHLD, errno: 0, code: CLD_KILLED, kind: 'chld', pid: 7, uid: 0, status: SIGKILL, utime: 0n, stime: 0n }))
      .toMatch(/CLD_KILLED pid=7 .*signal SIGKILL/);
    expect(describeSigInfo({ signo: 36, errno: 0, code: POLL_IN, kind: 'poll', band: 0x41n, fd: 3 })).toBe('SIGRT4 POLL_IN band=0x41 fd=3');
    expect(describeSigInfo(killSigInfo(SIGTERM, 1, 0))).toBe('SIGTERM SI_USER pid=1 uid=0');
    expect(sigCodeName(SIGSEGV, 99)).toBe('si_code 99');
  });
});

// The host kernel's siginfo for each kind (fixtures/sigframe-layout.c): the
// model decodes them to the expected fields and encodes them back to the
// very same 128 bytes.
describe('against the host kernel', () => {
  let run: NativeRun;
  beforeAll(() => {
    run = runSigframeFixture();
  }, 60_000);

  const raw = (name: string): Uint8Array => {
    const k = run.cases.get(name);
    if (!k) throw new Error(`the fixture printed no case ${name}`);
    return k.frameBytes.slice(RT_SIGFRAME_INFO, RT_SIGFRAME_INFO + SIGINFO_SIZE);
  };

  it('decodes every case and encodes it back byte for byte', () => {
    const pid = Number(run.top.pid);
    const uid = Number(run.top.uid);
    const want: Record<string, SigInfo> = {
      tgkill: { signo: SIGUSR1, errno: 0, code: SI_TKILL, kind: 'rt', pid, uid, value: 0n },
      fault_write: faultSigInfo(SIGSEGV, SEGV_MAPERR, 0x10n),
      fault_read: faultSigInfo(SIGSEGV, SEGV_MAPERR, 0x18n),
      fault_exec: faultSigInfo(SIGSEGV, SEGV_MAPERR, 0n),
      after_fault: { signo: SIGUSR2, errno: 0, code: SI_TKILL, kind: 'rt', pid, uid, value: 0n },
      kill: killSigInfo(SIGUSR2, pid, uid),
      sigqueue: { signo: 34, errno: 0, code: SI_QUEUE, kind: 'rt', pid, uid, value: 0x123456789abcdef0n },
      timer: { signo: 35, errno: 0, code: SI_TIMER, kind: 'timer', tid: Number(run.top['timer.id']), overrun: 0, value: 0xfeedbeefcafen },
      poll: { signo: Number(run.top['poll.signo']), errno: 0, code: POLL_IN, kind: 'poll', band: 0x41n, fd: Number(run.top['poll.fd']) },
    };
    for (const [name, info] of Object.entries(want)) {
      const bytes = raw(name);
      expect(decodeSigInfo(bytes), name).toEqual(info);
      expect(encodeSigInfo(info), name).toEqual(bytes);
    }
    const chld = decodeSigInfo(raw('sigchld'));
    expect(chld).toMatchObject({ signo: SIGCHLD, errno: 0, code: CLD_EXITED, kind: 'chld', pid: Number(run.top['sigchld.child']), uid, status: 3 });
    expect(encodeSigInfo(chld)).toEqual(raw('sigchld'));
  });
});
