// SSE and SSE2 instructions (manual Vol. 2, Appendix A, Table A-3 with
// mandatory prefixes none / 66 / F3 / F2): the x86-64 v1 baseline that
// glibc 2.36's string, memory and math code and gcc -O2 code use. The MMX
// (no-prefix, mm register) forms of the integer instructions are in mmx.ts.
//
// Handlers: emulator/assembly/ops/sse-move.ts (moves, shuffles, masks),
// sse-int.ts (packed integers), sse-fp.ts (floating point, compares),
// sse-convert.ts (conversions), sse-state.ts (0F AE group).

import type { MandatoryPrefix, OpcodeRow, Imm, TestKind } from './types.js';

const rows: OpcodeRow[] = [];

interface SseRow {
  mnemonic: string;
  op: number;
  prefix: MandatoryPrefix;
  handler: string;
  arg?: number;
  mod?: 'mem' | 'reg';
  reg?: number;
  imm?: Imm;
  /** 'v' for forms with a general-register operand whose size REX.W picks. */
  size?: 'x' | 'v';
  writesFlags?: string;
  test?: TestKind;
}

const add = (r: SseRow) =>
  rows.push({ map: '0f', modrm: true, size: 'x', test: 'sse', ...r });

// ---- moves (sse-move.ts) ------------------------------------------------------------------
// movups/movupd/movdqu need no alignment; movaps/movapd/movdqa/movnt* do.
add({ mnemonic: 'movups', op: 0x10, prefix: 'none', handler: 'MovupsVpsWps' });
add({ mnemonic: 'movupd', op: 0x10, prefix: '66', handler: 'MovupsVpsWps' });
add({ mnemonic: 'movss', op: 0x10, prefix: 'f3', handler: 'MovssVssWss' });
add({ mnemonic: 'movsd', op: 0x10, prefix: 'f2', handler: 'MovsdVsdWsd' });
add({ mnemonic: 'movups', op: 0x11, prefix: 'none', handler: 'MovupsWpsVps' });
add({ mnemonic: 'movupd', op: 0x11, prefix: '66', handler: 'MovupsWpsVps' });
add({ mnemonic: 'movss', op: 0x11, prefix: 'f3', handler: 'MovssWssVss' });
add({ mnemonic: 'movsd', op: 0x11, prefix: 'f2', handler: 'MovsdWsdVsd' });
add({ mnemonic: 'movlps', op: 0x12, prefix: 'none', mod: 'mem', handler: 'MovlpsVqMq' });
add({ mnemonic: 'movhlps', op: 0x12, prefix: 'none', mod: 'reg', handler: 'MovhlpsVqUq' });
add({ mnemonic: 'movlpd', op: 0x12, prefix: '66', mod: 'mem', handler: 'MovlpsVqMq' });
add({ mnemonic: 'movlps', op: 0x13, prefix: 'none', mod: 'mem', handler: 'MovlpsMqVq' });
add({ mnemonic: 'movlpd', op: 0x13, prefix: '66', mod: 'mem', handler: 'MovlpsMqVq' });
add({ mnemonic: 'movhps', op: 0x16, prefix: 'none', mod: 'mem', handler: 'MovhpsVqMq' });
add({ mnemonic: 'movlhps', op: 0x16, prefix: 'none', mod: 'reg', handler: 'MovlhpsVqUq' });
add({ mnemonic: 'movhpd', op: 0x16, prefix: '66', mod: 'mem', handler: 'MovhpsVqMq' });
add({ mnemonic: 'movhps', op: 0x17, prefix: 'none', mod: 'mem', handler: 'MovhpsMqVq' });
add({ mnemonic: 'movhpd', op: 0x17, prefix: '66', mod: 'mem', handler: 'MovhpsMqVq' });
add({ mnemonic: 'movaps', op: 0x28, prefix: 'none', handler: 'MovapsVpsWps' });
add({ mnemonic: 'movapd', op: 0x28, prefix: '66', handler: 'MovapsVpsWps' });
add({ mnemonic: 'movaps', op: 0x29, prefix: 'none', handler: 'MovapsWpsVps' });
add({ mnemonic: 'movapd', op: 0x29, prefix: '66', handler: 'MovapsWpsVps' });
add({ mnemonic: 'movntps', op: 0x2b, prefix: 'none', mod: 'mem', handler: 'MovapsWpsVps' });
add({ mnemonic: 'movntpd', op: 0x2b, prefix: '66', mod: 'mem', handler: 'MovapsWpsVps' });
add({ mnemonic: 'movmskps', op: 0x50, prefix: 'none', mod: 'reg', handler: 'MovmskpsGdUps' });
add({ mnemonic: 'movmskpd', op: 0x50, prefix: '66', mod: 'reg', handler: 'MovmskpdGdUpd' });
add({ mnemonic: 'movd', op: 0x6e, prefix: '66', size: 'v', handler: 'MovdVdqEy' });
add({ mnemonic: 'movdqa', op: 0x6f, prefix: '66', handler: 'MovapsVpsWps' });
add({ mnemonic: 'movdqu', op: 0x6f, prefix: 'f3', handler: 'MovupsVpsWps' });
add({ mnemonic: 'pshufd', op: 0x70, prefix: '66', imm: 'Ib', handler: 'PshufdVdqWdqIb', arg: 0 });
add({ mnemonic: 'pshufhw', op: 0x70, prefix: 'f3', imm: 'Ib', handler: 'PshufdVdqWdqIb', arg: 1 });
add({ mnemonic: 'pshuflw', op: 0x70, prefix: 'f2', imm: 'Ib', handler: 'PshufdVdqWdqIb', arg: 2 });
add({ mnemonic: 'movd', op: 0x7e, prefix: '66', size: 'v', handler: 'MovdEyVdq' });
add({ mnemonic: 'movq', op: 0x7e, prefix: 'f3', handler: 'MovqVqWq' });
add({ mnemonic: 'movdqa', op: 0x7f, prefix: '66', handler: 'MovapsWpsVps' });
add({ mnemonic: 'movdqu', op: 0x7f, prefix: 'f3', handler: 'MovupsWpsVps' });
add({ mnemonic: 'movnti', op: 0xc3, prefix: 'none', mod: 'mem', size: 'v', handler: 'MovntiMyGy' });
add({ mnemonic: 'pinsrw', op: 0xc4, prefix: '66', imm: 'Ib', handler: 'PinsrwVdqEwIb' });
add({ mnemonic: 'pextrw', op: 0xc5, prefix: '66', mod: 'reg', imm: 'Ib', handler: 'PextrwGdUdqIb' });
add({ mnemonic: 'shufps', op: 0xc6, prefix: 'none', imm: 'Ib', handler: 'ShufpsVpsWpsIb' });
add({ mnemonic: 'shufpd', op: 0xc6, prefix: '66', imm: 'Ib', handler: 'ShufpdVpdWpdIb' });
add({ mnemonic: 'movq', op: 0xd6, prefix: '66', handler: 'MovqWqVq' });
add({ mnemonic: 'pmovmskb', op: 0xd7, prefix: '66', mod: 'reg', handler: 'PmovmskbGdUdq' });
add({ mnemonic: 'movntdq', op: 0xe7, prefix: '66', mod: 'mem', handler: 'MovapsWpsVps' });
add({ mnemonic: 'maskmovdqu', op: 0xf7, prefix: '66', mod: 'reg', handler: 'MaskmovdquVdqUdq' });

