// The general-purpose integer instructions of 64-bit mode (manual Vol. 2,
// Appendix A, Tables ), as gcc and glibc emit them.

import type { OpcodeRow } from './types.js';

const ARITH = 'CF PF AF ZF SF OF';
const ALU_NAMES = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
/** and/or/xor leave AF undefined (Vol. 2, AND/OR/XOR "Flags Affected"). */
const aluUndef = (k: number) => (k === 1 || k === 4 || k === 6 ? 'AF' : undefined);
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

const rows: OpcodeRow[] = [];
const add = (r: OpcodeRow) => rows.push(r);

// ---- 00-3F: the eight ALU operations, six forms each -------------------------
for (let k = 0; k < 8; k++) {
  const base = k * 8;
  const m = ALU_NAMES[k];
  const common = { mnemonic: m, map: '' as const, arg: k, undefinedFlags: aluUndef(k), writesFlags: ARITH };
  const lock = k !== 7;
  add({ ...common, op: base + 0, modrm: true, size: 'b', handler: 'AluEbGb', lock });
  add({ ...common, op: base + 1, modrm: true, size: 'v', handler: 'AluEvGv', lock });
  add({ ...common, op: base + 2, modrm: true, size: 'b', handler: 'AluGbEb' });
  add({ ...common, op: base + 3, modrm: true, size: 'v', handler: 'AluGvEv' });
  add({ ...common, op: base + 4, modrm: false, size: 'b', imm: 'Ib', handler: 'AluAlIb' });
  add({ ...common, op: base + 5, modrm: false, size: 'v', imm: 'Iz', handler: 'AluRaxIz' });
}

// ---- 50-5F push/pop r64 --------------------------------------------------------
add({ mnemonic: 'push', map: '', op: 0x50, plusR: true, modrm: false, size: 'd64', handler: 'PushZv', test: 'stack' });
add({ mnemonic: 'pop', map: '', op: 0x58, plusR: true, modrm: false, size: 'd64', handler: 'PopZv', test: 'stack' });

add({ mnemonic: 'movsxd', map: '', op: 0x63, modrm: true, size: 'v', handler: 'MovsxdGvEd' });
add({ mnemonic: 'push', map: '', op: 0x68, modrm: false, size: 'd64', imm: 'Iz', handler: 'PushIz', test: 'stack' });
add({ mnemonic: 'imul', map: '', op: 0x69, modrm: true, size: 'v', imm: 'Iz', handler: 'ImulGvEvIz', writesFlags: ARITH, undefinedFlags: 'PF AF ZF SF' });
add({ mnemonic: 'push', map: '', op: 0x6a, modrm: false, size: 'd64', imm: 'Ib', handler: 'PushIz', test: 'stack' });
add({ mnemonic: 'imul', map: '', op: 0x6b, modrm: true, size: 'v', imm: 'Ib', handler: 'ImulGvEvIz', writesFlags: ARITH, undefinedFlags: 'PF AF ZF SF' });

// ---- 70-7F jcc rel8 ------------------------------------------------------------
for (let cc = 0; cc < 16; cc++) {
  add({ mnemonic: 'j' + CC[cc], map: '', op: 0x70 + cc, modrm: false, size: 'f64', imm: 'Jb', handler: 'JccJz', arg: cc, ends: true, test: 'branch' });
}

// ---- 80-83 group 1 -------------------------------------------------------------
for (let k = 0; k < 8; k++) {
  const common = { mnemonic: ALU_NAMES[k], map: '' as const, reg: k, arg: k, undefinedFlags: aluUndef(k), writesFlags: ARITH, lock: k !== 7, modrm: true };
  add({ ...common, op: 0x80, size: 'b', imm: 'Ib', handler: 'AluEbIb' });
  add({ ...common, op: 0x81, size: 'v', imm: 'Iz', handler: 'AluEvIz' });
  add({ ...common, op: 0x83, size: 'v', imm: 'Ib', handler: 'AluEvIz' });
}

