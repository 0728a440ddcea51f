// The command line's bad-input paths, through the real launcher
// (node bin/rseqlab.mjs), forced onto the TypeScript sources.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rseqlab } from './rseqlab.js';
import { parseRunArguments } from '../../cli/args.js';
import { gcc, HELLO_C, STATIC, tempDir } from '../kernel-model/gcc.js';

let hello: Uint8Array;
const bad: Record<string, string> = {};

beforeAll(() => {
  hello = gcc('cli-hello', HELLO_C, STATIC).bytes;
  const write = (name: string, bytes: Uint8Array | string) => {
    const p = join(tempDir, name);
    writeFileSync(p, bytes);
    bad[name] = p;
  };
  write('not-elf', '#!/bin/sh\necho hello\n');
  write('empty', '');
  write('truncated', hello.subarray(0, 3000));
  const arm = hello.slice();
  new DataView(arm.buffer).setUint16(18, 183, true);
  write('aarch64', arm);
  const m32 = hello.slice();
  m32[4] = 1;
  write('elf32', m32);
  bad.dynamic = gcc('cli-hello-dyn', HELLO_C, []).path;
});

describe('rseqlab run with bad input: one line on stderr, exit status 2', () => {
  const cases: [string, RegExp][] = [
    ['missing', /^rseqlab: cannot read program .*missing-file: no such file$/],
    ['directory', /^rseqlab: cannot read program .*: it is a directory$/],
    ['not-elf', /^rseqlab: .*not-elf: not an ELF file \(bad magic\)$/],
    ['empty', /^rseqlab: .*empty: not an ELF file \(bad magic\)$/],
    ['truncated', /^rseqlab: .*truncated: truncated: program header \d+ extends past end of file/],
    ['aarch64', /^rseqlab: .*: ELF is for machine 183 \(AArch64\), rseqlab runs x86-64 programs$/],
    ['elf32', /^rseqlab: .*: 32-bit ELF/],
    ['dynamic', /^rseqlab: .*: dynamically linked \(PT_INTERP \/lib64\/ld-linux-x86-64\.so\.2\): .*gcc -static$/],
  ];
  for (const [name, message] of cases) {
    it(name, () => {
      const file = name === 'missing' ? join(tempDir, 'missing-file') : name === 'directory' ? tempDir : bad[name];
      const r = rseqlab('run', file, 'arg');
      expect(r.lines).toHaveLength(1);
      expect(r.lines[0]).toMatch(message);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
    });
  }

  it('usage errors', () => {
    for (const args of [['run'], ['run', '--seed', 'x', 'p'], ['run', '--kernel', '5.0', 'p'], ['run', '--bogus', 'p'], ['frobnicate']]) {
      const r = rseqlab(...args);
      expect(r.lines, args.join(' ')).toHaveLength(1);
      expect(r.lines[0]).toMatch(/^rseqlab: /);
      expect(r.status).toBe(2);
    }
  });

  it('help', () => {
    const top = rseqlab('--help');
    expect(top.status).toBe(0);
    expect(top.stdout).toMatch(/rseqlab run \[options\] <program>/);
    const run = rseqlab('run', '--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/--max-instructions N/);
  });
});

describe('run argument parsing', () => {
  it('takes options before the program and passes the rest to the guest', () => {
    const a = parseRunArguments(['--seed=5', '--max-instructions', '1e6', '--env', 'LANG=de', '--env', 'X=1', '--kernel', '4.18', 'prog', '--seed', '9']);
    expect(a).toMatchObject({ program: 'prog', args: ['--seed', '9'], seed: 5, maxInstructions: 1e6, kernel: '4.18' });
    expect(a.env).toContain('LANG=de');
    expect(a.env).not.toContain('LANG=C');
    expect(a.env).toContain('X=1');
  });
});