// ---- packed integers (sse-int.ts) ----------------------------------------------------------
// arg numbers the operation; the order is the switch in ops/sse-int.ts.
export const PINT_OPS = [
  'paddb', 'paddw', 'paddd', 'paddq', 'psubb', 'psubw', 'psubd', 'psubq',
  'paddsb', 'paddsw', 'paddusb', 'paddusw', 'psubsb', 'psubsw', 'psubusb', 'psubusw',
  'pcmpeqb', 'pcmpeqw', 'pcmpeqd', 'pcmpgtb', 'pcmpgtw', 'pcmpgtd',
  'pminub', 'pmaxub', 'pminsw', 'pmaxsw', 'pavgb', 'pavgw',
  'pmullw', 'pmulhw', 'pmulhuw', 'pmuludq', 'pmaddwd', 'psadbw',
  'pand', 'pandn', 'por', 'pxor',
  'punpcklbw', 'punpcklwd', 'punpckldq', 'punpcklqdq', 'punpckhbw', 'punpckhwd', 'punpckhdq', 'punpckhqdq',
  'packsswb', 'packuswb', 'packssdw',
  'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad', 'psllw', 'pslld', 'psllq', 'psrldq', 'pslldq',
] as const;
/** A packed-integer row's arg: its operation's number in PINT_OPS (ops/sse-int.ts). */
export const pintArg = (m: (typeof PINT_OPS)[number]) => PINT_OPS.indexOf(m);

