// The correct rseq programs (programs/rseq_*.c on programs/rseq-abi.h):
// natively several times and pinned to one CPU they print the same bytes
// and exit 0; in the emulator on 1, 2, 4 and 8 vCPUs and under chaos
// (random preemptions, migrations and handled signals) and under each kernel profile they print those
// same bytes, abort sections without breaking their invariants, and the
// rseq ABI checker finds nothing. The programs whose output is about the
// kernel (ABI probe, slice extension, cpu_id_start) are compared with the
// host where a profile matches it and checked line by line elsewhere.
// The known-buggy programs are in rseq-bugs.test.ts.
import { execFileSync } from 'node:child_process';
import { release } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { firstAllowedCpu, repoRoot, runNative, runNativePinned } from './native.js';
import { abortCount, instructions, lastInstruction, runGuest, sectionIn } from './rseq-machine.js';

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build-programs.mjs'], { cwd: repoRoot, stdio: 'pipe' });
});

const SIG = 0x53053053;

interface Case {
  name: string;
  args: string[];
  /** The whole stdout (the same on the host and in the emulator). */
  stdout: string;
  /** The functions holding its critical sections (rseq-abi.h operations). */
  sections: string[];
  /** Ops whose sections jump to a compare-failed label (one exit point each). */
  exits: string[];
  /** Emulated budget: about 3x the instructions of the 4-vCPU run. */
  maxInstructions: number;
  /** The chaos runs must abort at least one section. */
  aborts: boolean;
  /** Chaos event kinds, when not all three. */
  chaosEvents?: ('preempt' | 'migrate' | 'signal')[];
}

const CASES: Case[] = [
  // ~190 K instructions
  { name: 'rseq_counter', args: ['4', '1000'], stdout: 'rseq_counter: 4 threads x 1000 increments = 4000\n', sections: ['rseq_addv'], exits: [], maxInstructions: 1_000_000, aborts: true },
  // ~120 K
  { name: 'rseq_list', args: ['4', '50', '3'], stdout: 'rseq_list: 4 threads x 50 nodes, 3 rounds: every node popped once per push\n', sections: ['rseq_cmpeqv_storev', 'rseq_cmpnev_storeoffp_load'], exits: ['rseq_cmpeqv_storev', 'rseq_cmpnev_storeoffp_load'], maxInstructions: 1_000_000, aborts: true },
  // ~380 K
  { name: 'rseq_ring', args: ['4', '100'], stdout: 'rseq_ring: 4 threads x 100 words and 100 records, each consumed once and intact\n', sections: ['rseq_cmpeqv_trystorev_storev', 'rseq_cmpeqv_trymemcpy_storev'], exits: ['rseq_cmpeqv_trystorev_storev', 'rseq_cmpeqv_trymemcpy_storev'], maxInstructions: 2_000_000, aborts: true },
  // ~250 K
  { name: 'rseq_spinlock', args: ['4', '1000'], stdout: 'rseq_spinlock: 4 threads x 1000 locked increments = 4000\n', sections: ['rseq_cmpeqv_storev'], exits: ['rseq_cmpeqv_storev'], maxInstructions: 1_000_000, aborts: true },
  // ~420 K
  { name: 'rseq_mmcid_pool', args: ['4', '500'], stdout: 'rseq_mmcid_pool: 4 threads x 500 allocations, every object back in the pool once\n', sections: ['rseq_mm_cid_cmpeqv_trystorev_storev', 'rseq_mm_cid_cmpeqv_trymemcpy_storev'], exits: ['rseq_mm_cid_cmpeqv_trystorev_storev', 'rseq_mm_cid_cmpeqv_trymemcpy_storev'], maxInstructions: 2_000_000, aborts: true },
  // ~60 K: the assembly sandbox's harness with its own (default) section
  { name: 'rseq_sandbox', args: ['4', '500'], stdout: 'rseq_sandbox: ok: 4 threads x 500 increments = 2000\n', sections: ['rseq_sandbox_area'], exits: [], maxInstructions: 1_000_000, aborts: true },
  // ~30-50 K. Chaos migrations respect the affinity the program narrows.
  { name: 'rseq_getcpu', args: [], stdout: 'rseq_getcpu: ok\n', sections: [], exits: [], maxInstructions: 1_000_000, aborts: false },
  // ~30-60 K
  // (its sections are short next to the rest of its loop: aborts under chaos are rare; the injection test below makes them)
  { name: 'rseq_signal', args: ['20'], stdout: 'rseq_signal: 20 signals sent, every addition in main and in the handler counted once\n', sections: ['rseq_addv'], exits: [], maxInstructions: 1_000_000, aborts: false },
  // ~180 K
  { name: 'rseq_membarrier', args: ['3'], stdout: 'rseq_membarrier: 3 workers, 4 pointer switches (2 fences on all CPUs, 2 CPU by CPU): no old array changed after its fence, every addition counted once\n', sections: ['rseq_offset_deref_addv'], exits: [], maxInstructions: 1_000_000, aborts: true },
];