add({ mnemonic: 'test', map: '', op: 0x84, modrm: true, size: 'b', handler: 'TestEbGb', writesFlags: ARITH, undefinedFlags: 'AF' });
add({ mnemonic: 'test', map: '', op: 0x85, modrm: true, size: 'v', handler: 'TestEvGv', writesFlags: ARITH, undefinedFlags: 'AF' });
add({ mnemonic: 'xchg', map: '', op: 0x86, modrm: true, size: 'b', handler: 'XchgEbGb', lock: true });
add({ mnemonic: 'xchg', map: '', op: 0x87, modrm: true, size: 'v', handler: 'XchgEvGv', lock: true });
add({ mnemonic: 'mov', map: '', op: 0x88, modrm: true, size: 'b', handler: 'MovEbGb' });
add({ mnemonic: 'mov', map: '', op: 0x89, modrm: true, size: 'v', handler: 'MovEvGv' });
add({ mnemonic: 'mov', map: '', op: 0x8a, modrm: true, size: 'b', handler: 'MovGbEb' });
add({ mnemonic: 'mov', map: '', op: 0x8b, modrm: true, size: 'v', handler: 'MovGvEv' });
add({ mnemonic: 'lea', map: '', op: 0x8d, modrm: true, mod: 'mem', size: 'v', handler: 'LeaGvM' });
add({ mnemonic: 'pop', map: '', op: 0x8f, reg: 0, modrm: true, size: 'd64', handler: 'PopEv', test: 'stack' });

// 90+r: xchg with rax; 90 without REX.B is nop, F3 90 is pause (the handler checks).
add({ mnemonic: 'xchg', map: '', op: 0x90, plusR: true, modrm: false, size: 'v', handler: 'XchgZvRax' });
add({ mnemonic: 'cdqe', map: '', op: 0x98, modrm: false, size: 'v', handler: 'Cbw' });
add({ mnemonic: 'cqo', map: '', op: 0x99, modrm: false, size: 'v', handler: 'Cwd' });
add({ mnemonic: 'wait', map: '', op: 0x9b, modrm: false, size: 'v', handler: 'Fwait' });
add({ mnemonic: 'pushfq', map: '', op: 0x9c, modrm: false, size: 'd64', handler: 'Pushf', test: 'stack' });
add({ mnemonic: 'popfq', map: '', op: 0x9d, modrm: false, size: 'd64', handler: 'Popf', test: 'stack' });
add({ mnemonic: 'sahf', map: '', op: 0x9e, modrm: false, size: 'b', handler: 'Sahf', writesFlags: 'CF PF AF ZF SF' });
add({ mnemonic: 'lahf', map: '', op: 0x9f, modrm: false, size: 'b', handler: 'Lahf' });
add({ mnemonic: 'mov', map: '', op: 0xa0, modrm: false, size: 'b', imm: 'Ob', handler: 'MovAlOb', test: 'none' });
add({ mnemonic: 'mov', map: '', op: 0xa1, modrm: false, size: 'v', imm: 'Ob', handler: 'MovRaxOv', test: 'none' });
add({ mnemonic: 'mov', map: '', op: 0xa2, modrm: false, size: 'b', imm: 'Ob', handler: 'MovObAl', test: 'none' });
add({ mnemonic: 'mov', map: '', op: 0xa3, modrm: false, size: 'v', imm: 'Ob', handler: 'MovOvRax', test: 'none' });

