// The instruction decoder: legacy prefixes, REX, the opcode maps, ModRM,
// SIB, displacements and immediates (manual Vol. 2, chapter 2), driven by
// the lookup arrays generated from the opcode table.

import { fetchByte } from './mem';
import { ALLOC_FAILED } from './frames';
import { writeInsn, F_MEM, F_REP, F_REPNE, F_LOCK, F_ADDR32, F_REX, F_OPSIZE, F_REXB, X_RIP_RELATIVE, NO_REG, SEG_NONE, SEG_FS, SEG_GS } from './insn';
import {
  ROW_INFO, ROW_HANDLER, ROW_ARG, OP_FIRST, OP_COUNT,
  RI_MODRM, RI_IMM_SHIFT, RI_SIZE_SHIFT, RI_BREGS_SHIFT, RI_PREFIX_SHIFT, RI_REG_SHIFT, RI_RM_SHIFT, RI_MOD_SHIFT,
  RI_LOCK, RI_ENDS, RI_PLUSR, RI_MMREGS_SHIFT, SPEC_FIRST, SPEC_IDS,
} from './generated/table';

export const DECODE_OK: u32 = 0;
/** The bytes could not be fetched (not mapped executable); FETCH_FAULT_ADDR says where. */
export const DECODE_FETCH_FAULT: u32 = 1;
/** Not an instruction we implement; the record's handler is 0 (invalid). */
export const DECODE_INVALID: u32 = 2;
/** An encoding of an extension cpuid does not advertise: #UD, with its length known. */
export const DECODE_NOT_ADVERTISED: u32 = 3;

export let FETCH_FAULT_ADDR: u64 = 0;
/** The byte at FETCH_FAULT_ADDR could not be fetched because its page could not get a frame. */
export let FETCH_FAULT_OOM: bool = false;
/** Whether the last decoded instruction ends a block (branch, syscall, ...). */
export let DECODED_ENDS: bool = false;
export let DECODED_LEN: u32 = 0;

const IMM_NONE: u32 = 0;
const IMM_IB: u32 = 1;
const IMM_IW: u32 = 2;
const IMM_IZ: u32 = 3;
const IMM_IV: u32 = 4;
const IMM_JB: u32 = 5;
const IMM_JZ: u32 = 6;
const IMM_OB: u32 = 7;
const IMM_IWIB: u32 = 8;

const SIZE_B: u32 = 0;
const SIZE_W: u32 = 1;
const SIZE_D: u32 = 2;
const SIZE_Q: u32 = 3;
const SIZE_V: u32 = 4;
const SIZE_D64: u32 = 5;
const SIZE_F64: u32 = 6;
const SIZE_X: u32 = 7;

const PFX_ANY: u32 = 0;
const PFX_NONE: u32 = 1;
const PFX_66: u32 = 2;
const PFX_F2: u32 = 3;
const PFX_F3: u32 = 4;

const MOD_ANY: u32 = 0;
const MOD_MEM: u32 = 1;
const MOD_REG: u32 = 2;

const MAX_INSN_LEN: u32 = 15;

let pos: u64 = 0;
let start: u64 = 0;
let fetchFailed: bool = false;
let tooLong: bool = false;

@inline function next(): u32 {
  if (pos - start >= MAX_INSN_LEN) { tooLong = true; return 0x100; }
  const b = fetchByte(pos);
  if (b < 0) {
    if (!fetchFailed) { fetchFailed = true; FETCH_FAULT_ADDR = pos; FETCH_FAULT_OOM = ALLOC_FAILED; }
    return 0x100;
  }
  pos++;
  return <u32>b;
}

function nextN(n: u32): u64 {
  let v: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const b = next();
    if (b > 0xff) return 0;
    v |= (<u64>b) << (<u64>i << 3);
  }
  return v;
}

/** Byte-register code for register r: AH..BH (16..19) without REX, else the low byte. */
@inline function byteReg(r: u32, rex: bool): u32 {
  return (!rex && r >= 4 && r < 8) ? (r - 4) | 16 : r;
}