const text = (b: Buffer) => b.toString('utf8');

describe('rseq programs, native', () => {
  for (const c of CASES) {
    it(`${c.name} ${c.args.join(' ')}: the same bytes in 3 runs and pinned to one CPU, exit 0`, () => {
      const runs = [runNative(c.name, c.args), runNative(c.name, c.args), runNative(c.name, c.args), runNativePinned(c.name, c.args, firstAllowedCpu())];
      for (const r of runs) {
        expect(text(r.stderr)).toBe('');
        expect(r.exitCode).toBe(0);
        expect(text(r.stdout)).toBe(c.stdout);
      }
    });
  }
});

describe('rseq programs, emulated', () => {
  for (const c of CASES) {
    it(`${c.name}: its critical sections are in the tables, well formed, with their exit points`, async () => {
      const { m, r } = await runGuest(c.name, c.args, { cpus: 2, maxInstructions: c.maxInstructions });
      expect(r.exitCode).toBe(0);
      const fns = m.criticalSections.map((cs) => cs.symbol?.replace(/\+.*/, ''));
      expect(fns.sort()).toEqual([...c.sections].sort());
      for (const cs of m.criticalSections) {
        const fn = cs.symbol!.replace(/\+.*/, '');
        expect(cs.problems, fn).toEqual([]);
        expect(cs.abortSignature, fn).toBe(SIG);
        expect(cs.exitPoints, fn).toHaveLength(c.exits.includes(fn) ? 1 : 0);
        // The range ends exactly after an instruction: the commit.
        expect(instructions(m, cs).length, fn).toBeGreaterThan(1);
      }
      // The checker's static rules (commit last, abort outside) and dynamic ones find nothing.
      expect(r.findings).toEqual([]);
    });

    it(`${c.name}: the native bytes on 1, 2, 4 and 8 vCPUs, the 4.18, 6.3 and 6.19 profiles, and under chaos with six seeds`, async () => {
      const native = text(runNative(c.name, c.args).stdout);
      expect(native).toBe(c.stdout);
      for (const [cpus, seed] of [[1, 1], [2, 2], [4, 3], [8, 4]] as const) {
        const g = await runGuest(c.name, c.args, { cpus, seed, maxInstructions: c.maxInstructions });
        const where = `${c.name} --cpus ${cpus} --seed ${seed}: ${g.err}`;
        expect(g.r.kind, where).toBe('exited');
        expect(g.r.exitCode, where).toBe(0);
        expect(g.out, where).toBe(native);
        expect(g.r.findings, where).toEqual([]);
      }
      // Every kernel profile where the program applies (4.18 has no mm_cid).
      for (const kernel of ['4.18', '6.3', '6.19'] as const) {
        if (kernel === '4.18' && c.name === 'rseq_mmcid_pool') continue;
        const g = await runGuest(c.name, c.args, { cpus: 2, seed: 5, kernel, maxInstructions: c.maxInstructions });
        const where = `${c.name} --kernel ${kernel}: ${g.err}`;
        expect(g.r.exitCode, where).toBe(0);
        expect(g.out, where).toBe(native);
        expect(g.r.findings, where).toEqual([]);
      }
      let aborts = 0;
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const g = await runGuest(c.name, c.args, { cpus: 4, seed, chaos: { perThousand: 2, events: c.chaosEvents }, maxInstructions: c.maxInstructions * 3 });
        const where = `${c.name} --cpus 4 --chaos 2 --seed ${seed}: ${g.err}`;
        expect(g.r.exitCode, where).toBe(0);
        expect(g.out, where).toBe(native);
        expect(g.r.findings, where).toEqual([]);
        aborts += abortCount(g);
      }
      if (c.aborts) expect(aborts, `${c.name}: sections aborted under chaos`).toBeGreaterThan(0);
    });
  }
});