// ---- string instructions (rep/repe/repne handled by the handlers) -------------
add({ mnemonic: 'movsb', map: '', op: 0xa4, modrm: false, size: 'b', handler: 'Movs', test: 'string' });
add({ mnemonic: 'movs', map: '', op: 0xa5, modrm: false, size: 'v', handler: 'Movs', test: 'string' });
add({ mnemonic: 'cmpsb', map: '', op: 0xa6, modrm: false, size: 'b', handler: 'Cmps', writesFlags: ARITH, test: 'string' });
add({ mnemonic: 'cmps', map: '', op: 0xa7, modrm: false, size: 'v', handler: 'Cmps', writesFlags: ARITH, test: 'string' });
add({ mnemonic: 'test', map: '', op: 0xa8, modrm: false, size: 'b', imm: 'Ib', handler: 'TestAlIb', writesFlags: ARITH, undefinedFlags: 'AF' });
add({ mnemonic: 'test', map: '', op: 0xa9, modrm: false, size: 'v', imm: 'Iz', handler: 'TestRaxIz', writesFlags: ARITH, undefinedFlags: 'AF' });
add({ mnemonic: 'stosb', map: '', op: 0xaa, modrm: false, size: 'b', handler: 'Stos', test: 'string' });
add({ mnemonic: 'stos', map: '', op: 0xab, modrm: false, size: 'v', handler: 'Stos', test: 'string' });
add({ mnemonic: 'lodsb', map: '', op: 0xac, modrm: false, size: 'b', handler: 'Lods', test: 'string' });
add({ mnemonic: 'lods', map: '', op: 0xad, modrm: false, size: 'v', handler: 'Lods', test: 'string' });
add({ mnemonic: 'scasb', map: '', op: 0xae, modrm: false, size: 'b', handler: 'Scas', writesFlags: ARITH, test: 'string' });
add({ mnemonic: 'scas', map: '', op: 0xaf, modrm: false, size: 'v', handler: 'Scas', writesFlags: ARITH, test: 'string' });

add({ mnemonic: 'mov', map: '', op: 0xb0, plusR: true, modrm: false, size: 'b', imm: 'Ib', handler: 'MovZbIb' });
add({ mnemonic: 'mov', map: '', op: 0xb8, plusR: true, modrm: false, size: 'v', imm: 'Iv', handler: 'MovZvIv' });

// ---- shift group 2: C0, C1, D0-D3 ----------------------------------------------
const SHIFT_NAMES = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'];
for (let k = 0; k < 8; k++) {
  // Rotates define only CF and OF (OF only for 1-bit counts); shifts leave AF
  // undefined, and OF for counts other than 1 (Vol. 2, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR).
  const undef = k < 4 ? 'OF' : 'AF OF';
  const undef1 = k < 4 ? undefined : 'AF';
  const c = { mnemonic: SHIFT_NAMES[k], map: '' as const, reg: k, arg: k, modrm: true, writesFlags: k < 4 ? 'CF OF' : ARITH };
  add({ ...c, op: 0xc0, size: 'b', imm: 'Ib', handler: 'ShiftEbIb', undefinedFlags: undef });
  add({ ...c, op: 0xc1, size: 'v', imm: 'Ib', handler: 'ShiftEvIb', undefinedFlags: undef });
  add({ ...c, op: 0xd0, size: 'b', handler: 'ShiftEb1', undefinedFlags: undef1 });
  add({ ...c, op: 0xd1, size: 'v', handler: 'ShiftEv1', undefinedFlags: undef1 });
  add({ ...c, op: 0xd2, size: 'b', handler: 'ShiftEbCl', undefinedFlags: undef });
  add({ ...c, op: 0xd3, size: 'v', handler: 'ShiftEvCl', undefinedFlags: undef });
}

add({ mnemonic: 'ret', map: '', op: 0xc2, modrm: false, size: 'f64', imm: 'Iw', handler: 'RetIw', ends: true, test: 'branch' });
add({ mnemonic: 'ret', map: '', op: 0xc3, modrm: false, size: 'f64', handler: 'Ret', ends: true, test: 'branch' });
add({ mnemonic: 'mov', map: '', op: 0xc6, reg: 0, modrm: true, size: 'b', imm: 'Ib', handler: 'MovEbIb' });
add({ mnemonic: 'mov', map: '', op: 0xc7, reg: 0, modrm: true, size: 'v', imm: 'Iz', handler: 'MovEvIz' });
add({ mnemonic: 'enter', map: '', op: 0xc8, modrm: false, size: 'd64', imm: 'IwIb', handler: 'Enter', test: 'stack' });
add({ mnemonic: 'leave', map: '', op: 0xc9, modrm: false, size: 'd64', handler: 'Leave', test: 'stack' });
// xlat: al = [rbx + al] (67: ebx + al modulo 2^32; fs/gs overrides apply), Vol. 2, XLAT/XLATB.
add({ mnemonic: 'xlatb', map: '', op: 0xd7, modrm: false, size: 'b', handler: 'Xlat' });
add({ mnemonic: 'int3', map: '', op: 0xcc, modrm: false, size: 'b', handler: 'Int3', ends: true, test: 'none' });
add({ mnemonic: 'int', map: '', op: 0xcd, modrm: false, size: 'b', imm: 'Ib', handler: 'IntIb', ends: true, test: 'none' });

