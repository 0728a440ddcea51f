// The guest programs, run natively: they build, print what they should and
// exit with the expected status. Their output is the reference the emulated
// runs (emulated.test.ts) must reproduce byte for byte.
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { programCases, repoRoot, runNative } from './native.js';

beforeAll(() => {
  // Cheap when everything is up to date; makes `vitest run` work on its own.
  execFileSync(process.execPath, ['scripts/build-programs.mjs'], { cwd: repoRoot, stdio: 'pipe' });
});

describe('guest programs, native', () => {
  for (const c of programCases) {
    it(`${[c.name, ...c.args.map((a) => JSON.stringify(a))].join(' ')} exits ${c.exitCode}`, () => {
      const r = runNative(c.name, c.args);
      const out = r.stdout.toString('utf8');
      expect(r.stderr.toString('utf8')).toBe('');
      expect(r.signal).toBeUndefined();
      expect(r.exitCode).toBe(c.exitCode);
      expect(r.stdout.length).toBeGreaterThan(0);
      expect(out).toContain(c.expect);
    });
  }

  it('programs are deterministic: two runs print the same bytes', () => {
    for (const c of programCases) {
      const a = runNative(c.name, c.args);
      const b = runNative(c.name, c.args);
      expect(b.stdout.equals(a.stdout), `${c.name} printed different output on a second run`).toBe(true);
    }
  });

  it('exit echoes its arguments and honours the status in argv[1]', () => {
    const r = runNative('exit', ['42', 'x y']);
    expect(r.exitCode).toBe(42);
    expect(r.stdout.toString()).toBe('argc=3\nargv[1]="42"\nargv[2]="x y"\nexit status 42\n');
  });

  it('cpubench checksum depends on the round count', () => {
    const one = runNative('cpubench', ['1']).stdout.toString();
    const two = runNative('cpubench', ['2']).stdout.toString();
    expect(one).toContain('rounds 1');
    expect(one).not.toBe(two);
    expect(runNative('cpubench', ['0']).exitCode).toBe(2);
  });
});
