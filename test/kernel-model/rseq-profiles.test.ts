// Every behaviour that differs between the kernel profiles (rseq-abi.md
// sections 7b and 9), each pinned by running a guest program
// (fixtures/rseq-profiles.c) under the profiles on both sides of the
// difference.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import type { MachineEvent } from '../../kernel-model/events.js';
import type { KernelProfileName } from '../../kernel-model/kernel-profile.js';
import { Machine } from '../../kernel-model/machine.js';
import { gcc, STATIC } from './gcc.js';

const prog = gcc('rseq-profiles', join(import.meta.dirname, 'fixtures', 'rseq-profiles.c'), STATIC);

/** Runs one mode under one profile, preempting at each `preempt` symbol(+offset, hit) first. */
async function run(mode: string, kernel: KernelProfileName, preempt: { symbol: string; offset?: number; hit?: number }[] = [], debugRseq = false, args: string[] = []) {
  const m = Machine.create({ cpu: await createCpu(), program: prog.bytes, path: prog.path, argv: [prog.path, mode, ...args], seed: 1, cpus: 2, kernelProfile: kernel, debugRseq });
  for (const p of preempt) {
    const sym = m.symbols.lookup(p.symbol);
    if (!sym) throw new Error(`no symbol ${p.symbol}`);
    m.inject({ action: { kind: 'preempt' }, at: { kind: 'address', address: sym.address + (p.offset ?? 0), hit: p.hit } });
  }
  const events: MachineEvent[] = [];
  m.onEvent((e) => {
    if (e.kind === 'rseq' || e.kind === 'finding') events.push(e);
  });
  const r = m.run({ maxInstructions: 5e7 });
  const rseq = (what: string) => events.filter((e) => e.kind === 'rseq' && e.what === what);
  return { r, out: new TextDecoder().decode(r.stdout), events, rseq };
}

