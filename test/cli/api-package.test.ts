// The Node API as a user gets it: the package built as `npm run build`
// builds it (the bundles and the declarations, here into a scratch copy of
// the package so a running CLI's dist/ is left alone), installed in another
// project's node_modules, imported by name. `import { fuzz, explore, replay }
// from 'rseqlab'`: fuzz finds a buggy program's failure on worker threads
// with the same result `rseqlab fuzz --json` prints, replay reproduces it, a
// kernel differential reports its difference, explore gives what `rseqlab
// explore --json` prints; and a TypeScript file using the API type-checks
// against the shipped declarations (and a wrong option does not).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programPath, repoRoot } from '../programs/native.js';
import { rseqlab } from './rseqlab.js';

const tmp = mkdtempSync(join(tmpdir(), 'rseqlab-api-'));
const pkg = join(tmp, 'rseqlab');
const user = join(tmp, 'user');

function node(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, RSEQLAB_DEBUG: '1' } });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  mkdirSync(pkg);
  node([join(repoRoot, 'scripts', 'build-cli.mjs'), '--outdir', join(pkg, 'dist')], repoRoot);
  node([join(repoRoot, 'scripts', 'build-types.mjs'), '--outdir', join(pkg, 'dist', 'types')], repoRoot);
  copyFileSync(join(repoRoot, 'package.json'), join(pkg, 'package.json'));
  // The CPU (build/emulator.wasm) and the package's own dependencies, as an install has them.
  symlinkSync(join(repoRoot, 'build'), join(pkg, 'build'));
  symlinkSync(join(repoRoot, 'node_modules'), join(pkg, 'node_modules'));
  mkdirSync(join(user, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(user, 'node_modules', 'rseqlab'));
  writeFileSync(join(user, 'package.json'), JSON.stringify({ name: 'user', type: 'module', private: true }));
});

// (rmSync removes the links to build/ and node_modules/, not what they point at.)
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("import { fuzz, explore, replay } from 'rseqlab'", () => {
  it('fuzz finds the bug on two worker threads with the result --json prints; replay reproduces it; a kernel differential reports the difference; explore as --json', () => {
    writeFileSync(join(user, 'run.mjs'), `
import { fuzz, explore, replay, mergeShards, RseqlabInputError } from 'rseqlab';
const [buggy, out, idStart, commitNotLast] = process.argv.slice(2);
const found = await fuzz({ program: buggy, jobs: 2, out });
const again = await replay(found.failure.replayPath);
const bytes = await replay({ replay: found.failure.replay, program: (await import('node:fs')).readFileSync(buggy) });
const differential = await fuzz({ program: idStart, kernel: ['6.19', '7.0'], schedules: 20 });
const explored = await explore({ program: commitNotLast });
let bad;
try { await fuzz({ program: buggy, kernel: '5.0' }); } catch (e) { bad = [e instanceof RseqlabInputError, e.message]; }
console.log(JSON.stringify({ found, again: { reproduced: again.reproduced, exitStatus: again.exitStatus, failure: again.failure, explanation: again.explanation, stdout: again.outcome.stdout }, bytes: bytes.reproduced, differential, merged: typeof mergeShards, bad, explored }));
`);
    const out = join(tmp, 'replays');
    const got = JSON.parse(node(['run.mjs', programPath('rseq_bug_two_stores'), out, programPath('rseq_cpu_id_start'), programPath('rseq_bug_commit_not_last')], user));
    const f = got.found.failure;
    expect(f.replayPath).toMatch(/rseq_bug_two_stores\.seed1\.k\d+\.replay\.json$/);
    // The same object the CLI prints with --json (one thread there, two here).
    const cli = rseqlab('fuzz', '--json', '--jobs', '1', '--out', join(tmp, 'cli'), programPath('rseq_bug_two_stores'));
    const printed = JSON.parse(cli.stdout);
    delete printed.failure.replayPath;
    delete f.replayPath;
    expect(got.found).toEqual(printed);
    expect(got.again).toMatchObject({ reproduced: true, exitStatus: 1, failure: { class: 'exit:1' } });
    expect(got.again.explanation.at(-1)).toBe(`result: ${f.summary}`);
    expect(got.bytes).toBe(true);
    expect(got.differential.failure.difference).toMatch(/^6\.19: fails: exited with status 1: .*; 7\.0: fails: exited with status 0/);
    expect(got.merged).toBe('function');
    // explore: the object `rseqlab explore --json` prints.
    const explored = rseqlab('explore', '--json', '--out', join(tmp, 'cli'), programPath('rseq_bug_commit_not_last'));
    const printedExplore = JSON.parse(explored.stdout);
    delete printedExplore.failure.replayPath;
    expect(got.explored).toEqual(printedExplore);
    expect(got.explored.failure.events).toBe(1);
    expect(got.bad).toEqual([true, 'kernel 5.0: unknown kernel profile; choose one of 4.18, 6.3, 6.19, 7.0, current']);
  });

  it('the declarations type-check a user\'s TypeScript, and catch a wrong option', () => {
    writeFileSync(join(user, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(repoRoot, 'node_modules', '@types')], lib: ['ES2022'] },
      files: ['check.ts'],
    }));
    writeFileSync(join(user, 'check.ts'), `
import { fuzz, explore, replay, mergeShards, type ExploreResult, type FuzzResult, type ReplayResult, type KernelVerdict } from 'rseqlab';
const r: FuzzResult = await fuzz({ program: 'a.out', args: ['4'], kernel: ['6.19', '7.0'], jobs: 2, schedules: 100, events: ['preempt'], strategy: 'pct', shard: { index: 0, count: 2 } });
const k: number | undefined = r.failure?.k;
const v: KernelVerdict[] | undefined = r.failure?.verdicts;
const covered: number = r.coverage.sections[0].covered.preempt.length + r.coverage.covered;
const p: ReplayResult = await replay('x.replay.json');
const ok: boolean = p.reproduced && p.outcome.exitCode === 1;
const merged: FuzzResult = mergeShards([r, r]);
const e: ExploreResult = await explore({ program: new Uint8Array(0), path: 'a.out', bound: 2, events: ['migrate'] });
const landed: number = e.coverage.fired + (e.failure?.events ?? 0);
// @ts-expect-error not a kernel profile
await fuzz({ program: 'a.out', kernel: '5.0' });
// @ts-expect-error not an event kind
await fuzz({ program: 'a.out', events: ['interrupt'] });
export { k, v, covered, ok, merged, landed };
`);
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(user, 'tsconfig.json')], { cwd: user, encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout + r.stderr, 'tsc').toBe('');
    expect(r.status).toBe(0);
    // package.json points the package's name at the API and its declarations.
    const meta = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    expect(meta.exports['.']).toEqual({ types: './dist/types/api/index.d.ts', import: './dist/api.mjs' });
    expect(meta.types).toBe('./dist/types/api/index.d.ts');
  });
});
