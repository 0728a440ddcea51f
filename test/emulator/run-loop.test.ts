// The CPU's run contract (emulator/api.ts): exact instruction counts,
// breakpoints, and precise stops with the right reason, address and rip.

import { beforeEach, describe, expect, it } from 'vitest';
import { createCpu, PROT_EXEC, PROT_READ, PROT_WRITE, Reg, StopReason, type Cpu, type CpuContext } from '../../emulator/index.js';

const CODE = 0x400000;
const DATA = 0x600000;
const STACK_TOP = 0x800000;

let cpu: Cpu;
let ctx: CpuContext;

beforeEach(async () => {
  cpu = await createCpu();
  ctx = cpu.createContext();
  cpu.map(CODE, 0x2000, PROT_READ | PROT_WRITE | PROT_EXEC);
  cpu.map(DATA, 0x1000, PROT_READ | PROT_WRITE);
  cpu.map(STACK_TOP - 0x1000, 0x1000, PROT_READ | PROT_WRITE);
  ctx.gpr[Reg.RSP] = BigInt(STACK_TOP);
  ctx.rip = BigInt(CODE);
});

function load(bytes: number[], at = CODE): void {
  cpu.write(at, Uint8Array.from(bytes));
}

// inc rax; jmp back to it (an endless two-instruction loop)
const LOOP = [0x48, 0xff, 0xc0, 0xeb, 0xfb];

describe('instruction budget', () => {
  it('retires exactly the budget, across blocks, and resumes where it stopped', () => {
    load(LOOP);
    for (const n of [1, 2, 3, 7, 1000, 12345]) {
      const before = ctx.gpr[Reg.RAX];
      const s = cpu.run(ctx, n);
      expect(s.reason).toBe(StopReason.Budget);
      expect(s.retired).toBe(n);
      // every other instruction is an inc
      expect(Number(ctx.gpr[Reg.RAX] - before)).toBeGreaterThanOrEqual(Math.floor(n / 2));
    }
    expect(ctx.retired).toBe(BigInt(1 + 2 + 3 + 7 + 1000 + 12345));
    // 13358 instructions from the start: 6679 incs, rip back on the inc
    expect(ctx.gpr[Reg.RAX]).toBe(6679n);
    expect(ctx.rip).toBe(BigInt(CODE));
  });

  it('a budget of zero runs nothing', () => {
    load(LOOP);
    const s = cpu.run(ctx, 0);
    expect(s).toMatchObject({ reason: StopReason.Budget, retired: 0 });
    expect(ctx.rip).toBe(BigInt(CODE));
  });

  it('single-stepping gives the same state as one long run', async () => {
    // a mix: mov, add, imul, cmp, jcc, loop back
    const prog = [
      0xb9, 0x20, 0, 0, 0, //         mov ecx, 32
      0x48, 0x01, 0xc8, //             add rax, rcx
      0x48, 0x6b, 0xc0, 0x03, //       imul rax, rax, 3
      0x48, 0x31, 0xc3, //             xor rbx, rax
      0xe2, 0xf4, //                   loop -12
      0x0f, 0x0b, //                   ud2
    ];
    load(prog);
    const whole = cpu.run(ctx, 1e6);
    const wholeRegs = [...ctx.gpr];
    const other = await createCpu();
    const c2 = other.createContext();
    other.map(CODE, 0x2000, PROT_READ | PROT_EXEC);
    other.write(CODE, Uint8Array.from(prog));
    c2.rip = BigInt(CODE);
    c2.gpr[Reg.RSP] = BigInt(STACK_TOP);
    let steps = 0;
    while (other.run(c2, 1).reason === StopReason.Budget) steps++;
    expect(steps).toBe(whole.retired);
    expect([...c2.gpr]).toEqual(wholeRegs);
    expect(c2.rflags).toBe(ctx.rflags);
  });
});

