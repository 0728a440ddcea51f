// `rseqlab explore` as a user runs it: the coverage table, exit statuses
// 0/1/2, the replay file of a failure (which `rseqlab replay` reruns),
// --json, and one-line errors for bad input.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../cli/cli.js';
import { createCpu } from '../../emulator/index.js';
import { programPath } from '../programs/native.js';
import { rseqlab } from './rseqlab.js';

const out = mkdtempSync(join(tmpdir(), 'rseqlab-explore-'));

describe('rseqlab explore', () => {
  it('a correct program: the coverage table on stdout, every (point, kind) pair landed, exit 0', () => {
    const r = rseqlab('explore', programPath('rseq_counter'), '3', '50');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^critical section\s+start\s+points\s+before\s+reached\s+preempt\s+migrate\s+signal\s+aborted in$/);
    // rseq_addv: 3 instructions and post_commit_ip, 6 before it; 10 points tried and landed per kind; no signal handler.
    expect(lines[1]).toMatch(/^rseq_addv\+\d+\s+0x[0-9a-f]+\s+4\s+6\s+10\s+10\/10\s+10\/10\s+-\s+\d+ runs$/);
    expect(r.stderr).toContain('rseqlab: explore: no signal events: the program handles no signal');
    expect(r.stderr).toMatch(/no run failed in 60 runs \(60 runs with 1 event; seed 1\); events landed on 20 of 20 \(point, kind\) pairs tried/);
  });

  it('--json prints the result object instead of the table', () => {
    const r = rseqlab('explore', '--json', '--events', 'preempt', '--hits', '1', programPath('rseq_counter'), '2', '20');
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ mode: 'explore', seed: 1, cpus: 2, bound: 1, hits: 1, events: ['preempt'], runs: 10, planned: 10 });
    expect(result.failure).toBeUndefined();
    expect(result.coverage.sections[0]).toMatchObject({ points: 4, before: 6, reached: 10, kinds: { preempt: { tried: 10, fired: 10 } } });
  });

  it('finds commit_not_last: one event after the commit, a replay file, exit 1; replay reruns it', () => {
    const r = rseqlab('explore', '--out', out, programPath('rseq_bug_commit_not_last'));
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^addv_commit_not_last\+\d+\s+0x[0-9a-f]+\s+5\s+5\s+10\s/m);
    expect(r.stderr).toMatch(/static rseq ABI finding: commit-not-last: /);
    expect(r.stderr).toMatch(/rseqlab: explore: FAILED at run \d+ of \d+ planned \(seed 1\): exited with status 1: rseq_bug_commit_not_last: counted 1001 for 1000 increments/);
    expect(r.stderr).toMatch(/rseqlab: shrunk to 1 event in \d+ runs/);
    expect(r.stderr).toMatch(/thread 1000 on vCPU \d at 0x[0-9a-f]+ <addv_commit_not_last\+\d+> \(critical section 0, \+\d+ of \[0x[0-9a-f]+, 0x[0-9a-f]+\)\): preempt/);
    const file = readdirSync(out).find((f) => f.startsWith('rseq_bug_commit_not_last.seed1.explore') && f.endsWith('.replay.json'))!;
    expect(r.stderr).toContain(`rseqlab: replay with: rseqlab replay ${join(out, file)}`);
    const replay = JSON.parse(readFileSync(join(out, file), 'utf8'));
    expect(replay).toMatchObject({ format: 'rseqlab-replay', cpus: 2, kernel: 'current', expect: { kind: 'exit-status', class: 'exit:1' } });
    expect(replay.schedule).toMatch(/^s1\.p@[0-9a-f]+$/);
    const again = rseqlab('replay', join(out, file));
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('rseq_bug_commit_not_last: counted 1001 for 1000 increments');
  });

  it('abort_inside: exit 1 for the static finding on 7.0, a SIGSEGV run with --kernel 6.3', () => {
    const lean = rseqlab('explore', '--events', 'preempt', '--out', out, programPath('rseq_bug_abort_inside'));
    expect(lean.status).toBe(1);
    expect(lean.stderr).toMatch(/static rseq ABI finding: abort-inside-section: /);
    expect(lean.stderr).toMatch(/no run failed in \d+ runs/);
    const old = rseqlab('explore', '--kernel', '6.3', '--out', out, programPath('rseq_bug_abort_inside'));
    expect(old.status).toBe(1);
    expect(old.stderr).toMatch(/FAILED at run \d+ of \d+ planned \(seed 1\): killed by SIGSEGV: .*abort_ip 0x[0-9a-f]+ is inside the critical section/);
  });

  it('usage and input errors exit 2 with one line', () => {
    expect(rseqlab('explore', '--bound', '5', programPath('rseq_counter')).lines).toEqual(['rseqlab: --bound 5: 1 to 4 events per run']);
    expect(rseqlab('explore', '--events', 'preempt,boom', programPath('rseq_counter')).lines).toEqual(["rseqlab: --events: unknown event kind 'boom' (preempt, migrate, signal)"]);
    expect(rseqlab('explore', '--schedules', '5', programPath('rseq_counter')).lines).toEqual(['rseqlab: unknown option --schedules (see rseqlab explore --help)']);
    expect(rseqlab('explore').lines).toEqual(['rseqlab: no program given (see rseqlab explore --help)']);
    expect(rseqlab('explore', '/nonexistent').lines).toEqual(['rseqlab: cannot read program /nonexistent: no such file']);
    const hello = rseqlab('explore', programPath('hello'));
    expect(hello.status).toBe(2);
    expect(hello.lines).toEqual([`rseqlab: ${programPath('hello')}: lists no rseq critical section (__rseq_cs_ptr_array): nothing to explore`]);
    const help = rseqlab('explore', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: rseqlab explore \[options\] <program> \[args\.\.\.\]/);
    expect(rseqlab('--help').stdout).toMatch(/rseqlab explore \[options\] <program> \[args\.\.\.\]/);
  });

  it('on a terminal, a progress line on stderr, cleared before the summary', async () => {
    let stdout = '';
    let stderr = '';
    let t = 0;
    const io = {
      writeStdout: (d: Uint8Array | string) => { stdout += typeof d === 'string' ? d : new TextDecoder().decode(d); },
      writeStderr: (d: Uint8Array | string) => { stderr += typeof d === 'string' ? d : new TextDecoder().decode(d); },
      readStdin: async () => new Uint8Array(),
      now: () => (t += 100),
      stderrIsTerminal: true,
    };
    const status = await cli(['explore', '--events', 'preempt', programPath('rseq_counter'), '2', '20'], { io, debug: false, loadCpu: createCpu });
    expect(status, stderr).toBe(0);
    expect(stderr).toMatch(/^\r\x1b\[Kexplore: \d+\/30 runs, \d+\/s, landed on \d+\/\d+ \(point, kind\) pairs, 0 failures/);
    expect(stderr).toContain('explore: 30/30 runs');
    expect(stderr).toMatch(/\r\x1b\[Krseqlab: explore: no run failed in 30 runs/);
    expect(stdout).toMatch(/^rseq_addv\+\d+ .* 10\/10\s+-\s+-\s+\d+ runs$/m);
  });
});
