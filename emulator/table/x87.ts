// The x87 instructions (manual Vol. 2, Appendix A.5, Tables ):
// every memory and register form of the escape opcodes D8-DF, and SSE3's
// fisttp.
//
// Handlers: emulator/assembly/ops/x87.ts, x87arith.ts and x87trans.ts.
// Memory forms carry the operand format in `arg` (FMT_* in ops/x87.ts).

import type { OpcodeRow } from './types.js';

const rows: OpcodeRow[] = [];
const add = (r: Omit<OpcodeRow, 'map' | 'modrm' | 'test'>) => rows.push({ map: '', modrm: true, test: 'x87', ...r });

// Memory operand formats (ops/x87.ts FMT_*).
const M32 = 0, M64 = 1, I32 = 2, I16 = 3, M80 = 4, I64 = 5;
const POP = 8;
/** fisttp: the integer store truncates (ops/x87.ts FistM). */
const TRUNCATE = 16;

// Arithmetic operation numbers (ops/x87arith.ts OP_*): "dest op src".
const ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
const IARITH = ['fiadd', 'fimul', 'ficom', 'ficomp', 'fisub', 'fisubr', 'fidiv', 'fidivr'];

// ---- D8, DC, DA, DE with a memory operand: st(0) op m32/m64 real, m32/m16 integer ----
for (let k = 0; k < 8; k++) {
  add({ mnemonic: ARITH[k], op: 0xd8, reg: k, mod: 'mem', size: 'd', handler: 'FarithM', arg: k | (M32 << 3) });
  add({ mnemonic: ARITH[k], op: 0xdc, reg: k, mod: 'mem', size: 'q', handler: 'FarithM', arg: k | (M64 << 3) });
  add({ mnemonic: IARITH[k], op: 0xda, reg: k, mod: 'mem', size: 'd', handler: 'FarithM', arg: k | (I32 << 3) });
  add({ mnemonic: IARITH[k], op: 0xde, reg: k, mod: 'mem', size: 'w', handler: 'FarithM', arg: k | (I16 << 3) });
}

// ---- D8 register forms: st(0) = st(0) op st(i); fcom/fcomp st(i) ----------------------
for (const k of [0, 1, 4, 5, 6, 7]) {
  add({ mnemonic: ARITH[k], op: 0xd8, reg: k, mod: 'reg', size: 'v', handler: 'FarithSt0Sti', arg: k });
}
// FcomSti arg: bits 0..1 pops, bit 2 unordered compare (fucom).
add({ mnemonic: 'fcom', op: 0xd8, reg: 2, mod: 'reg', size: 'v', handler: 'FcomSti', arg: 0 });
add({ mnemonic: 'fcomp', op: 0xd8, reg: 3, mod: 'reg', size: 'v', handler: 'FcomSti', arg: 1 });

// ---- DC / DE register forms: st(i) = st(i) op st(0), DE pops ----------------------------
// The reg field names the operation from st(0)'s point of view, so sub/subr and
// div/divr swap: DC E0+i is fsubr st(i), st(0) (st(i) = st(0) - st(i)).
const DC_OPS: [number, string, number][] = [[0, 'fadd', 0], [1, 'fmul', 1], [4, 'fsubr', 5], [5, 'fsub', 4], [6, 'fdivr', 7], [7, 'fdiv', 6]];
for (const [reg, name, op] of DC_OPS) {
  add({ mnemonic: name, op: 0xdc, reg, mod: 'reg', size: 'v', handler: 'FarithStiSt0', arg: op });
  add({ mnemonic: name + 'p', op: 0xde, reg, mod: 'reg', size: 'v', handler: 'FarithStiSt0', arg: op | POP });
}
// Aliases of fcom/fcomp (the reserved encodings CPUs execute; iced names them fcom2/fcomp3/fcomp5).
add({ mnemonic: 'fcom2', op: 0xdc, reg: 2, mod: 'reg', size: 'v', handler: 'FcomSti', arg: 0 });
add({ mnemonic: 'fcomp3', op: 0xdc, reg: 3, mod: 'reg', size: 'v', handler: 'FcomSti', arg: 1 });
add({ mnemonic: 'fcomp5', op: 0xde, reg: 2, mod: 'reg', size: 'v', handler: 'FcomSti', arg: 1 });
add({ mnemonic: 'fcompp', op: 0xde, reg: 3, rm: 1, mod: 'reg', size: 'v', handler: 'FcomSti', arg: 2 });

