import { beforeAll, describe, expect, it } from 'vitest';
import { ElfError, parseElf, PF_X, type ElfImage } from '../../kernel-model/elf.js';
import { gcc, HELLO_C, STATIC, STATIC_PIE, TINY_C } from './gcc.js';

let exec: { path: string; bytes: Uint8Array };
let pie: { path: string; bytes: Uint8Array };

beforeAll(() => {
  exec = gcc('hello', HELLO_C, STATIC);
  pie = gcc('hello-pie', HELLO_C, STATIC_PIE);
});

function mutated(bytes: Uint8Array, edit: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = bytes.slice();
  edit(new DataView(b.buffer), b);
  return b;
}

function errorOf(bytes: Uint8Array): string {
  try {
    parseElf(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(ElfError);
    return (e as Error).message;
  }
  throw new Error('expected an ElfError');
}

describe('parseElf on real gcc -static binaries', () => {
  it('reads an ET_EXEC executable', () => {
    const img: ElfImage = parseElf(exec.bytes);
    expect(img.kind).toBe('exec');
    expect(img.loadBias).toBe(0);
    expect(img.symbols.describe(img.entry)).toBe('_start');
    const main = img.symbols.lookup('main');
    expect(main?.kind).toBe('function');
    expect(img.symbols.describe(main!.address + 3)).toBe('main+3');
    expect(img.segments.length).toBeGreaterThanOrEqual(2);
    expect(img.segments.some((s) => s.flags & PF_X)).toBe(true);
    expect(img.tls).toBeDefined();
    expect(img.executableStack).toBe(false);
    // The program headers are mapped by the first segment (AT_PHDR).
    const phoff = Number(new DataView(exec.bytes.buffer).getBigUint64(32, true));
    expect(img.phdrAddress).toBe(img.segments[0].vaddr - img.segments[0].fileOffset + phoff);
    expect(img.sections.find((s) => s.name === '.text')).toBeDefined();
    expect(img.criticalSections).toEqual([]);
  });

  it('reads a static PIE and moves it to 0x555555554000', () => {
    const img = parseElf(pie.bytes);
    expect(img.kind).toBe('static-pie');
    expect(img.loadBias).toBe(0x555555554000);
    expect(img.segments[0].vaddr).toBe(0x555555554000);
    expect(img.symbols.describe(img.entry)).toBe('_start');
    expect(img.symbols.lookup('main')!.address).toBeGreaterThan(0x555555554000);
    expect(img.tls!.vaddr).toBeGreaterThan(0x555555554000);
  });

  it('honours a chosen PIE base', () => {
    const img = parseElf(pie.bytes, { pieBase: 0x10000000 });
    expect(img.segments[0].vaddr).toBe(0x10000000);
  });

  it('reads a libc-free static program', () => {
    const tiny = gcc('tiny', TINY_C, ['-static', '-nostdlib', '-fno-pie', '-no-pie']);
    const img = parseElf(tiny.bytes);
    expect(img.symbols.lookup('counter')?.kind).toBe('object');
  });
});

describe('parseElf rejects bad input with a clear ElfError', () => {
  it('not ELF', () => {
    expect(errorOf(new TextEncoder().encode('#!/bin/sh\necho hi\n'))).toBe('not an ELF file (bad magic)');
    expect(errorOf(new Uint8Array(0))).toBe('not an ELF file (bad magic)');
  });

  it('32-bit, big-endian, other machines', () => {
    expect(errorOf(mutated(exec.bytes, (_, b) => (b[4] = 1)))).toMatch(/32-bit ELF/);
    expect(errorOf(mutated(exec.bytes, (_, b) => (b[5] = 2)))).toMatch(/big-endian/);
    expect(errorOf(mutated(exec.bytes, (v) => v.setUint16(18, 183, true)))).toBe('ELF is for machine 183 (AArch64), rseqlab runs x86-64 programs');
  });

  it('dynamically linked', () => {
    const dyn = gcc('hello-dyn', HELLO_C, []);
    expect(errorOf(dyn.bytes)).toMatch(/^dynamically linked \(PT_INTERP \/lib64\/ld-linux-x86-64\.so\.2\): .*gcc -static/);
  });

  it('object files', () => {
    const obj = gcc('hello.o', HELLO_C, ['-c']);
    expect(errorOf(obj.bytes)).toMatch(/relocatable object file \(ET_REL\)/);
  });

  it('truncated files', () => {
    expect(errorOf(exec.bytes.subarray(0, 40))).toMatch(/^truncated: the ELF header/);
    expect(errorOf(exec.bytes.subarray(0, 100))).toMatch(/^truncated: program header table/);
    expect(errorOf(exec.bytes.subarray(0, 5000))).toMatch(/^truncated: program header \d+ extends past end of file \(offset 0x[0-9a-f]+ \+ 0x[0-9a-f]+ > size 0x1388\)/);
  });

  it('segment sizes and placement', () => {
    const phoff = 64;
    const firstLoad = (v: DataView) => {
      for (let i = 0; ; i++) if (v.getUint32(phoff + i * 56, true) === 1) return phoff + i * 56;
    };
    expect(errorOf(mutated(exec.bytes, (v) => {
      const o = firstLoad(v);
      v.setBigUint64(o + 32, v.getBigUint64(o + 40, true) + 1n, true);
    }))).toMatch(/p_filesz 0x[0-9a-f]+ > p_memsz/);
    expect(errorOf(mutated(exec.bytes, (v) => {
      // Second PT_LOAD moved onto the first.
      const o = firstLoad(v);
      let second = o + 56;
      while (v.getUint32(second, true) !== 1) second += 56;
      v.setBigUint64(second + 16, v.getBigUint64(o + 16, true) + BigInt(v.getBigUint64(second + 8, true) % 4096n), true);
    }))).toMatch(/overlaps program header/);
    expect(errorOf(mutated(exec.bytes, (v) => v.setUint16(56, 5000, true)))).toMatch(/absurd program header count 5000/);
    expect(errorOf(mutated(exec.bytes, (v) => v.setUint16(54, 32, true)))).toMatch(/e_phentsize is 32/);
    expect(errorOf(mutated(exec.bytes, (v) => v.setBigUint64(24, 0x10n, true)))).toMatch(/entry point 0x10 is not inside an executable PT_LOAD segment/);
  });
});
