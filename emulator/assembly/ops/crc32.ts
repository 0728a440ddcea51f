// crc32 (SSE4.2; manual Vol. 2, CRC32): CRC-32C, the Castagnoli polynomial
// 11EDC6F41h, bit-reflected (0x82F63B78), over the source's bytes from the
// lowest, starting from the low 32 bits of the destination. The result is
// zero-extended into r32 or r64; flags are unchanged.

import { opSize, regOf, isMem, ea, rmOf } from '../insn';
import { getReg64, setReg64, getReg8 } from '../state';
import { FAULT, read8 } from '../mem';
import { readE } from '../operand';

const POLY: u32 = 0x82f63b78;
/** crc of each byte value, filled on first use. */
const TABLE: usize = memory.data(1024, 4);
let tableReady = false;

function fillTable(): void {
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c >> 1) ^ (POLY & (0 - (c & 1)));
    store<u32>(TABLE + (<usize>i << 2), c);
  }
  tableReady = true;
}

/** Folds the low `bytes` bytes of v into crc. */
function crc32c(crc: u32, v: u64, bytes: u32): u32 {
  if (!tableReady) fillTable();
  for (let i: u32 = 0; i < bytes; i++) {
    crc = (crc >> 8) ^ load<u32>(TABLE + (<usize>((crc ^ <u32>v) & 0xff) << 2));
    v >>= 8;
  }
  return crc;
}

/** crc32 r32/r64, r/m8 (F2 [REX.W] 0F 38 F0); a 66 prefix changes nothing. */
export function Crc32GyEb(d: usize): void {
  let v: u64;
  if (isMem(d)) {
    v = read8(ea(d));
    if (FAULT) return;
  } else {
    v = getReg8(rmOf(d));
  }
  setReg64(regOf(d), <u64>crc32c(<u32>getReg64(regOf(d)), v, 1));
}

/** crc32 r32, r/m16 (66 F2 0F 38 F1), r32, r/m32 and r64, r/m64 (REX.W). */
export function Crc32GyEv(d: usize): void {
  const size = opSize(d);
  const v = readE(d, size);
  if (FAULT) return;
  setReg64(regOf(d), <u64>crc32c(<u32>getReg64(regOf(d)), v, size));
}
