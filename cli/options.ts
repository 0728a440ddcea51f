// The option syntax fuzz, explore and replay share: leading `--name`,
// `--name=value` or `-h` up to the program, and the options whose values
// they read the same way (vCPUs, kernel profiles, event kinds).

import type { EventKind } from '../fuzz/generate.js';
import { isKernelProfileName, KERNEL_PROFILE_NAMES, type KernelProfileName } from '../kernel-model/kernel-profile.js';
import { parseCount } from './args.js';
import { UsageError } from './errors.js';

export const EVENT_KINDS: readonly EventKind[] = ['preempt', 'migrate', 'signal'];

/**
 * Calls `option(name, value)` for each leading option (`value()` reads its
 * value: after `=`, or the next argument) and returns the index of the
 * first argument that is not one (the program).
 */
export function scanOptions(argv: readonly string[], option: (name: string, value: () => string) => void): number {
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') && a !== '-h') break;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    option(name, () => {
      if (eq > 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new UsageError(`${name} needs a value`);
      return argv[++i];
    });
  }
  return i;
}

/** --cpus: 1 to 64. */
export function parseCpus(name: string, text: string): number {
  const cpus = parseCount(name, text);
  if (cpus > 64) throw new UsageError(`--cpus ${cpus}: at most 64`);
  return cpus;
}

/** One kernel profile name. */
export function parseKernel(name: string): KernelProfileName | 'current' {
  if (!isKernelProfileName(name)) throw new UsageError(`--kernel ${name}: unknown kernel profile; choose one of ${KERNEL_PROFILE_NAMES.join(', ')}`);
  return name;
}

/** --events preempt,migrate,signal. */
export function parseEventKinds(text: string): EventKind[] {
  const list = text.split(',').map((x) => x.trim()).filter(Boolean);
  for (const k of list) if (!EVENT_KINDS.includes(k as EventKind)) throw new UsageError(`--events: unknown event kind '${k}' (preempt, migrate, signal)`);
  if (list.length === 0) throw new UsageError('--events: name at least one kind');
  return list as EventKind[];
}
