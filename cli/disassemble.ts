// Disassembly for messages, by capstone (@alexaltea/capstone-js, an
// emscripten build loaded on first use). The kernel model never decodes
// instructions; only people-facing code does.

import { createRequire } from 'node:module';
import { firstInstruction, type CapstoneModule, type Disassembled } from '../web/first-instruction.js';

export type { Disassembled };

let loading: Promise<CapstoneModule> | undefined;

function capstone(): Promise<CapstoneModule> {
  if (!loading) {
    const require = createRequire(import.meta.url);
    const factory = require('@alexaltea/capstone-js') as () => Promise<CapstoneModule>;
    loading = factory();
  }
  return loading;
}

/** The first instruction in bytes, or undefined when the bytes do not decode. */
export async function disassembleOne(bytes: Uint8Array, address: number): Promise<Disassembled | undefined> {
  if (bytes.length === 0) return undefined;
  try {
    return firstInstruction(await capstone(), bytes, address);
  } catch {
    return undefined;
  }
}