describe('rseq_signal: a signal inside a section', () => {
  it('SIGUSR1 injected at the first instruction and at the commit of rseq_addv aborts there, the handler uses the same section, the counts stay exact', async () => {
    const args = ['20'];
    let start = 0;
    let commit = 0;
    const g = await runGuest('rseq_signal', args, {
      cpus: 2,
      inject: (m) => {
        const cs = sectionIn(m, 'rseq_addv');
        start = cs.start;
        commit = lastInstruction(m, cs);
        return [
          { action: { kind: 'signal', sig: 10, scope: 'thread' }, at: { kind: 'address', address: start, hit: 5, tid: 1000 } },
          { action: { kind: 'signal', sig: 10, scope: 'thread' }, at: { kind: 'address', address: commit, hit: 10, tid: 1000 } },
        ];
      },
    });
    expect(g.r.exitCode, g.err).toBe(0);
    expect(g.out).toBe(text(runNative('rseq_signal', args).stdout));
    expect(g.m.pendingInjections()).toEqual([]);
    // (The sender's own signals also land on those addresses: main stops there to count the hits.)
    const from = (addr: number) => g.events.filter((e) => e.kind === 'rseq' && e.what === 'abort' && e.detail.startsWith(`abort from 0x${addr.toString(16)} `) && e.detail.includes('(signal)'));
    expect(from(start).length).toBeGreaterThan(0);
    expect(from(commit).length).toBeGreaterThan(0);
  });
});