// ---- loops and branches -----------------------------------------------------------
add({ mnemonic: 'loopne', map: '', op: 0xe0, modrm: false, size: 'f64', imm: 'Jb', handler: 'Loop', arg: 0, ends: true, test: 'branch' });
add({ mnemonic: 'loope', map: '', op: 0xe1, modrm: false, size: 'f64', imm: 'Jb', handler: 'Loop', arg: 1, ends: true, test: 'branch' });
add({ mnemonic: 'loop', map: '', op: 0xe2, modrm: false, size: 'f64', imm: 'Jb', handler: 'Loop', arg: 2, ends: true, test: 'branch' });
add({ mnemonic: 'jrcxz', map: '', op: 0xe3, modrm: false, size: 'f64', imm: 'Jb', handler: 'Jrcxz', ends: true, test: 'branch' });
add({ mnemonic: 'call', map: '', op: 0xe8, modrm: false, size: 'f64', imm: 'Jz', handler: 'CallJz', ends: true, test: 'branch' });
add({ mnemonic: 'jmp', map: '', op: 0xe9, modrm: false, size: 'f64', imm: 'Jz', handler: 'JmpJz', ends: true, test: 'branch' });
add({ mnemonic: 'jmp', map: '', op: 0xeb, modrm: false, size: 'f64', imm: 'Jb', handler: 'JmpJz', ends: true, test: 'branch' });

add({ mnemonic: 'hlt', map: '', op: 0xf4, modrm: false, size: 'b', handler: 'Hlt', ends: true, test: 'none' });
add({ mnemonic: 'cmc', map: '', op: 0xf5, modrm: false, size: 'b', handler: 'Cmc', writesFlags: 'CF' });

// ---- group 3: F6/F7 -------------------------------------------------------------
for (const [op, size, imm, sfx] of [[0xf6, 'b', 'Ib', 'Eb'], [0xf7, 'v', 'Iz', 'Ev']] as const) {
  add({ mnemonic: 'test', map: '', op, reg: 0, modrm: true, size, imm, handler: `Test${sfx}I`, writesFlags: ARITH, undefinedFlags: 'AF' });
  add({ mnemonic: 'test', map: '', op, reg: 1, modrm: true, size, imm, handler: `Test${sfx}I`, writesFlags: ARITH, undefinedFlags: 'AF' });
  add({ mnemonic: 'not', map: '', op, reg: 2, modrm: true, size, handler: `Not${sfx}`, lock: true });
  add({ mnemonic: 'neg', map: '', op, reg: 3, modrm: true, size, handler: `Neg${sfx}`, lock: true, writesFlags: ARITH });
  add({ mnemonic: 'mul', map: '', op, reg: 4, modrm: true, size, handler: `Mul${sfx}`, writesFlags: ARITH, undefinedFlags: 'PF AF ZF SF' });
  add({ mnemonic: 'imul', map: '', op, reg: 5, modrm: true, size, handler: `Imul${sfx}`, writesFlags: ARITH, undefinedFlags: 'PF AF ZF SF' });
  add({ mnemonic: 'div', map: '', op, reg: 6, modrm: true, size, handler: `Div${sfx}`, undefinedFlags: ARITH, test: 'div' });
  add({ mnemonic: 'idiv', map: '', op, reg: 7, modrm: true, size, handler: `Idiv${sfx}`, undefinedFlags: ARITH, test: 'div' });
}

