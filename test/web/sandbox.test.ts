// The assembly sandbox without the page (web/sandbox.ts): keystone (the
// npm package, which runs in Node too) assembles a section at the harness's
// area, the patched harness runs on a Machine and under the fuzzer. The
// default section is gas's bytes exactly and ends "ok"; a section whose
// commit is not last fails under an exact preemption and under the fuzzer;
// assembly errors name their line; code too large for the area is refused.

import keystone from '@alexaltea/keystone-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { fuzz } from '../../fuzz/campaign.js';
import { Machine } from '../../kernel-model/machine.js';
import type { Injection } from '../../kernel-model/injection.js';
import { DEFAULT_SECTION, SANDBOX_ARGS, SANDBOX_PROGRAM, SandboxError, buildSandbox, keystoneAssembler, sandboxArea, type Assembler } from '../../web/sandbox.js';
import { root } from './browser.js';

const harness = new Uint8Array(readFileSync(join(root, 'build', 'programs', SANDBOX_PROGRAM)));
const path = `/programs/${SANDBOX_PROGRAM}`;
let asm: Assembler;

beforeAll(async () => {
  asm = keystoneAssembler(await keystone());
});

/** The default section with its commit no longer last: a register write moved inside the range. */
const COMMIT_NOT_LAST = DEFAULT_SECTION.replace('post_commit:\n\txor eax, eax\t\t\t# 0: committed\n', '\txor eax, eax\t\t\t# 0: committed (BUG: inside the range)\npost_commit:\n');

async function run(program: Uint8Array, o: { args?: string; cpus?: number; inject?: (m: Machine) => Injection[]; chaos?: number } = {}) {
  const args = (o.args ?? SANDBOX_ARGS).split(' ');
  const m = Machine.create({ cpu: await createCpu(), program, path, argv: [path, ...args], seed: 1, cpus: o.cpus ?? 2 });
  if (o.chaos) m.setChaos({ perThousand: o.chaos, events: ['preempt', 'migrate'] });
  for (const i of o.inject?.(m) ?? []) m.inject(i);
  let aborts = 0;
  m.onEvent((e) => { if (e.kind === 'rseq' && e.what === 'abort') aborts++; }, ['rseq']);
  const r = m.run({ maxInstructions: 50_000_000 });
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { m, r, out: text(r.stdout), err: text(r.stderr), aborts };
}

describe('the sandbox harness and its area', () => {
  it('finds the 512-byte area in .text and the descriptor in __rseq_cs', () => {
    const a = sandboxArea(harness);
    expect(a.size).toBe(512);
    expect(a.fileOffset).toBeGreaterThan(0);
    // The built harness's area: the default section, then int3 to the end.
    expect(harness[a.fileOffset + a.size - 1]).toBe(0xcc);
  });

  it('keystone assembles the default section to the bytes gas put in the harness, so the patched file is the harness itself', () => {
    const b = buildSandbox(asm, harness, DEFAULT_SECTION);
    expect(b.used).toBe(38);
    expect(Buffer.from(b.program).equals(Buffer.from(harness))).toBe(true);
    expect(b.labels.start).toBe(b.area.address + 0xd);
    expect(b.labels.abort).toBe(b.area.address + 0x20);
  });

  it('the default section, assembled and patched, runs to "ok" and aborts sections under chaos without losing a count', async () => {
    const { program } = buildSandbox(asm, harness, DEFAULT_SECTION);
    const plain = await run(program);
    expect(plain.r.exitCode, plain.err).toBe(0);
    expect(plain.out).toBe('rseq_sandbox: ok: 2 threads x 200 increments = 400\n');
    const chaos = await run(program, { args: '4 300', cpus: 4, chaos: 30 });
    expect(chaos.r.exitCode, chaos.err).toBe(0);
    expect(chaos.out).toBe('rseq_sandbox: ok: 4 threads x 300 increments = 1200\n');
    expect(chaos.r.findings).toEqual([]);
    expect(chaos.aborts).toBeGreaterThan(0);
  });

  it('moving code moves the descriptor: a nop before start shifts start_ip, post_commit and abort_ip, and the section still works', async () => {
    const b = buildSandbox(asm, harness, DEFAULT_SECTION.replace('start:\n', '\tnop\nstart:\n'));
    expect(b.labels.start).toBe(b.area.address + 0xe);
    const { m, r, out, aborts } = await run(b.program, { args: '4 300', cpus: 4, chaos: 30 });
    // The jne to abort: and the descriptor followed the code: still correct under chaos.
    expect(r.exitCode).toBe(0);
    expect(out).toBe('rseq_sandbox: ok: 4 threads x 300 increments = 1200\n');
    expect(aborts).toBeGreaterThan(0);
    expect(m.criticalSections).toHaveLength(1);
    expect(m.criticalSections[0]).toMatchObject({ start: b.labels.start, postCommit: b.labels.post_commit, abort: b.labels.abort, abortSignature: 0x53053053, problems: [] });
  });
});

