// Mutated executables thrown at the parser and the loader: each must load or
// fail with an ElfError, never another exception, never hang.

import { describe, expect, it } from 'vitest';
import { ElfError } from '../../kernel-model/elf.js';
import { Machine } from '../../kernel-model/machine.js';
import { SeededRandom } from '../../kernel-model/prng.js';
import { FakeCpu } from './fake-cpu.js';
import { gcc, TINY_C } from './gcc.js';

type Mutation = (b: Uint8Array, r: SeededRandom) => Uint8Array;

const pick = (r: SeededRandom, n: number) => r.nextU32() % n;

/** Offsets of interesting header fields: the ELF header, program and section headers. */
function fieldOffsets(b: Uint8Array): number[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = [4, 5, 6, 16, 18, 20, 24, 32, 40, 52, 54, 56, 58, 60, 62];
  if (b.length >= 64) {
    const phoff = Number(v.getBigUint64(32, true));
    const phnum = v.getUint16(56, true);
    for (let i = 0; i < phnum && phoff + i * 56 + 56 <= b.length; i++) for (const f of [0, 4, 8, 16, 32, 40, 48]) out.push(phoff + i * 56 + f);
    const shoff = Number(v.getBigUint64(40, true));
    const shnum = v.getUint16(60, true);
    for (let i = 0; i < shnum && shoff + i * 64 + 64 <= b.length; i++) for (const f of [0, 4, 16, 24, 32, 40, 56]) out.push(shoff + i * 64 + f);
  }
  return out;
}

const INTERESTING = [0n, 1n, 0xffn, 0xffffn, 0xffffffffn, 0x7fffffffffffffffn, 0xffffffffffffffffn, 0x1000n, 0x400000n, 0x7ffffffff000n];

const mutations: Mutation[] = [
  // flip a few random bits
  (b, r) => {
    const c = b.slice();
    for (let i = 0, n = 1 + pick(r, 8); i < n; i++) c[pick(r, c.length)] ^= 1 << pick(r, 8);
    return c;
  },
  // truncate
  (b, r) => b.slice(0, pick(r, b.length)),
  // corrupt a header field with an interesting or random value
  (b, r) => {
    const c = b.slice();
    const offsets = fieldOffsets(c);
    const at = offsets[pick(r, offsets.length)];
    const v = new DataView(c.buffer);
    const value = pick(r, 2) ? INTERESTING[pick(r, INTERESTING.length)] : BigInt(r.nextU32()) << BigInt(pick(r, 40));
    const width = [1, 2, 4, 8][pick(r, 4)];
    if (at + width > c.length) return c;
    if (width === 1) v.setUint8(at, Number(value & 0xffn));
    else if (width === 2) v.setUint16(at, Number(value & 0xffffn), true);
    else if (width === 4) v.setUint32(at, Number(value & 0xffffffffn), true);
    else v.setBigUint64(at, BigInt.asUintN(64, value), true);
    return c;
  },
  // overwrite a random run of bytes
  (b, r) => {
    const c = b.slice();
    const at = pick(r, c.length);
    c.set(r.bytes(Math.min(1 + pick(r, 64), c.length - at)), at);
    return c;
  },
];

describe('fuzzing the ELF parser and loader', () => {
  it('2000 mutations each load or throw ElfError', () => {
    const base = gcc('fuzz-tiny', TINY_C, ['-static', '-nostdlib', '-fno-pie', '-no-pie', '-Wl,--build-id=none']).bytes;
    const r = new SeededRandom(2024, 'fuzz');
    let loaded = 0;
    let rejected = 0;
    for (let i = 0; i < 2000; i++) {
      let input = base;
      for (let k = 0, n = 1 + pick(r, 3); k < n; k++) input = mutations[pick(r, mutations.length)](input, r);
      try {
        Machine.create({ cpu: new FakeCpu(), program: input, path: '/fuzz', seed: i });
        loaded++;
      } catch (e) {
        if (!(e instanceof ElfError)) {
          throw new Error(`mutation ${i} threw ${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack}`);
        }
        expect(e.message.length).toBeGreaterThan(10);
        rejected++;
      }
    }
    expect(loaded + rejected).toBe(2000);
    expect(loaded).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(50);
  });
});
