// A guest program that writes, reads, renames, links and removes files in
// a directory and lists /proc/self/fd (fixtures/fs-tmp.c) prints the same
// bytes natively (in a fresh directory under the host's /tmp) and in the
// emulator (in the guest's tmpfs /dev/shm).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { runProgram } from '../programs/run-program.js';
import { gcc, STATIC } from './gcc.js';

let program: string;

beforeAll(() => {
  program = gcc('fs-tmp', join(import.meta.dirname, 'fixtures', 'fs-tmp.c'), STATIC).path;
});

it('fixtures/fs-tmp.c: the same output natively and emulated', async () => {
  const dir = mkdtempSync('/tmp/rseqlab-fs-');
  let native;
  try {
    native = spawnSync(program, [dir], { encoding: 'utf8', timeout: 60_000 });
    expect(readdirSync(dir)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(native.stderr).toBe('');
  expect(native.status).toBe(0);

  // The guest's /tmp holds the program itself (it is placed there when its host path is under /tmp): use the other tmpfs.
  const emulated = await runProgram({ path: program, argv: [program, '/dev/shm'] });
  expect(new TextDecoder().decode(emulated.stderr)).toBe('');
  expect(emulated.exitCode).toBe(0);
  expect(new TextDecoder().decode(emulated.stdout)).toBe(native.stdout);
  // The output covers what it should.
  expect(native.stdout).toContain('fd 7 -> /proc/PID/fd\n');
  expect(native.stdout).toContain('fd 3 -> ./d/b.txt (deleted)\n');
});
