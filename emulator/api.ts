// The contract between the x86-64 CPU (emulator/) and everything above it.
//
// The CPU knows nothing about Linux: it executes instructions for one
// register file at a time, translates guest addresses through the page
// table of its current address space and stops with a reason. Syscalls are
// a stop reason, not a callback.
//
// Memory is organised the way a multi-process kernel needs it: several
// address spaces (one per process; fork copies one copy-on-write), shared
// objects whose pages several mappings see (memfd, MAP_SHARED), frames
// counted and optionally limited, so running out of memory is a precise
// stop or a thrown OutOfMemoryError, never a crash of the CPU.
//
// Addresses cross this boundary as JS numbers: user-space addresses on
// x86-64 are below 2^47, well inside the 2^53 a number holds exactly.
// Register values are u64 and cross as bigint.

/** Why `Cpu.run` returned. */
export enum StopReason {
  /** The instruction budget was spent; every counted instruction retired. */
  Budget = 0,
  /** A `syscall` instruction retired; rip is the next instruction. */
  Syscall = 1,
  /** A memory access failed (unmapped or not permitted); rip is the faulting instruction, which did not retire. */
  PageFault = 2,
  /** The bytes at rip are not an instruction this CPU implements (#UD); rip is that instruction. */
  InvalidOpcode = 3,
  /** rip reached the breakpoint address before executing it. */
  Breakpoint = 4,
  /** `hlt` in user mode: #GP on real hardware; rip is the hlt. */
  Hlt = 5,
  /** #DE: division by zero or quotient overflow; rip is the div/idiv. */
  DivideError = 6,
  /** #GP for another reason (e.g. misaligned movdqa/movaps operand); rip is the instruction. */
  GeneralProtection = 7,
  /** `int3` retired (#BP); rip is the next instruction, as Linux reports it. */
  Int3 = 8,
  /** ud2 / ud1 / ud0 executed (#UD on purpose). */
  Ud = 9,
  /**
   * #SS: a non-canonical address reached through the stack segment (an
   * rsp or rbp base); rip is the instruction. Linux delivers SIGBUS.
   */
  StackFault = 10,
  /**
   * A page touched for the first time could not get a frame: the frame limit
   * (Cpu.setFrameLimit) was reached or wasm memory cannot grow. rip is the
   * instruction, which did not retire; faultAddress and faultAccess say
   * which access. The kernel model decides what Linux would do (OOM kill).
   */
  OutOfMemory = 11,
  /**
   * #XM: an SSE instruction raised a floating-point exception that MXCSR
   * does not mask. The exception flags are set in MXCSR, the destination is
   * unchanged, rip is the instruction (not retired). Linux sends SIGFPE.
   */
  SimdException = 12,
  /**
   * #MF: a waiting x87 instruction (or WAIT) found an exception flag in the
   * status word that the control word does not mask, raised by an earlier
   * instruction. rip is the waiting instruction (not executed). Linux sends
   * SIGFPE.
   */
  X87Exception = 13,
  /**
   * A guest store wrote at least one byte of a watched range
   * (Cpu.setWriteWatches). The instruction retired (its writes happened, it
   * is counted in `retired`) and the run stopped right after it: rip is the
   * next instruction (a call's target, a push's successor). watchAddress is
   * the first watched byte written, watchRip the instruction that wrote it.
   * A rep string instruction completes all its iterations first. It wins
   * over a budget spent by the same instruction (a breakpoint at the next
   * rip is reported by the next run); a fault of the same instruction after
   * the store (a rep string op in a later iteration) wins over it, and
   * that stop carries watchAddress / watchRip too.
   */
  WriteWatch = 14,
}

/** A byte range [address, address + length) for Cpu.setWriteWatches. */
export interface WriteWatchRange {
  address: number;
  /** 1..4096 bytes. */
  length: number;
}

export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

export type AccessKind = 'read' | 'write' | 'exec';