describe('a broken section', () => {
  it('commit not last: a preemption on the instruction after the commit counts an increment twice', async () => {
    const b = buildSandbox(asm, harness, COMMIT_NOT_LAST);
    const xor = b.labels.post_commit - 2;
    const r = await run(b.program, { inject: () => [{ action: { kind: 'preempt' }, at: { kind: 'address', address: xor, hit: 50 } }] });
    expect(r.r.exitCode).toBe(1);
    expect(r.err).toBe('rseq_sandbox: not ok: the per-CPU counters add up to 401, expected 400: 1 increments were counted twice\n');
    expect(r.r.findings.map((f) => f.rule)).toContain('commit-not-last');
  });

  const fuzzSection = async (text: string, args = SANDBOX_ARGS.split(' ')) => fuzz({
    target: { program: buildSandbox(asm, harness, text).program, path, args, cpus: 2, kernel: 'current', maxInstructions: 50_000_000 },
    cpu: await createCpu(),
    seed: 1,
    schedules: 500,
  });

  it('commit not last: the fuzzer finds it too (and nothing in the default section with the same budget)', async () => {
    const bad = await fuzzSection(COMMIT_NOT_LAST);
    expect(bad.failure?.summary).toMatch(/counted twice/);
    expect(bad.staticFindings.some((f) => f.startsWith('commit-not-last:'))).toBe(true);
    const good = await fuzzSection(DEFAULT_SECTION);
    expect(good.failure).toBeUndefined();
    expect(good.staticFindings).toEqual([]);
  });

  it('no cpu check: a section that never compares cpu_id loses increments when threads share a CPU slot', async () => {
    const unchecked = DEFAULT_SECTION.replace('\tcmp eax, dword ptr [rsi + 4]\t# still on that CPU?\n\tjne abort\n', '\tmov r8, qword ptr [rdi + rcx]\n\tinc r8\n').replace('\tinc qword ptr [rdi + rcx]', '\tmov qword ptr [rdi + rcx], r8');
    expect(unchecked).not.toContain('cmp eax');
    expect((await fuzzSection(unchecked, ['4', '200'])).failure?.summary).toMatch(/were lost/);
  });
});

describe('what the sandbox refuses, and why', () => {
  const refused = (text: string) => {
    try {
      buildSandbox(asm, harness, text);
    } catch (e) {
      expect(e).toBeInstanceOf(SandboxError);
      return e as SandboxError;
    }
    throw new Error('assembled');
  };

  it('an unknown mnemonic: keystone\'s error with the line it is on', () => {
    const lines = DEFAULT_SECTION.split('\n');
    const at = lines.findIndex((l) => l.startsWith('\tinc qword'));
    lines[at] = '\tincc qword ptr [rdi + rcx]';
    const e = refused(lines.join('\n'));
    expect(e.line).toBe(at + 1);
    expect(e.message).toBe(`line ${at + 1}: Invalid mnemonic (KS_ERR_ASM_MNEMONICFAIL) in "incc qword ptr [rdi + rcx]"`);
  });

  it('a bad operand, and a jump to a label nobody defines, name their lines', () => {
    expect(refused('start:\n\tmov eax, [rbx]]\npost_commit:\nabort:\n\tret').message).toBe('line 2: Invalid operand (KS_ERR_ASM_INVALIDOPERAND) in "mov eax, [rbx]]"');
    expect(refused('start:\n\tnop\n\tjmp nowhere\npost_commit:\nabort:\n\tret').message).toBe('line 3: Cannot find a symbol (KS_ERR_ASM_SYMBOL_MISSING) in "jmp nowhere"');
    expect(refused('start:\nloop:\n\tnop\nloop:\npost_commit:\nabort:\n\tret').line).toBe(4);
  });

  it('a missing or doubled label of the section', () => {
    expect(refused(DEFAULT_SECTION.replace('\npost_commit:\n', '\ndone:\n')).message).toBe('the section needs the labels start:, post_commit:, abort:; post_commit: is missing');
    expect(refused(DEFAULT_SECTION + 'start:\n').message).toMatch(/^line \d+: start: is defined twice/);
  });

  it('code larger than the area', () => {
    // (nops, not .fill: keystone 0.9.2's .fill emits more bytes than asked for beyond a few)
    expect(refused(DEFAULT_SECTION + '\tnop\n'.repeat(475)).message).toBe('the code is 513 bytes; the area holds 512');
    // Exactly full is fine.
    expect(buildSandbox(asm, harness, DEFAULT_SECTION + '\tnop\n'.repeat(474)).used).toBe(512);
  });

  it('comments with ; work as well as #', () => {
    const b = buildSandbox(asm, harness, DEFAULT_SECTION.replaceAll('#', ';'));
    expect(Buffer.from(b.program).equals(Buffer.from(harness))).toBe(true);
  });
});
