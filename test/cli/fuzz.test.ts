// `rseqlab fuzz` and `rseqlab replay` as a user runs them: exit statuses,
// the replay file, --json, and clear errors for bad input.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { programPath } from '../programs/native.js';
import { rseqlab } from './rseqlab.js';

const out = mkdtempSync(join(tmpdir(), 'rseqlab-fuzz-'));

describe('rseqlab fuzz / replay', () => {
  it('finds the commit-not-last bug, writes a replay file, exits 1; replay reruns it with the same output and status', () => {
    const r = rseqlab('fuzz', '--out', out, programPath('rseq_bug_commit_not_last'));
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/rseqlab: fuzz: FAILED at schedule \d+ of seed 1 after \d+ schedules: exited with status 1: rseq_bug_commit_not_last: counted 1001 for 1000 increments/);
    expect(r.stderr).toMatch(/rseqlab: shrunk to 1 event in \d+ runs/);
    expect(r.stderr).toMatch(/thread 1000 on vCPU \d at 0x[0-9a-f]+ <addv_commit_not_last\+\d+> \(critical section 0, \+\d+ of \[0x[0-9a-f]+, 0x[0-9a-f]+\)\): (preempt|migrate to vCPU \d)/);
    expect(r.stderr).toMatch(/rseq: thread 1000 aborted from .* to 0x[0-9a-f]+ \(the abort handler of critical section 0\) \(preempt\)/);
    const file = readdirSync(out).find((f) => f.startsWith('rseq_bug_commit_not_last.') && f.endsWith('.replay.json'))!;
    const replay = JSON.parse(readFileSync(join(out, file), 'utf8'));
    expect(replay).toMatchObject({ format: 'rseqlab-replay', version: 1, argv0: '/rseq_bug_commit_not_last', program: { path: programPath('rseq_bug_commit_not_last') }, cpus: 2, kernel: 'current', expect: { kind: 'exit-status', class: 'exit:1' } });
    const again = rseqlab('replay', join(out, file));
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('rseq_bug_commit_not_last: counted 1001 for 1000 increments');
    // The schedule code alone, with the program.
    const code = rseqlab('replay', replay.schedule, '--cpus', '2', programPath('rseq_bug_commit_not_last'));
    expect(code.status).toBe(1);
    expect(code.stderr).toContain(`schedule ${replay.schedule}: 1 injected event`);
    // --trace: the section instruction by instruction, the event marked, the events around it.
    const traced = rseqlab('replay', '--trace', join(out, file));
    expect(traced.status).toBe(1);
    expect(traced.stderr).toMatch(/trace: => 0x[0-9a-f]+ <addv_commit_not_last\+\d+>: mov eax, 1 {3}<- (preempt|migrate to vCPU \d)/);
    expect(traced.stderr).toMatch(/trace: {4}0x[0-9a-f]+ <addv_commit_not_last\+\d+>: add qword ptr \[rdi\], rsi/);
    expect(traced.stderr).toMatch(/thread 1000: rseq abort from 0x[0-9a-f]+ <addv_commit_not_last\+\d+>: mov eax, 1 to 0x[0-9a-f]+: jmp/);
  });

  it('the guest sees the program as /NAME, so a relative path finds the same failure; the replay file keeps argv[0] beside the absolute path', () => {
    const rel = rseqlab('fuzz', '--out', out, '--jobs', '1', 'build/programs/rseq_bug_two_stores');
    expect(rel.status, rel.stderr).toBe(1);
    const file = readdirSync(out).find((f) => f.startsWith('rseq_bug_two_stores.') && f.endsWith('.replay.json'))!;
    const replay = JSON.parse(readFileSync(join(out, file), 'utf8'));
    expect(replay.argv0).toBe('/rseq_bug_two_stores');
    expect(replay.program.path).toBe(programPath('rseq_bug_two_stores'));
    const again = rseqlab('replay', join(out, file));
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`rseqlab: result: ${replay.expect.summary}`);
  });

  it('a correct program: exit 0; --json prints the result with coverage', () => {
    const r = rseqlab('fuzz', '--json', '--schedules', '100', programPath('rseq_counter'), '2', '50');
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ schedules: 100, seed: 1, strategy: 'mixed', cpus: 2 });
    expect(result.failure).toBeUndefined();
    expect(result.coverage.sections[0].symbol).toMatch(/^rseq_addv\+/);
    expect(r.stderr).toMatch(/no run failed in 100 schedules/);
  });

  it('a program that breaks a rule statically exits 1 even when no run fails', () => {
    const r = rseqlab('fuzz', '--schedules', '50', programPath('rseq_bug_abort_inside'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/static rseq ABI finding: abort-inside-section: /);
  });

  it('usage and input errors exit 2 with one line', () => {
    expect(rseqlab('fuzz', '--strategy', 'smart', programPath('rseq_counter')).lines).toEqual(['rseqlab: --strategy smart: random, pct or mixed']);
    expect(rseqlab('fuzz', '--events', 'preempt,boom', programPath('rseq_counter')).status).toBe(2);
    expect(rseqlab('fuzz', '--shard', '3/2', programPath('rseq_counter')).status).toBe(2);
    expect(rseqlab('fuzz', '/nonexistent').lines).toEqual(['rseqlab: cannot read program /nonexistent: no such file']);
    const bad = join(out, 'bad.json');
    writeFileSync(bad, '{"format":"rseqlab-replay","version":9}');
    const r = rseqlab('replay', bad);
    expect(r.status).toBe(2);
    expect(r.lines[0]).toMatch(/bad\.json: not an rseqlab replay file: "version" 9 is not one this rseqlab reads/);
    expect(rseqlab('replay', 's1.bogus', programPath('rseq_counter')).lines[0]).toMatch(/schedule event 1 "bogus"/);
  });

  it('a truncated, binary or foreign replay file, a file naming a missing program, and a malformed code: one line each, exit 2', () => {
    const good = join(out, readdirSync(out).find((f) => f.endsWith('.replay.json'))!);
    const text = readFileSync(good, 'utf8');
    const replay = JSON.parse(text);
    const cases: [string, string | Uint8Array, RegExp][] = [
      ['truncated.json', text.slice(0, text.length >> 1), /truncated\.json: not JSON \(/],
      ['binary.json', readFileSync(programPath('hello')).subarray(0, 4096), /binary\.json: not JSON \([^\x00-\x1f]*\)$/],
      ['foreign.json', JSON.stringify({ ...replay, program: { ...replay.program, sha256: '0'.repeat(64) } }), /foreign\.json: .* is not the program the failure was found in \(SHA-256 [0-9a-f]{64}, the file says 0{64}\)/],
      ['gone.json', JSON.stringify({ ...replay, program: { ...replay.program, path: '/nonexistent/prog' } }), /cannot read program \/nonexistent\/prog: no such file/],
    ];
    for (const [name, body, message] of cases) {
      writeFileSync(join(out, name), body);
      const r = rseqlab('replay', join(out, name));
      expect(r.status, name).toBe(2);
      expect(r.lines, name).toHaveLength(1);
      expect(r.lines[0], name).toMatch(message);
    }
    for (const code of ['s1.p@', 's1.p@401000#0', 's1.m@401000', 's1.p@i1000+']) {
      const r = rseqlab('replay', code, programPath('rseq_counter'));
      expect(r.status, code).toBe(2);
      expect(r.lines, code).toHaveLength(1);
    }
  });
});
