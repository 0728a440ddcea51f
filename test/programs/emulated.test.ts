// The guest programs in the emulator, compared with the same programs run on
// the host: stdout must be byte-identical and the exit status equal.
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { concurrencyProgramCases, programCases, programPath, repoRoot, runNative } from './native.js';
import { runProgram } from './run-program.js';

/** First differing line, for a failure message a person can act on. */
function firstDifference(expected: Buffer, actual: Buffer): string {
  const e = expected.toString('latin1').split('\n');
  const a = actual.toString('latin1').split('\n');
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    if (e[i] !== a[i]) {
      return `line ${i + 1}:\n  native:   ${JSON.stringify(e[i] ?? '<end of output>')}\n  emulated: ${JSON.stringify(a[i] ?? '<end of output>')}`;
    }
  }
  return 'outputs are equal';
}

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build-programs.mjs'], { cwd: repoRoot, stdio: 'pipe' });
});

describe('guest programs, emulated vs native', () => {
  for (const c of programCases) {
    const title = [c.name, ...c.args.map((a) => JSON.stringify(a))].join(' ');
    it(`${title}: same stdout and exit status as on the host`, async () => {
      const native = runNative(c.name, c.args);
      const path = programPath(c.name);
      const emulated = await runProgram({ path, argv: [path, ...c.args], maxInstructions: c.maxInstructions });
      const out = Buffer.from(emulated.stdout.buffer, emulated.stdout.byteOffset, emulated.stdout.byteLength);
      const err = Buffer.from(emulated.stderr.buffer, emulated.stderr.byteOffset, emulated.stderr.byteLength);
      expect(
        emulated.signal,
        `${title} was killed by signal ${emulated.signal} in the emulator; stderr: ${err.toString()}`,
      ).toBeUndefined();
      expect(out.equals(native.stdout), `${title}: stdout differs, first at ${firstDifference(native.stdout, out)}`).toBe(
        true,
      );
      expect(emulated.exitCode, `${title}: exit status`).toBe(native.exitCode);
    });
  }
});

/**
 * Concurrency programs that cannot pass yet, each with the reason; every
 * other entry of concurrencyProgramCases runs below. They are listed, not
 * silently dropped, so nobody mistakes them for passing.
 */
const PENDING: Record<string, string> = {};
const RUNS_TODAY = new Set(concurrencyProgramCases.map((c) => c.name).filter((n) => !(n in PENDING)));

describe('concurrency programs, emulated on 1, 2, 4 and 8 vCPUs vs native', () => {
  const cases = concurrencyProgramCases.filter((c) => RUNS_TODAY.has(c.name));
  it('the programs this test runs exist in concurrencyProgramCases', () => {
    expect(new Set(cases.map((c) => c.name))).toEqual(RUNS_TODAY);
  });
  for (const c of cases) {
    const title = [c.name, ...c.args.map((a) => JSON.stringify(a))].join(' ');
    it(`${title}: same stdout and status with --cpus 1, 2, 4, 8 and several seeds; same seed, same trace hash`, async () => {
      const native = runNative(c.name, c.args);
      const path = programPath(c.name);
      const hashes = new Map<string, string>();
      for (const [cpus, seed] of [[1, 1], [2, 2], [4, 3], [8, 4], [4, 5]] as const) {
        const r = await runProgram({ path, argv: [path, ...c.args], maxInstructions: c.maxInstructions * 4, cpus, seed });
        const out = Buffer.from(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
        const err = Buffer.from(r.stderr.buffer, r.stderr.byteOffset, r.stderr.byteLength).toString();
        expect(r.signal, `${title} --cpus ${cpus} --seed ${seed}: killed by signal ${r.signal}; stderr: ${err}`).toBeUndefined();
        expect(out.equals(native.stdout), `${title} --cpus ${cpus} --seed ${seed}: stdout differs, first at ${firstDifference(native.stdout, out)}`).toBe(true);
        expect(r.exitCode, `${title} --cpus ${cpus} --seed ${seed}: exit status; stderr: ${err}`).toBe(native.exitCode);
        hashes.set(`${cpus}/${seed}`, r.traceHash ?? '');
      }
      // Determinism: the same program, options and seed give the same trace.
      const again = await runProgram({ path, argv: [path, ...c.args], maxInstructions: c.maxInstructions * 4, cpus: 4, seed: 3 });
      expect(again.traceHash).toBe(hashes.get('4/3'));
      // Different seeds interleave differently.
      expect(new Set(hashes.values()).size).toBeGreaterThan(1);
    });
  }
});
