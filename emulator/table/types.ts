// The shape of a row of the opcode table (emulator/table/*.ts).
//
// The table is the single source of truth for decoding: scripts/gen-decoder.ts
// turns it into the decoder's lookup arrays and the handler dispatch
// (emulator/assembly/generated/), and the differential tests generate their
// cases from it, masking the flags a row declares undefined.

/** Opcode map: one-byte, 0F, 0F 38, 0F 3A (manual Vol. 2, 2.1.2). */
export type OpcodeMap = '' | '0f' | '0f38' | '0f3a';

/**
 * Immediate kinds, in the manual's operand notation (Vol. 2, Appendix A.2):
 * Ib byte; Iw word; Iz word or dword (sign-extended to 64 bits for 64-bit
 * operands); Iv word, dword or qword (mov r64, imm64); Jb/Jz relative
 * branch offsets; Ob a moffs of address size; IwIb for enter.
 */
export type Imm = 'Ib' | 'Iw' | 'Iz' | 'Iv' | 'Jb' | 'Jz' | 'Ob' | 'IwIb';

/**
 * Operand size rule: b byte; w word; d dword; q qword; v word/dword/qword
 * from 66 and REX.W; d64 like v but 64 by default (push, pop: Vol. 2,
 * 2.2.1.7); f64 always 64 (near branches); x a 128-bit xmm operation.
 */
export type SizeRule = 'b' | 'w' | 'd' | 'q' | 'v' | 'd64' | 'f64' | 'x';

/** Mandatory prefix of an SSE row; 'none' means no 66, F2 or F3 at all. */
export type MandatoryPrefix = 'none' | '66' | 'f2' | 'f3';

/** How the differential tests treat a row (default 'alu': registers, flags, one memory operand). */
export type TestKind =
  | 'alu' //      plain computation: compare registers, flags and memory
  | 'stack' //    touches rsp-relative memory (push/pop/call/ret/leave/enter)
  | 'string' //   uses rsi/rdi/rcx (movs, stos, ...)
  | 'div' //      can raise #DE: operands chosen so it does not
  | 'branch' //   changes rip: compared through where execution continues
  | 'sse' //      reads/writes xmm registers
  | 'x87' //      x87 stack
  | 'mmx' //      reads/writes mm registers (the x87 registers): compared through an x87 state dump
  | 'none'; //    not comparable with the host (syscall, cpuid, rdtsc, hlt, faults)

export interface OpcodeRow {
  /** Lower-case mnemonic as disassemblers print it (for messages and tests). */
  mnemonic: string;
  map: OpcodeMap;
  op: number;
  /** ModRM.reg value selecting this row (/digit). */
  reg?: number;
  /** ModRM.rm value selecting this row (with mod = 3), e.g. 0F 01 D0. */
  rm?: number;
  /** Row applies only to a memory or a register ModRM operand. */
  mod?: 'mem' | 'reg';
  prefix?: MandatoryPrefix;
  /** VEX-encoded (C4/C5); `prefix` is then VEX.pp and REX.W is VEX.W (Vol. 2, 2.3). */
  vex?: boolean;
  /** The instruction has a ModRM byte. */
  modrm: boolean;
  imm?: Imm;
  size: SizeRule;
  /** Which register operands are byte registers (AH..BH coding); default from size 'b'. */
  byteRegs?: 'reg' | 'rm' | 'both' | 'none';
  /**
   * Which ModRM fields name an mm register. There are eight (Vol. 1,
   * 9.2.1) and REX.R / REX.B do not extend them, so the decoder keeps three
   * bits of those fields.
   */
  mmRegs?: 'reg' | 'rm' | 'both';
  /** The opcode's low three bits name a register (+r forms, Vol. 2, 3.1.1.1). */
  plusR?: boolean;
  /** AssemblyScript handler, named after the manual's operand notation (Blink style). */
  handler: string;
  /** A constant passed to the handler (ALU operation, condition code, ...). */
  arg?: number;
  /** LOCK is permitted (with a memory destination). */
  lock?: boolean;
  /** The instruction may change rip or stop the CPU: it ends a decoded block. */
  ends?: boolean;
  /** Flags the manual leaves undefined after this instruction (masked in tests). */
  undefinedFlags?: string;
  /** Flags the instruction writes (documentation and tests). */
  writesFlags?: string;
  test?: TestKind;
}
