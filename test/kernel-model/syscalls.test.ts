import { beforeAll, describe, expect, it } from 'vitest';
import { Reg, StopReason } from '../../emulator/api.js';
import { EBADF, EEXIST, EFAULT, EINVAL, ENOENT, ENOSYS, ENOTTY } from '../../kernel-model/errno.js';
import { Machine, type MachineOptions } from '../../kernel-model/machine.js';
import { syscallNumber } from '../../kernel-model/syscall-names.js';
import { FakeCpu, syscallStep, type ScriptStep } from './fake-cpu.js';
import { gcc, TINY_C } from './gcc.js';

let program: Uint8Array;
beforeAll(() => {
  program = gcc('sys-tiny', TINY_C, ['-static', '-nostdlib', '-fno-pie', '-no-pie']).bytes;
});

const nr = (name: string) => syscallNumber(name)!;

/** Runs a script of steps; `results` collects rax after every syscall. */
function runScript(steps: ScriptStep[], options: Partial<MachineOptions> = {}) {
  const cpu = new FakeCpu();
  const warnings: string[] = [];
  const m = Machine.create({ cpu, program, path: '/bin/tiny', seed: 7, onWarning: (w) => warnings.push(w), ...options });
  const scratch = m.process.mm.mmap(0, 0x4000, 3, 0x22, undefined, 0);
  const results: bigint[] = [];
  // Record rax before each step (i.e. after the previous syscall).
  cpu.script.push(...steps.map((s, i) => ((ctx, c) => {
    if (i > 0) results.push(BigInt.asIntN(64, ctx.gpr[Reg.RAX]));
    return s(ctx, c);
  }) as ScriptStep));
  return { cpu, m, scratch, results, warnings, run: (max = 1e6) => m.run({ maxInstructions: max }) };
}

const errno = (e: number) => BigInt(-e);

