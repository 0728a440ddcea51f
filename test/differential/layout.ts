// What a differential case is, and the guest address space both sides
// (runner.c on the host, harness.ts in the emulator) give it.

/** Fixed guest mappings; runner.c uses the same numbers. */
export const LAYOUT = {
  CODE: 0x2000_0000,
  CODE_SIZE: 0x1000,
  DATA: 0x1000_0000,
  DATA_SIZE: 0x1000,
  STACK: 0x3000_0000,
  STACK_SIZE: 0x4000,
  /** Initial rsp of stack and branch cases: the middle of the stack. */
  STACK_TOP: 0x3000_2000,
} as const;

/** RFLAGS bits the tests set and compare (Vol. 1, 3.4.3). */
export const FLAG_BITS: Record<string, bigint> = {
  CF: 0x1n,
  PF: 0x4n,
  AF: 0x10n,
  ZF: 0x40n,
  SF: 0x80n,
  DF: 0x400n,
  OF: 0x800n,
};
export const COMPARED_FLAGS = 0xcd5n;

/** Bits of a space-separated flag list like 'CF PF AF ZF SF OF'. */
export function flagMask(names: string | undefined): bigint {
  let m = 0n;
  for (const n of (names ?? '').split(/\s+/)) {
    if (!n) continue;
    const bit = FLAG_BITS[n];
    if (bit === undefined) throw new Error(`unknown flag name '${n}' in an opcode-table row`);
    m |= bit;
  }
  return m;
}

export interface Patch {
  addr: number;
  bytes: Uint8Array;
}

/** One instruction sequence with its initial state. */
export interface DiffCase {
  /** Index of the row under test in OPCODE_TABLE. */
  row: number;
  /** Which encoding form: 'reg', 'mem', 'mem-sib', 'rip', 'taken-path', ... */
  form: string;
  /** The whole sequence, placed at LAYOUT.CODE. */
  code: Uint8Array;
  /** Offset and length of the instruction under test inside `code`. */
  insnOffset: number;
  insnLength: number;
  /** rax..r15, as u64. */
  gpr: bigint[];
  /** Only CF PF AF ZF SF OF DF are used. */
  rflags: bigint;
  /** xmm0..xmm15, 256 bytes. */
  xmm: Uint8Array;
  mxcsr: number;
  /** The DATA region is filled by xorshift32 from this seed (0: zeros). */
  dataSeed: number;
  /** Bytes written over DATA or STACK (STACK starts zero). */
  patches: Patch[];
  /** Flags this case leaves undefined beyond the row's own (with the manual's reason). */
  extraUndefined?: { flags: string; why: string };
  /** What the generator meant to exercise (shown in mismatch reports). */
  note?: string;
  /** The explicit memory operand: where and how many bytes. */
  access?: { addr: number; size: number };
  /** Bytes whose final value is model-specific (not compared), with the reason. */
  ignoreMemory?: { addr: number; size: number; why: string }[];
}

/** The state after a case, from either side. */
export interface MachineState {
  /** Undefined when the sequence ran to its end. */
  fault?: { signal: number; code: number; address: bigint };
  rip: bigint;
  gpr: bigint[];
  rflags: bigint;
  mxcsr: number;
  xmm: Uint8Array;
  /** Bytes of DATA and STACK that differ from the initial image, by address. */
  writes: Map<number, number>;
}

/** The initial DATA image: xorshift32 words from the seed (runner.c fill_data). */
export function dataImage(seed: number): Uint8Array {
  const out = new Uint8Array(LAYOUT.DATA_SIZE);
  if (seed === 0) return out;
  const dv = new DataView(out.buffer);
  let x = seed >>> 0;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    dv.setUint32(i, x, true);
  }
  return out;
}

/** The initial DATA and STACK images of a case, patches applied. */
export function initialImages(c: DiffCase): { data: Uint8Array; stack: Uint8Array } {
  const data = dataImage(c.dataSeed);
  const stack = new Uint8Array(LAYOUT.STACK_SIZE);
  for (const p of c.patches) {
    if (p.addr >= LAYOUT.DATA && p.addr + p.bytes.length <= LAYOUT.DATA + LAYOUT.DATA_SIZE) {
      data.set(p.bytes, p.addr - LAYOUT.DATA);
    } else if (p.addr >= LAYOUT.STACK && p.addr + p.bytes.length <= LAYOUT.STACK + LAYOUT.STACK_SIZE) {
      stack.set(p.bytes, p.addr - LAYOUT.STACK);
    } else {
      throw new Error(`patch at 0x${p.addr.toString(16)} is outside DATA and STACK`);
    }
  }
  return { data, stack };
}
