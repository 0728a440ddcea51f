// Loads the CPU. The emulator exports `createCpu()` from emulator/index.ts;
// until it is built, the CLI says so instead of failing obscurely.

import type { Cpu } from '../emulator/api.js';
import { CpuUnavailableError } from './errors.js';

interface EmulatorModule {
  createCpu(): Promise<Cpu>;
}

export async function loadCpu(): Promise<Cpu> {
  let mod: EmulatorModule;
  try {
    // A string expression, so the type checker does not require the module to exist yet.
    mod = (await import('../emulator/index.js' as string)) as EmulatorModule;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'ERR_MODULE_NOT_FOUND' && /emulator[\\/]index/.test(err.message ?? '')) {
      throw new CpuUnavailableError("the CPU is not available: emulator/index.ts (createCpu) does not exist yet; build it with 'npm run build:wasm'");
    }
    if (err.code === 'RSEQLAB_NO_CPU') throw new CpuUnavailableError(err.message ?? 'the CPU is not available');
    throw e;
  }
  if (typeof mod.createCpu !== 'function') throw new CpuUnavailableError('emulator/index.ts does not export createCpu()');
  return mod.createCpu();
}