// ---- D9 memory: fld/fst/fstp m32, fldenv, fldcw, fnstenv, fnstcw -------------------------
add({ mnemonic: 'fld', op: 0xd9, reg: 0, mod: 'mem', size: 'd', handler: 'FldM', arg: M32 });
add({ mnemonic: 'fst', op: 0xd9, reg: 2, mod: 'mem', size: 'd', handler: 'FstM', arg: M32 });
add({ mnemonic: 'fstp', op: 0xd9, reg: 3, mod: 'mem', size: 'd', handler: 'FstM', arg: M32 | POP });
add({ mnemonic: 'fldenv', op: 0xd9, reg: 4, mod: 'mem', size: 'v', handler: 'FldenvM' });
add({ mnemonic: 'fldcw', op: 0xd9, reg: 5, mod: 'mem', size: 'w', handler: 'FldcwM' });
add({ mnemonic: 'fnstenv', op: 0xd9, reg: 6, mod: 'mem', size: 'v', handler: 'FnstenvM' });
add({ mnemonic: 'fnstcw', op: 0xd9, reg: 7, mod: 'mem', size: 'w', handler: 'FnstcwM' });

// ---- D9 register forms ----------------------------------------------------------------------
add({ mnemonic: 'fld', op: 0xd9, reg: 0, mod: 'reg', size: 'v', handler: 'FldSti' });
add({ mnemonic: 'fxch', op: 0xd9, reg: 1, mod: 'reg', size: 'v', handler: 'FxchSti' });
add({ mnemonic: 'fnop', op: 0xd9, reg: 2, rm: 0, mod: 'reg', size: 'v', handler: 'Fnop' });
add({ mnemonic: 'fstp1', op: 0xd9, reg: 3, mod: 'reg', size: 'v', handler: 'FstSti', arg: 1 });
add({ mnemonic: 'fchs', op: 0xd9, reg: 4, rm: 0, mod: 'reg', size: 'v', handler: 'FsignOp', arg: 0 });
add({ mnemonic: 'fabs', op: 0xd9, reg: 4, rm: 1, mod: 'reg', size: 'v', handler: 'FsignOp', arg: 1 });
add({ mnemonic: 'ftst', op: 0xd9, reg: 4, rm: 4, mod: 'reg', size: 'v', handler: 'Ftst' });
add({ mnemonic: 'fxam', op: 0xd9, reg: 4, rm: 5, mod: 'reg', size: 'v', handler: 'Fxam' });
const CONSTS = ['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz'];
for (let k = 0; k < 7; k++) {
  add({ mnemonic: CONSTS[k], op: 0xd9, reg: 5, rm: k, mod: 'reg', size: 'v', handler: 'FldConst', arg: k });
}
add({ mnemonic: 'fxtract', op: 0xd9, reg: 6, rm: 4, mod: 'reg', size: 'v', handler: 'Fxtract' });
add({ mnemonic: 'fprem1', op: 0xd9, reg: 6, rm: 5, mod: 'reg', size: 'v', handler: 'Fprem', arg: 1 });
add({ mnemonic: 'fdecstp', op: 0xd9, reg: 6, rm: 6, mod: 'reg', size: 'v', handler: 'FaddTop', arg: 7 });
add({ mnemonic: 'fincstp', op: 0xd9, reg: 6, rm: 7, mod: 'reg', size: 'v', handler: 'FaddTop', arg: 1 });
add({ mnemonic: 'fprem', op: 0xd9, reg: 7, rm: 0, mod: 'reg', size: 'v', handler: 'Fprem', arg: 0 });
add({ mnemonic: 'fsqrt', op: 0xd9, reg: 7, rm: 2, mod: 'reg', size: 'v', handler: 'FunaryOp', arg: 0 });
add({ mnemonic: 'frndint', op: 0xd9, reg: 7, rm: 4, mod: 'reg', size: 'v', handler: 'FunaryOp', arg: 1 });
add({ mnemonic: 'fscale', op: 0xd9, reg: 7, rm: 5, mod: 'reg', size: 'v', handler: 'Fscale' });

// ---- DA / DB register forms: fcmovcc (arg: 0 b, 1 e, 2 be, 3 u; 8 negates), fucompp ---------
const FCMOV = ['b', 'e', 'be', 'u'];
for (let k = 0; k < 4; k++) {
  add({ mnemonic: 'fcmov' + FCMOV[k], op: 0xda, reg: k, mod: 'reg', size: 'v', handler: 'FcmovSti', arg: k });
  add({ mnemonic: 'fcmovn' + FCMOV[k], op: 0xdb, reg: k, mod: 'reg', size: 'v', handler: 'FcmovSti', arg: k | 8 });
}
add({ mnemonic: 'fucompp', op: 0xda, reg: 5, rm: 1, mod: 'reg', size: 'v', handler: 'FcomSti', arg: 2 | 4 });