describe('stops', () => {
  it('stops at a breakpoint before executing it, also in the middle of a block', () => {
    load([0x90, 0x90, 0x48, 0xff, 0xc0, 0x90, 0xeb, 0xf8]);
    const s = cpu.run(ctx, 100, CODE + 2);
    expect(s).toMatchObject({ reason: StopReason.Breakpoint, retired: 2, rip: BigInt(CODE + 2) });
    expect(ctx.gpr[Reg.RAX]).toBe(0n);
    // from the breakpoint itself, a run with the same breakpoint makes progress only after leaving it
    const t = cpu.run(ctx, 100, CODE + 5);
    expect(t).toMatchObject({ reason: StopReason.Breakpoint, retired: 1, rip: BigInt(CODE + 5) });
    expect(ctx.gpr[Reg.RAX]).toBe(1n);
  });

  it('a breakpoint with passes runs through that many visits and stops at the next; the passes used come back', () => {
    load(LOOP);
    // At the loop's first instruction (block start) and at the jmp (inside the block).
    const s = cpu.run(ctx, 1000, CODE, [5]);
    expect(s).toMatchObject({ reason: StopReason.Breakpoint, retired: 10, rip: BigInt(CODE), passes: [5] });
    expect(ctx.gpr[Reg.RAX]).toBe(5n);
    const t = cpu.run(ctx, 1000, [CODE + 3, CODE + 0x100], [2, 7]);
    expect(t).toMatchObject({ reason: StopReason.Breakpoint, rip: BigInt(CODE + 3), passes: [2, 0] });
    expect(ctx.gpr[Reg.RAX]).toBe(8n);
    // The budget ends the run first: only the visits made count.
    const u = cpu.run(ctx, 7, [CODE + 0x100, CODE], [0, 100]);
    expect(u).toMatchObject({ reason: StopReason.Budget, retired: 7, passes: [0, 3] });
    // No passes: the first visit stops, as without them.
    const w = cpu.run(ctx, 1000, CODE + 3, [0]);
    expect(w).toMatchObject({ reason: StopReason.Breakpoint, rip: BigInt(CODE + 3), passes: [0] });
    // Passes of an earlier run do not carry over to one given none.
    const x = cpu.run(ctx, 1000, CODE);
    expect(x).toMatchObject({ reason: StopReason.Breakpoint, retired: 1, rip: BigInt(CODE) });
    expect(x.passes).toBeUndefined();
  });

  it('syscall retires, leaves rip after it, rcx = next rip, r11 = rflags', () => {
    load([0xb8, 0x27, 0, 0, 0, 0x0f, 0x05, 0x90]);
    const s = cpu.run(ctx, 100);
    expect(s).toMatchObject({ reason: StopReason.Syscall, retired: 2, rip: BigInt(CODE + 7) });
    expect(ctx.gpr[Reg.RCX]).toBe(BigInt(CODE + 7));
    expect(ctx.gpr[Reg.R11]).toBe(ctx.rflags);
  });

  it('a page fault names the address and access, and the faulting instruction does not retire', () => {
    // mov rax, 1; mov [0x1234], rax (absolute disp32 via SIB without base)
    load([0x48, 0xc7, 0xc0, 1, 0, 0, 0, 0x48, 0x89, 0x04, 0x25, 0x34, 0x12, 0, 0]);
    const s = cpu.run(ctx, 100);
    expect(s).toMatchObject({ reason: StopReason.PageFault, retired: 1, faultAddress: 0x1234, faultAccess: 'write', rip: BigInt(CODE + 7) });
  });

  it('a write to a read-only page faults as a write; a read of it works', () => {
    cpu.protect(DATA, 0x1000, PROT_READ);
    cpu.writeU64(DATA, 0x1122334455667788n);
    ctx.gpr[Reg.RBX] = BigInt(DATA);
    load([0x48, 0x8b, 0x03, 0x48, 0xff, 0x03]); // mov rax, [rbx]; inc qword [rbx]
    const s = cpu.run(ctx, 100);
    expect(s).toMatchObject({ reason: StopReason.PageFault, retired: 1, faultAddress: DATA, faultAccess: 'write' });
    expect(ctx.gpr[Reg.RAX]).toBe(0x1122334455667788n);
    expect(cpu.readU64(DATA)).toBe(0x1122334455667788n);
  });

  it('an access that straddles into an unmapped page faults at the first unmapped byte, changing nothing', () => {
    ctx.gpr[Reg.RBX] = BigInt(DATA + 0x1000 - 4);
    load([0x48, 0x89, 0x03]); // mov [rbx], rax
    ctx.gpr[Reg.RAX] = 0xffffffffffffffffn;
    const s = cpu.run(ctx, 10);
    expect(s).toMatchObject({ reason: StopReason.PageFault, retired: 0, faultAddress: DATA + 0x1000, faultAccess: 'write' });
    expect(cpu.readU32(DATA + 0x1000 - 4)).toBe(0);
  });

  it('jumping to a non-executable page is an exec fault at the target', () => {
    load([0xff, 0xe3]); // jmp rbx
    ctx.gpr[Reg.RBX] = BigInt(DATA);
    const s = cpu.run(ctx, 10);
    expect(s).toMatchObject({ reason: StopReason.PageFault, retired: 1, faultAddress: DATA, faultAccess: 'exec', rip: BigInt(DATA) });
  });

  it('an unknown opcode stops with its bytes and rip on it', () => {
    load([0x90, 0x0f, 0x04, 0xaa, 0xbb]); // 0F 04 is not an instruction in 64-bit mode
    const s = cpu.run(ctx, 10);
    expect(s.reason).toBe(StopReason.InvalidOpcode);
    expect(s.retired).toBe(1);
    expect(s.rip).toBe(BigInt(CODE + 1));
    expect([...s.bytes!.slice(0, 4)]).toEqual([0x0f, 0x04, 0xaa, 0xbb]);
  });

  it('ud2 stops as Ud; lock on a register destination is invalid', () => {
    load([0x0f, 0x0b]);
    expect(cpu.run(ctx, 10).reason).toBe(StopReason.Ud);
    ctx.rip = BigInt(CODE + 0x100);
    load([0xf0, 0x48, 0x01, 0xc0], CODE + 0x100); // lock add rax, rax
    expect(cpu.run(ctx, 10).reason).toBe(StopReason.InvalidOpcode);
  });

  it('division by zero is #DE with rip on the div and registers unchanged', () => {
    load([0x48, 0xf7, 0xf3]); // div rbx
    ctx.gpr[Reg.RAX] = 5n;
    const s = cpu.run(ctx, 10);
    expect(s).toMatchObject({ reason: StopReason.DivideError, retired: 0, rip: BigInt(CODE) });
    expect(ctx.gpr[Reg.RAX]).toBe(5n);
  });

  it('int3 retires and reports rip after it; hlt is a fault on the hlt', () => {
    load([0xcc, 0xf4]);
    expect(cpu.run(ctx, 10)).toMatchObject({ reason: StopReason.Int3, retired: 1, rip: BigInt(CODE + 1) });
    expect(cpu.run(ctx, 10)).toMatchObject({ reason: StopReason.Hlt, retired: 0, rip: BigInt(CODE + 1) });
  });
});

