// web/compare.ts: a program run under several kernel profiles, only the
// profile differing; the lines marked as differing are exactly those not
// printed by every run; a run's ending in words.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { endingText, outputLines, runUnderKernels } from '../../web/compare.js';
import { root } from './browser.js';

describe('runs under several kernel profiles', () => {
  it('the same program and choices under one profile twice: nothing differs, same outputs', async () => {
    const program = new Uint8Array(await readFile(join(root, 'build', 'programs', 'rseq_abi_probe')));
    const runs = await runUnderKernels(() => createCpu(), { name: 'rseq_abi_probe', program, args: '', seed: 1, cpus: 2 }, ['6.3', '6.3', '6.19']);
    expect(runs.map((r) => r.kernel)).toEqual(['6.3', '6.3', '6.19']);
    expect(runs[0].stdout).toBe(runs[1].stdout);
    // 6.3 and 6.19 share the feature size 28: the probe prints the same lines.
    for (const r of runs) expect(r.differing).toEqual([]);
    expect(runs[0].stdout).toContain('AT_RSEQ_FEATURE_SIZE: 28\n');
  });

  it('stderr lines count as output; the ending names the signal', () => {
    expect(outputLines({ stdout: 'a\n\nb\n', stderr: 'c\n' })).toEqual(['a', 'b', 'c']);
    expect(endingText({ kind: 'killed', exitCode: 139, signal: 'SIGSEGV', message: 'rseq: abort signature mismatch' })).toBe('killed by SIGSEGV (exit status 139): rseq: abort signature mismatch');
    expect(endingText({ kind: 'exited', exitCode: 1 })).toBe('exited with status 1');
  });
});
