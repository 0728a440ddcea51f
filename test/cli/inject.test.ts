// `rseqlab run --inject SPEC`: the grammar (ACTION@POINT), resolution
// against the program's symbols and critical sections, clear errors, and a
// report of injections that never happened.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gcc, STATIC } from '../kernel-model/gcc.js';
import { rseqlab } from './rseqlab.js';

const prog = gcc('rseq-counter', join(import.meta.dirname, '..', 'kernel-model', 'fixtures', 'rseq-counter.c'), STATIC);

describe('rseqlab run --inject', () => {
  it('preempts, migrates and signals at the points the specs name', () => {
    // Migrate at main's first instruction (before any section), a signal at the entry of the function (outside the section), a preemption inside it.
    const r = rseqlab('run', '--strace', '--inject', 'preempt@cs0#500', '--inject', 'signal:USR1@percpu_add#3', '--inject', 'migrate:3@main', prog.path, '1000');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('cpus: 3\ntotal 1000 aborts 1 signals 1\n');
    expect(r.lines.filter((l) => l.includes('*** injected'))).toEqual([
      expect.stringMatching(/^\[tid 1000 cpu 0\] \*\*\* injected: migrate to vCPU 3 at 0x[0-9a-f]+ \(rip 0x[0-9a-f]+\) \*\*\*$/),
      expect.stringMatching(/^\[tid 1000 cpu 3\] \*\*\* injected: signal 10 to the thread at 0x[0-9a-f]+ \(hit 3\) /),
      expect.stringMatching(/^\[tid 1000 cpu 3\] \*\*\* injected: preempt at 0x[0-9a-f]+ \(hit 500\) /),
    ]);
    expect(r.lines.filter((l) => l.includes('*** rseq'))).toEqual([
      expect.stringMatching(/^\[tid 1000\] \*\*\* rseq register: area 0x[0-9a-f]+, length 32, signature 0x53053053 \*\*\*$/),
      expect.stringMatching(/^\[tid 1000\] \*\*\* rseq abort: abort from 0x[0-9a-f]+ to 0x[0-9a-f]+ \((preempt|signal|migrate)(\+\w+)*\) on vCPU 3 \*\*\*$/),
    ]);
  });

  it('says when an injection never happened', () => {
    const r = rseqlab('run', '--inject', 'preempt@cs0+1', prog.path, '10');
    expect(r.status).toBe(0);
    expect(r.lines).toEqual([expect.stringMatching(/^rseqlab: --inject preempt@cs0\+1 never happened \(preempt at 0x[0-9a-f]+, reached 0 times; an address must be the start of an instruction\)$/)]);
  });

  it('rejects malformed specs with one line and status 2', () => {
    const bad: [string, RegExp][] = [
      ['preempt', /expected ACTION@POINT/],
      ['jump@main', /unknown action 'jump'/],
      ['migrate@main', /migrate needs a vCPU/],
      ['signal:FOO@main', /no signal 'FOO'/],
      ['preempt@no_such_symbol', /no symbol 'no_such_symbol'/],
      ['preempt@cs7', /has 1 critical section \(cs0\.\.cs0\)/],
      ['preempt@main#0', /hit count starts at 1/],
      ['migrate:9@main', /no vCPU 9/],
    ];
    for (const [spec, why] of bad) {
      const r = rseqlab('run', '--inject', spec, prog.path);
      expect(r.status, spec).toBe(2);
      expect(r.lines, spec).toEqual([expect.stringMatching(why)]);
    }
  });
});