describe('memory and code', () => {
  it('code written by the guest itself runs in its new form', () => {
    // mov byte [rip+1], 0x02 ... patches the immediate of the following `mov al, 1` to 2
    // c6 05 01 00 00 00 02   mov byte [rip+1], 2   (next insn at +7; its immediate at +8)
    // b0 01                  mov al, 1
    // 0f 0b                  ud2
    load([0xc6, 0x05, 0x01, 0, 0, 0, 0x02, 0xb0, 0x01, 0x0f, 0x0b]);
    // decode the block first so it is cached, then run from the start
    cpu.run(ctx, 0);
    const s = cpu.run(ctx, 10);
    expect(s.reason).toBe(StopReason.Ud);
    expect(ctx.gpr[Reg.RAX] & 0xffn).toBe(2n);
  });

  it('code written by the kernel side (cpu.write) replaces cached decodes', () => {
    load([0xb0, 0x01, 0x0f, 0x0b]);
    cpu.run(ctx, 10);
    expect(ctx.gpr[Reg.RAX] & 0xffn).toBe(1n);
    load([0xb0, 0x07]);
    ctx.rip = BigInt(CODE);
    cpu.run(ctx, 10);
    expect(ctx.gpr[Reg.RAX] & 0xffn).toBe(7n);
  });

  it('unmapped pages read back as errors on the kernel side, and map gives zeroed pages', () => {
    expect(() => cpu.read(0x10000, 4)).toThrow(/not mapped/);
    cpu.map(0x10000, 100, PROT_READ);
    expect([...cpu.read(0x10000, 4)]).toEqual([0, 0, 0, 0]);
    expect(cpu.pageProt(0x10000)).toBe(PROT_READ);
    expect(cpu.pageProt(0x11000)).toBe(-1);
    cpu.unmap(0x10000, 0x1000);
    expect(cpu.pageProt(0x10000)).toBe(-1);
  });

  it('more code than the decode cache holds (1 M records in chunks) runs right, after it wraps and after a flush', () => {
    // 1.15 M straight-line `inc rax`, then a jmp back to the first: a pass
    // decodes more instructions than the cache has records, so decoding
    // moves through every chunk and starts over from the first.
    const BIG = 0x1000000;
    const N = 1_150_000;
    const code = new Uint8Array(N * 3 + 5);
    for (let i = 0; i < N; i++) code.set([0x48, 0xff, 0xc0], i * 3);
    const back = -(N * 3 + 5);
    code.set([0xe9, back & 0xff, (back >> 8) & 0xff, (back >> 16) & 0xff, (back >>> 24) & 0xff], N * 3);
    cpu.map(BIG, code.length, PROT_READ | PROT_WRITE | PROT_EXEC);
    cpu.write(BIG, code);
    ctx.rip = BigInt(BIG);
    expect(cpu.run(ctx, N + 1)).toMatchObject({ reason: StopReason.Budget, retired: N + 1, rip: BigInt(BIG) });
    expect(ctx.gpr[Reg.RAX]).toBe(BigInt(N));
    // A second pass (decoded again: the first blocks were flushed), then one
    // with an instruction in the middle turned into dec rax (a kernel-side
    // write to decoded code: a flush).
    expect(cpu.run(ctx, N + 1)).toMatchObject({ reason: StopReason.Budget, retired: N + 1, rip: BigInt(BIG) });
    expect(ctx.gpr[Reg.RAX]).toBe(BigInt(2 * N));
    cpu.write(BIG + 3 * 700_001, Uint8Array.from([0x48, 0xff, 0xc8]));
    expect(cpu.run(ctx, N + 1)).toMatchObject({ reason: StopReason.Budget, retired: N + 1, rip: BigInt(BIG) });
    expect(ctx.gpr[Reg.RAX]).toBe(BigInt(3 * N - 2));
  });

  it('rdtsc counts retired instructions of the context', () => {
    load([0x90, 0x90, 0x90, 0x0f, 0x31, 0x0f, 0x31]);
    cpu.run(ctx, 4);
    expect(ctx.gpr[Reg.RAX]).toBe(3n);
    cpu.run(ctx, 1);
    expect(ctx.gpr[Reg.RAX]).toBe(4n);
  });
});