describe('system calls through the Machine (scripted fake CPU)', () => {
  it('write to stdout and stderr is captured and streamed; exit_group ends the run', () => {
    const streamed: string[] = [];
    const cpu = new FakeCpu();
    const m = Machine.create({ cpu, program, path: '/bin/tiny', seed: 1, onStdout: (b) => streamed.push(new TextDecoder().decode(b)) });
    const buf = m.process.mm.mmap(0, 4096, 3, 0x22, undefined, 0);
    cpu.write(buf, new TextEncoder().encode('hi\n'));
    cpu.script.push(syscallStep(nr('write'), 1, buf, 3), syscallStep(nr('write'), 2, buf, 2), syscallStep(nr('exit_group'), 300));
    const r = m.run({ maxInstructions: 100 });
    expect(r).toMatchObject({ kind: 'exited', exitCode: 300 & 0xff, retired: 3 });
    expect(new TextDecoder().decode(r.stdout)).toBe('hi\n');
    expect(new TextDecoder().decode(r.stderr)).toBe('hi');
    expect(streamed).toEqual(['hi\n']);
  });

  it('rcx = rip and r11 = rflags, as the syscall instruction left them, survive the call', () => {
    const s = runScript([syscallStep(nr('getpid')), (ctx) => {
      expect(ctx.gpr[Reg.RCX]).toBe(ctx.rip);
      expect(ctx.gpr[Reg.R11]).toBe(ctx.rflags);
      return { reason: StopReason.Syscall, ...(ctx.gpr[Reg.RAX] = 231n, {}) };
    }]);
    expect(s.run().kind).toBe('exited');
  });

  it('bad pointers give EFAULT, bad descriptors EBADF, stdout is not a terminal', () => {
    const s = runScript([
      syscallStep(nr('write'), 1, 0x1000, 4),
      syscallStep(nr('write'), 9, 0, 0),
      syscallStep(nr('ioctl'), 1, 0x5401, 0), // TCGETS
      syscallStep(nr('read'), 1, 0, 1),
      syscallStep(nr('exit_group'), 0),
    ]);
    s.run();
    expect(s.results).toEqual([errno(EFAULT), errno(EBADF), errno(ENOTTY), errno(EBADF)]);
  });

  it('reads stdin, then EOF', () => {
    const s = runScript([], { stdin: new TextEncoder().encode('abc') });
    s.cpu.script.push(syscallStep(nr('read'), 0, s.scratch, 2), syscallStep(nr('read'), 0, s.scratch + 2, 10), (ctx) => {
      expect(ctx.gpr[Reg.RAX]).toBe(1n);
      expect(new TextDecoder().decode(s.cpu.read(s.scratch, 3))).toBe('abc');
      return syscallStep(nr('read'), 0, s.scratch, 10)(ctx, s.cpu);
    }, (ctx) => {
      expect(ctx.gpr[Reg.RAX]).toBe(0n);
      return syscallStep(nr('exit'), 0)(ctx, s.cpu);
    });
    expect(s.run().kind).toBe('exited');
  });

  it('openat / fstat / read / readlink over the virtual file system', () => {
    const s = runScript([], { files: new Map([['/etc/data.txt', new TextEncoder().encode('payload')]]) });
    const path = s.scratch;
    s.cpu.write(path, new TextEncoder().encode('/etc/data.txt\0'));
    s.cpu.write(path + 64, new TextEncoder().encode('/etc/missing\0'));
    s.cpu.write(path + 128, new TextEncoder().encode('/proc/self/exe\0'));
    s.cpu.script.push(
      syscallStep(nr('openat'), -100, path, 0),
      syscallStep(nr('openat'), -100, path + 64, 0),
      syscallStep(nr('openat'), -100, path, 1),
      syscallStep(nr('fstat'), 3, path + 256),
      syscallStep(nr('read'), 3, path + 512, 100),
      syscallStep(nr('readlink'), path + 128, path + 600, 100),
      syscallStep(nr('close'), 3),
      syscallStep(nr('close'), 3),
      syscallStep(nr('exit_group'), 0),
    );
    const rax: bigint[] = [];
    const steps = s.cpu.script.splice(0);
    s.cpu.script.push(...steps.map((st, i) => ((ctx, c) => {
      if (i > 0) rax.push(BigInt.asIntN(64, ctx.gpr[Reg.RAX]));
      return st(ctx, c);
    }) as ScriptStep));
    s.run();
    expect(rax).toEqual([3n, errno(ENOENT), -30n /* EROFS */, 0n, 7n, 9n, 0n, errno(EBADF)]);
    expect(s.cpu.readU64(path + 256 + 48)).toBe(7n); // st_size
    expect(new TextDecoder().decode(s.cpu.read(path + 600, 9))).toBe('/bin/tiny');
  });

  it('brk grows and shrinks the heap; mmap, MAP_FIXED_NOREPLACE, munmap, mprotect, madvise', () => {
    const s = runScript([]);
    const mm = s.m.process.mm;
    const start = mm.brkStart;
    expect(mm.setBrk(0)).toBe(start);
    expect(mm.setBrk(start + 10000)).toBe(start + 10000);
    s.cpu.writeU32(start + 9000, 5);
    expect(mm.setBrk(start + 100)).toBe(start + 100);
    expect(s.cpu.pageProt(start + 9000)).toBe(-1);
    const a = mm.mmap(0, 8192, 3, 0x22, undefined, 0);
    expect(a % 4096).toBe(0);
    expect(mm.mmap(a, 4096, 3, 0x22 | 0x100000, undefined, 0)).toBe(-EEXIST);
    expect(mm.mmap(a + 1, 4096, 3, 0x22 | 0x10, undefined, 0)).toBe(-EINVAL);
    expect(mm.mmap(0, 0, 3, 0x22, undefined, 0)).toBe(-EINVAL);
    s.cpu.writeU32(a, 0x1234);
    expect(mm.madvise(a, 4096, 4)).toBe(0);
    expect(s.cpu.readU32(a)).toBe(0);
    expect(mm.mprotect(a, 4096, 1)).toBe(0);
    expect(s.cpu.pageProt(a)).toBe(1);
    expect(mm.mprotect(a, 100 * 4096, 1)).toBe(-12); // ENOMEM: the range runs into unmapped pages
    // mremap needs one area: with different protections the pages are two (EFAULT, as in Linux).
    expect(mm.mremap(a, 8192, 64 * 4096, 1, 0)).toBe(-14);
    expect(mm.mprotect(a, 4096, 3)).toBe(0);
    s.cpu.writeU32(a + 4096, 99);
    const b = mm.mremap(a, 8192, 64 * 4096, 1, 0);
    expect(b).toBeGreaterThan(0);
    expect(s.cpu.readU32(b + 4096)).toBe(99);
    expect(mm.munmap(b, 64 * 4096)).toBe(0);
    expect(s.cpu.pageProt(b)).toBe(-1);
  });

  it('a syscall that maps memory still returns its result (register views are re-read after the handler)', () => {
    const s = runScript([syscallStep(nr('mmap'), 0, 0x31000, 3, 0x22, -1, 0), syscallStep(nr('exit_group'), 0)]);
    s.run();
    expect(s.results[0] % 4096n).toBe(0n);
    expect(s.results[0]).toBeGreaterThan(0x10000n);
  });

  it('arch_prctl sets fs in the context; uname, getrandom, clock_gettime', () => {
    const s = runScript([]);
    const buf = s.scratch;
    s.cpu.script.push(
      syscallStep(nr('arch_prctl'), 0x1002, 0x12345000),
      syscallStep(nr('arch_prctl'), 0x1001 + 0x100, 0),
      syscallStep(nr('uname'), buf),
      syscallStep(nr('getrandom'), buf + 512, 16, 0),
      syscallStep(nr('clock_gettime'), 1, buf + 600),
      syscallStep(nr('clock_gettime'), 99, buf + 600),
      syscallStep(nr('exit_group'), 0),
    );
    s.run();
    expect(s.m.task.ctx.fsBase).toBe(0x12345000n);
    const field = (i: number) => new TextDecoder().decode(s.cpu.read(buf + i * 65, 65)).replace(/\0.*$/s, '');
    expect([field(0), field(1), field(2), field(4)]).toEqual(['Linux', 'rseqlab', '7.0.0-rseqlab', 'x86_64']);
    expect(s.cpu.read(buf + 512, 16)).not.toEqual(new Uint8Array(16));
    expect(s.cpu.readU64(buf + 600)).toBeGreaterThanOrEqual(100n); // monotonic uptime starts at 100 s
  });

  it('unknown syscalls return ENOSYS and are reported once by name', () => {
    const s = runScript([syscallStep(253), syscallStep(253), syscallStep(nr('exit_group'), 0)]);
    const r = s.run();
    expect(s.results).toEqual([errno(ENOSYS), errno(ENOSYS)]);
    expect(s.warnings).toEqual(["rseqlab: syscall 'inotify_init' (253) not implemented; returned ENOSYS"]);
    expect(r.syscallsNotImplemented).toEqual(['inotify_init']);
  });

  it('rt_sigaction refuses SIGKILL handlers and bad sigset sizes', () => {
    const s = runScript([]);
    s.cpu.writeU64(s.scratch, 0x401000n);
    s.cpu.script.push(
      syscallStep(nr('rt_sigaction'), 9, s.scratch, 0, 8),
      syscallStep(nr('rt_sigaction'), 10, s.scratch, 0, 4),
      syscallStep(nr('rt_sigaction'), 10, s.scratch, s.scratch + 64, 8),
      syscallStep(nr('exit_group'), 0),
    );
    const rax: bigint[] = [];
    const steps = s.cpu.script.splice(0);
    s.cpu.script.push(...steps.map((st, i) => ((ctx, c) => {
      if (i > 0) rax.push(BigInt.asIntN(64, ctx.gpr[Reg.RAX]));
      return st(ctx, c);
    }) as ScriptStep));
    s.run();
    expect(rax).toEqual([errno(EINVAL), errno(EINVAL), 0n]);
    expect(s.m.process.actions.get(10).handler).toBe(0x401000n);
  });

  it('raise(SIGABRT) with the default action kills with that signal', () => {
    const s = runScript([syscallStep(nr('tgkill'), 1000, 1000, 6)]);
    const r = s.run();
    expect(r).toMatchObject({ kind: 'killed', exitCode: 134, signal: { number: 6, name: 'SIGABRT' } });
  });

  it('a signal with a handler runs the handler on a frame below the red zone', () => {
    const s = runScript([]);
    s.cpu.writeU64(s.scratch, 0x401000n); // sa_handler
    s.cpu.writeU64(s.scratch + 8, 0x04000000n); // SA_RESTORER
    s.cpu.writeU64(s.scratch + 16, 0x401100n); // sa_restorer
    let seen: { rip: bigint; rdi: bigint; rsp: bigint } | undefined;
    s.cpu.script.push(
      (ctx) => {
        ctx.gpr[Reg.RSP] = BigInt(s.scratch + 0x3000);
        return syscallStep(nr('rt_sigaction'), 10, s.scratch, 0, 8)(ctx, s.cpu);
      },
      syscallStep(nr('kill'), 0, 10),
      (ctx) => {
        seen = { rip: ctx.rip, rdi: ctx.gpr[Reg.RDI], rsp: ctx.gpr[Reg.RSP] };
        return syscallStep(nr('exit_group'), 0)(ctx, s.cpu);
      },
    );
    expect(s.run().kind).toBe('exited');
    expect(seen!.rip).toBe(0x401000n);
    expect(seen!.rdi).toBe(10n);
    expect(seen!.rsp % 16n).toBe(8n);
    expect(seen!.rsp).toBeLessThan(BigInt(s.scratch + 0x3000 - 128));
    // The frame's first word is the return address: the restorer.
    expect(s.cpu.readU64(Number(seen!.rsp))).toBe(0x401100n);
  });

  it('futex wait with nobody to wake is a deadlock, not a hang: the report names the waiting thread', () => {
    const s = runScript([]);
    s.cpu.script.push(syscallStep(nr('futex'), s.scratch, 0, 0, 0));
    const r = s.run();
    expect(r.kind).toBe('deadlock');
    expect(r.message).toMatch(/every thread is blocked/);
    expect(r.threads).toEqual([expect.stringMatching(new RegExp(`tid 1000 .*vCPU \\d: blocked in futex 0x${s.scratch.toString(16)} \\(value 0\\)`))]);
  });

  it('faults become signals with the faulting instruction', () => {
    const s = runScript([() => ({ reason: StopReason.PageFault, faultAddress: 0, faultAccess: 'write' })]);
    const r = s.run();
    expect(r).toMatchObject({ kind: 'killed', exitCode: 139, signal: { name: 'SIGSEGV' }, fault: { address: 0, access: 'write', cause: 'unmapped' } });
    expect(r.fault!.symbol).toBe('_start');
    expect(r.fault!.bytes.length).toBe(15);
    const ud = runScript([() => ({ reason: StopReason.Ud, bytes: new Uint8Array([0x0f, 0x0b]) })]).run();
    expect(ud).toMatchObject({ kind: 'killed', signal: { name: 'SIGILL' }, fault: { cause: 'ud' } });
    const de = runScript([() => ({ reason: StopReason.DivideError })]).run();
    expect(de.signal?.name).toBe('SIGFPE');
  });

  it('stops with budget-exhausted, and can continue', () => {
    const s = runScript([]);
    const r = s.run(1000);
    expect(r.kind).toBe('budget-exhausted');
    expect(r.retired).toBe(1000);
    s.cpu.script.push(syscallStep(nr('exit_group'), 4));
    expect(s.m.run({ maxInstructions: 10 })).toMatchObject({ kind: 'exited', exitCode: 4, retired: 1001 });
  });

  it('time advances with retired instructions and sleeps', () => {
    const s = runScript([]);
    const ts = s.scratch;
    s.cpu.writeU64(ts + 64, 2n); // 2 s
    s.cpu.writeU64(ts + 72, 0n);
    s.cpu.script.push(
      syscallStep(nr('clock_gettime'), 1, ts),
      () => ({ reason: StopReason.Budget, retired: 1000 }),
      syscallStep(nr('nanosleep'), ts + 64, 0),
      syscallStep(nr('clock_gettime'), 1, ts + 16),
      syscallStep(nr('exit_group'), 0),
    );
    s.run();
    const ns = (at: number) => s.cpu.readU64(at) * 1_000_000_000n + s.cpu.readU64(at + 8);
    expect(ns(ts + 16) - ns(ts)).toBe(2_000_000_000n + 1000n + 2n);
  });
});
