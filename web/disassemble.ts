// Disassembly for the page, by capstone (@alexaltea/capstone-js, an
// emscripten build: its JS is in the bundle, its wasm is fetched from
// build/web/capstone/ on first use). cli/disassemble.ts is the Node twin.

import capstoneFactory, { type CapstoneModule } from '@alexaltea/capstone-js';

export interface Disassembled {
  /** "mov dword ptr [rax], 1" */
  text: string;
  size: number;
}

let loading: Promise<CapstoneModule> | undefined;

/** The first instruction in bytes at address, or undefined when they do not decode. */
export async function disassembleOne(bytes: Uint8Array, address: number, wasmDir: URL): Promise<Disassembled | undefined> {
  if (bytes.length === 0) return undefined;
  loading ??= capstoneFactory({ locateFile: (file: string) => new URL(file, wasmDir).href });
  const cs = await loading;
  const d = new cs.Capstone(cs.ARCH_X86, cs.MODE_64);
  try {
    const [insn] = d.disasm([...bytes], address, 1);
    if (!insn) return undefined;
    return { text: insn.op_str ? `${insn.mnemonic} ${insn.op_str}` : insn.mnemonic, size: insn.size };
  } finally {
    d.close();
  }
}