/** The packed-integer operations of the 66 0F map: opcode and operation (ops/sse-int.ts). */
export const PINT_66: [number, (typeof PINT_OPS)[number]][] = [
  [0x60, 'punpcklbw'], [0x61, 'punpcklwd'], [0x62, 'punpckldq'], [0x63, 'packsswb'],
  [0x64, 'pcmpgtb'], [0x65, 'pcmpgtw'], [0x66, 'pcmpgtd'], [0x67, 'packuswb'],
  [0x68, 'punpckhbw'], [0x69, 'punpckhwd'], [0x6a, 'punpckhdq'], [0x6b, 'packssdw'],
  [0x6c, 'punpcklqdq'], [0x6d, 'punpckhqdq'],
  [0x74, 'pcmpeqb'], [0x75, 'pcmpeqw'], [0x76, 'pcmpeqd'],
  [0xd1, 'psrlw'], [0xd2, 'psrld'], [0xd3, 'psrlq'], [0xd4, 'paddq'], [0xd5, 'pmullw'],
  [0xd8, 'psubusb'], [0xd9, 'psubusw'], [0xda, 'pminub'], [0xdb, 'pand'],
  [0xdc, 'paddusb'], [0xdd, 'paddusw'], [0xde, 'pmaxub'], [0xdf, 'pandn'],
  [0xe0, 'pavgb'], [0xe1, 'psraw'], [0xe2, 'psrad'], [0xe3, 'pavgw'], [0xe4, 'pmulhuw'], [0xe5, 'pmulhw'],
  [0xe8, 'psubsb'], [0xe9, 'psubsw'], [0xea, 'pminsw'], [0xeb, 'por'],
  [0xec, 'paddsb'], [0xed, 'paddsw'], [0xee, 'pmaxsw'], [0xef, 'pxor'],
  [0xf1, 'psllw'], [0xf2, 'pslld'], [0xf3, 'psllq'], [0xf4, 'pmuludq'], [0xf5, 'pmaddwd'], [0xf6, 'psadbw'],
  [0xf8, 'psubb'], [0xf9, 'psubw'], [0xfa, 'psubd'], [0xfb, 'psubq'],
  [0xfc, 'paddb'], [0xfd, 'paddw'], [0xfe, 'paddd'],
];
for (const [op, m] of PINT_66) add({ mnemonic: m, op, prefix: '66', handler: 'PintVdqWdq', arg: pintArg(m) });