@inline function sext(v: u64, bytes: u32): u64 {
  const shift = 64 - (<u64>bytes << 3);
  return <u64>((<i64>(v << shift)) >> shift);
}

/**
 * Decodes the instruction at ip into the record at d. On DECODE_INVALID the
 * record holds handler 0 and the instruction's length is unknown (1).
 */
export function decodeAt(ip: u64, d: usize): u32 {
  pos = ip;
  start = ip;
  fetchFailed = false;
  tooLong = false;
  DECODED_ENDS = false;

  let flags: u32 = 0;
  let seg: u32 = SEG_NONE;
  let rex: u32 = 0;
  let lastRep: u32 = 0; // 0xf2 or 0xf3: the last one counts for mandatory-prefix selection
  let b: u32 = 0;
  // Legacy prefixes, then REX, which must come last (Vol. 2, 2.2.1).
  while (true) {
    b = next();
    if (b > 0xff) return failure(d);
    if (b == 0x66) { flags |= F_OPSIZE; rex = 0; continue; }
    if (b == 0x67) { flags |= F_ADDR32; rex = 0; continue; }
    if (b == 0xf0) { flags |= F_LOCK; rex = 0; continue; }
    if (b == 0xf2) { lastRep = 0xf2; rex = 0; continue; }
    if (b == 0xf3) { lastRep = 0xf3; rex = 0; continue; }
    if (b == 0x64) { seg = SEG_FS; rex = 0; continue; }
    if (b == 0x65) { seg = SEG_GS; rex = 0; continue; }
    // es, cs, ss, ds overrides are ignored in 64-bit mode (Vol. 1, 3.3.7.1).
    if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e) { rex = 0; continue; }
    if ((b & 0xf0) == 0x40) { rex = b; continue; }
    break;
  }
  if (lastRep == 0xf3) flags |= F_REP;
  if (lastRep == 0xf2) flags |= F_REPNE;

  let map: u32 = 0;
  let vvvv: u32 = 0;
  if (b == 0xc4 || b == 0xc5) {
    // VEX (Vol. 2, 2.3): always VEX in 64-bit mode; 66/F2/F3/REX before it are #UD.
    if (rex != 0 || lastRep != 0 || (flags & F_OPSIZE) != 0) return failure(d);
    const b1 = next();
    if (b1 > 0xff) return failure(d);
    let b2: u32 = b1;
    let mmmmm: u32 = 1;
    let vexRex: u32 = 0x40 | ((~b1 >> 5) & 4); // R
    if (b == 0xc4) {
      mmmmm = b1 & 0x1f;
      vexRex |= ((~b1 >> 5) & 3); // X, B
      b2 = next();
      if (b2 > 0xff) return failure(d);
      if ((b2 & 0x80) != 0) vexRex |= 8; // W
    }
    if ((b2 & 4) != 0) return failure(d); // VEX.L = 1: no 256-bit forms here
    vvvv = (~b2 >> 3) & 15;
    const pp = b2 & 3;
    if (pp == 1) flags |= F_OPSIZE;
    else if (pp == 2) { lastRep = 0xf3; flags |= F_REP; }
    else if (pp == 3) { lastRep = 0xf2; flags |= F_REPNE; }
    if (mmmmm < 1 || mmmmm > 3) return failure(d);
    rex = vexRex;
    map = 3 + mmmmm; // 4: VEX 0F, 5: VEX 0F38, 6: VEX 0F3A
    b = next();
    if (b > 0xff) return failure(d);
  } else if (b == 0x0f) {
    b = next();
    if (b > 0xff) return failure(d);
    map = 1;
    if (b == 0x38 || b == 0x3a) {
      map = b == 0x38 ? 2 : 3;
      b = next();
      if (b > 0xff) return failure(d);
    }
  }
  if (rex != 0) flags |= F_REX;
  if ((rex & 1) != 0) flags |= F_REXB;
  const rexW = (rex & 8) != 0;
  const rexR: u32 = (rex & 4) << 1;
  const rexX: u32 = (rex & 2) << 2;
  const rexB: u32 = (rex & 1) << 3;
  const opcode = b;
  const key = (map << 8) | opcode;
  const first = <u32>unchecked(OP_FIRST[key]);
  const count = <u32>unchecked(OP_COUNT[key]);
  if (count == 0) return failure(d);

  const hasModrm = (unchecked(ROW_INFO[first]) & RI_MODRM) != 0;
  let modrm: u32 = 0;
  if (hasModrm) {
    modrm = next();
    if (modrm > 0xff) return failure(d);
  }
  const mod = modrm >> 6;
  const modrmReg = (modrm >> 3) & 7;
  const modrmRm = modrm & 7;
  // The mandatory prefix of SSE rows: F2/F3 (the last one) win over 66.
  const pfx: u32 = lastRep == 0xf3 ? PFX_F3 : lastRep == 0xf2 ? PFX_F2 : (flags & F_OPSIZE) != 0 ? PFX_66 : PFX_NONE;

  let row: u32 = 0xffff;
  for (let i = first; i < first + count; i++) {
    const info = unchecked(ROW_INFO[i]);
    const p = (info >> RI_PREFIX_SHIFT) & 7;
    if (p != PFX_ANY && p != pfx) continue;
    const r = (info >> RI_REG_SHIFT) & 15;
    if (r != 15 && r != modrmReg) continue;
    const m = (info >> RI_MOD_SHIFT) & 3;
    if (m == MOD_MEM && mod == 3) continue;
    if (m == MOD_REG && mod != 3) continue;
    const rmMatch = (info >> RI_RM_SHIFT) & 15;
    if (rmMatch != 15 && (mod != 3 || rmMatch != modrmRm)) continue;
    row = i;
    break;
  }
  if (row == 0xffff) return failure(d);
  const info = unchecked(ROW_INFO[row]);
  const rowPrefix = (info >> RI_PREFIX_SHIFT) & 7;
  // A 66 that selected an SSE row is not an operand-size prefix.
  const opsize66 = (flags & F_OPSIZE) != 0 && rowPrefix != PFX_66;

  let size: u32;
  switch ((info >> RI_SIZE_SHIFT) & 7) {
    case SIZE_B: size = 1; break;
    case SIZE_W: size = 2; break;
    case SIZE_D: size = 4; break;
    case SIZE_Q: size = 8; break;
    case SIZE_V: size = rexW ? 8 : opsize66 ? 2 : 4; break;
    case SIZE_D64: size = (!rexW && opsize66) ? 2 : 8; break;
    case SIZE_F64: size = 8; break;
    default: size = 16; break;
  }
  const bregs = (info >> RI_BREGS_SHIFT) & 3;
  const hasRex = rex != 0;

  let reg: u32 = modrmReg | rexR;
  let rm: u32 = 0;
  let base: u32 = NO_REG;
  let index: u32 = NO_REG;
  let scale: u32 = 0;
  let disp: u64 = 0;
  let ripRelative = false;

  if ((info & RI_PLUSR) != 0) {
    rm = (opcode & 7) | rexB;
    if ((bregs & 2) != 0) rm = byteReg(rm, hasRex);
  } else if (hasModrm) {
    if ((bregs & 1) != 0) reg = byteReg(reg, hasRex);
    if (mod == 3) {
      rm = modrmRm | rexB;
      if ((bregs & 2) != 0) rm = byteReg(rm, hasRex);
    } else {
      flags |= F_MEM;
      if (modrmRm == 4) {
        const sib = next();
        if (sib > 0xff) return failure(d);
        scale = sib >> 6;
        const idx = ((sib >> 3) & 7) | rexX;
        if (idx != 4) index = idx; // rsp cannot be an index; r12 can (Vol. 2, Table 2-3)
        const sibBase = sib & 7;
        if (sibBase == 5 && mod == 0) {
          disp = sext(nextN(4), 4);
        } else {
          base = sibBase | rexB;
        }
      } else if (modrmRm == 5 && mod == 0) {
        ripRelative = true;
        disp = sext(nextN(4), 4);
      } else {
        base = modrmRm | rexB;
      }
      if (mod == 1) disp = sext(nextN(1), 1);
      else if (mod == 2) disp = sext(nextN(4), 4);
    }
  } else if ((bregs & 1) != 0) {
    reg = byteReg(reg, hasRex);
  }
  // mm registers: REX.R and REX.B do not extend them (see emulator/table/mmx.ts).
  const mmRegs = (info >> RI_MMREGS_SHIFT) & 3;
  if (mmRegs != 0) {
    if ((mmRegs & 1) != 0) reg &= 7;
    if ((mmRegs & 2) != 0 && mod == 3) rm &= 7;
  }
  // xlat (D7) reads [rbx + al]: recorded as a memory operand based on rbx
  // (the index al is implicit; the handler adds it) so the record carries
  // its address size and segment like any other memory operand.
  if (key == 0xd7) {
    flags |= F_MEM;
    base = 3;
  }

  let imm: u64 = 0;
  switch ((info >> RI_IMM_SHIFT) & 15) {
    case IMM_NONE: break;
    case IMM_IB: imm = sext(nextN(1), 1); break;
    case IMM_IW: imm = nextN(2); break;
    case IMM_IZ: imm = size == 2 ? nextN(2) : sext(nextN(4), 4); break;
    case IMM_IV: imm = size == 8 ? nextN(8) : size == 4 ? nextN(4) : nextN(2); break;
    case IMM_JB: imm = sext(nextN(1), 1); break;
    case IMM_JZ: imm = sext(nextN(4), 4); break;
    case IMM_OB: imm = (flags & F_ADDR32) != 0 ? nextN(4) : nextN(8); break;
    case IMM_IWIB: { const w = nextN(2); imm = w | (nextN(1) << 16); break; }
  }
  if (fetchFailed) return DECODE_FETCH_FAULT;
  if (tooLong) return failure(d);
  const len = <u32>(pos - start);
  const nextIp = start + len;
  const immKind = (info >> RI_IMM_SHIFT) & 15;
  if (immKind == IMM_JB || immKind == IMM_JZ) imm = nextIp + imm;
  if (ripRelative) disp = nextIp + disp;

  // LOCK is #UD unless the row allows it and the destination is memory (Vol. 2, LOCK).
  if ((flags & F_LOCK) != 0 && ((info & RI_LOCK) == 0 || (flags & F_MEM) == 0)) return failure(d);

  // A specialised variant of the row's handler for this operand size and kind, if the generator made one.
  let handler = <u32>unchecked(ROW_HANDLER[row]);
  const spec = <u32>unchecked(SPEC_FIRST[row]);
  if (spec != 0xffff && size <= 8) handler = <u32>unchecked(SPEC_IDS[spec + (ctz(size) << 1) + (flags & F_MEM)]);
  writeInsn(d, handler, len, size, reg, rm, flags, base, index, scale,
    <u32>unchecked(ROW_ARG[row]), seg, row, disp, imm, ripRelative ? X_RIP_RELATIVE : 0, vvvv);
  DECODED_ENDS = (info & RI_ENDS) != 0;
  DECODED_LEN = len;
  return DECODE_OK;
}