export interface StopInfo {
  reason: StopReason;
  /** Instructions retired by this call. */
  retired: number;
  /** rip at the stop (see StopReason for which instruction it names). */
  rip: bigint;
  /** PageFault / OutOfMemory: the first guest address that could not be accessed. */
  faultAddress?: number;
  /** PageFault / OutOfMemory: what the access was. */
  faultAccess?: AccessKind;
  /** OutOfMemory: which memory ran out (see MemoryExhaustion). */
  memoryExhausted?: MemoryExhaustion;
  /** InvalidOpcode / Ud: up to 15 bytes at rip (fewer if the page ends). */
  bytes?: Uint8Array;
  /**
   * WriteWatch: the first watched byte the instruction wrote (of its first
   * store that wrote one, the lowest such address). Also set, with
   * watchRip, on a fault stop (PageFault, OutOfMemory, ...) of an
   * instruction that wrote a watched byte before faulting: a rep string
   * instruction faulting in a later iteration. rip then names that
   * instruction, which did not retire but whose finished iterations stay.
   */
  watchAddress?: number;
  /** WriteWatch (and a fault after a watched store, as above): the address of the instruction that wrote. */
  watchRip?: bigint;
  /** When `run` was given passes: how many each breakpoint used (times it was reached and run through). */
  passes?: number[];
}

/** General-purpose register numbers, in the encoding order of the manual (Vol. 2, 2.1.5). */
export enum Reg {
  RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
  R8, R9, R10, R11, R12, R13, R14, R15,
}

/** One thread's register file, living in wasm memory. */
export interface CpuContext {
  /**
   * The 16 GPRs as a live view over wasm memory (index with Reg). Read the
   * property again after anything that may map memory (cpu.map, run): when
   * wasm memory grows, views taken before it are detached and ignore writes.
   */
  readonly gpr: BigUint64Array;
  rip: bigint;
  /** Architectural RFLAGS (the CPU evaluates its lazy flags when read). */
  rflags: bigint;
  fsBase: bigint;
  gsBase: bigint;
  /** xmm0..xmm15, 16 bytes each, little-endian, as a live view (same caveat as gpr). */
  readonly xmm: Uint8Array;
  mxcsr: number;
  /** Instructions retired by this context since it was created. */
  readonly retired: bigint;
  /**
   * The 512-byte image the guest's own fxsave would store for this context
   * (64-bit layout, Intel SDM Vol. 1, Table 10-2): FCW, FSW, abridged FTW,
   * MXCSR, MXCSR_MASK, ST(0)..ST(7) in stack order, XMM0..15; FOP, FIP and
   * FDP are zero (the CPU keeps no last-instruction pointers) and so are
   * bytes 416..511. What a signal frame's FPU state holds.
   */
  fxsaveImage(): Uint8Array;
  /**
   * Loads a 512-byte image as fxrstor does (sigreturn). Returns false and
   * changes nothing if MXCSR sets reserved bits, where fxrstor raises #GP.
   */
  fxrstorImage(image: Uint8Array): boolean;
}

/**
 * Which memory ran out. 'frame-limit': live guest frames reached the limit
 * the machine set (Cpu.setFrameLimit: the memory it has); 'host': wasm
 * memory could not grow (wasm32 holds at most 4 GiB, the host may allow
 * less) before that limit was reached.
 */
export type MemoryExhaustion = 'frame-limit' | 'host';

export class MemoryError extends Error {
  constructor(
    readonly address: number,
    readonly access: AccessKind,
    message?: string,
    /** True when the access failed for want of memory, not for a missing mapping (see OutOfMemoryError). */
    readonly outOfMemory = false,
  ) {
    super(message ?? `guest memory at 0x${address.toString(16)} is not mapped for ${access}`);
    this.name = 'MemoryError';
  }
}

/**
 * A kernel-side operation needed memory the CPU could not get: the frame
 * limit was reached or wasm memory cannot grow. Nothing was changed. For
 * operations on guest memory, address is where; otherwise 0. The kernel
 * model turns it into ENOMEM (or an OOM kill).
 */
export class OutOfMemoryError extends MemoryError {
  constructor(address: number, access: AccessKind, message?: string, readonly exhausted: MemoryExhaustion = 'frame-limit') {
    super(address, access, message ?? `out of memory: no frame for guest memory at 0x${address.toString(16)} (${access})`, true);
    this.name = 'OutOfMemoryError';
  }
}

