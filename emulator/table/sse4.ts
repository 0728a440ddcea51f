// x86-64-v2 beyond SSE2: SSE3, SSSE3, SSE4.1 and SSE4.2 (manual Vol. 2,
// Appendix A, Tables: the 0F, 0F 38 and 0F 3A maps with
// mandatory prefixes). CPUID leaf 1 ECX advertises them (bits 0, 9, 19, 20;
// emulator/assembly/cpuid.ts).
//
// Only the xmm forms are here. The SSSE3 MMX forms (NP 0F 38 00-0B, 1C-1E
// and NP 0F 3A 0F, on mm registers) are rows of emulator/table/mmx.ts, with
// the same operation numbers (SSSE3_OPS) and opcodes (SSSE3_OPCODES) and the
// operations of ops/ssse3.ts on 8 bytes. fisttp (SSE3, DB/DD/DF /1) belongs
// to the x87 table; monitor/mwait are not advertised (CPUID.1:ECX.MONITOR
// clear).
//
// Handlers: emulator/assembly/ops/sse3.ts (SSE3), ssse3.ts (SSSE3),
// sse41.ts (SSE4.1 and pcmpgtq), sse41-fp.ts (round, dpps/dppd, insertps),
// sse42-string.ts (pcmpestri/pcmpestrm/pcmpistri/pcmpistrm), crc32.ts.

import type { MandatoryPrefix, OpcodeMap, OpcodeRow, Imm, TestKind } from './types.js';

const rows: OpcodeRow[] = [];

interface V2Row {
  mnemonic: string;
  map: OpcodeMap;
  op: number;
  prefix: MandatoryPrefix;
  handler: string;
  arg?: number;
  mod?: 'mem' | 'reg';
  imm?: Imm;
  /** 'v' for forms with a general-register operand whose size REX.W picks. */
  size?: 'x' | 'v';
  byteRegs?: 'reg' | 'rm' | 'both' | 'none';
  writesFlags?: string;
  test?: TestKind;
}

const add = (r: V2Row) => rows.push({ modrm: true, size: 'x', test: 'sse', ...r });

// ---- SSE3 (sse3.ts; lddqu reuses movdqu's handler) -----------------------------------------
add({ mnemonic: 'movsldup', map: '0f', op: 0x12, prefix: 'f3', handler: 'MovsldupVpsWps', arg: 0 });
add({ mnemonic: 'movshdup', map: '0f', op: 0x16, prefix: 'f3', handler: 'MovsldupVpsWps', arg: 1 });
add({ mnemonic: 'movddup', map: '0f', op: 0x12, prefix: 'f2', handler: 'MovddupVdqWq' });
// arg: 0 add, 1 subtract (opcode 7C / 7D).
add({ mnemonic: 'haddpd', map: '0f', op: 0x7c, prefix: '66', handler: 'HaddpdVpdWpd', arg: 0 });
add({ mnemonic: 'haddps', map: '0f', op: 0x7c, prefix: 'f2', handler: 'HaddpsVpsWps', arg: 0 });
add({ mnemonic: 'hsubpd', map: '0f', op: 0x7d, prefix: '66', handler: 'HaddpdVpdWpd', arg: 1 });
add({ mnemonic: 'hsubps', map: '0f', op: 0x7d, prefix: 'f2', handler: 'HaddpsVpsWps', arg: 1 });
add({ mnemonic: 'addsubpd', map: '0f', op: 0xd0, prefix: '66', handler: 'AddsubpdVpdWpd' });
add({ mnemonic: 'addsubps', map: '0f', op: 0xd0, prefix: 'f2', handler: 'AddsubpsVpsWps' });
add({ mnemonic: 'lddqu', map: '0f', op: 0xf0, prefix: 'f2', mod: 'mem', handler: 'MovupsVpsWps' });

