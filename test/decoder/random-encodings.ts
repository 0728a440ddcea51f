// Random valid encodings of an opcode-table row: every operand size the
// row allows, register and memory forms (all ModRM/SIB shapes, rip-relative,
// 32-bit addressing, fs/gs and ignored segment overrides), REX bits, LOCK
// where permitted, rep prefixes on string rows, random immediates.

import type { OpcodeRow } from '../../emulator/table/index.js';
import { encodeInsn, immSize, type InsnChoice, type MemOperand } from '../differential/encode.js';
import { TableContext, testKind } from '../differential/generate.js';
import { Rng } from '../differential/rng.js';

function randomMem(rng: Rng): { mem: MemOperand; prefixes: number[] } {
  const prefixes: number[] = [];
  if (rng.chance(0.1)) prefixes.push(0x67);
  if (rng.chance(0.15)) prefixes.push(rng.pick([0x64, 0x65, 0x2e, 0x3e, 0x26, 0x36]));
  const dispSize = rng.pick([0, 1, 4] as const);
  const disp = dispSize === 0 ? 0 : dispSize === 1 ? rng.range(-128, 127) : rng.u32() | 0;
  switch (rng.int(6)) {
    case 0: return { mem: { rip: true, base: -1, index: -1, scale: 0, disp: rng.u32() | 0, dispSize: 4 }, prefixes };
    case 1: return { mem: { base: -1, index: rng.chance(0.5) ? -1 : rng.pick([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]), scale: rng.int(4), disp: rng.u32() | 0, dispSize: 4 }, prefixes };
    case 2: case 3:
      return { mem: { base: rng.int(16), index: rng.pick([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]), scale: rng.int(4), disp, dispSize }, prefixes };
    default:
      return { mem: { base: rng.int(16), index: -1, scale: 0, disp, dispSize }, prefixes };
  }
}

export function randomEncoding(ctx: TableContext, row: OpcodeRow, rng: Rng): Uint8Array {
  const opsize = rng.pick(ctx.opsizes(row));
  const choice: InsnChoice = {
    opsize,
    reg: rng.int(16),
    rm: { kind: 'reg', reg: rng.int(16) },
    forceRex: rng.chance(0.2),
    prefixes: [],
  };
  if (row.plusR) choice.plusReg = rng.int(16);
  if (row.vex) {
    choice.vvvv = rng.int(16);
    choice.vex2 = rng.chance(0.5);
  }
  const useMem = row.modrm && row.rm === undefined && (row.mod === 'mem' || (row.mod !== 'reg' && rng.chance(0.5)));
  if (useMem) {
    const m = randomMem(rng);
    choice.rm = { kind: 'mem', mem: m.mem };
    choice.prefixes!.push(...m.prefixes);
    if (row.lock && rng.chance(0.3)) choice.prefixes!.unshift(0xf0);
  }
  if (testKind(row) === 'string') {
    const compares = /^(cmps|scas)/.test(row.mnemonic);
    const rep = rng.pick(compares ? [0, 0xf3, 0xf2] : [0, 0xf3]);
    if (rep) choice.prefixes!.push(rep);
    if (rng.chance(0.1)) choice.prefixes!.push(0x67);
  }
  if ((row.handler === 'Loop' || row.handler === 'Jrcxz') && rng.chance(0.3)) choice.prefixes!.push(0x67);
  if (row.handler === 'Xlat') {
    // xlat's implicit [rbx + al] takes 67 and segment overrides; REX.W changes nothing.
    if (rng.chance(0.3)) choice.prefixes!.push(0x67);
    if (rng.chance(0.3)) choice.prefixes!.push(rng.pick([0x64, 0x65, 0x2e, 0x3e, 0x26, 0x36]));
    if (rng.chance(0.2)) choice.rexW = true;
  }
  if (row.imm) {
    const addr32 = row.imm === 'Ob' && rng.chance(0.2);
    if (addr32) choice.prefixes!.push(0x67);
    choice.imm = rng.bytes(immSize(row, opsize, addr32));
  }
  return encodeInsn(row, choice).bytes;
}