// ---- DB memory: fild/fisttp/fist/fistp m32, fld/fstp m80 --------------------------------------
add({ mnemonic: 'fild', op: 0xdb, reg: 0, mod: 'mem', size: 'd', handler: 'FildM', arg: I32 });
add({ mnemonic: 'fist', op: 0xdb, reg: 2, mod: 'mem', size: 'd', handler: 'FistM', arg: I32 });
add({ mnemonic: 'fistp', op: 0xdb, reg: 3, mod: 'mem', size: 'd', handler: 'FistM', arg: I32 | POP });
add({ mnemonic: 'fld', op: 0xdb, reg: 5, mod: 'mem', size: 'v', handler: 'FldM', arg: M80 });
add({ mnemonic: 'fstp', op: 0xdb, reg: 7, mod: 'mem', size: 'v', handler: 'FstM', arg: M80 | POP });

// ---- DB register forms: fnclex, fninit, fucomi, fcomi; 8087 leftovers act as fnop --------------
add({ mnemonic: 'fneni', op: 0xdb, reg: 4, rm: 0, mod: 'reg', size: 'v', handler: 'Fnop' });
add({ mnemonic: 'fndisi', op: 0xdb, reg: 4, rm: 1, mod: 'reg', size: 'v', handler: 'Fnop' });
add({ mnemonic: 'fnclex', op: 0xdb, reg: 4, rm: 2, mod: 'reg', size: 'v', handler: 'Fnclex' });
add({ mnemonic: 'fninit', op: 0xdb, reg: 4, rm: 3, mod: 'reg', size: 'v', handler: 'Fninit' });
add({ mnemonic: 'fnsetpm', op: 0xdb, reg: 4, rm: 4, mod: 'reg', size: 'v', handler: 'Fnop' });
// FcomiSti arg: bit 0 pops, bit 1 unordered compare.
add({ mnemonic: 'fucomi', op: 0xdb, reg: 5, mod: 'reg', size: 'v', handler: 'FcomiSti', arg: 2, writesFlags: 'CF PF AF ZF SF OF' });
add({ mnemonic: 'fcomi', op: 0xdb, reg: 6, mod: 'reg', size: 'v', handler: 'FcomiSti', arg: 0, writesFlags: 'CF PF AF ZF SF OF' });

// ---- DD memory: fld/fisttp/fst/fstp m64, frstor, fnsave, fnstsw ----------------------------------
add({ mnemonic: 'fld', op: 0xdd, reg: 0, mod: 'mem', size: 'q', handler: 'FldM', arg: M64 });
add({ mnemonic: 'fst', op: 0xdd, reg: 2, mod: 'mem', size: 'q', handler: 'FstM', arg: M64 });
add({ mnemonic: 'fstp', op: 0xdd, reg: 3, mod: 'mem', size: 'q', handler: 'FstM', arg: M64 | POP });
add({ mnemonic: 'frstor', op: 0xdd, reg: 4, mod: 'mem', size: 'v', handler: 'FrstorM' });
add({ mnemonic: 'fnsave', op: 0xdd, reg: 6, mod: 'mem', size: 'v', handler: 'FnsaveM' });
add({ mnemonic: 'fnstsw', op: 0xdd, reg: 7, mod: 'mem', size: 'w', handler: 'FnstswM' });

// ---- DD register forms: ffree, fxch4 alias, fst/fstp st(i), fucom/fucomp -------------------------
add({ mnemonic: 'ffree', op: 0xdd, reg: 0, mod: 'reg', size: 'v', handler: 'FfreeSti', arg: 0 });
add({ mnemonic: 'fxch4', op: 0xdd, reg: 1, mod: 'reg', size: 'v', handler: 'FxchSti' });
add({ mnemonic: 'fst', op: 0xdd, reg: 2, mod: 'reg', size: 'v', handler: 'FstSti', arg: 0 });
add({ mnemonic: 'fstp', op: 0xdd, reg: 3, mod: 'reg', size: 'v', handler: 'FstSti', arg: 1 });
add({ mnemonic: 'fucom', op: 0xdd, reg: 4, mod: 'reg', size: 'v', handler: 'FcomSti', arg: 4 });
add({ mnemonic: 'fucomp', op: 0xdd, reg: 5, mod: 'reg', size: 'v', handler: 'FcomSti', arg: 4 | 1 });

