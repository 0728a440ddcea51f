// The part of @alexaltea/capstone-js (no types of its own) the page uses.
declare module '@alexaltea/capstone-js' {
  export interface CapstoneInstruction {
    mnemonic: string;
    op_str: string;
    size: number;
  }
  export interface CapstoneDecoder {
    disasm(bytes: number[], address: number, max?: number): CapstoneInstruction[];
    close(): void;
  }
  export interface CapstoneModule {
    ARCH_X86: number;
    MODE_64: number;
    Capstone: new (arch: number, mode: number) => CapstoneDecoder;
  }
  /** The emscripten module factory; locateFile says where capstone.wasm is. */
  export default function capstone(options?: { locateFile?: (file: string, scriptDirectory: string) => string }): Promise<CapstoneModule>;
}
