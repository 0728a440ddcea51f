// `rseqlab fuzz --jobs J` (worker threads), `--shard I/N` and `--kernel A,B`
// as a user runs them: the same failure, explanation, schedule count and
// coverage for any J and for shards merged; a kernel differential reported
// with both verdicts and exit 1.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeShards, type FuzzResult } from '../../fuzz/campaign.js';
import { programPath } from '../programs/native.js';
import { rseqlab } from './rseqlab.js';

const out = mkdtempSync(join(tmpdir(), 'rseqlab-fuzz-jobs-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function fuzzJson(...args: string[]): { status: number | null; result: FuzzResult; stderr: string } {
  const r = rseqlab('fuzz', '--json', '--out', out, ...args);
  let result: FuzzResult;
  try {
    result = JSON.parse(r.stdout) as FuzzResult;
  } catch {
    throw new Error(`no JSON (status ${r.status}): ${r.stderr}`);
  }
  // Where the replay file went is the one thing that may differ.
  delete result.failure?.replayPath;
  return { status: r.status, result, stderr: r.stderr };
}

describe('rseqlab fuzz --jobs / --shard', () => {
  it('a buggy program: --jobs 1, --jobs 2, --jobs 4 and the shard holding the failure report the same failure, explanation, count and coverage', () => {
    const prog = programPath('rseq_bug_two_stores');
    const one = fuzzJson('--jobs', '1', prog);
    const two = fuzzJson('--jobs', '2', prog);
    const four = fuzzJson('--jobs', '4', prog);
    expect(one.status, one.stderr).toBe(1);
    expect(two.status, two.stderr).toBe(1);
    expect(four.status, four.stderr).toBe(1);
    expect(four.result).toEqual(one.result);
    // (Where it fails depends on the program's path too, which is in its argv; test/fuzz/parallel.test.ts
    // splits a failing campaign into many small blocks.)
    const k = one.result.failure!.k;
    expect(k).toBeGreaterThanOrEqual(0);
    expect(one.result.schedules).toBe(k + 1);
    expect(two.result).toEqual(one.result);
    const shard = fuzzJson('--jobs', '2', '--shard', `${(k % 2) + 1}/2`, prog);
    expect(shard.result.failure).toEqual(one.result.failure);
    expect(shard.result.shard).toEqual({ index: k % 2, count: 2 });
    expect(shard.result.schedules).toBe(Math.floor(k / 2) + 1);
    // Both shards merged: the whole campaign's failure and count (fuzz --merge exits 1 for it).
    const other = fuzzJson('--jobs', '1', '--shard', `${2 - (k % 2)}/2`, prog);
    const files = [shard, other].map((r, i) => {
      const f = join(out, `two-stores-shard${i}.json`);
      writeFileSync(f, JSON.stringify(r.result));
      return f;
    });
    const merged = rseqlab('fuzz', '--merge', '--json', ...files);
    expect(merged.status).toBe(1);
    const m = JSON.parse(merged.stdout) as FuzzResult;
    expect(m.failure).toEqual(one.result.failure);
    expect(m.schedules).toBe(one.result.schedules);
    // The summary a person reads is the same too.
    const line = (s: string) => s.split('\n').find((l) => l.includes('FAILED'));
    expect(line(two.stderr)).toBe(line(one.stderr));
  });

  it('a correct program: --jobs 1, 2 and 4 give the same coverage; the two shards merged give the whole campaign', () => {
    const prog = programPath('rseq_counter');
    const one = fuzzJson('--jobs', '1', '--schedules', '200', prog, '2', '50');
    expect(one.status, one.stderr).toBe(0);
    expect(one.result).toMatchObject({ schedules: 200, stoppedBy: 'schedules', schedulesRequested: 200 });
    expect(one.result.coverage.covered).toBeGreaterThan(0);
    expect(fuzzJson('--jobs', '2', '--schedules', '200', prog, '2', '50').result).toEqual(one.result);
    expect(fuzzJson('--jobs', '4', '--schedules', '200', prog, '2', '50').result).toEqual(one.result);
    const shards = ['1/2', '2/2'].map((s) => fuzzJson('--jobs', '2', '--schedules', '200', '--shard', s, prog, '2', '50').result);
    expect(shards.map((r) => r.schedules)).toEqual([100, 100]);
    expect(mergeShards(shards)).toEqual(one.result);
    // The same with the command line: fuzz --merge of the shards' --json files.
    const files = shards.map((r, i) => join(out, `counter-shard${i + 1}.json`));
    shards.forEach((r, i) => writeFileSync(files[i], JSON.stringify(r)));
    const merged = rseqlab('fuzz', '--merge', '--json', files[1], files[0]);
    expect(merged.status, merged.stderr).toBe(0);
    expect(JSON.parse(merged.stdout)).toEqual(one.result);
    expect(merged.stderr).toMatch(/no run failed in 200 schedules/);
    const half = rseqlab('fuzz', '--merge', files[0]);
    expect(half.lines).toEqual(['rseqlab: --merge: need each of the 2 shards once, got 1 of 2']);
    expect(half.status).toBe(2);
    const notJson = join(out, 'not.json');
    writeFileSync(notJson, '{"format":"rseqlab-replay"}');
    expect(rseqlab('fuzz', '--merge', notJson, files[0]).lines).toEqual([`rseqlab: ${notJson}: not the --json output of rseqlab fuzz`]);
  });

  it('--time without --schedules runs until the time is up', () => {
    const r = fuzzJson('--time', '1', prog('rseq_counter'), '2', '20');
    expect(r.status, r.stderr).toBe(0);
    expect(r.result).toMatchObject({ stoppedBy: 'time', schedulesRequested: null });
    expect(r.result.schedules).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/no run failed in \d+ schedules \(the time ran out\)/);
  });

  it('bad --jobs and --kernel values are usage errors', () => {
    expect(rseqlab('fuzz', '--jobs', '0', prog('rseq_counter')).lines).toEqual(['rseqlab: --jobs 0: expected a positive integer (e.g. 1000000 or 1e9)']);
    const k = rseqlab('fuzz', '--kernel', '6.19,5.0', prog('rseq_counter'));
    expect(k.status).toBe(2);
    expect(k.lines[0]).toMatch(/^rseqlab: --kernel 5\.0: unknown kernel profile/);
    expect(rseqlab('replay', 's1', '--kernel', '6.19,7.0', prog('rseq_counter')).lines).toEqual(['rseqlab: --kernel: a replay runs under one kernel profile']);
  });
});