// The bitwise and unpack instructions of the ps/pd forms are the same bit operations.
const PS_PD_AS_PINT: [number, string, string, (typeof PINT_OPS)[number], (typeof PINT_OPS)[number]][] = [
  [0x14, 'unpcklps', 'unpcklpd', 'punpckldq', 'punpcklqdq'],
  [0x15, 'unpckhps', 'unpckhpd', 'punpckhdq', 'punpckhqdq'],
  [0x54, 'andps', 'andpd', 'pand', 'pand'],
  [0x55, 'andnps', 'andnpd', 'pandn', 'pandn'],
  [0x56, 'orps', 'orpd', 'por', 'por'],
  [0x57, 'xorps', 'xorpd', 'pxor', 'pxor'],
];
for (const [op, ps, pd, aps, apd] of PS_PD_AS_PINT) {
  add({ mnemonic: ps, op, prefix: 'none', handler: 'PintVdqWdq', arg: pintArg(aps) });
  add({ mnemonic: pd, op, prefix: '66', handler: 'PintVdqWdq', arg: pintArg(apd) });
}

// Shift groups 12-14 (66 0F 71-73), register operand only (Vol. 2, Table A-6).
const SHIFT_GROUPS: [number, number, (typeof PINT_OPS)[number]][] = [
  [0x71, 2, 'psrlw'], [0x71, 4, 'psraw'], [0x71, 6, 'psllw'],
  [0x72, 2, 'psrld'], [0x72, 4, 'psrad'], [0x72, 6, 'pslld'],
  [0x73, 2, 'psrlq'], [0x73, 3, 'psrldq'], [0x73, 6, 'psllq'], [0x73, 7, 'pslldq'],
];
for (const [op, reg, m] of SHIFT_GROUPS) {
  add({ mnemonic: m, op, reg, prefix: '66', mod: 'reg', imm: 'Ib', handler: 'PshiftUdqIb', arg: pintArg(m) });
}

// ---- floating point (sse-fp.ts, arithmetic in sse-float.ts) ---------------------------------
// arg: the operation, opcode - 0x58 (add 0, mul 1, sub 4, min 5, div 6, max 7); sqrt is 8.
const FP_FORMS: [MandatoryPrefix, string, string][] = [
  ['none', 'ps', 'SseArithVpsWps'], ['66', 'pd', 'SseArithVpdWpd'], ['f3', 'ss', 'SseArithVssWss'], ['f2', 'sd', 'SseArithVsdWsd'],
];
const FP_OPS: [number, string, number][] = [
  [0x51, 'sqrt', 8], [0x58, 'add', 0], [0x59, 'mul', 1], [0x5c, 'sub', 4], [0x5d, 'min', 5], [0x5e, 'div', 6], [0x5f, 'max', 7],
];
for (const [op, name, arg] of FP_OPS) {
  for (const [prefix, sfx, handler] of FP_FORMS) add({ mnemonic: name + sfx, op, prefix, handler, arg });
}
const CMP_HANDLERS = ['CmppsVpsWpsIb', 'CmppdVpdWpdIb', 'CmpssVssWssIb', 'CmpsdVsdWsdIb'];
FP_FORMS.forEach(([prefix, sfx], i) => add({ mnemonic: 'cmp' + sfx, op: 0xc2, prefix, imm: 'Ib', handler: CMP_HANDLERS[i] }));
// ucomis (arg 0) signals IE on SNaNs only, comis (arg 1) on any NaN.
const COMIS_FLAGS = 'CF PF AF ZF SF OF';
add({ mnemonic: 'ucomiss', op: 0x2e, prefix: 'none', handler: 'UcomissVssWss', arg: 0, writesFlags: COMIS_FLAGS });
add({ mnemonic: 'ucomisd', op: 0x2e, prefix: '66', handler: 'UcomisdVsdWsd', arg: 0, writesFlags: COMIS_FLAGS });
add({ mnemonic: 'comiss', op: 0x2f, prefix: 'none', handler: 'UcomissVssWss', arg: 1, writesFlags: COMIS_FLAGS });
add({ mnemonic: 'comisd', op: 0x2f, prefix: '66', handler: 'UcomisdVsdWsd', arg: 1, writesFlags: COMIS_FLAGS });