function failure(d: usize): u32 {
  if (fetchFailed) return DECODE_FETCH_FAULT;
  // An encoding of an extension cpuid does not advertise still has a known
  // length (for disassembly and tools); executing it is #UD either way.
  const len = tooLong ? 0 : extensionLength(start);
  writeInsn(d, 0, len > 0 ? len : 1, 0, 0, 0, 0, NO_REG, NO_REG, 0, 0, 0, 0xffff, 0, 0, 0, 0);
  DECODED_ENDS = true;
  DECODED_LEN = len > 0 ? len : 1;
  return len > 0 ? DECODE_NOT_ADVERTISED : DECODE_INVALID;
}

// ---- lengths of extensions we do not implement ---------------------------------

let xPos: u64 = 0;
let xOk: bool = true;

function xNext(): u32 {
  const b = fetchByte(xPos);
  if (b < 0) { xOk = false; return 0; }
  xPos++;
  return <u32>b;
}

/** Skips a ModRM operand (SIB, displacement) and returns the ModRM byte. */
function xModrm(): u32 {
  const modrm = xNext();
  const mod = modrm >> 6;
  const rm = modrm & 7;
  if (mod != 3) {
    let base: u32 = rm;
    if (rm == 4) base = xNext() & 7;
    if (mod == 1) xPos += 1;
    else if (mod == 2 || (mod == 0 && (rm == 5 || (rm == 4 && base == 5)))) xPos += 4;
  }
  return modrm;
}

