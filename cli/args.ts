// Parsing of `rseqlab run [options] <program> [args...]`. Options come
// before the program; everything after it belongs to the guest.

import { isKernelProfileName, KERNEL_PROFILE_NAMES, type KernelProfileName } from '../kernel-model/kernel-profile.js';
import { UsageError } from './errors.js';

export const DEFAULT_MAX_INSTRUCTIONS = 20e9;
export const DEFAULT_SEED = 1;
/** A small fixed environment, so runs do not depend on the host's. */
export const DEFAULT_ENV: readonly string[] = ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/home/user', 'LANG=C'];

export interface RunArguments {
  program: string;
  /** argv[1..] for the guest. */
  args: string[];
  maxInstructions: number;
  seed: number;
  kernel: KernelProfileName;
  stats: boolean;
  env: string[];
  /** Guest path -> host path, for the virtual file system. */
  files: [guest: string, host: string][];
  help: boolean;
}

export function parseRunArguments(argv: readonly string[]): RunArguments {
  const out: RunArguments = {
    program: '',
    args: [],
    maxInstructions: DEFAULT_MAX_INSTRUCTIONS,
    seed: DEFAULT_SEED,
    kernel: 'current',
    stats: false,
    env: [...DEFAULT_ENV],
    files: [],
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
      case '--file': {
        const spec = value(name, inline);
        const k = spec.indexOf('=');
        if (k <= 0 || k === spec.length - 1) throw new UsageError(`--file ${spec}: expected GUEST_PATH=HOST_PATH`);
        out.files.push([spec.slice(0, k), spec.slice(k + 1)]);
        break;
      }
      default:
        throw new UsageError(`unknown option ${name} (options go before the program; see rseqlab run --help)`);
    }
  }
  if (i >= argv.length) throw new UsageError('no program given: rseqlab run [options] <program> [args...]');
  out.program = argv[i];
  out.args = argv.slice(i + 1);
  return out;
}

/** A positive integer (or zero for seeds); accepts 20e9 and 1_000_000. */
function parseCount(name: string, text: string, allowZero = false): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isFinite(n) || !Number.isInteger(n) || n < (allowZero ? 0 : 1) || n > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(`${name} ${text}: expected ${allowZero ? 'a non-negative' : 'a positive'} integer (e.g. 1000000 or 1e9)`);
  }
  return n;
}