add({ mnemonic: 'clc', map: '', op: 0xf8, modrm: false, size: 'b', handler: 'SetCarry', arg: 0, writesFlags: 'CF' });
add({ mnemonic: 'stc', map: '', op: 0xf9, modrm: false, size: 'b', handler: 'SetCarry', arg: 1, writesFlags: 'CF' });
add({ mnemonic: 'cld', map: '', op: 0xfc, modrm: false, size: 'b', handler: 'SetDirection', arg: 0 });
add({ mnemonic: 'std', map: '', op: 0xfd, modrm: false, size: 'b', handler: 'SetDirection', arg: 1 });

// ---- groups 4 and 5: FE/FF ---------------------------------------------------------
add({ mnemonic: 'inc', map: '', op: 0xfe, reg: 0, modrm: true, size: 'b', handler: 'IncDecEb', arg: 0, lock: true, writesFlags: 'PF AF ZF SF OF' });
add({ mnemonic: 'dec', map: '', op: 0xfe, reg: 1, modrm: true, size: 'b', handler: 'IncDecEb', arg: 1, lock: true, writesFlags: 'PF AF ZF SF OF' });
add({ mnemonic: 'inc', map: '', op: 0xff, reg: 0, modrm: true, size: 'v', handler: 'IncDecEv', arg: 0, lock: true, writesFlags: 'PF AF ZF SF OF' });
add({ mnemonic: 'dec', map: '', op: 0xff, reg: 1, modrm: true, size: 'v', handler: 'IncDecEv', arg: 1, lock: true, writesFlags: 'PF AF ZF SF OF' });
add({ mnemonic: 'call', map: '', op: 0xff, reg: 2, modrm: true, size: 'f64', handler: 'CallEq', ends: true, test: 'branch' });
add({ mnemonic: 'jmp', map: '', op: 0xff, reg: 4, modrm: true, size: 'f64', handler: 'JmpEq', ends: true, test: 'branch' });
add({ mnemonic: 'push', map: '', op: 0xff, reg: 6, modrm: true, size: 'd64', handler: 'PushEv', test: 'stack' });

// ---- two-byte map 0F ----------------------------------------------------------------
add({ mnemonic: 'syscall', map: '0f', op: 0x05, modrm: false, size: 'b', handler: 'Syscall', ends: true, test: 'none' });
add({ mnemonic: 'ud2', map: '0f', op: 0x0b, modrm: false, size: 'b', handler: 'Ud', ends: true, test: 'none' });
// prefetchw takes only a memory operand: the register form is #UD (checked on the host).
add({ mnemonic: 'prefetchw', map: '0f', op: 0x0d, mod: 'mem', modrm: true, size: 'v', handler: 'Nop' });
// 0F 18-1F: hint nops (prefetch, nop Ev, endbr64 = F3 0F 1E FA), Vol. 2, NOP and Table A-3.
for (let op = 0x18; op <= 0x1f; op++) {
  add({ mnemonic: op === 0x18 ? 'prefetch' : op === 0x1e ? 'endbr64' : 'nop', map: '0f', op, modrm: true, size: 'v', handler: 'Nop' });
}
add({ mnemonic: 'rdtsc', map: '0f', op: 0x31, modrm: false, size: 'b', handler: 'Rdtsc', ends: true, test: 'none' });
for (let cc = 0; cc < 16; cc++) {
  add({ mnemonic: 'cmov' + CC[cc], map: '0f', op: 0x40 + cc, modrm: true, size: 'v', handler: 'CmovGvEv', arg: cc });
}
for (let cc = 0; cc < 16; cc++) {
  add({ mnemonic: 'j' + CC[cc], map: '0f', op: 0x80 + cc, modrm: false, size: 'f64', imm: 'Jz', handler: 'JccJz', arg: cc, ends: true, test: 'branch' });
}
for (let cc = 0; cc < 16; cc++) {
  add({ mnemonic: 'set' + CC[cc], map: '0f', op: 0x90 + cc, modrm: true, size: 'b', handler: 'SetccEb', arg: cc });
}
add({ mnemonic: 'cpuid', map: '0f', op: 0xa2, modrm: false, size: 'b', handler: 'Cpuid', test: 'none' });

