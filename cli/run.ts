// `rseqlab run`: load a program, run it on the emulated CPU, pass its
// output through, and exit with its status.

import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Cpu } from '../emulator/api.js';
import { ElfError, Machine, parseElf } from '../kernel-model/index.js';
import type { HostEntry, HostLink, HostStat, HostTree } from '../kernel-model/rootfs.js';
import type { RunArguments } from './args.js';
import { InputError, UsageError } from './errors.js';
import { describeEnding, describeFindings, exitStatus } from './report.js';
import { straceLine, TraceFile } from './strace.js';
import { parseInjection } from './inject.js';
import { describeInjection } from '../kernel-model/injection.js';

function openTrace(path: string): TraceFile {
  try {
    return new TraceFile(path);
  } catch (e) {
    throw new InputError(`cannot write the trace file ${path}: ${(e as Error).message}`);
  }
}

export interface CliIo {
  writeStdout(data: Uint8Array | string): void;
  writeStderr(data: Uint8Array | string): void;
  /** The bytes the guest reads from fd 0. */
  readStdin(): Promise<Uint8Array>;
  /** Host wall-clock milliseconds, for --stats only. */
  now(): number;
  /** stderr is a terminal: long commands draw a live progress line there. */
  stderrIsTerminal?: boolean;
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

/**
 * A host directory shown read-only in the guest (--dir). Paths come from
 * the guest's path walk, relative to the tree and free of "." and "..";
 * symlinks are reported, never followed on the host, so nothing outside
 * the directory is read: absolute links into the tree show as guest paths,
 * other links as their text. Files are read when the guest opens them.
 */
export class HostDirectory implements HostTree {
  private readonly roots: string[];

  constructor(private readonly root: string) {
    this.roots = [root];
    try {
      const real = realpathSync(root);
      if (real !== root) this.roots.push(real);
    } catch {
      // checked by the caller
    }
  }

  private full(path: string): string | undefined {
    if (path === '') return this.root;
    const parts = path.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
    return join(this.root, ...parts);
  }

  stat(path: string): HostStat | undefined {
    const full = this.full(path);
    if (full === undefined) return undefined;
    try {
      const st = lstatSync(full);
      const type = st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
      return { type, size: st.size, mode: st.mode & 0o7777 };
    } catch {
      return undefined;
    }
  }

  list(path: string): HostEntry[] {
    const full = this.full(path);
    if (full === undefined) return [];
    try {
      return readdirSync(full, { withFileTypes: true })
        .map((d) => ({ name: d.name, type: d.isDirectory() ? 'directory' : d.isSymbolicLink() ? 'symlink' : d.isFile() ? 'file' : 'other' }) as HostEntry)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch {
      return [];
    }
  }

  read(path: string): Uint8Array {
    const full = this.full(path);
    if (full === undefined) return new Uint8Array(0);
    try {
      return readFileSync(full);
    } catch {
      return new Uint8Array(0);
    }
  }

  readlink(path: string): HostLink {
    const full = this.full(path);
    if (full === undefined) return { text: '' };
    let text: string;
    try {
      text = readlinkSync(full);
    } catch {
      return { text: '' };
    }
    if (isAbsolute(text)) {
      for (const root of this.roots) {
        const rel = relative(root, text);
        if (rel === '') return { inTree: '' };
        if (!rel.startsWith('..') && !isAbsolute(rel)) return { inTree: rel.split(sep).join('/') };
      }
    }
    return { text };
  }
}

/** Checks a --dir host path before the run. */
function hostDirectory(guest: string, host: string): HostDirectory {
  let isDir = false;
  try {
    isDir = statSync(host).isDirectory();
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new InputError(`cannot read directory for ${guest} ${host}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  if (!isDir) throw new InputError(`cannot read directory for ${guest} ${host}: not a directory (use --file for a file)`);
  return new HostDirectory(resolve(host));
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
  const trees = args.dirs.map(([guest, host]) => ({ guest, tree: hostDirectory(guest, host) }));

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
    debugRseq: args.debugRseq,
    cpus: args.cpus,
    nodes: args.nodes,
    memoryBytes: args.memoryBytes,
    trees,
    onStdout: (b) => io.writeStdout(b),
    onStderr: (b) => io.writeStderr(b),
    onWarning: (w) => io.writeStderr(w + '\n'),
  });
  const specs = new Map<number, string>();
  for (const spec of args.inject) {
    try {
      specs.set(machine.inject(parseInjection(spec, machine)), spec);
    } catch (e) {
      if (e instanceof RangeError) throw new UsageError(`--inject ${spec}: ${e.message.replace(/^inject: /, '')}`);
      throw e;
    }
  }
  if (args.chaos !== undefined) machine.setChaos({ perThousand: args.chaos });
  const trace = args.trace ? openTrace(args.trace) : undefined;
  if (trace) machine.onEvent((e) => trace.write(e));
  if (args.strace) {
    machine.onEvent((e) => {
      const line = straceLine(e);
      if (line) io.writeStderr(line + '\n');
    });
  }
  const started = io.now();
  const result = machine.run({ maxInstructions: args.maxInstructions });
  const seconds = (io.now() - started) / 1000;
  trace?.close();
  for (const p of machine.pendingInjections().filter((i) => !i.chaos)) {
    io.writeStderr(`rseqlab: --inject ${specs.get(p.id)} never happened (${describeInjection(p)}${p.at.kind === 'address' ? `, reached ${p.hits} time${p.hits === 1 ? '' : 's'}; an address must be the start of an instruction` : ''})\n`);
  }
  const bytesAt = (a: number) => {
    try {
      return machine.readMemory(a, 16);
    } catch {
      return new Uint8Array(0);
    }
  };
  for (const line of await describeFindings(result.findings, (a) => machine.symbols.describe(a), bytesAt)) io.writeStderr(line + '\n');
  const ending = await describeEnding(result, args.maxInstructions);
  if (ending) io.writeStderr(ending + '\n');
  if (args.stats) {
    const mips = seconds > 0 ? result.retired / seconds / 1e6 : 0;
    io.writeStderr(`rseqlab: ${result.retired} instructions retired in ${seconds.toFixed(3)} s (${mips.toFixed(2)} MIPS)\n`);
    const switches = machine.vcpus().reduce((n, v) => n + machine.kernel.vcpus[v.id].switches, 0);
    io.writeStderr(`rseqlab: ${args.cpus} vCPUs, ${switches} context switches, machine time ${(Number(result.timeNs) / 1e6).toFixed(3)} ms, trace hash ${result.traceHash}\n`);
  }
  if (result.threads && result.kind !== 'exited' && result.kind !== 'killed') {
    for (const line of result.threads) io.writeStderr(`rseqlab:   ${line}\n`);
  }
  return exitStatus(result);
}
