// CPU state shared by every instruction family: the active register file,
// the instruction pointer, the stop protocol and the fault report.
//
// A register file (a "context") lives in wasm memory so the TypeScript side
// can view it without copies. Its layout is fixed here and mirrored in
// emulator/context-layout.ts; change both together.

export const CTX_GPR: usize = 0; //         16 x u64
export const CTX_RIP: usize = 128; //       u64
export const CTX_RFLAGS: usize = 136; //    u64, architectural (lazy flags folded in on exit)
export const CTX_FS_BASE: usize = 144; //   u64
export const CTX_GS_BASE: usize = 152; //   u64
export const CTX_RETIRED: usize = 160; //   u64
export const CTX_MXCSR: usize = 168; //     u32
export const CTX_FPU_CW: usize = 172; //    u16 x87 control word
export const CTX_FPU_SW: usize = 174; //    u16 x87 status word (TOP in bits 11..13)
export const CTX_FPU_TAG: usize = 176; //   u16 abridged tag: bit i set = st physical i valid
export const CTX_XMM: usize = 256; //       16 x 16 bytes
export const CTX_ST: usize = 512; //        8 x 16 bytes, x87 registers (see ops/x87.ts)
export const CTX_SCRATCH: usize = 640; //   64 bytes of per-context scratch for handlers
export const CTX_SIZE: usize = 1024;

/** Why run() stopped; the values are StopReason in emulator/api.ts. */
export const STOP_NONE: u32 = 0xff;
export const STOP_BUDGET: u32 = 0;
export const STOP_SYSCALL: u32 = 1;
export const STOP_PAGE_FAULT: u32 = 2;
export const STOP_INVALID_OPCODE: u32 = 3;
export const STOP_BREAKPOINT: u32 = 4;
export const STOP_HLT: u32 = 5;
export const STOP_DIVIDE_ERROR: u32 = 6;
export const STOP_GENERAL_PROTECTION: u32 = 7;
export const STOP_INT3: u32 = 8;
export const STOP_UD: u32 = 9;
export const STOP_STACK_FAULT: u32 = 10;
/** A fresh page could not get a frame (frame limit, or wasm memory cannot grow); rip is the instruction. */
export const STOP_OUT_OF_MEMORY: u32 = 11;
/** #XM: an SSE instruction raised an exception MXCSR does not mask; its flags are set in MXCSR. */
export const STOP_SIMD_EXCEPTION: u32 = 12;
/** #MF: a waiting x87 instruction found an exception flag the control word does not mask. */
export const STOP_X87_EXCEPTION: u32 = 13;
/**
 * A guest store wrote a watched byte (mem.ts setWatches): the instruction
 * retired, rip is the next one. A fault of the same instruction wins.
 */
export const STOP_WRITE_WATCH: u32 = 14;
/** Internal: an instruction wrote to decoded code; the run loop re-decodes and goes on. */
export const STOP_CODE_WRITTEN: u32 = 0xfe;

/** Base address of the active register file. */
export let R: usize = 0;
/**
 * Where execution continues after the current block: the run loop sets it to
 * the block's fall-through address and branches overwrite it. Only the last
 * instruction of a block (the one that may branch: rows with `ends`) may read
 * it as "the address of the next instruction" (call, syscall).
 */
export let RIP: u64 = 0;
/** Set by a handler to stop the run loop after this instruction. */
export let STOP: u32 = STOP_NONE;
/** Whether the instruction that set STOP retired (syscall, int3) or not (faults). */
export let STOP_RETIRES: bool = false;

export function setActive(ctx: usize): void { R = ctx; }
@inline export function setNextIp(next: u64): void { RIP = next; }
@inline export function jumpTo(target: u64): void { RIP = target; }

/** Stops after the current instruction retires (syscall, int3). */
export function stopRetired(reason: u32): void {
  STOP = reason;
  STOP_RETIRES = true;
}

/** Stops with the current instruction not retired: rip stays on it (faults). */
export function stopFault(reason: u32): void {
  if (STOP == STOP_NONE || STOP_RETIRES) {
    STOP = reason;
    STOP_RETIRES = false;
  }
}

export function setStop(reason: u32): void { STOP = reason; }

export function clearStop(): void {
  STOP = STOP_NONE;
  STOP_RETIRES = false;
}

// ---- general-purpose registers -------------------------------------------

@inline export function getReg64(r: u32): u64 {
  return load<u64>(R + (<usize>r << 3));
}

@inline export function setReg64(r: u32, v: u64): void {
  store<u64>(R + (<usize>r << 3), v);
}

/**
 * Byte registers use the decoder's code: 0..15 name the low byte of a GPR,
 * 16..19 name AH, CH, DH, BH (only reachable without a REX prefix, manual
 * Vol. 1, 3.4.1.1).
 */
@inline export function getReg8(code: u32): u64 {
  if (code < 16) return <u64>load<u8>(R + (<usize>code << 3));
  return <u64>load<u8>(R + (<usize>(code & 3) << 3) + 1);
}

@inline export function setReg8(code: u32, v: u64): void {
  if (code < 16) store<u8>(R + (<usize>code << 3), <u8>v);
  else store<u8>(R + (<usize>(code & 3) << 3) + 1, <u8>v);
}

/** Reads a register operand of `size` bytes (1, 2, 4, 8); byte operands use the byte code. */
@inline export function getRegSized(r: u32, size: u32): u64 {
  if (size == 8) return getReg64(r);
  if (size == 4) return <u64>load<u32>(R + (<usize>r << 3));
  if (size == 2) return <u64>load<u16>(R + (<usize>r << 3));
  return getReg8(r);
}

/**
 * Writes a register operand: 32-bit writes zero the upper half, 8- and
 * 16-bit writes leave the rest alone (manual Vol. 1, 3.4.1.1).
 */
@inline export function setRegSized(r: u32, size: u32, v: u64): void {
  if (size == 8) setReg64(r, v);
  else if (size == 4) setReg64(r, v & 0xffffffff);
  else if (size == 2) store<u16>(R + (<usize>r << 3), <u16>v);
  else setReg8(r, v);
}

@inline export function sizeMask(size: u32): u64 {
  return size == 8 ? 0xffffffffffffffff : ((<u64>1 << (<u64>size << 3)) - 1);
}

@inline export function signBit(size: u32): u64 {
  return <u64>1 << ((<u64>size << 3) - 1);
}

/** Sign-extends the low `size` bytes of v to 64 bits. */
@inline export function signExtend(v: u64, size: u32): u64 {
  const shift = 64 - (<u64>size << 3);
  return <u64>((<i64>(v << shift)) >> shift);
}

@inline export function fsBase(): u64 { return load<u64>(R + CTX_FS_BASE); }
@inline export function gsBase(): u64 { return load<u64>(R + CTX_GS_BASE); }
