// Runs one program file to completion in a fresh machine: the shortest path
// from a path on disk to its output, for tests and benchmarks. It reads host
// files, so it lives here and not in kernel-model/ (which runs in browsers).

import { readFile } from 'node:fs/promises';
import { createCpu } from '../../emulator/index.js';
import { Machine, type RunResult } from '../../kernel-model/machine.js';

export interface RunProgramOptions {
  path: string;
  /** The full argument vector, argv[0] included (default [path]). */
  argv?: string[];
  envp?: string[];
  stdin?: Uint8Array;
  maxInstructions?: number;
  seed?: number;
  cpus?: number;
  /** Guest path -> host path, read into the guest file system. */
  files?: Record<string, string>;
}

export interface RunProgramResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** The signal that killed the guest, if one did. */
  signal?: number;
  retired: number;
  traceHash: string;
  result: RunResult;
}

export async function runProgram(options: RunProgramOptions): Promise<RunProgramResult> {
  const program = new Uint8Array(await readFile(options.path));
  const machine = Machine.create({
    cpu: await createCpu(),
    program,
    path: options.path,
    argv: options.argv ?? [options.path],
    envp: options.envp ?? [],
    stdin: options.stdin,
    seed: options.seed ?? 1,
    cpus: options.cpus,
    files: new Map(await Promise.all(Object.entries(options.files ?? {}).map(async ([g, h]) => [g, new Uint8Array(await readFile(h))] as [string, Uint8Array]))),
  });
  const result = machine.run({ maxInstructions: options.maxInstructions ?? 20e9 });
  if (result.kind !== 'exited' && result.kind !== 'killed') {
    throw new Error(`${options.path}: ${result.kind}${result.message ? `: ${result.message}` : ''}`);
  }
  return {
    exitCode: result.exitCode ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    signal: result.signal?.number,
    retired: result.retired,
    traceHash: result.traceHash,
    result,
  };
}