// ---- conversions (sse-convert.ts); arg 1 = truncate (cvtt*) -----------------------------------
add({ mnemonic: 'cvtsi2ss', op: 0x2a, prefix: 'f3', size: 'v', handler: 'Cvtsi2ssVssEy' });
add({ mnemonic: 'cvtsi2sd', op: 0x2a, prefix: 'f2', size: 'v', handler: 'Cvtsi2sdVsdEy' });
add({ mnemonic: 'cvttss2si', op: 0x2c, prefix: 'f3', size: 'v', handler: 'Cvtss2siGyWss', arg: 1 });
add({ mnemonic: 'cvttsd2si', op: 0x2c, prefix: 'f2', size: 'v', handler: 'Cvtsd2siGyWsd', arg: 1 });
add({ mnemonic: 'cvtss2si', op: 0x2d, prefix: 'f3', size: 'v', handler: 'Cvtss2siGyWss', arg: 0 });
add({ mnemonic: 'cvtsd2si', op: 0x2d, prefix: 'f2', size: 'v', handler: 'Cvtsd2siGyWsd', arg: 0 });
add({ mnemonic: 'cvtps2pd', op: 0x5a, prefix: 'none', handler: 'Cvtps2pdVpdWps' });
add({ mnemonic: 'cvtpd2ps', op: 0x5a, prefix: '66', handler: 'Cvtpd2psVpsWpd' });
add({ mnemonic: 'cvtss2sd', op: 0x5a, prefix: 'f3', handler: 'Cvtss2sdVsdWss' });
add({ mnemonic: 'cvtsd2ss', op: 0x5a, prefix: 'f2', handler: 'Cvtsd2ssVssWsd' });
add({ mnemonic: 'cvtdq2ps', op: 0x5b, prefix: 'none', handler: 'Cvtdq2psVpsWdq' });
add({ mnemonic: 'cvtps2dq', op: 0x5b, prefix: '66', handler: 'Cvtps2dqVdqWps', arg: 0 });
add({ mnemonic: 'cvttps2dq', op: 0x5b, prefix: 'f3', handler: 'Cvtps2dqVdqWps', arg: 1 });
add({ mnemonic: 'cvttpd2dq', op: 0xe6, prefix: '66', handler: 'Cvtpd2dqVdqWpd', arg: 1 });
add({ mnemonic: 'cvtdq2pd', op: 0xe6, prefix: 'f3', handler: 'Cvtdq2pdVpdWq' });
add({ mnemonic: 'cvtpd2dq', op: 0xe6, prefix: 'f2', handler: 'Cvtpd2dqVdqWpd', arg: 0 });

// ---- state and ordering: group 15, 0F AE (sse-state.ts) -------------------------------------
// fxsave stores MXCSR_MASK and the last x87 instruction pointers, which differ between CPUs.
add({ mnemonic: 'fxsave', op: 0xae, reg: 0, mod: 'mem', prefix: 'none', size: 'v', handler: 'FxsaveM', test: 'none' });
add({ mnemonic: 'fxrstor', op: 0xae, reg: 1, mod: 'mem', prefix: 'none', size: 'v', handler: 'FxrstorM', test: 'none' });
add({ mnemonic: 'ldmxcsr', op: 0xae, reg: 2, mod: 'mem', prefix: 'none', handler: 'LdmxcsrMd' });
add({ mnemonic: 'stmxcsr', op: 0xae, reg: 3, mod: 'mem', prefix: 'none', handler: 'StmxcsrMd' });
add({ mnemonic: 'lfence', op: 0xae, reg: 5, mod: 'reg', prefix: 'none', handler: 'Fence' });
add({ mnemonic: 'mfence', op: 0xae, reg: 6, mod: 'reg', prefix: 'none', handler: 'Fence' });
add({ mnemonic: 'sfence', op: 0xae, reg: 7, mod: 'reg', prefix: 'none', handler: 'Fence' });
add({ mnemonic: 'clflush', op: 0xae, reg: 7, mod: 'mem', prefix: 'none', handler: 'ClflushMb' });

export const SSE_ROWS: readonly OpcodeRow[] = rows;
