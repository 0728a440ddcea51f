// Disassembly for messages, by capstone (@alexaltea/capstone-js, an
// emscripten build loaded on first use). The kernel model never decodes
// instructions; only people-facing code does.

import { createRequire } from 'node:module';

interface CapstoneInstruction {
  mnemonic: string;
  op_str: string;
  size: number;
}
interface CapstoneDecoder {
  disasm(bytes: number[], address: number, max?: number): CapstoneInstruction[];
  close(): void;
}
interface CapstoneModule {
  ARCH_X86: number;
  MODE_64: number;
  Capstone: new (arch: number, mode: number) => CapstoneDecoder;
}

let loading: Promise<CapstoneModule> | undefined;

function capstone(): Promise<CapstoneModule> {
  if (!loading) {
    const require = createRequire(import.meta.url);
    const factory = require('@alexaltea/capstone-js') as () => Promise<CapstoneModule>;
    loading = factory();
  }
  return loading;
}

export interface Disassembled {
  /** "mov dword ptr [rax], 1" */
  text: string;
  /** Length of the instruction in bytes. */
  size: number;
}

/** The first instruction in bytes, or undefined when the bytes do not decode. */
export async function disassembleOne(bytes: Uint8Array, address: number): Promise<Disassembled | undefined> {
  if (bytes.length === 0) return undefined;
  try {
    const cs = await capstone();
    const d = new cs.Capstone(cs.ARCH_X86, cs.MODE_64);
    try {
      const [insn] = d.disasm([...bytes], address, 1);
      if (!insn) return undefined;
      return { text: insn.op_str ? `${insn.mnemonic} ${insn.op_str}` : insn.mnemonic, size: insn.size };
    } finally {
      d.close();
    }
  } catch {
    return undefined;
  }
}