// ---- SSSE3, 66 0F 38 (ssse3.ts) -------------------------------------------------------------
// arg numbers the operation; the order is the switch in ops/ssse3.ts.
export const SSSE3_OPS = [
  'pshufb', 'phaddw', 'phaddd', 'phaddsw', 'pmaddubsw', 'phsubw', 'phsubd', 'phsubsw',
  'psignb', 'psignw', 'psignd', 'pmulhrsw', 'pabsb', 'pabsw', 'pabsd',
] as const;
export const SSSE3_OPCODES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x1c, 0x1d, 0x1e];
SSSE3_OPS.forEach((m, i) => add({ mnemonic: m, map: '0f38', op: SSSE3_OPCODES[i], prefix: '66', handler: 'Ssse3VdqWdq', arg: i }));
add({ mnemonic: 'palignr', map: '0f3a', op: 0x0f, prefix: '66', imm: 'Ib', handler: 'PalignrVdqWdqIb' });

// ---- SSE4.1 packed integers, 66 0F 38 (sse41.ts); pcmpgtq is SSE4.2 --------------------------
export const SSE41_OPS = [
  'pmuldq', 'pcmpeqq', 'packusdw', 'pcmpgtq', 'pminsb', 'pminsd', 'pminuw', 'pminud',
  'pmaxsb', 'pmaxsd', 'pmaxuw', 'pmaxud', 'pmulld',
] as const;
const SSE41_OPCODES = [0x28, 0x29, 0x2b, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40];
SSE41_OPS.forEach((m, i) => add({ mnemonic: m, map: '0f38', op: SSE41_OPCODES[i], prefix: '66', handler: 'Sse41VdqWdq', arg: i }));
// blendv: the mask is xmm0; arg is the element size in bytes.
add({ mnemonic: 'pblendvb', map: '0f38', op: 0x10, prefix: '66', handler: 'BlendvVdqWdq', arg: 1 });
add({ mnemonic: 'blendvps', map: '0f38', op: 0x14, prefix: '66', handler: 'BlendvVdqWdq', arg: 4 });
add({ mnemonic: 'blendvpd', map: '0f38', op: 0x15, prefix: '66', handler: 'BlendvVdqWdq', arg: 8 });
add({ mnemonic: 'ptest', map: '0f38', op: 0x17, prefix: '66', handler: 'PtestVdqWdq', writesFlags: 'CF PF AF ZF SF OF' });
// pmovsx/pmovzx: arg = opcode & 7 (bw bd bq wd wq dq) | 8 for zero extension.
const PMOVX = ['bw', 'bd', 'bq', 'wd', 'wq', 'dq'];
PMOVX.forEach((s, i) => {
  add({ mnemonic: 'pmovsx' + s, map: '0f38', op: 0x20 + i, prefix: '66', handler: 'PmovxVdqWx', arg: i });
  add({ mnemonic: 'pmovzx' + s, map: '0f38', op: 0x30 + i, prefix: '66', handler: 'PmovxVdqWx', arg: i | 8 });
});
add({ mnemonic: 'movntdqa', map: '0f38', op: 0x2a, prefix: '66', mod: 'mem', handler: 'MovapsVpsWps' });
add({ mnemonic: 'phminposuw', map: '0f38', op: 0x41, prefix: '66', handler: 'PhminposuwVdqWdq' });

