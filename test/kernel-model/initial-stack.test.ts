import { beforeAll, describe, expect, it } from 'vitest';
import { Reg } from '../../emulator/api.js';
import {
  AT_EXECFN, AT_HWCAP, AT_MINSIGSTKSZ, AT_PAGESZ, AT_PHDR, AT_PHNUM, AT_PLATFORM, AT_RANDOM, AT_RSEQ_ALIGN,
  AT_RSEQ_FEATURE_SIZE, AT_ENTRY, AT_UID,
} from '../../kernel-model/initial-stack.js';
import { STACK_TOP } from '../../kernel-model/layout.js';
import { Machine } from '../../kernel-model/machine.js';
import { FakeCpu } from './fake-cpu.js';
import { gcc, HELLO_C, STATIC, STATIC_PIE } from './gcc.js';

let program: Uint8Array;
let piePprogram: Uint8Array;
beforeAll(() => {
  program = gcc('stack-hello', HELLO_C, STATIC).bytes;
  piePprogram = gcc('stack-hello-pie', HELLO_C, STATIC_PIE).bytes;
});

function cString(cpu: FakeCpu, addr: number): string {
  const bytes: number[] = [];
  for (let a = addr; ; a++) {
    const b = cpu.read(a, 1)[0];
    if (b === 0) break;
    bytes.push(b);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function boot(options: { seed?: number; kernelProfile?: '4.18' | '6.3' | '6.19' | '7.0' | 'current'; pie?: boolean } = {}) {
  const cpu = new FakeCpu();
  const m = Machine.create({
    cpu,
    program: options.pie ? piePprogram : program,
    path: './hello',
    argv: ['./hello', 'one', 'två'],
    envp: ['A=1', 'LANG=C'],
    seed: options.seed ?? 42,
    kernelProfile: options.kernelProfile,
    hwcap: 0x178bfbff,
  });
  return { cpu, m };
}

/** Reads argc, argv, envp and auxv back from guest memory at rsp. */
function readStack(cpu: FakeCpu, rsp: number) {
  let p = rsp;
  const word = () => {
    const v = Number(cpu.readU64(p));
    p += 8;
    return v;
  };
  const argc = word();
  const argv: string[] = [];
  for (let i = 0; i < argc; i++) argv.push(cString(cpu, word()));
  expect(word()).toBe(0);
  const envp: string[] = [];
  for (let e = word(); e !== 0; e = word()) envp.push(cString(cpu, e));
  const auxv = new Map<number, number>();
  const order: number[] = [];
  for (;;) {
    const type = word();
    const value = word();
    if (type === 0) break;
    auxv.set(type, value);
    order.push(type);
  }
  return { argc, argv, envp, auxv, order, auxvEnd: p };
}

describe('initial stack (create_elf_tables)', () => {
  it('lays out argc, argv, envp and auxv with a 16-byte aligned rsp', () => {
    const { cpu, m } = boot();
    const ctx = m.task.ctx;
    const rsp = Number(ctx.gpr[Reg.RSP]);
    expect(rsp % 16).toBe(0);
    expect(ctx.rip).toBe(BigInt(m.image.entry));
    expect(ctx.gpr[Reg.RDX]).toBe(0n);
    expect(ctx.rflags).toBe(0x202n);
    const s = readStack(cpu, rsp);
    expect(s.argc).toBe(3);
    expect(s.argv).toEqual(['./hello', 'one', 'två']);
    expect(s.envp).toEqual(['A=1', 'LANG=C']);
    expect(s.order).toEqual([
      AT_MINSIGSTKSZ, AT_HWCAP, 6, 17, AT_PHDR, 4, AT_PHNUM, 7, 8, AT_ENTRY, AT_UID, 12, 13, 14, 23, AT_RANDOM, 26, AT_EXECFN, AT_PLATFORM,
      AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN,
    ]);
    expect(s.auxv.get(AT_HWCAP)).toBe(0x178bfbff);
    expect(s.auxv.get(AT_PAGESZ)).toBe(4096);
    expect(s.auxv.get(AT_ENTRY)).toBe(m.image.entry);
    expect(s.auxv.get(AT_UID)).toBe(1000);
    // 7.0: slice_ctrl grew the feature size to 33, so the alignment is 64.
    expect(s.auxv.get(AT_RSEQ_FEATURE_SIZE)).toBe(33);
    expect(s.auxv.get(AT_RSEQ_ALIGN)).toBe(64);
    expect(cString(cpu, s.auxv.get(AT_PLATFORM)!)).toBe('x86_64');
    expect(cString(cpu, s.auxv.get(AT_EXECFN)!)).toBe('./hello');
    // The execfn string sits right under the 8 zero bytes at the top.
    expect(s.auxv.get(AT_EXECFN)).toBe(STACK_TOP - 8 - './hello'.length - 1);
    expect(cpu.readU64(STACK_TOP - 8)).toBe(0n);
    // Random bytes under the platform string, above the auxv.
    const random = s.auxv.get(AT_RANDOM)!;
    expect(random + 16).toBe(s.auxv.get(AT_PLATFORM));
    expect(random).toBeGreaterThanOrEqual(s.auxvEnd);
    expect(random - s.auxvEnd).toBeLessThan(32);
  });

  it('AT_PHDR points at the program headers in memory', () => {
    for (const pie of [false, true]) {
      const { cpu, m } = boot({ pie });
      const s = readStack(cpu, Number(m.task.ctx.gpr[Reg.RSP]));
      const bytes = pie ? piePprogram : program;
      const phoff = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(32, true));
      const phnum = s.auxv.get(AT_PHNUM)!;
      expect(cpu.read(s.auxv.get(AT_PHDR)!, phnum * 56)).toEqual(bytes.subarray(phoff, phoff + phnum * 56));
    }
  });

  it('AT_RANDOM comes from the seed', () => {
    const rand = (seed: number) => {
      const { cpu, m } = boot({ seed });
      const s = readStack(cpu, Number(m.task.ctx.gpr[Reg.RSP]));
      return cpu.read(s.auxv.get(AT_RANDOM)!, 16);
    };
    expect(rand(1)).toEqual(rand(1));
    expect(rand(1)).not.toEqual(rand(2));
  });

  it('the 4.18 profile has no AT_RSEQ_* and no AT_MINSIGSTKSZ', () => {
    const { cpu, m } = boot({ kernelProfile: '4.18' });
    const s = readStack(cpu, Number(m.task.ctx.gpr[Reg.RSP]));
    expect(s.auxv.has(AT_RSEQ_FEATURE_SIZE)).toBe(false);
    expect(s.auxv.has(AT_RSEQ_ALIGN)).toBe(false);
    expect(s.auxv.has(AT_MINSIGSTKSZ)).toBe(false);
  });

  it('6.3 and 6.19 publish the feature size 28 and alignment 32', () => {
    for (const kernelProfile of ['6.3', '6.19'] as const) {
      const { cpu, m } = boot({ kernelProfile });
      const s = readStack(cpu, Number(m.task.ctx.gpr[Reg.RSP]));
      expect([s.auxv.get(AT_RSEQ_FEATURE_SIZE), s.auxv.get(AT_RSEQ_ALIGN)]).toEqual([28, 32]);
    }
  });

  it('maps segments with their protections, the heap after them, the stack at the top', () => {
    const { cpu, m } = boot();
    const text = m.image.segments.find((s) => s.flags === 5)!;
    expect(cpu.pageProt(text.vaddr)).toBe(5); // PROT_READ | PROT_EXEC
    const data = m.image.segments.find((s) => s.flags === 6)!;
    expect(cpu.pageProt(data.vaddr)).toBe(3);
    // .bss reads as zero
    const end = data.vaddr + data.memSize;
    expect(cpu.read(end - 16, 16)).toEqual(new Uint8Array(16));
    expect(m.process.mm.brkStart).toBe(Math.ceil(end / 4096) * 4096);
    expect(m.memoryMap().at(-1)).toMatchObject({ kind: 'stack', end: STACK_TOP, prot: 3 });
  });
});
