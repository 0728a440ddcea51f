import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseElf, type ElfImage } from '../../kernel-model/elf.js';
import { RSEQ_SIG_X86 } from '../../kernel-model/rseq.js';
import { gcc, STATIC, STATIC_PIE } from './gcc.js';

const fixture = join(import.meta.dirname, 'fixtures', 'rseq-sections.c');

function checkSections(img: ElfImage): void {
  const [add, cmp] = img.criticalSections;
  expect(img.criticalSections).toHaveLength(2);
  expect(img.warnings).toEqual([]);
  const failure = img.sections.find((s) => s.name === '__rseq_failure')!;
  const csSection = img.sections.find((s) => s.name === '__rseq_cs')!;
  for (const cs of [add, cmp]) {
    expect(cs.version).toBe(0);
    expect(cs.flags).toBe(0);
    expect(cs.problems).toEqual([]);
    expect(cs.postCommit).toBeGreaterThan(cs.start);
    expect(cs.abortSignature).toBe(RSEQ_SIG_X86);
    // Descriptors live in __rseq_cs, abort handlers in __rseq_failure.
    expect(cs.descriptorAddress).toBeGreaterThanOrEqual(csSection.addr);
    expect(cs.descriptorAddress).toBeLessThan(csSection.addr + csSection.size);
    expect(cs.abort).toBeGreaterThanOrEqual(failure.addr + 7);
    expect(cs.abort).toBeLessThan(failure.addr + failure.size);
  }
  expect(add.symbol).toMatch(/^percpu_add\+\d+$/);
  expect(cmp.symbol).toMatch(/^percpu_cmpeqv_storev\+\d+$/);
  expect(add.exitPoints).toEqual([]);
  // The exit point jumps back into the C function, after the range.
  expect(cmp.exitPoints).toHaveLength(1);
  const fn = img.symbols.lookup('percpu_cmpeqv_storev')!;
  expect(cmp.exitPoints[0]).toBeGreaterThanOrEqual(fn.address);
  expect(cmp.exitPoints[0]).toBeLessThan(fn.address + fn.size);
}

describe('rseq tables', () => {
  let exec: ElfImage;
  let pie: ElfImage;
  beforeAll(() => {
    exec = parseElf(gcc('rseq-sections', fixture, STATIC).bytes);
    pie = parseElf(gcc('rseq-sections-pie', fixture, STATIC_PIE).bytes);
  });

  it('finds every critical section of a static executable', () => checkSections(exec));

  it('finds them in a static PIE, moved by the load bias', () => {
    checkSections(pie);
    const offsetIn = (img: ElfImage, i: number) => img.criticalSections[i].start - img.symbols.lookup('percpu_add')!.address;
    expect(offsetIn(pie, 0)).toBe(offsetIn(exec, 0));
    expect(pie.criticalSections[0].start).toBeGreaterThan(0x555555554000);
  });

  it('reports descriptors that break the ABI instead of rejecting the program', () => {
    const src = `
      __asm__(".pushsection __rseq_cs, \\"aw\\"\\n.balign 32\\nbad_cs:\\n.long 1, 0\\n.quad 1f, 8, 1f+4\\n.popsection\\n"
              ".pushsection __rseq_cs_ptr_array, \\"aw\\"\\n.quad bad_cs\\n.quad 0x1234\\n.popsection\\n"
              ".text\\n.globl _start\\n_start:\\n1: nop\\nmov $60, %eax\\nsyscall\\n");
    `;
    const img = parseElf(gcc('bad-cs', src, ['-static', '-nostdlib', '-fno-pie', '-no-pie']).bytes);
    expect(img.criticalSections).toHaveLength(1);
    expect(img.criticalSections[0].problems).toEqual([
      'version is 1, must be 0',
      expect.stringMatching(/^abort_ip 0x[0-9a-f]+ is inside the critical section/),
    ]);
    expect(img.warnings).toEqual([expect.stringMatching(/entry 1 points to 0x1234, where no section holds/)]);
  });
});