// bt/bts/btr/btc: arg 0..3 = test, set, reset, complement (Vol. 2, BT).
const BT = 'OF SF AF PF';
add({ mnemonic: 'bt', map: '0f', op: 0xa3, modrm: true, size: 'v', handler: 'BtEvGv', arg: 0, writesFlags: 'CF', undefinedFlags: BT });
add({ mnemonic: 'bts', map: '0f', op: 0xab, modrm: true, size: 'v', handler: 'BtEvGv', arg: 1, lock: true, writesFlags: 'CF', undefinedFlags: BT });
add({ mnemonic: 'btr', map: '0f', op: 0xb3, modrm: true, size: 'v', handler: 'BtEvGv', arg: 2, lock: true, writesFlags: 'CF', undefinedFlags: BT });
add({ mnemonic: 'btc', map: '0f', op: 0xbb, modrm: true, size: 'v', handler: 'BtEvGv', arg: 3, lock: true, writesFlags: 'CF', undefinedFlags: BT });
for (let k = 4; k < 8; k++) {
  add({ mnemonic: ['bt', 'bts', 'btr', 'btc'][k - 4], map: '0f', op: 0xba, reg: k, modrm: true, size: 'v', imm: 'Ib', handler: 'BtEvIb', arg: k - 4, lock: k !== 4, writesFlags: 'CF', undefinedFlags: BT });
}

// shld/shrd: AF undefined; OF undefined for counts other than 1; CF/SF/ZF/PF undefined past the width.
add({ mnemonic: 'shld', map: '0f', op: 0xa4, modrm: true, size: 'v', imm: 'Ib', handler: 'ShldEvGvIb', arg: 0, writesFlags: ARITH, undefinedFlags: 'AF OF' });
add({ mnemonic: 'shld', map: '0f', op: 0xa5, modrm: true, size: 'v', handler: 'ShldEvGvCl', arg: 0, writesFlags: ARITH, undefinedFlags: 'AF OF' });
add({ mnemonic: 'shrd', map: '0f', op: 0xac, modrm: true, size: 'v', imm: 'Ib', handler: 'ShldEvGvIb', arg: 1, writesFlags: ARITH, undefinedFlags: 'AF OF' });
add({ mnemonic: 'shrd', map: '0f', op: 0xad, modrm: true, size: 'v', handler: 'ShldEvGvCl', arg: 1, writesFlags: ARITH, undefinedFlags: 'AF OF' });