/** One instruction as the decoder sees it (for tests, tools and the playground). */
export interface DecodedInstruction {
  /** 'not-advertised': an extension cpuid does not advertise (AVX, TSX, XSAVE, ...): #UD, length known. */
  status: 'ok' | 'invalid' | 'not-advertised' | 'fetch-fault';
  /** Length in bytes (1 for invalid encodings). */
  length: number;
  /** Index into OPCODE_TABLE (emulator/table), or -1 when invalid. */
  row: number;
  /** Operand size in bytes (1, 2, 4, 8, or 16 for xmm rows). */
  operandSize: number;
  /** ModRM.reg (byte-register code 16..19 = ah, ch, dh, bh for byte operands). */
  reg: number;
  /** ModRM.rm / opcode register when the operand is a register. */
  rm: number;
  memory?: {
    /** Base register or -1; for rip-relative operands -1 with `disp` the absolute address. */
    base: number;
    index: number;
    scale: 1 | 2 | 4 | 8;
    disp: bigint;
    segment: 'fs' | 'gs' | null;
    addressSize: 32 | 64;
    ripRelative: boolean;
  };
  /** The immediate (sign-extended as the instruction uses it); branch targets are absolute. */
  immediate: bigint;
  prefixes: { rep: boolean; repne: boolean; lock: boolean; opsize: boolean; rex: boolean };
  /** Address that could not be fetched, for status 'fetch-fault'. */
  faultAddress?: number;
}

export interface Cpu {
  /** A new register file: all zero, rflags 0x202, mxcsr 0x1f80, x87 control word 0x37f. */
  createContext(): CpuContext;
  /**
   * Copies the whole register file of `from` into `to` (GPRs, rip, rflags,
   * fs/gs base, x87, MXCSR, XMM): what clone() and fork() give the child.
   * `to.retired` stays its own.
   */
  copyContext(from: CpuContext, to: CpuContext): void;
  /**
   * Returns ctx's register file to the CPU for reuse by createContext (a
   * thread that exited), so thousands of threads over a run do not grow
   * memory. ctx must not be used afterwards: its properties throw.
   */
  releaseContext(ctx: CpuContext): void;

  // ---- address spaces ----
  //
  // One per process. Every map/unmap/protect/read/write/pageProt/accessible,
  // run and decode acts on the current one. The CPU starts with address
  // space 0 current, so code that never switches sees one page table.

  /** A new, empty address space (nothing mapped); returns its id. */
  createAddressSpace(): number;
  /**
   * A copy of address space `source` for fork(): private pages become
   * copy-on-write in both (the first write from either side, guest or
   * kernel-side, copies the frame if the other still has it), pages of
   * shared objects stay shared, pages never touched stay untouched. Costs
   * time proportional to the page-table entries, no frame is copied.
   */
  forkAddressSpace(source: number): number;
  /**
   * Makes address space id current (a switch to another process). Flushes
   * the TLBs when id changes; decoded code is kept per address space.
   */
  useAddressSpace(id: number): void;
  currentAddressSpace(): number;
  /**
   * Drops every mapping and page-table node of address space id (exit, or
   * exec replacing it): frames are freed when no other mapping or object
   * holds them. Throws for the current address space.
   */
  destroyAddressSpace(id: number): void;

  // ---- shared objects (memfd, MAP_SHARED) ----

