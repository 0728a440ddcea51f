// ==== MMX ===================================================================
// The MMX instructions on mm registers (manual Vol. 2, Appendix A, Table
// A-3, the no-prefix columns of 0F 6x/7x/Cx/Dx-Fx), the mm forms that SSE
// and SSE2 added (pavgb, pminub, pshufw, pinsrw, pextrw, pmovmskb,
// maskmovq, movntq, ..., paddq, psubq, pmuludq), the mm forms of SSSE3
// (NP 0F 38 00-0B, 1C-1E, NP 0F 3A 0F; their xmm forms are in sse4.ts), and
// the conversions between mm and xmm (0F 2A/2C/2D, F2/F3 0F D6). Not here:
// 3DNow! (0F 0F, 0F 0E).
//
// mm0-mm7 are the low 64 bits of the x87 registers R0-R7 (Vol. 1, 9.5);
// the aliasing rules live in emulator/assembly/mm.ts. There are eight mm
// registers and REX.R / REX.B do not extend them: `mmRegs` says which
// ModRM fields name one, and the decoder keeps three bits of those.
//
// Handlers: emulator/assembly/ops/mmx.ts.

import type { OpcodeRow, OpcodeMap, MandatoryPrefix, Imm } from './types.js';
import { PINT_66, PINT_OPS, pintArg } from './sse.js';
import { SSSE3_OPS, SSSE3_OPCODES } from './sse4.js';

const rows: OpcodeRow[] = [];

interface MmxRow {
  mnemonic: string;
  /** Default 0F. */
  map?: OpcodeMap;
  op: number;
  handler: string;
  prefix?: MandatoryPrefix;
  mmRegs: 'reg' | 'rm' | 'both';
  arg?: number;
  mod?: 'mem' | 'reg';
  reg?: number;
  imm?: Imm;
  /** 'v' for movd/movq with a general register or m32/m64 that REX.W picks. */
  size?: 'q' | 'v';
}

const add = (r: MmxRow) => rows.push({ map: '0f', modrm: true, size: 'q', test: 'mmx', prefix: 'none', ...r });

// ---- packed integers: mm, mm/m64 (the low 32 bits of m for punpckl*) --------------------
// arg numbers the operation as for the xmm forms (PINT_OPS, ops/sse-int.ts).
// The same operations as the 66 forms (sse.ts), without punpcklqdq/punpckhqdq
// (no mm form) and punpckl*bw/wd/dq (an m32 source, below).
const PINT_NP = PINT_66.filter(([op]) => op > 0x62 && op !== 0x6c && op !== 0x6d);
for (const [op, m] of PINT_NP) add({ mnemonic: m, op, mmRegs: 'both', handler: 'PintPqQq', arg: pintArg(m) });
// punpcklbw/wd/dq mm, mm/m32 (Vol. 2, PUNPCKLBW...: a memory source is 32 bits).
const PUNPCKL_NP: [number, (typeof PINT_OPS)[number]][] = [[0x60, 'punpcklbw'], [0x61, 'punpcklwd'], [0x62, 'punpckldq']];
for (const [op, m] of PUNPCKL_NP) add({ mnemonic: m, op, mmRegs: 'both', handler: 'PintPqQd', arg: pintArg(m) });

// Shift groups 12-14 (0F 71-73), mm, imm8 (Vol. 2, Table A-6: no /3 /7 on mm).
const SHIFT_GROUPS_NP: [number, number, (typeof PINT_OPS)[number]][] = [
  [0x71, 2, 'psrlw'], [0x71, 4, 'psraw'], [0x71, 6, 'psllw'],
  [0x72, 2, 'psrld'], [0x72, 4, 'psrad'], [0x72, 6, 'pslld'],
  [0x73, 2, 'psrlq'], [0x73, 6, 'psllq'],
];
for (const [op, reg, m] of SHIFT_GROUPS_NP) {
  add({ mnemonic: m, op, reg, mod: 'reg', imm: 'Ib', mmRegs: 'rm', handler: 'PshiftNqIb', arg: pintArg(m) });
}

