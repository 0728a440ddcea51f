// The part of @alexaltea/keystone-js (no types of its own) the sandbox uses.
declare module '@alexaltea/keystone-js' {
  export interface KeystoneAssembly {
    /** Machine code: empty when failed. */
    mc: Uint8Array;
    /** Statements assembled. */
    count: number;
    failed: boolean;
  }
  export interface KeystoneEncoder {
    option(option: number, value: number): void;
    /** Assembles at address (so relative jumps and rip-relative operands are right). */
    asm(assembly: string, address?: number): KeystoneAssembly;
    errno(): number;
    close(): void;
  }
  export interface KeystoneModule {
    ARCH_X86: number;
    MODE_64: number;
    OPT_SYNTAX: number;
    OPT_SYNTAX_INTEL: number;
    strerror(code: number): string;
    Keystone: new (arch: number, mode: number) => KeystoneEncoder;
  }
  /** The emscripten module factory; locateFile says where keystone.wasm is. */
  export default function keystone(options?: { locateFile?: (file: string, scriptDirectory: string) => string }): Promise<KeystoneModule>;
}