  /** A new shared object of `pages` zero pages (memfd_create + ftruncate); returns its id. */
  createSharedObject(pages: number): number;
  /**
   * ftruncate. Pages beyond the new size leave the object. Mappings that
   * already touched such a page keep its frame and bytes (Linux would
   * SIGBUS them instead); mapped pages not touched yet fault (PageFault, and
   * MemoryError for kernel-side copies) while beyond the object's size, as
   * pages mapped beyond the size from the start do. Growing adds zero pages.
   */
  resizeSharedObject(id: number, pages: number): void;
  /**
   * Drops the owner's reference (the last close of a memfd). The id is
   * invalid afterwards; mappings keep working and keep the frames.
   */
  releaseSharedObject(id: number): void;
  /**
   * Maps object pages [pageOffset, pageOffset + length/4096) at addr in the
   * current address space (rounded out to pages, replacing existing
   * mappings, like map). Every mapping of a page, in any address space and
   * at any address, sees the same frame; frames are allocated in the object
   * on first touch.
   */
  mapShared(addr: number, length: number, prot: number, object: number, pageOffset: number): void;
  /** Object bytes [offset, offset + length) (read() on a memfd); throws RangeError beyond the size. */
  readShared(object: number, offset: number, length: number): Uint8Array;
  /** Writes object bytes at offset (write() on a memfd); throws RangeError beyond the size. */
  writeShared(object: number, offset: number, data: Uint8Array): void;

  // ---- memory accounting ----

  /**
   * 4 KiB frames holding guest pages (private, copy-on-write or in shared
   * objects), across all address spaces, including frames only memory
   * snapshots hold (they are real memory). Page-table nodes are not counted.
   */
  framesInUse(): number;
  /**
   * Caps the frames live guest memory holds: framesInUse less the frames
   * only snapshots hold, so a run restored from a snapshot meets the cap
   * exactly where the original run did, whatever snapshots exist (Infinity
   * lifts the cap). Past it, a guest access to a
   * fresh page stops with StopReason.OutOfMemory, and kernel-side writes,
   * writeShared and copy-on-write copies throw OutOfMemoryError, as when
   * wasm memory cannot grow.
   */
  setFrameLimit(frames: number): void;
  /**
   * The most guest memory this CPU can ever hold, in bytes: the frame limit,
   * and at most what its host memory can take (a wasm32 memory holds 4 GiB,
   * the CPU's own tables included). The kernel refuses a single mmap or brk
   * larger than this with ENOMEM, as Linux refuses one larger than its RAM.
   */
  memoryCapacity(): number;

  // ---- memory snapshots ----
  //
  // For a fuzzer forking thousands of runs from one point of a program and
  // for stepping backwards. Register files are not part of a snapshot (the
  // kernel copies them with copyContext), nor is the frame limit.

  /**
   * A frozen copy of all guest memory: every address space (mappings,
   * protections, untouched pages, copy-on-write state) and every shared
   * object (size, pages, owner and mapping references), plus which address
   * space is current; returns its handle. Costs time proportional to the
   * page-table entries: private frames are shared copy-on-write with the
   * live side (its first write copies), only the frames of shared objects
   * (written in place by every mapping) are copied into the snapshot. Throws
   * OutOfMemoryError (nothing changed) when wasm memory cannot grow; the
   * frame limit does not apply to frames a snapshot takes.
   */
  snapshotMemory(): number;
  /**
   * Makes guest memory exactly what `snapshot` holds: the same address-space
   * ids with the same mappings, protections and bytes, the same shared-object
   * ids with the same sizes and bytes, the same current address space.
   * Address spaces and objects created since are gone (their frames freed):
   * using their ids throws as for any id that does not exist, and later
   * creations hand out ids exactly as they did after the snapshot was taken.
   * The snapshot stays valid and can be restored any number of times.
   * Decoded code of every restored address space is dropped (fresh
   * decode-cache tags). Throws for an unknown or released handle.
   */
  restoreMemory(snapshot: number): void;
  /** Frees what only the snapshot holds; the handle is invalid afterwards (using it throws). */
  releaseSnapshot(snapshot: number): void;