/** 0F-map opcodes without a ModRM byte (Vol. 2, Table A-3). */
function twoByteHasModrm(op: u32): bool {
  if (op >= 0x05 && op <= 0x0b && op != 0x0a) return false;
  if (op == 0x0e || op == 0x77) return false;
  if (op >= 0x30 && op <= 0x37) return false;
  if (op >= 0x80 && op <= 0x8f) return false;
  if (op == 0xa0 || op == 0xa1 || op == 0xa2 || op == 0xa8 || op == 0xa9 || op == 0xaa) return false;
  if (op >= 0xc8 && op <= 0xcf) return false;
  return true;
}

/** 0F-map (and VEX 0F-map) opcodes with an imm8. */
function twoByteHasImm8(op: u32): bool {
  return (op >= 0x70 && op <= 0x73) || op == 0xa4 || op == 0xac || op == 0xba || op == 0xc2 || op == 0xc4 || op == 0xc5 || op == 0xc6;
}

/**
 * Length of an instruction from an extension this CPU does not implement
 * (the MMX forms of SSSE3, AVX/AVX2/AVX-512 via VEX and EVEX, TSX, XSAVE, CET), or 0
 * when the bytes are not such an encoding.
 */
function extensionLength(ip: u64): u32 {
  xPos = ip;
  xOk = true;
  let opsize = false;
  let b: u32 = 0;
  for (let i = 0; i < 15; i++) {
    b = xNext();
    if (b == 0x66) { opsize = true; continue; }
    if (b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65) continue;
    if ((b & 0xf0) == 0x40) continue;
    break;
  }
  let imm: u32 = 0;
  if (b == 0xc4 || b == 0xc5 || b == 0x62) {
    let map: u32 = 1;
    if (b == 0xc5) xNext();
    else if (b == 0xc4) { map = xNext() & 0x1f; xNext(); }
    else { map = xNext() & 7; xNext(); xNext(); }
    const op = xNext();
    if (map == 1 && op == 0x77 && b != 0x62) return xOk ? <u32>(xPos - ip) : 0; // vzeroupper / vzeroall
    xModrm();
    if (map == 3 || (map == 1 && twoByteHasImm8(op))) imm = 1;
  } else if (b == 0x0f) {
    const b2 = xNext();
    if (b2 == 0x38) { xNext(); xModrm(); }
    else if (b2 == 0x3a) { xNext(); xModrm(); imm = 1; }
    else {
      if (twoByteHasModrm(b2)) xModrm();
      if (twoByteHasImm8(b2)) imm = 1;
      if (b2 >= 0x80 && b2 <= 0x8f) imm = 4;
    }
  } else if (b == 0xc6 || b == 0xc7) {
    // xabort imm8 (C6 F8), xbegin rel16/32 (C7 F8): RTM.
    if (xNext() != 0xf8) return 0;
    imm = b == 0xc6 ? 1 : opsize ? 2 : 4;
  } else {
    return 0;
  }
  const len = <u32>(xPos - ip) + imm;
  if (!xOk || len > MAX_INSN_LEN) return 0;
  return len;
}
