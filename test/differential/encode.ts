// Encodes one instruction of an opcode-table row from explicit choices
// (manual Vol. 2, chapter 2: prefixes, REX, opcode, ModRM, SIB,
// displacement, immediate). Used by the differential generator and by the
// randomized decoder tests.

import type { OpcodeRow } from '../../emulator/table/index.js';

/** A memory operand in ModRM/SIB terms. Registers are 0..15; -1 for none. */
export interface MemOperand {
  /** rip-relative ([rip + disp32]); base and index are ignored. */
  rip?: boolean;
  base: number;
  index: number;
  /** log2 of the scale. */
  scale: number;
  disp: number;
  /** Displacement width: 0, 1 or 4 bytes (0 becomes 1 when the base needs it). */
  dispSize: 0 | 1 | 4;
}

export interface InsnChoice {
  /** Operand size in bits for 'v' and 'd64' rows (16, 32, 64); decides 66 and REX.W. */
  opsize: number;
  /** ModRM.reg including REX.R (ignored when the row fixes reg). */
  reg: number;
  /** The r/m operand: a register (including REX.B) or memory. */
  rm: { kind: 'reg'; reg: number } | { kind: 'mem'; mem: MemOperand };
  /** Opcode register for +r rows (0..15). */
  plusReg?: number;
  /** Emit a REX prefix even when no bit needs it (selects spl/bpl/sil/dil). */
  forceRex?: boolean;
  /** Extra REX.W (e.g. for 'd64' rows, or cmpxchg16b). */
  rexW?: boolean;
  /** Legacy prefixes put before the mandatory prefix (lock, rep, 67, segment, ...). */
  prefixes?: number[];
  /** Immediate bytes, little-endian (length must suit the row). */
  imm?: Uint8Array;
  /** VEX rows: the register VEX.vvvv names (0..15). */
  vvvv?: number;
  /** VEX rows: use the 2-byte C5 form when the fields allow it. */
  vex2?: boolean;
}

export interface Encoded {
  bytes: Uint8Array;
  /** Offset of the disp32 of a rip-relative operand, to patch once the address is known. */
  ripDispOffset?: number;
  /** Whether a REX prefix was emitted. */
  rex: boolean;
  /** REX (or VEX) W R X B bits as in a REX byte's low nibble. */
  rexBits: number;
  /** Offset of the ModRM byte, when there is one. */
  modrmOffset?: number;
}

/** Bytes of the immediate a row takes at an operand size (bits). */
export function immSize(row: OpcodeRow, opsize: number, addr32 = false): number {
  switch (row.imm) {
    case undefined: return 0;
    case 'Ib': case 'Jb': return 1;
    case 'Iw': return 2;
    case 'Iz': return opsize === 16 ? 2 : 4;
    case 'Iv': return opsize / 8;
    case 'Jz': return 4;
    case 'Ob': return addr32 ? 4 : 8;
    case 'IwIb': return 3;
  }
}

const OPSIZE_RULES = new Set(['v', 'd64']);

