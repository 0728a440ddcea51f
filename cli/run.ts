// `rseqlab run`: load a program, run it on the emulated CPU, pass its
// output through, and exit with its status.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Cpu } from '../emulator/api.js';
import { ElfError, Machine, parseElf } from '../kernel-model/index.js';
import type { RunArguments } from './args.js';
import { InputError } from './errors.js';
import { describeEnding, exitStatus } from './report.js';

export interface CliIo {
  writeStdout(data: Uint8Array | string): void;
  writeStderr(data: Uint8Array | string): void;
  /** The bytes the guest reads from fd 0. */
  readStdin(): Promise<Uint8Array>;
  /** Host wall-clock milliseconds, for --stats only. */
  now(): number;
}

/** Reads a host file for the guest, with a message that says what went wrong. */
export function readHostFile(path: string, role: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new InputError(`cannot read ${role} ${path}: ${why}`);
  }
}

export async function runCommand(args: RunArguments, io: CliIo, loadCpu: () => Promise<Cpu>): Promise<number> {
  const program = readHostFile(args.program, 'program');
  try {
    parseElf(program); // bad input is reported before the CPU is even loaded
  } catch (e) {
    if (e instanceof ElfError) throw new InputError(`${args.program}: ${e.message}`);
    throw e;
  }
  const files = new Map<string, Uint8Array>();
  for (const [guest, host] of args.files) files.set(guest, readHostFile(host, `file for ${guest}`));

  const cpu = await loadCpu();
  const stdin = await io.readStdin();
  const machine = Machine.create({
    cpu,
    program,
    path: args.program,
    exePath: resolve(args.program),
    argv: [args.program, ...args.args],
    envp: args.env,
    stdin,
    files,
    seed: args.seed,
    kernelProfile: args.kernel,
    onStdout: (b) => io.writeStdout(b),
    onStderr: (b) => io.writeStderr(b),
    onWarning: (w) => io.writeStderr(w + '\n'),
  });
  const started = io.now();
  const result = machine.run({ maxInstructions: args.maxInstructions });
  const seconds = (io.now() - started) / 1000;
  const ending = await describeEnding(result, args.maxInstructions);
  if (ending) io.writeStderr(ending + '\n');
  if (args.stats) {
    const mips = seconds > 0 ? result.retired / seconds / 1e6 : 0;
    io.writeStderr(`rseqlab: ${result.retired} instructions retired in ${seconds.toFixed(3)} s (${mips.toFixed(2)} MIPS)\n`);
  }
  return exitStatus(result);
}