// ---- DF memory: fild/fisttp/fist/fistp m16, fbld, fild m64, fbstp, fistp m64 ---------------------
add({ mnemonic: 'fild', op: 0xdf, reg: 0, mod: 'mem', size: 'w', handler: 'FildM', arg: I16 });
add({ mnemonic: 'fist', op: 0xdf, reg: 2, mod: 'mem', size: 'w', handler: 'FistM', arg: I16 });
add({ mnemonic: 'fistp', op: 0xdf, reg: 3, mod: 'mem', size: 'w', handler: 'FistM', arg: I16 | POP });
add({ mnemonic: 'fbld', op: 0xdf, reg: 4, mod: 'mem', size: 'v', handler: 'FbldM' });
add({ mnemonic: 'fild', op: 0xdf, reg: 5, mod: 'mem', size: 'q', handler: 'FildM', arg: I64 });
add({ mnemonic: 'fbstp', op: 0xdf, reg: 6, mod: 'mem', size: 'v', handler: 'FbstpM' });
add({ mnemonic: 'fistp', op: 0xdf, reg: 7, mod: 'mem', size: 'q', handler: 'FistM', arg: I64 | POP });

// ---- DF register forms: ffreep, aliases, fnstsw ax, fucomip, fcomip --------------------------------
add({ mnemonic: 'ffreep', op: 0xdf, reg: 0, mod: 'reg', size: 'v', handler: 'FfreeSti', arg: 1 });
add({ mnemonic: 'fxch7', op: 0xdf, reg: 1, mod: 'reg', size: 'v', handler: 'FxchSti' });
add({ mnemonic: 'fstp8', op: 0xdf, reg: 2, mod: 'reg', size: 'v', handler: 'FstSti', arg: 1 });
add({ mnemonic: 'fstp9', op: 0xdf, reg: 3, mod: 'reg', size: 'v', handler: 'FstSti', arg: 1 });
add({ mnemonic: 'fnstsw', op: 0xdf, reg: 4, rm: 0, mod: 'reg', size: 'w', handler: 'FnstswAx' });
add({ mnemonic: 'fucomip', op: 0xdf, reg: 5, mod: 'reg', size: 'v', handler: 'FcomiSti', arg: 2 | 1, writesFlags: 'CF PF AF ZF SF OF' });
add({ mnemonic: 'fcomip', op: 0xdf, reg: 6, mod: 'reg', size: 'v', handler: 'FcomiSti', arg: 1, writesFlags: 'CF PF AF ZF SF OF' });

// ---- transcendentals (D9 F0-FF) and fisttp (SSE3: DF /1, DB /1, DD /1) ---------------------
// Handlers: ops/x87trans.ts (arg: the function) and FistM with TRUNCATE | POP.
// fisttp runs whatever cpuid says about SSE3 (cpuid.ts advertises the features).
add({ mnemonic: 'f2xm1', op: 0xd9, reg: 6, rm: 0, mod: 'reg', size: 'v', handler: 'FunaryTrans', arg: 2 });
add({ mnemonic: 'fyl2x', op: 0xd9, reg: 6, rm: 1, mod: 'reg', size: 'v', handler: 'FbinaryTrans', arg: 1 });
add({ mnemonic: 'fptan', op: 0xd9, reg: 6, rm: 2, mod: 'reg', size: 'v', handler: 'FpushTrans', arg: 0 });
add({ mnemonic: 'fpatan', op: 0xd9, reg: 6, rm: 3, mod: 'reg', size: 'v', handler: 'FbinaryTrans', arg: 0 });
add({ mnemonic: 'fyl2xp1', op: 0xd9, reg: 7, rm: 1, mod: 'reg', size: 'v', handler: 'FbinaryTrans', arg: 2 });
add({ mnemonic: 'fsincos', op: 0xd9, reg: 7, rm: 3, mod: 'reg', size: 'v', handler: 'FpushTrans', arg: 1 });
add({ mnemonic: 'fsin', op: 0xd9, reg: 7, rm: 6, mod: 'reg', size: 'v', handler: 'FunaryTrans', arg: 0 });
add({ mnemonic: 'fcos', op: 0xd9, reg: 7, rm: 7, mod: 'reg', size: 'v', handler: 'FunaryTrans', arg: 1 });
add({ mnemonic: 'fisttp', op: 0xdf, reg: 1, mod: 'mem', size: 'w', handler: 'FistM', arg: I16 | POP | TRUNCATE });
add({ mnemonic: 'fisttp', op: 0xdb, reg: 1, mod: 'mem', size: 'd', handler: 'FistM', arg: I32 | POP | TRUNCATE });
add({ mnemonic: 'fisttp', op: 0xdd, reg: 1, mod: 'mem', size: 'q', handler: 'FistM', arg: I64 | POP | TRUNCATE });
// ---- end of transcendentals and fisttp --------------------------------------------------------

export const X87_ROWS: readonly OpcodeRow[] = rows;