export function encodeInsn(row: OpcodeRow, c: InsnChoice): Encoded {
  const out: number[] = [...(c.prefixes ?? [])];
  let w = !!c.rexW;
  if (row.vex) {
    if (c.opsize === 64 && row.size === 'v') w = true;
  } else if (OPSIZE_RULES.has(row.size)) {
    if (c.opsize === 16) out.push(0x66);
    if (c.opsize === 64 && row.size === 'v') w = true;
  }
  if (!row.vex) {
    if (row.prefix === '66') out.push(0x66);
    else if (row.prefix === 'f2') out.push(0xf2);
    else if (row.prefix === 'f3') out.push(0xf3);
  }

  let rexR = 0, rexX = 0, rexB = 0;
  let modrm = -1, sib = -1;
  let disp: number[] = [];
  let ripDisp = false;
  let low = row.op;
  if (row.plusR) {
    const r = c.plusReg ?? 0;
    low = row.op | (r & 7);
    rexB = r >> 3;
  }
  if (row.modrm) {
    const regField = row.reg ?? c.reg;
    rexR = (regField >> 3) & 1;
    if (row.rm !== undefined) {
      modrm = 0xc0 | ((regField & 7) << 3) | row.rm;
    } else if (c.rm.kind === 'reg') {
      rexB = (c.rm.reg >> 3) & 1;
      modrm = 0xc0 | ((regField & 7) << 3) | (c.rm.reg & 7);
    } else {
      const m = c.rm.mem;
      if (m.rip) {
        modrm = ((regField & 7) << 3) | 5;
        disp = le(m.disp, 4);
        ripDisp = true;
      } else if (m.base < 0) {
        // SIB with no base: [index*scale + disp32] (mod 00, base 101).
        const index = m.index < 0 ? 4 : m.index;
        if (m.index >= 0) rexX = index >> 3;
        modrm = ((regField & 7) << 3) | 4;
        sib = (m.scale << 6) | ((index & 7) << 3) | 5;
        disp = le(m.disp, 4);
      } else {
        let dispSize = m.dispSize;
        // [rbp]/[r13] with mod 00 means something else: they need a displacement.
        if (dispSize === 0 && (m.base & 7) === 5) dispSize = 1;
        const mod = dispSize === 0 ? 0 : dispSize === 1 ? 1 : 2;
        rexB = (m.base >> 3) & 1;
        if (m.index >= 0 || (m.base & 7) === 4) {
          const index = m.index < 0 ? 4 : m.index;
          if (m.index >= 0) rexX = index >> 3;
          modrm = (mod << 6) | ((regField & 7) << 3) | 4;
          sib = (m.scale << 6) | ((index & 7) << 3) | (m.base & 7);
        } else {
          modrm = (mod << 6) | ((regField & 7) << 3) | (m.base & 7);
        }
        disp = dispSize === 0 ? [] : le(m.disp, dispSize);
      }
    }
  }
  const rexBits = (w ? 8 : 0) | (rexR << 2) | (rexX << 1) | rexB;
  const rex = !row.vex && (rexBits !== 0 || !!c.forceRex);
  if (row.vex) {
    // VEX (Vol. 2, 2.3.5): R, X, B and vvvv inverted; L = 0; pp = the mandatory prefix.
    const pp = row.prefix === '66' ? 1 : row.prefix === 'f3' ? 2 : row.prefix === 'f2' ? 3 : 0;
    const mmmmm = row.map === '0f' ? 1 : row.map === '0f38' ? 2 : 3;
    const vvvv = (~(c.vvvv ?? 0) & 15) << 3;
    if (c.vex2 && mmmmm === 1 && !w && !rexX && !rexB) {
      out.push(0xc5, ((rexR ^ 1) << 7) | vvvv | pp);
    } else {
      out.push(0xc4, ((rexR ^ 1) << 7) | ((rexX ^ 1) << 6) | ((rexB ^ 1) << 5) | mmmmm, (w ? 0x80 : 0) | vvvv | pp);
    }
  } else if (rex) out.push(0x40 | rexBits);
  if (row.vex) { /* the map is in the VEX prefix */ } else if (row.map === '0f') out.push(0x0f);
  else if (row.map === '0f38') out.push(0x0f, 0x38);
  else if (row.map === '0f3a') out.push(0x0f, 0x3a);
  out.push(low);
  const modrmOffset = modrm >= 0 ? out.length : undefined;
  if (modrm >= 0) out.push(modrm);
  if (sib >= 0) out.push(sib);
  const ripDispOffset = ripDisp ? out.length : undefined;
  out.push(...disp);
  if (c.imm) out.push(...c.imm);
  return { bytes: Uint8Array.from(out), ripDispOffset, rex, rexBits, modrmOffset };
}

/** Little-endian bytes of the low `n` bytes of v. */
export function le(v: number | bigint, n: number): number[] {
  let x = BigInt.asUintN(n * 8, BigInt(v));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(Number(x & 0xffn));
    x >>= 8n;
  }
  return out;
}

/** Patches a rip-relative disp32 so the operand addresses `target` when the code starts at `codeAddr`. */
export function fixRipDisp(bytes: Uint8Array, enc: Encoded, insnAddr: number, target: number): void {
  if (enc.ripDispOffset === undefined) return;
  const next = insnAddr + enc.bytes.length;
  bytes.set(le(target - next, 4), enc.ripDispOffset);
}
