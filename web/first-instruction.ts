// The first instruction of some bytes as people read it, by a loaded
// capstone module (@alexaltea/capstone-js). The page (web/disassemble.ts)
// and the CLI (cli/disassemble.ts) load capstone each their own way (a
// fetched wasm, a Node require) and share this. Browser-safe.

export interface Disassembled {
  /** "mov dword ptr [rax], 1" */
  text: string;
  /** Length of the instruction in bytes. */
  size: number;
}

/** The part of capstone's module this uses. */
export interface CapstoneModule {
  ARCH_X86: number;
  MODE_64: number;
  Capstone: new (arch: number, mode: number) => {
    disasm(bytes: number[], address: number, max?: number): { mnemonic: string; op_str: string; size: number }[];
    close(): void;
  };
}

/** The first x86-64 instruction in bytes at address, or undefined when they do not decode. */
export function firstInstruction(cs: CapstoneModule, bytes: Uint8Array, address: number): Disassembled | undefined {
  return instructions(cs, bytes, address, 1)[0];
}

/** Up to max x86-64 instructions from address (fewer when the bytes stop decoding), each with its address. */
export function instructions(cs: CapstoneModule, bytes: Uint8Array, address: number, max: number): (Disassembled & { address: number })[] {
  if (bytes.length === 0) return [];
  const d = new cs.Capstone(cs.ARCH_X86, cs.MODE_64);
  try {
    const out: (Disassembled & { address: number })[] = [];
    let at = address;
    for (const insn of d.disasm([...bytes], address, max)) {
      out.push({ address: at, text: insn.op_str ? `${insn.mnemonic} ${insn.op_str}` : insn.mnemonic, size: insn.size });
      at += insn.size;
    }
    return out;
  } finally {
    d.close();
  }
}