function prog(name: string) {
  return programPath(name);
}

describe('rseqlab fuzz --kernel A,B (kernel differential)', () => {
  it('rseq_cpu_id_start under 6.19 and 7.0: reports that the profiles disagree, with both outcomes, and exits 1', () => {
    const r = fuzzJson('--kernel', '6.19,7.0', prog('rseq_cpu_id_start'));
    expect(r.status, r.stderr).toBe(1);
    expect(r.result.kernels).toEqual(['6.19', '7.0']);
    const f = r.result.failure!;
    expect(f.kernel).toBe('6.19');
    expect(f.verdicts!.map((v) => [v.kernel, v.ending.replace(/:.*/, '')])).toEqual([['6.19', 'exited with status 1'], ['7.0', 'exited with status 0']]);
    expect(r.stderr).toMatch(/^rseqlab: fuzz: KERNELS DIFFER: 6\.19: fails: exited with status 1: rseq_cpu_id_start: the sentinel 0x80000000 in cpu_id_start survived a context switch \(cpu_id \d\) \(rseq ABI finding: read-only-field-written\); 7\.0: fails: exited with status 0 \(rseq ABI finding: read-only-field-written\)$/m);
    // The replay file is the 6.19 run; replaying it fails as it did.
    const again = rseqlab('replay', join(out, 'rseq_cpu_id_start.seed1.k-1.kernel6.19.replay.json'));
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('the sentinel 0x80000000 in cpu_id_start survived a context switch');
  });

  it('a correct program under 6.19 and 7.0: no difference, exit 0', () => {
    const r = fuzzJson('--kernel', '6.19,7.0', '--schedules', '100', prog('rseq_counter'), '2', '50');
    expect(r.status, r.stderr).toBe(0);
    expect(r.result.failure).toBeUndefined();
    expect(r.stderr).toMatch(/no run failed in 100 schedules \(seed 1, mixed, under each of kernels 6\.19, 7\.0\)/);
  });
});