describe('rseq programs about the kernel, under each profile', () => {
  it('rseq_abi_probe: 6.19 prints what 6.3 prints, 7.0 differs in the auxv, 4.18 has no extensions; the host prints what its version\'s profile prints', async () => {
    const out: Record<string, string> = {};
    for (const kernel of ['4.18', '6.3', '6.19', '7.0'] as const) {
      const g = await runGuest('rseq_abi_probe', [], { kernel });
      expect(g.r.exitCode, `${kernel}: ${g.err}`).toBe(0);
      out[kernel] = g.out;
      // Only the refused registrations it asks for on purpose.
      expect(new Set(g.r.findings.map((f) => f.rule)), kernel).toEqual(new Set(['registration-refused']));
    }
    const v63 = out['6.3'];
    for (const line of ['AT_RSEQ_FEATURE_SIZE: 28', 'AT_RSEQ_ALIGN: 32', 'node_id, mm_cid: written', 'register again, same arguments: EBUSY',
      'register, another address: EINVAL', 'register, another length: EINVAL', 'register, another signature: EPERM', 'unregister, wrong signature: EPERM',
      'unregister: ok, cpu_id -1', 'register again: ok, cpu_id valid', 'own area, length 31: EINVAL', 'own area, extended length 64: ok, cpu_id valid']) {
      expect(v63.split('\n')).toContain(line);
    }
    expect(out['6.19']).toBe(v63);
    const lines = (t: string) => t.split('\n');
    expect(lines(out['7.0']).slice(0, 2)).toEqual(['AT_RSEQ_FEATURE_SIZE: 33', 'AT_RSEQ_ALIGN: 64']);
    expect(lines(out['7.0']).slice(2)).toEqual(lines(v63).slice(2));
    expect(lines(out['4.18'])).toEqual(lines(v63).map((l) =>
      l.startsWith('AT_RSEQ_') ? l.replace(/: \d+$/, ': absent')
        : l.startsWith('node_id, mm_cid:') ? 'node_id, mm_cid: not in the feature size'
          : l.startsWith('own area, extended length') ? l.replace(/: ok.*/, ': EINVAL') : l));
    // The host (6.18 here: 6.3's output) matches the profile of its auxv.
    const native = text(runNative('rseq_abi_probe', []).stdout);
    const size = /^AT_RSEQ_FEATURE_SIZE: (\w+)/.exec(native)?.[1];
    expect(native).toBe(out[size === 'absent' ? '4.18' : size === '33' ? '7.0' : '6.3']);
  });

  it('rseq_slice: unavailable on 4.18, 6.3 and 6.19 (and the host); on 7.0 ENOTSUPP for a 32-byte registration, then ok with a V2 one, also when chaos preemptions are turned into grants', async () => {
    const out: Record<string, string> = {};
    for (const kernel of ['4.18', '6.3', '6.19'] as const) {
      const g = await runGuest('rseq_slice', [], { kernel, cpus: 1 });
      expect(g.r.exitCode, `${kernel}: ${g.err}`).toBe(0);
      out[kernel] = g.out;
    }
    expect(out['4.18']).toBe('slice extension, 32-byte registration: EINVAL\nslice extension: unavailable (rseq registration: EINVAL)\n');
    expect(out['6.3']).toBe('slice extension, 32-byte registration: EINVAL\nslice extension: unavailable (EINVAL)\n');
    expect(out['6.19']).toBe(out['6.3']);
    const ok = 'slice extension, 32-byte registration: ENOTSUPP\nslice extension: ok\n';
    for (const cpus of [1, 2]) {
      const g = await runGuest('rseq_slice', [], { kernel: '7.0', cpus, maxInstructions: 2_000_000 });
      expect(g.r.exitCode, g.err).toBe(0);
      expect(g.out).toBe(ok);
      expect(g.r.findings).toEqual([]);
    }
    // The host (6.18 here) is one of those.
    expect([out['4.18'], out['6.3'], ok]).toContain(text(runNative('rseq_slice', []).stdout));
    // Injected preemptions while a region has request set become grants; the program yields.
    const g = await runGuest('rseq_slice', [], { kernel: '7.0', cpus: 1, seed: 3, chaos: { perThousand: 5, events: ['preempt'] }, maxInstructions: 5_000_000 });
    expect(g.r.exitCode, g.err).toBe(0);
    expect(g.out).toBe(ok);
    expect(g.r.findings).toEqual([]);
    const what = g.events.filter((e) => e.kind === 'rseq').map((e) => (e.kind === 'rseq' ? e.what : ''));
    expect(what).toContain('slice-grant');
    expect(what).toContain('slice-yield');
  });

  it('rseq_slice 200 2: every second region\'s getppid revokes a grant it holds, on 7.0; the counters still add up', async () => {
    const ok = 'slice extension, 32-byte registration: ENOTSUPP\nslice extension: ok\n';
    const g = await runGuest('rseq_slice', ['200', '2'], { kernel: '7.0', cpus: 1, seed: 3, chaos: { perThousand: 5, events: ['preempt'] }, maxInstructions: 5_000_000 });
    expect(g.r.exitCode, g.err).toBe(0);
    expect(g.out).toBe(ok);
    expect(g.r.findings).toEqual([]);
    const ended = g.events.flatMap((e) => (e.kind === 'rseq' && (e.what === 'slice-yield' || e.what === 'slice-revoke') ? [e.detail] : []));
    expect(ended).toContain('time slice extension ended by rseq_slice_yield');
    expect(ended).toContain('time slice extension ended by system call 110');
    // Without the argument no region makes a system call during a grant.
    const plain = await runGuest('rseq_slice', ['200'], { kernel: '7.0', cpus: 1, seed: 3, chaos: { perThousand: 5, events: ['preempt'] }, maxInstructions: 5_000_000 });
    expect(plain.events.some((e) => e.kind === 'rseq' && e.detail === 'time slice extension ended by system call 110')).toBe(false);
    // Natively (no extension on the host) the argument changes nothing.
    expect(text(runNative('rseq_slice', ['20', '2']).stdout)).toBe(text(runNative('rseq_slice', ['20']).stdout));
  });

  it('rseq_cpu_id_start: rewritten on the host, 4.18, 6.3 and 7.0 (a 32-byte registration is legacy); the sentinel survives on 6.19', async () => {
    const native = runNative('rseq_cpu_id_start', []);
    // (A 6.19 host would fail like the 6.19 profile.)
    expect(native.exitCode).toBe(release().startsWith('6.19.') ? 1 : 0);
    if (native.exitCode === 0) expect(text(native.stdout)).toBe('cpu_id_start: rewritten\n');
    for (const kernel of ['4.18', '6.3', '7.0'] as const) {
      const g = await runGuest('rseq_cpu_id_start', [], { kernel, cpus: 2 });
      expect(g.r.exitCode, `${kernel}: ${g.err}`).toBe(0);
      expect(g.out, kernel).toBe('cpu_id_start: rewritten\n');
      expect(g.r.findings.map((f) => f.rule), kernel).toContain('read-only-field-written');
    }
    const broken = await runGuest('rseq_cpu_id_start', [], { kernel: '6.19', cpus: 2 });
    expect(broken.r.exitCode).toBe(1);
    expect(broken.out).toBe('');
    expect(broken.err).toMatch(/^rseq_cpu_id_start: the sentinel 0x80000000 in cpu_id_start survived a context switch \(cpu_id \d+\)\n$/);
    // The checker names the write it relies on, on every profile.
    expect(broken.r.findings.map((f) => f.rule)).toContain('read-only-field-written');
  });

  it('rseq_getcpu with 2 NUMA nodes: node_id is the node of the vCPU (the one getcpu reports) on every CPU it visits', async () => {
    for (const [cpus, nodes] of [[4, 2], [8, 4]] as const) {
      const g = await runGuest('rseq_getcpu', [], { cpus, nodes, seed: cpus });
      expect(g.r.exitCode, g.err).toBe(0);
      expect(g.out).toBe('rseq_getcpu: ok\n');
      const ids = g.events.filter((e) => e.kind === 'rseq' && e.what === 'ids').map((e) => e.kind === 'rseq' && e.detail);
      expect(ids.some((d) => /node_id [1-9]/.test(String(d))), `${cpus}/${nodes}`).toBe(true);
    }
  });

  it('rseq_mmcid_pool and rseq_getcpu on 4.18 (no node_id / mm_cid): the pool says so, getcpu still passes', async () => {
    const pool = await runGuest('rseq_mmcid_pool', ['2', '10'], { kernel: '4.18', cpus: 2 });
    expect(pool.r.exitCode).toBe(0);
    expect(pool.out).toBe('rseq_mmcid_pool: mm_cid not available (rseq feature size 20)\n');
    const getcpu = await runGuest('rseq_getcpu', [], { kernel: '4.18', cpus: 4 });
    expect(getcpu.r.exitCode, getcpu.err).toBe(0);
    expect(getcpu.out).toBe('rseq_getcpu: ok\n');
  });
});

describe('determinism', () => {
  it('the same program, options and seed give the same trace hash (chaos, injections, kernel profile); another seed another', async () => {
    const opts = (seed: number) => ({ cpus: 4, seed, kernel: '7.0' as const, chaos: { perThousand: 3 }, maxInstructions: 3_000_000 });
    const a = await runGuest('rseq_list', ['4', '50', '3'], opts(11));
    const b = await runGuest('rseq_list', ['4', '50', '3'], opts(11));
    const c = await runGuest('rseq_list', ['4', '50', '3'], opts(12));
    expect(a.r.exitCode, a.err).toBe(0);
    expect(abortCount(a)).toBeGreaterThan(0);
    expect([b.r.traceHash, b.r.retired, b.events.length]).toEqual([a.r.traceHash, a.r.retired, a.events.length]);
    expect(c.r.traceHash).not.toBe(a.r.traceHash);
    const slice = (seed: number) => runGuest('rseq_slice', [], { kernel: '7.0', cpus: 1, seed, chaos: { perThousand: 5, events: ['preempt'] }, maxInstructions: 5_000_000 });
    const [s1, s2] = [await slice(3), await slice(3)];
    expect(s1.r.traceHash).toBe(s2.r.traceHash);
  });
});
