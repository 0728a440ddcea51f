// Disassembly for the page, by capstone (@alexaltea/capstone-js, an
// emscripten build: its JS is in the bundle, its wasm is fetched from
// build/web/capstone/ on first use). cli/disassemble.ts is the Node twin.

import capstoneFactory from '@alexaltea/capstone-js';
import type { Decode } from './code-view.js';
import { firstInstruction, instructions, type CapstoneModule, type Disassembled } from './first-instruction.js';

export type { Disassembled };

let loading: Promise<CapstoneModule> | undefined;

/** The first instruction in bytes at address, or undefined when they do not decode. */
export async function disassembleOne(bytes: Uint8Array, address: number, wasmDir: URL): Promise<Disassembled | undefined> {
  if (bytes.length === 0) return undefined;
  return firstInstruction(await load(wasmDir), bytes, address);
}

/** Up to max instructions from address, each with its address. */
export async function disassembleMany(bytes: Uint8Array, address: number, max: number, wasmDir: URL): Promise<(Disassembled & { address: number })[]> {
  return instructions(await load(wasmDir), bytes, address, max);
}

function load(wasmDir: URL): Promise<CapstoneModule> {
  loading ??= capstoneFactory({ locateFile: (file: string) => new URL(file, wasmDir).href }) as unknown as Promise<CapstoneModule>;
  return loading;
}

/** A synchronous decoder for the code view (web/code-view.ts), once capstone is loaded. */
export async function loadDecoder(wasmDir: URL): Promise<Decode> {
  const cs = await load(wasmDir);
  return (bytes, address, max) => instructions(cs, bytes, address, max);
}