// ---- SSE4.1, 66 0F 3A with imm8 (sse41.ts, sse41-fp.ts) -------------------------------------
// round: arg 0 ps, 1 pd, 2 ss, 3 sd.
add({ mnemonic: 'roundps', map: '0f3a', op: 0x08, prefix: '66', imm: 'Ib', handler: 'RoundVxWxIb', arg: 0 });
add({ mnemonic: 'roundpd', map: '0f3a', op: 0x09, prefix: '66', imm: 'Ib', handler: 'RoundVxWxIb', arg: 1 });
add({ mnemonic: 'roundss', map: '0f3a', op: 0x0a, prefix: '66', imm: 'Ib', handler: 'RoundVxWxIb', arg: 2 });
add({ mnemonic: 'roundsd', map: '0f3a', op: 0x0b, prefix: '66', imm: 'Ib', handler: 'RoundVxWxIb', arg: 3 });
// blend: arg is the element size in bytes.
add({ mnemonic: 'blendps', map: '0f3a', op: 0x0c, prefix: '66', imm: 'Ib', handler: 'BlendVdqWdqIb', arg: 4 });
add({ mnemonic: 'blendpd', map: '0f3a', op: 0x0d, prefix: '66', imm: 'Ib', handler: 'BlendVdqWdqIb', arg: 8 });
add({ mnemonic: 'pblendw', map: '0f3a', op: 0x0e, prefix: '66', imm: 'Ib', handler: 'BlendVdqWdqIb', arg: 2 });
// Extracts to r32/r64 or memory: arg is the element size (0: dword or qword by REX.W).
add({ mnemonic: 'pextrb', map: '0f3a', op: 0x14, prefix: '66', imm: 'Ib', size: 'v', handler: 'PextrEyVdqIb', arg: 1 });
add({ mnemonic: 'pextrw', map: '0f3a', op: 0x15, prefix: '66', imm: 'Ib', size: 'v', handler: 'PextrEyVdqIb', arg: 2 });
add({ mnemonic: 'pextrd', map: '0f3a', op: 0x16, prefix: '66', imm: 'Ib', size: 'v', handler: 'PextrEyVdqIb', arg: 0 });
add({ mnemonic: 'extractps', map: '0f3a', op: 0x17, prefix: '66', imm: 'Ib', size: 'v', handler: 'PextrEyVdqIb', arg: 4 });
add({ mnemonic: 'pinsrb', map: '0f3a', op: 0x20, prefix: '66', imm: 'Ib', size: 'v', handler: 'PinsrVdqEyIb', arg: 1 });
add({ mnemonic: 'insertps', map: '0f3a', op: 0x21, prefix: '66', imm: 'Ib', handler: 'InsertpsVpsWssIb' });
add({ mnemonic: 'pinsrd', map: '0f3a', op: 0x22, prefix: '66', imm: 'Ib', size: 'v', handler: 'PinsrVdqEyIb', arg: 0 });
add({ mnemonic: 'dpps', map: '0f3a', op: 0x40, prefix: '66', imm: 'Ib', handler: 'DppsVpsWpsIb' });
add({ mnemonic: 'dppd', map: '0f3a', op: 0x41, prefix: '66', imm: 'Ib', handler: 'DppdVpdWpdIb' });
add({ mnemonic: 'mpsadbw', map: '0f3a', op: 0x42, prefix: '66', imm: 'Ib', handler: 'MpsadbwVdqWdqIb' });

// ---- SSE4.2 string compares, 66 0F 3A 60-63 (sse42-string.ts) --------------------------------
// arg bit 0: index (ECX) rather than mask (xmm0); bit 1: implicit (NUL-terminated)
// lengths rather than explicit ones in rax/rdx. Size 'v': REX.W makes the
// explicit lengths 64-bit (iced names those forms pcmpestri64/pcmpestrm64).
const PCMPSTR_FLAGS = 'CF PF AF ZF SF OF';
add({ mnemonic: 'pcmpestrm', map: '0f3a', op: 0x60, prefix: '66', imm: 'Ib', size: 'v', handler: 'PcmpstrVdqWdqIb', arg: 0, writesFlags: PCMPSTR_FLAGS });
add({ mnemonic: 'pcmpestri', map: '0f3a', op: 0x61, prefix: '66', imm: 'Ib', size: 'v', handler: 'PcmpstrVdqWdqIb', arg: 1, writesFlags: PCMPSTR_FLAGS });
add({ mnemonic: 'pcmpistrm', map: '0f3a', op: 0x62, prefix: '66', imm: 'Ib', size: 'v', handler: 'PcmpstrVdqWdqIb', arg: 2, writesFlags: PCMPSTR_FLAGS });
add({ mnemonic: 'pcmpistri', map: '0f3a', op: 0x63, prefix: '66', imm: 'Ib', size: 'v', handler: 'PcmpstrVdqWdqIb', arg: 3, writesFlags: PCMPSTR_FLAGS });

// ---- SSE4.2 crc32, F2 0F 38 F0/F1 (crc32.ts) --------------------------------------------------
// The destination is r32, or r64 with REX.W; the source r/m8 (F0) or
// r/m16/32/64 (F1, 66 selects 16 bits). Flags are unchanged.
add({ mnemonic: 'crc32', map: '0f38', op: 0xf0, prefix: 'f2', size: 'v', byteRegs: 'rm', handler: 'Crc32GyEb', test: 'alu' });
add({ mnemonic: 'crc32', map: '0f38', op: 0xf1, prefix: 'f2', size: 'v', handler: 'Crc32GyEv', test: 'alu' });

export const SSE4_ROWS: readonly OpcodeRow[] = rows;
