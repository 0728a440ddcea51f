// The rseq ABI checker (kernel-model/rseq-checker.ts), each rule broken by
// a guest program (fixtures/rseq-checker.c): the finding names the rule,
// the thread and the address; --debug-rseq makes the dynamic ones fatal.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { Machine } from '../../kernel-model/machine.js';
import { gcc, STATIC } from './gcc.js';

const prog = gcc('rseq-checker', join(import.meta.dirname, 'fixtures', 'rseq-checker.c'), STATIC);

async function run(mode: string, options: { debugRseq?: boolean; preemptAt?: string } = {}) {
  const m = Machine.create({ cpu: await createCpu(), program: prog.bytes, path: prog.path, argv: [prog.path, mode], seed: 1, cpus: 2, debugRseq: options.debugRseq });
  if (options.preemptAt) m.inject({ action: { kind: 'preempt' }, at: { kind: 'address', address: m.symbols.lookup(options.preemptAt)!.address } });
  const r = m.run({ maxInstructions: 5e7 });
  const rules = r.findings.map((f) => f.rule);
  return { m, r, out: new TextDecoder().decode(r.stdout), rules };
}

describe('rseq ABI checker', () => {
  it('finds at load a section whose commit is not its last instruction', async () => {
    const { m, r } = await run('refused');
    const late = m.symbols.lookup('late_commit')!;
    const f = r.findings.find((x) => x.rule === 'commit-not-last');
    expect(f).toBeDefined();
    expect(f!.tid).toBe(0);
    expect(f!.detail).toMatch(/its last instruction \(mov\) does not store to memory/);
    // The instruction after the commit, inside late_commit.
    expect(Number(f!.address)).toBeGreaterThan(late.address);
    expect(Number(f!.address)).toBeLessThan(late.address + late.size);
    expect(m.cpu.decode(Number(f!.address)).length).toBe(5); // movl $0, %eax
  });

  it('a system call inside a critical section is a finding; with --debug-rseq it kills with SIGSEGV', async () => {
    const plain = await run('syscall');
    expect(plain.out).toBe('getpid ok\n');
    const f = plain.r.findings.find((x) => x.rule === 'syscall-in-critical-section')!;
    expect(f.tid).toBe(1000);
    expect(plain.m.cpu.decode(Number(f.address)).length).toBe(2); // the syscall instruction
    expect(f.fatal).toBe(0);
    const debug = await run('syscall', { debugRseq: true });
    expect(debug.r.signal?.name).toBe('SIGSEGV');
    expect(debug.r.message).toMatch(/^rseq \(CONFIG_DEBUG_RSEQ\): syscall-in-critical-section: system call at 0x[0-9a-f]+ inside the critical section/);
    expect(debug.out).toBe('');
  });

  it('unmapping the page of the descriptor rseq_cs names is a finding', async () => {
    const { out, r } = await run('unmap');
    expect(out).toBe('unmapped\n');
    expect(r.findings.find((f) => f.rule === 'descriptor-unmapped')?.detail).toMatch(/^munmap of \[0x[0-9a-f]+, 0x[0-9a-f]+\) while thread 1000's rseq_cs names the descriptor/);
  });

  it('a store into a listed descriptor while rseq_cs names it is a finding at the storing instruction (write watch)', async () => {
    const { m, out, r } = await run('rewrite', { preemptAt: 'rewrite_spot' });
    expect(out).toBe('rseq_cs cleared\n');
    const f = r.findings.find((x) => x.rule === 'descriptor-rewritten')!;
    expect(f.detail).toMatch(/^user write to the descriptor of critical section syscall_inside\+\d+ \(descriptor 0x[0-9a-f]+\) at 0x[0-9a-f]+ while thread 1000's rseq_cs names it$/);
    expect(m.symbols.describe(Number(f.rip))).toMatch(/^main\+/);
    // Writing the same descriptor while nothing names it is no finding: 'unmap' copies it with rseq_cs elsewhere.
    const quiet = await run('unmap');
    expect(quiet.rules).not.toContain('descriptor-rewritten');
  });

  it('a user store into a read-only field is caught at the storing instruction (write watch); --debug-rseq kills there', async () => {
    const { m, out, r } = await run('ro');
    expect(out).toBe('cpu_id now 7\n');
    const f = r.findings.find((x) => x.rule === 'read-only-field-written')!;
    expect(f.detail).toMatch(/^user write to cpu_id of its own rseq area at 0x[0-9a-f]+$/);
    expect(m.symbols.describe(Number(f.rip))).toMatch(/^main\+/);
    expect(f.address).toBe(f.rip);
    const debug = await run('ro', { debugRseq: true });
    expect(debug.r.signal?.name).toBe('SIGSEGV');
    expect(debug.out).toBe('');
  });

  it("a library's registration refused because glibc registered first: the finding says which errno and whose area", async () => {
    const { out, rules, r } = await run('refused');
    expect(out).toBe('own registration: -1 (Invalid argument)\n');
    expect(rules).toContain('registration-refused');
    expect(r.findings.find((f) => f.rule === 'registration-refused')?.detail).toMatch(/refused with EINVAL: the thread already registered glibc's area \(thread pointer \+ __rseq_offset\) at 0x[0-9a-f]+, length 32/);
  });
});

describe('which instructions store to memory (for the commit-not-last rule)', () => {
  it('classifies the commit stores gcc and the selftests use, and the reads that look like them', async () => {
    const { writesMemory } = await import('../../kernel-model/rseq-checker.js');
    const cpu = await createCpu();
    const at = 0x10000;
    cpu.map(at, 0x1000, 7);
    const cases: [string, number[], boolean][] = [
      ['mov [rax], rbx', [0x48, 0x89, 0x18], true],
      ['mov dword [rax], 1', [0xc7, 0x00, 0x01, 0x00, 0x00, 0x00], true],
      ['add [rax], rbx', [0x48, 0x01, 0x18], true],
      ['inc qword [rax]', [0x48, 0xff, 0x00], true],
      ['dec dword [rax]', [0xff, 0x08], true],
      ['movdqu [rax], xmm0', [0xf3, 0x0f, 0x7f, 0x00], true],
      ['xchg [rax], rbx', [0x48, 0x87, 0x18], true],
      ['cmp [rax], rbx', [0x48, 0x39, 0x18], false],
      ['test [rax], rbx', [0x48, 0x85, 0x18], false],
      ['mov rbx, [rax]', [0x48, 0x8b, 0x18], false],
      ['inc rax', [0x48, 0xff, 0xc0], false],
      ['mov eax, 1', [0xb8, 0x01, 0x00, 0x00, 0x00], false],
      ['fld qword [rax]', [0xdd, 0x00], false],
      ['fstp qword [rax]', [0xdd, 0x18], true],
      ['ldmxcsr [rax]', [0x0f, 0xae, 0x10], false],
    ];
    for (const [text, bytes, stores] of cases) {
      cpu.write(at, new Uint8Array(bytes));
      const d = cpu.decode(at);
      expect(d.status, text).toBe('ok');
      expect(writesMemory(d), text).toBe(stores);
    }
  });
});