add({ mnemonic: 'imul', map: '0f', op: 0xaf, modrm: true, size: 'v', handler: 'ImulGvEv', writesFlags: ARITH, undefinedFlags: 'PF AF ZF SF' });
add({ mnemonic: 'cmpxchg', map: '0f', op: 0xb0, modrm: true, size: 'b', handler: 'CmpxchgEbGb', lock: true, writesFlags: ARITH });
add({ mnemonic: 'cmpxchg', map: '0f', op: 0xb1, modrm: true, size: 'v', handler: 'CmpxchgEvGv', lock: true, writesFlags: ARITH });
add({ mnemonic: 'movzx', map: '0f', op: 0xb6, modrm: true, size: 'v', byteRegs: 'rm', handler: 'MovzxGvEb' });
add({ mnemonic: 'movzx', map: '0f', op: 0xb7, modrm: true, size: 'v', handler: 'MovzxGvEw' });
add({ mnemonic: 'movsx', map: '0f', op: 0xbe, modrm: true, size: 'v', byteRegs: 'rm', handler: 'MovsxGvEb' });
add({ mnemonic: 'movsx', map: '0f', op: 0xbf, modrm: true, size: 'v', handler: 'MovsxGvEw' });
add({ mnemonic: 'popcnt', map: '0f', op: 0xb8, prefix: 'f3', modrm: true, size: 'v', handler: 'PopcntGvEv', writesFlags: ARITH });
add({ mnemonic: 'ud1', map: '0f', op: 0xb9, modrm: true, size: 'v', handler: 'Ud', ends: true, test: 'none' });
// F3 0F BC/BD are tzcnt/lzcnt (CPUID advertises BMI1 and LZCNT); without F3, bsf/bsr.
add({ mnemonic: 'tzcnt', map: '0f', op: 0xbc, prefix: 'f3', modrm: true, size: 'v', handler: 'TzcntGvEv', writesFlags: ARITH, undefinedFlags: 'OF SF PF AF' });
add({ mnemonic: 'bsf', map: '0f', op: 0xbc, modrm: true, size: 'v', handler: 'BsfGvEv', writesFlags: ARITH, undefinedFlags: 'CF OF SF AF PF' });
add({ mnemonic: 'lzcnt', map: '0f', op: 0xbd, prefix: 'f3', modrm: true, size: 'v', handler: 'LzcntGvEv', writesFlags: ARITH, undefinedFlags: 'OF SF PF AF' });
add({ mnemonic: 'bsr', map: '0f', op: 0xbd, modrm: true, size: 'v', handler: 'BsrGvEv', writesFlags: ARITH, undefinedFlags: 'CF OF SF AF PF' });
add({ mnemonic: 'xadd', map: '0f', op: 0xc0, modrm: true, size: 'b', handler: 'XaddEbGb', lock: true, writesFlags: ARITH });
add({ mnemonic: 'xadd', map: '0f', op: 0xc1, modrm: true, size: 'v', handler: 'XaddEvGv', lock: true, writesFlags: ARITH });
add({ mnemonic: 'cmpxchg16b', map: '0f', op: 0xc7, reg: 1, mod: 'mem', modrm: true, size: 'v', handler: 'Cmpxchg16b', lock: true, writesFlags: 'ZF' });
add({ mnemonic: 'bswap', map: '0f', op: 0xc8, plusR: true, modrm: false, size: 'v', handler: 'BswapZv' });
add({ mnemonic: 'ud0', map: '0f', op: 0xff, modrm: true, size: 'v', handler: 'Ud', ends: true, test: 'none' });

// ---- BMI1 (VEX.LZ.0F38, CPUID.7.EBX bit 3), Vol. 2, ANDN, BEXTR, BLSI, BLSMSK, BLSR ----
add({ mnemonic: 'andn', map: '0f38', vex: true, op: 0xf2, prefix: 'none', modrm: true, size: 'v', handler: 'AndnGyByEy', writesFlags: ARITH, undefinedFlags: 'AF PF' });
add({ mnemonic: 'bextr', map: '0f38', vex: true, op: 0xf7, prefix: 'none', modrm: true, size: 'v', handler: 'BextrGyEyBy', writesFlags: ARITH, undefinedFlags: 'AF SF PF' });
add({ mnemonic: 'blsr', map: '0f38', vex: true, op: 0xf3, reg: 1, prefix: 'none', modrm: true, size: 'v', handler: 'BlsByEy', arg: 1, writesFlags: ARITH, undefinedFlags: 'AF PF' });
add({ mnemonic: 'blsmsk', map: '0f38', vex: true, op: 0xf3, reg: 2, prefix: 'none', modrm: true, size: 'v', handler: 'BlsByEy', arg: 2, writesFlags: ARITH, undefinedFlags: 'AF PF' });
add({ mnemonic: 'blsi', map: '0f38', vex: true, op: 0xf3, reg: 3, prefix: 'none', modrm: true, size: 'v', handler: 'BlsByEy', arg: 3, writesFlags: ARITH, undefinedFlags: 'AF PF' });

export const INTEGER_ROWS: readonly OpcodeRow[] = rows;
