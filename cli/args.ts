// Parsing of `rseqlab run [options] <program> [args...]`. Options come
// before the program; everything after it belongs to the guest.

import { isKernelProfileName, KERNEL_PROFILE_NAMES, type KernelProfileName } from '../kernel-model/kernel-profile.js';
import { UsageError } from './errors.js';

export const DEFAULT_MAX_INSTRUCTIONS = 20e9;
export const DEFAULT_SEED = 1;
export const DEFAULT_CPUS = 4;
export const MAX_CPUS = 64;
export const DEFAULT_MEMORY_BYTES = 1 << 30;
/** A small fixed environment, so runs do not depend on the host's. */
export const DEFAULT_ENV: readonly string[] = ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/home/user', 'LANG=C'];

/** Guest directories the machine provides itself (devices, tmpfs, /proc, /sys): --file and --dir may not point inside them. */
const GENERATED_DIRS = ['dev', 'proc', 'sys', 'tmp'];

export interface RunArguments {
  program: string;
  /** argv[1..] for the guest. */
  args: string[];
  maxInstructions: number;
  seed: number;
  kernel: KernelProfileName | 'current';
  /** --debug-rseq: the checker's findings kill, as on a CONFIG_DEBUG_RSEQ kernel. */
  debugRseq: boolean;
  stats: boolean;
  env: string[];
  /** Guest path -> host path, for the virtual file system. */
  files: [guest: string, host: string][];
  /** Guest memory in bytes (--memory). */
  memoryBytes: number;
  /** Virtual CPUs and NUMA nodes. */
  cpus: number;
  nodes: number;
  /** Write every machine event as JSON lines to this host file. */
  trace: string | undefined;
  /** Print system calls as strace does, one line each, to stderr. */
  strace: boolean;
  /** --inject specs, resolved once the program is loaded (cli/inject.ts). */
  inject: string[];
  /** --chaos: random injected events per 1000 instructions of each thread. */
  chaos: number | undefined;
  /** Guest path -> host directory, shown read-only in the guest (--dir). */
  dirs: [guest: string, host: string][];
  help: boolean;
}

export function parseRunArguments(argv: readonly string[]): RunArguments {
  const out: RunArguments = {
    program: '',
    args: [],
    maxInstructions: DEFAULT_MAX_INSTRUCTIONS,
    seed: DEFAULT_SEED,
    kernel: 'current',
    debugRseq: false,
    stats: false,
    env: [...DEFAULT_ENV],
    files: [],
    dirs: [],
    memoryBytes: DEFAULT_MEMORY_BYTES,
    cpus: DEFAULT_CPUS,
    nodes: 1,
    trace: undefined,
    strace: false,
    inject: [],
    chaos: undefined,
    help: false,
  };
  let i = 0;
  const value = (name: string, inline: string | undefined): string => {
    if (inline !== undefined) return inline;
    i++;
    if (i >= argv.length) throw new UsageError(`option ${name} needs a value (see rseqlab run --help)`);
    return argv[i];
  };
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    switch (name) {
      case '-h':
      case '--help':
        out.help = true;
        return out;
      case '--max-instructions':
        out.maxInstructions = parseCount(name, value(name, inline));
        break;
      case '--seed':
        out.seed = parseCount(name, value(name, inline), true);
        break;
      case '--kernel': {
        const k = value(name, inline);
        if (!isKernelProfileName(k)) throw new UsageError(`--kernel ${k}: unknown kernel profile; choose one of ${KERNEL_PROFILE_NAMES.join(', ')}`);
        out.kernel = k;
        break;
      }
      case '--cpus':
        out.cpus = parseCount(name, value(name, inline));
        if (out.cpus > MAX_CPUS) throw new UsageError(`--cpus ${out.cpus}: at most ${MAX_CPUS} virtual CPUs`);
        break;
      case '--memory':
        out.memoryBytes = parseSize(name, value(name, inline));
        break;
      case '--nodes':
        out.nodes = parseCount(name, value(name, inline));
        break;
      case '--trace':
        out.trace = value(name, inline);
        break;
      case '--chaos': {
        const text = value(name, inline);
        const rate = Number(text);
        if (!Number.isFinite(rate) || rate < 0.001 || rate > 1000) throw new UsageError(`--chaos ${text}: expected events per 1000 instructions, from 0.001 to 1000 (e.g. 0.5)`);
        out.chaos = rate;
        break;
      }
      case '--inject':
        out.inject.push(value(name, inline));
        break;
      case '--strace':
        if (inline !== undefined) throw new UsageError('--strace takes no value');
        out.strace = true;
        break;
      case '--debug-rseq':
        if (inline !== undefined) throw new UsageError('--debug-rseq takes no value');
        out.debugRseq = true;
        break;
      case '--stats':
        if (inline !== undefined) throw new UsageError('--stats takes no value');
        out.stats = true;
        break;
      case '--env': {
        const kv = value(name, inline);
        const k = kv.indexOf('=');
        if (k <= 0) throw new UsageError(`--env ${kv}: expected NAME=VALUE`);
        const key = kv.slice(0, k + 1);
        out.env = out.env.filter((e) => !e.startsWith(key));
        out.env.push(kv);
        break;
      }
      case '--file':
      case '--dir': {
        const spec = value(name, inline);
        const k = spec.indexOf('=');
        if (k <= 0 || k === spec.length - 1) throw new UsageError(`${name} ${spec}: expected GUEST_PATH=HOST_PATH`);
        const guest = spec.slice(0, k);
        const top = guest.split('/').filter(Boolean)[0];
        if (top !== undefined && GENERATED_DIRS.includes(top)) {
          throw new UsageError(`${name} ${spec}: /${top} is generated by rseqlab; choose a guest path outside ${GENERATED_DIRS.map((d) => `/${d}`).join(', ')}`);
        }
        (name === '--file' ? out.files : out.dirs).push([guest, spec.slice(k + 1)]);
        break;
      }
      default:
        throw new UsageError(`unknown option ${name} (options go before the program; see rseqlab run --help)`);
    }
  }
  if (out.nodes > out.cpus) throw new UsageError(`--nodes ${out.nodes}: more nodes than CPUs (--cpus ${out.cpus})`);
  if (i >= argv.length) throw new UsageError('no program given: rseqlab run [options] <program> [args...]');
  out.program = argv[i];
  out.args = argv.slice(i + 1);
  return out;
}

/** A memory size: bytes, or with K, M or G (powers of 1024); at least 1 MiB, at most 3 GiB (what wasm memory can hold). */
export function parseSize(name: string, text: string): number {
  const m = /^(\d+)([KMG]?)i?B?$/i.exec(text.trim());
  const unit = m ? ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[m[2].toUpperCase()] : 0;
  const n = m ? Number(m[1]) * unit : NaN;
  if (!Number.isFinite(n) || n < 1024 ** 2 || n > 3 * 1024 ** 3) throw new UsageError(`${name} ${text}: expected a size from 1M to 3G (e.g. 256M, 1G)`);
  return n;
}

/** A positive integer (or zero for seeds); accepts 20e9 and 1_000_000. */
export function parseCount(name: string, text: string, allowZero = false): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isFinite(n) || !Number.isInteger(n) || n < (allowZero ? 0 : 1) || n > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(`${name} ${text}: expected ${allowZero ? 'a non-negative' : 'a positive'} integer (e.g. 1000000 or 1e9)`);
  }
  return n;
}