// ---- moves ---------------------------------------------------------------------------------
add({ mnemonic: 'movd', op: 0x6e, size: 'v', mmRegs: 'reg', handler: 'MovdPqEy' });
add({ mnemonic: 'movq', op: 0x6f, mmRegs: 'both', handler: 'MovqPqQq' });
add({ mnemonic: 'movd', op: 0x7e, size: 'v', mmRegs: 'reg', handler: 'MovdEyPq' });
add({ mnemonic: 'movq', op: 0x7f, mmRegs: 'both', handler: 'MovqQqPq' });
add({ mnemonic: 'movntq', op: 0xe7, mod: 'mem', mmRegs: 'reg', handler: 'MovqQqPq' });
add({ mnemonic: 'maskmovq', op: 0xf7, mod: 'reg', mmRegs: 'both', handler: 'MaskmovqPqNq' });
add({ mnemonic: 'movq2dq', op: 0xd6, prefix: 'f3', mod: 'reg', mmRegs: 'rm', handler: 'Movq2dqVdqNq' });
add({ mnemonic: 'movdq2q', op: 0xd6, prefix: 'f2', mod: 'reg', mmRegs: 'reg', handler: 'Movdq2qPqUq' });

// ---- shuffles, words, masks ----------------------------------------------------------------
add({ mnemonic: 'pshufw', op: 0x70, imm: 'Ib', mmRegs: 'both', handler: 'PshufwPqQqIb' });
add({ mnemonic: 'pinsrw', op: 0xc4, imm: 'Ib', mmRegs: 'reg', handler: 'PinsrwPqEwIb' });
add({ mnemonic: 'pextrw', op: 0xc5, mod: 'reg', imm: 'Ib', mmRegs: 'rm', handler: 'PextrwGdNqIb' });
add({ mnemonic: 'pmovmskb', op: 0xd7, mod: 'reg', mmRegs: 'rm', handler: 'PmovmskbGdNq' });

// ---- conversions between mm and xmm (arg 1 = truncate, cvtt*) -------------------------------
add({ mnemonic: 'cvtpi2ps', op: 0x2a, mmRegs: 'rm', handler: 'Cvtpi2psVpsQq' });
add({ mnemonic: 'cvtpi2pd', op: 0x2a, prefix: '66', mmRegs: 'rm', handler: 'Cvtpi2pdVpdQq' });
add({ mnemonic: 'cvttps2pi', op: 0x2c, mmRegs: 'reg', handler: 'Cvtps2piPqWps', arg: 1 });
add({ mnemonic: 'cvttpd2pi', op: 0x2c, prefix: '66', mmRegs: 'reg', handler: 'Cvtpd2piPqWpd', arg: 1 });
add({ mnemonic: 'cvtps2pi', op: 0x2d, mmRegs: 'reg', handler: 'Cvtps2piPqWps', arg: 0 });
add({ mnemonic: 'cvtpd2pi', op: 0x2d, prefix: '66', mmRegs: 'reg', handler: 'Cvtpd2piPqWpd', arg: 0 });

// ---- SSSE3 on mm registers: mm, mm/m64 (Vol. 2, Table, the NP columns) ----------
// The operations are the xmm forms' (ops/ssse3.ts) on 8 bytes; arg numbers them
// as for the xmm rows (SSSE3_OPS).
SSSE3_OPS.forEach((m, i) => add({ mnemonic: m, map: '0f38', op: SSSE3_OPCODES[i], mmRegs: 'both', handler: 'Ssse3PqQq', arg: i }));
add({ mnemonic: 'palignr', map: '0f3a', op: 0x0f, imm: 'Ib', mmRegs: 'both', handler: 'PalignrPqQqIb' });

// ---- state: emms (0F 77) empties the x87 tag word -------------------------------------------
rows.push({ mnemonic: 'emms', map: '0f', op: 0x77, modrm: false, size: 'q', prefix: 'none', handler: 'Emms', test: 'mmx' });

export const MMX_ROWS: readonly OpcodeRow[] = rows;
// ==== end MMX ===============================================================
