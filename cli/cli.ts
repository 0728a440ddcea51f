// The rseqlab command line: commands, help, and the one-line error policy
// (a CliError or ElfError prints "rseqlab: <message>" and exits 2; stack
// traces only with RSEQLAB_DEBUG=1).

import { createRequire } from 'node:module';
import type { Cpu } from '../emulator/api.js';
import { ElfError, KERNEL_PROFILE_NAMES } from '../kernel-model/index.js';
import { DEFAULT_ENV, DEFAULT_MAX_INSTRUCTIONS, DEFAULT_SEED, parseRunArguments } from './args.js';
import { loadCpu } from './cpu.js';
import { CliError, UsageError } from './errors.js';
import { runCommand, type CliIo } from './run.js';
import { fuzzCommand } from './fuzz.js';
import { replayCommand } from './replay.js';
import { exploreCommand } from './explore.js';

export const HELP = `rseqlab: run and test Linux restartable sequences on an emulated x86-64 machine

usage:
  rseqlab run [options] <program> [args...]   run a static x86-64 Linux program
  rseqlab fuzz [options] <program> [args...]  drive its rseq critical sections through
                                              injected schedules until one fails
  rseqlab explore [options] <program> [args...] every event on every critical-section point
  rseqlab replay <file | code ...>            rerun a failure exactly
  rseqlab --help                              this text
  rseqlab --version                           the version

'rseqlab run --help' (fuzz --help, replay --help) lists a command's options.
`;

export const RUN_HELP = `usage: rseqlab run [options] <program> [args...]

Runs a statically linked x86-64 Linux program (gcc -static or -static-pie)
on rseqlab's CPU under its model of the Linux kernel. Options go before the
program; everything after the program is passed to it (argv[0] is the
program path as given). The guest's stdout and stderr pass through.

options:
  --max-instructions N   stop after N instructions (default ${DEFAULT_MAX_INSTRUCTIONS.toExponential()})
  --seed N               seed for every random choice (AT_RANDOM, getrandom; default ${DEFAULT_SEED})
  --kernel P             kernel profile: ${KERNEL_PROFILE_NAMES.join(' | ')} (default current = 7.0):
                         what that Linux did with rseq (4.18 original ABI; 6.3 node_id, mm_cid,
                         AT_RSEQ_*; 6.19 optimized updates for every registration; 7.0 legacy
                         for 32-byte registrations, optimized V2 with time slice extension
                         for longer ones)
  --debug-rseq           make the rseq ABI checker's findings fatal (SIGSEGV), as a kernel
                         built with CONFIG_DEBUG_RSEQ does; findings are always reported
  --env NAME=VALUE       add to the guest environment (repeatable); the default
                         environment is ${DEFAULT_ENV.join(' ')}
  --file GUEST=HOST      make host file HOST readable in the guest at path GUEST (repeatable)
  --dir GUEST=HOST       show host directory HOST read-only at GUEST (repeatable)
  --cpus N               virtual CPUs (default 4, at most 64)
  --nodes M              NUMA nodes; the CPUs are split evenly across them (default 1)
  --memory SIZE          guest memory, e.g. 256M or 2G (default 1G, at most 3G); one mmap or
                         brk larger than it fails with ENOMEM; a process that touches
                         memory beyond it is OOM-killed (SIGKILL, a line says why)
  --inject SPEC          inject an event at an exact point (repeatable): ACTION@POINT with
                         ACTION preempt | migrate:CPU | signal:SIGNAL[:process] and POINT
                         SYMBOL[+OFF][#N] | 0xADDR[#N] | csJ[+OFF][#N] (J-th rseq critical
                         section) | tI+K (after K instructions of the I-th thread, t0 = main);
                         e.g. preempt@percpu_add+0x12#3, migrate:2@t1+5000, signal:USR1@cs0+4
  --chaos RATE           random preemptions, migrations and signals (only handled ones),
                         RATE per 1000 instructions of each thread, drawn from --seed
  --strace               print every system call to stderr, one line each with the thread id
  --trace FILE           write every machine event (scheduling, system calls, signals,
                         thread and process lifetimes) to FILE as JSON lines
  --stats                print instructions retired, wall time, MIPS, context switches,
                         machine time and the trace hash to stderr
  -h, --help             this text

exit status:
  the guest's exit status; 128+N if a signal N killed it (one line on stderr
  says which, where, and the instruction); 2 for bad usage or a program that
  cannot be loaded; 124 when --max-instructions ran out (one line per thread
  says where each was); 125 when every thread is blocked and no timer is
  pending (deadlock: one line per thread says what it waits on), or when the
  program needs something rseqlab does not model yet (the message says what).
  RSEQLAB_DEBUG=1 adds stack traces to internal errors.
`;

function version(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface CliOptions {
  io: CliIo;
  debug: boolean;
  loadCpu?: () => Promise<Cpu>;
}

/** Runs one command line; returns the exit status. */
export async function cli(argv: readonly string[], options: CliOptions): Promise<number> {
  const { io } = options;
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case undefined:
        io.writeStderr(HELP);
        return 2;
      case '-h':
      case '--help':
      case 'help':
        io.writeStdout(HELP);
        return 0;
      case '--version':
        io.writeStdout(`rseqlab ${version()}\n`);
        return 0;
      case 'fuzz':
        return await fuzzCommand(rest, io, options.loadCpu ?? loadCpu);
      case 'replay':
        return await replayCommand(rest, io, options.loadCpu ?? loadCpu);
      case 'explore':
        return await exploreCommand(rest, io, options.loadCpu ?? loadCpu);
      case 'run': {
        const args = parseRunArguments(rest);
        if (args.help) {
          io.writeStdout(RUN_HELP);
          return 0;
        }
        return await runCommand(args, io, options.loadCpu ?? loadCpu);
      }
      default:
        throw new UsageError(`unknown command '${command}' (try rseqlab --help)`);
    }
  } catch (e) {
    if (e instanceof CliError || e instanceof ElfError) {
      io.writeStderr(`rseqlab: ${e.message}\n`);
      if (options.debug && e.stack) io.writeStderr(e.stack + '\n');
      return e instanceof CliError ? e.exitCode : 2;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.writeStderr(`rseqlab: internal error: ${message}${options.debug ? '' : ' (run with RSEQLAB_DEBUG=1 for the stack trace)'}\n`);
    if (options.debug && e instanceof Error && e.stack) io.writeStderr(e.stack + '\n');
    return 70;
  }
}