describe('kernel profiles: what each Linux did differently', () => {
  it('6.19 writes the IDs only when they change: an overwritten cpu_id_start survives a context switch (the tcmalloc regression); 6.3 and 7.0 (32-byte) rewrite it', async () => {
    const modes = { '6.3': 'rewritten', '6.19': 'survived', '7.0': 'rewritten' } as const;
    for (const [kernel, want] of Object.entries(modes)) {
      const { out, r } = await run('legacy-sleep', kernel as KernelProfileName);
      expect(out, kernel).toBe(`cpu_id_start ${want}\n`);
      expect(r.findings.some((f) => f.rule === 'read-only-field-written'), kernel).toBe(true);
    }
  });

  it('membarrier(PRIVATE_EXPEDITED_RSEQ) rewrites the IDs of an interrupted legacy thread (6.3, 7.0 with 32 bytes); optimized 6.19 only when they change', async () => {
    for (const [kernel, want] of [['6.3', 'rewritten'], ['6.19', 'survived'], ['7.0', 'rewritten']] as const) {
      const { out, r } = await run('membarrier', kernel);
      expect([r.exitCode, out], kernel).toEqual([0, `after membarrier: cpu_id_start ${want}\n`]);
    }
  });

  it('7.0 enforces the read-only fields of a V2 registration when it next writes the IDs; 6.19 and 32-byte registrations do not', async () => {
    const v2 = await run('v2-ro', '7.0');
    expect(v2.r.kind).toBe('killed');
    expect(v2.r.signal?.name).toBe('SIGSEGV');
    expect(v2.r.message).toMatch(/user space wrote the read-only field cpu_id_start of the rseq area at 0x[0-9a-f]+: found 0x80000000, the kernel wrote 0x0 \(RSEQ ABI V2 enforces read-only fields\)/);
    expect(v2.out).toBe('');
    const v619 = await run('v2-ro', '6.19');
    expect([v619.r.exitCode, v619.out]).toEqual([0, 'survived, cpu_id_start 1\n']);
    const legacy = await run('legacy-ro', '7.0');
    expect([legacy.r.exitCode, legacy.out]).toEqual([0, 'survived, cpu_id_start 1\n']);
    // A debug kernel validates any registration.
    const debug = await run('legacy-ro', '7.0', [], true);
    expect(debug.r.signal?.name).toBe('SIGSEGV');
  });

  it('up to 6.18 a stale descriptor with a bad signature is fatal at the next preemption even outside its range; from 6.19 it is cleared', async () => {
    for (const kernel of ['4.18', '6.3'] as const) {
      const { r } = await run('stale', kernel, [{ symbol: 'stale_spot' }]);
      expect(r.signal?.name, kernel).toBe('SIGSEGV');
      expect(r.message, kernel).toMatch(/abort signature mismatch at 0x[0-9a-f]+: found 0x0, expected 0x53053053/);
    }
    for (const kernel of ['6.19', '7.0'] as const) {
      const { r, out, rseq } = await run('stale', kernel, [{ symbol: 'stale_spot' }]);
      expect([r.exitCode, out], kernel).toEqual([0, 'rseq_cs cleared\n']);
      expect(rseq('lazy-clear'), kernel).toHaveLength(1);
    }
  });

  it('section 8: version != 0 or abort_ip inside the range are fatal at the next preemption even outside the range up to 6.18; cleared from 6.19', async () => {
    // (Non-zero flags are checked by rseq_need_restart, which 6.3 runs only
    // inside the range: outside they are cleared like any stale descriptor.
    // Inside, see the NO_RESTART test below.)
    const flags = await run('stale', '6.3', [{ symbol: 'stale_spot' }], false, ['flags']);
    expect([flags.r.exitCode, flags.out]).toEqual([0, 'rseq_cs cleared\n']);
    const reasons = { version: /version is 1, must be 0/, 'abort-inside': /abort_ip 0x[0-9a-f]+ is inside the critical section/ } as const;
    for (const [what, reason] of Object.entries(reasons)) {
      const old = await run(`stale`, '6.3', [{ symbol: 'stale_spot' }], false, [what]);
      expect(old.r.signal?.name, what).toBe('SIGSEGV');
      expect(old.r.message, what).toMatch(reason);
      const now = await run('stale', '7.0', [{ symbol: 'stale_spot' }], false, [what]);
      expect([now.r.exitCode, now.out], what).toEqual([0, 'rseq_cs cleared\n']);
    }
  });

  it('NO_RESTART flags: 4.18 honours them (no abort), 6.3 kills, 6.19 and 7.0 ignore them (abort); the checker reports them everywhere', async () => {
    const want = { '4.18': 'committed 1\n', '6.19': 'aborted\n', '7.0': 'aborted\n' } as const;
    for (const [kernel, out] of Object.entries(want)) {
      const r = await run('flags', kernel as KernelProfileName, [{ symbol: 'flags_cs' }]);
      expect(r.out, kernel).toBe(out);
      expect(r.r.findings.map((f) => f.rule), kernel).toContain('no-restart-flags');
    }
    const v63 = await run('flags', '6.3', [{ symbol: 'flags_cs' }]);
    expect(v63.r.signal?.name).toBe('SIGSEGV');
    expect(v63.r.message).toMatch(/NO_RESTART flags are deprecated and rejected/);
  });

  it('7.0 time slice extension: a preemption while requested is granted instead, rseq_slice_yield answers 1; another system call revokes it (yield 0)', async () => {
    const { out, rseq } = await run('slice', '7.0', [{ symbol: 'slice_region', offset: 8, hit: 10 }, { symbol: 'slice_region', offset: 8, hit: 70 }]);
    expect(out).toBe('enabled 1, flags 0x30\nround 0: granted 1, yield 1, slice_ctrl 0/0\nround 1: granted 1, yield 0, slice_ctrl 0/0\n');
    expect(rseq('slice-grant')).toHaveLength(2);
    expect(rseq('slice-yield')).toHaveLength(1);
    expect(rseq('slice-revoke').map((e) => e.kind === 'rseq' && e.detail)).toEqual(['time slice extension ended by system call 39']);
  });

  it('inconsistent slice_ctrl at a system call during a grant (request set again) is a finding; SIGSEGV on a debug kernel', async () => {
    const at = [{ symbol: 'slice_region', offset: 8, hit: 10 }];
    const plain = await run('slice-bad', '7.0', at);
    expect(plain.out).toBe('enabled 1, flags 0x30\ngranted 1, then slice_ctrl 0/0\n');
    expect(plain.r.findings.find((f) => f.rule === 'slice-state-inconsistent')?.detail).toBe('slice_ctrl is 0x101 at a system call during a granted extension, expected 0x100 (granted, no request)');
    const debug = await run('slice-bad', '7.0', at, true);
    expect(debug.r.signal?.name).toBe('SIGSEGV');
    expect(debug.r.message).toMatch(/^rseq \(CONFIG_DEBUG_RSEQ\): slice-state-inconsistent: /);
  });

  it('a signal on the return from a system call: legacy evaluates rseq_cs before the frame (lazy clear), optimized leaves it (user space was not interrupted)', async () => {
    const cases = [['6.3', '32', 'cleared'], ['6.19', '32', 'still set'], ['7.0', '32', 'cleared'], ['7.0', '64', 'still set']] as const;
    for (const [kernel, len, want] of cases) {
      const { out } = await run('signal-syscall', kernel, [], false, [len]);
      expect(out, `${kernel} ${len}`).toBe(`after a signal in pause(): rseq_cs ${want}\n`);
    }
  });

  it('the grant is bounded: a task that never yields is preempted when the extension (5 us) runs out', async () => {
    const { out, rseq } = await run('slice-hog', '7.0', [{ symbol: 'slice_region', offset: 8, hit: 10 }]);
    expect(out).toBe('enabled 1, flags 0x30\nhog: granted 0 after the grant ran out\n');
    expect(rseq('slice-grant')).toHaveLength(1);
    const revoke = rseq('slice-revoke');
    expect(revoke.length).toBeGreaterThanOrEqual(1);
    const grantAt = rseq('slice-grant')[0].t;
    expect(revoke[0].t - grantAt).toBeGreaterThanOrEqual(5000n);
  });

  it('no slice extension before 7.0 or for 32-byte registrations: prctl 79 is EINVAL / ENOTSUPP, rseq_slice_yield ENOSYS', async () => {
    for (const kernel of ['4.18', '6.3', '6.19'] as const) {
      expect((await run('slice', kernel)).out, kernel).toBe('prctl: Invalid argument\n');
    }
    expect((await run('slice-legacy', '7.0')).out).toBe('prctl: errno 524\n');
  });
});