  /** Maps zero-filled pages. addr and length are rounded out to 4 KiB pages. Replaces existing mappings. */
  map(addr: number, length: number, prot: number): void;
  unmap(addr: number, length: number): void;
  protect(addr: number, length: number, prot: number): void;
  /** The protection of the page holding addr, or -1 when unmapped. */
  pageProt(addr: number): number;
  /**
   * Kernel-side copies: they ignore protection but throw MemoryError on
   * unmapped pages (and OutOfMemoryError when a write needs a frame it
   * cannot get; guest memory is then unchanged). A write to a copy-on-write
   * page copies it first, as a guest write does. Reads never allocate.
   */
  read(addr: number, length: number): Uint8Array;
  write(addr: number, data: Uint8Array): void;
  readU32(addr: number): number;
  readU64(addr: number): bigint;
  writeU32(addr: number, value: number): void;
  writeU64(addr: number, value: bigint): void;
  /** True if every byte of [addr, addr+length) is mapped with all of `prot`'s bits. */
  accessible(addr: number, length: number, prot: number): boolean;
  /**
   * Runs ctx for at most maxInstructions instructions, or until rip reaches
   * `breakpoint` (not executed; up to 16 addresses may be given), or until
   * another stop reason. passes[i] (default 0) is how many times breakpoint
   * i is run through before the CPU stops there; StopInfo.passes says how
   * many were used.
   */
  run(ctx: CpuContext, maxInstructions: number, breakpoint?: number | readonly number[], passes?: readonly number[]): StopInfo;
  /** Decodes the instruction at addr (mapped executable) without running it. */
  decode(addr: number): DecodedInstruction;

  /**
   * Replaces the set of watched byte ranges (each length 1..4096; any
   * number, overlapping allowed; throws RangeError for a bad range and
   * OutOfMemoryError, watches unchanged, when wasm memory cannot grow). A
   * guest store writing a watched byte stops `run` with
   * StopReason.WriteWatch after its instruction retires. Watches are
   * global: by virtual address, in whichever address space is current
   * (through switches, fork, snapshots and restores, which do not save or
   * change them); a store to the same frame through another mapping is not
   * seen. Only guest stores count, whatever the instruction (mov, push,
   * call, string ops, xchg, cmpxchg even when the comparison fails, as its
   * destination is written back, SSE, x87, fxsave); kernel-side writes
   * (write, writeU32/U64, writeShared) never do. An empty list turns
   * watching off. Pages holding a watched byte take a slower store path.
   */
  setWriteWatches(ranges: readonly WriteWatchRange[]): void;
}

/**
 * The word-sized kernel-side accessors of Cpu, built on read/write, so every
 * Cpu (the wasm one, test fakes) gets them from one place.
 */
export abstract class CpuWords {
  abstract read(addr: number, length: number): Uint8Array;
  abstract write(addr: number, data: Uint8Array): void;

  /**
   * For a Cpu that executes no guest instructions (a test fake playing
   * scripted stops) there is no guest store to watch: accepted and
   * ignored. The wasm CPU overrides it.
   */
  setWriteWatches(ranges: readonly WriteWatchRange[]): void {
    checkWriteWatches(ranges);
  }

  readU32(addr: number): number {
    return new DataView(this.read(addr, 4).buffer).getUint32(0, true);
  }

  readU64(addr: number): bigint {
    return new DataView(this.read(addr, 8).buffer).getBigUint64(0, true);
  }

  writeU32(addr: number, value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    this.write(addr, b);
  }

  writeU64(addr: number, value: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    this.write(addr, b);
  }
}

/** Largest watched range (Cpu.setWriteWatches). */
export const MAX_WATCH_LENGTH = 4096;

/** Throws RangeError unless every range is a non-negative integer address with a length of 1..4096. */
export function checkWriteWatches(ranges: readonly WriteWatchRange[]): void {
  for (const r of ranges) {
    if (!Number.isSafeInteger(r.address) || r.address < 0 || !Number.isInteger(r.length) || r.length < 1 || r.length > MAX_WATCH_LENGTH) {
      throw new RangeError(`a write watch is an address >= 0 and a length of 1..${MAX_WATCH_LENGTH}, not ${JSON.stringify({ address: r.address, length: r.length })}`);
    }
  }
}

/** The ranges as sorted, disjoint, non-adjacent [start, end) pairs (overlapping and touching ranges merged). */
export function mergeWriteWatches(ranges: readonly WriteWatchRange[]): [number, number][] {
  checkWriteWatches(ranges);
  const sorted = ranges.map((r) => [r.address, r.address + r.length] as [number, number]).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}
