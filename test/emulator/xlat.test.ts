// xlat with fs and gs bases, which the differential tests cannot compare
// with the host (its fs holds the runner's TLS): al = [seg base + rbx + al],
// and with 67 the offset ebx + al wraps modulo 2^32 before the base is added
// (Vol. 2, XLAT/XLATB; Vol. 1, 3.3.7: 64-bit segment bases of fs and gs).

import { beforeEach, describe, expect, it } from 'vitest';
import { createCpu, PROT_EXEC, PROT_READ, PROT_WRITE, Reg, StopReason, type Cpu, type CpuContext } from '../../emulator/index.js';

const CODE = 0x400000;
const TABLE = 0x7f12_3456_0000;
const LOW = 0x10000;

let cpu: Cpu;
let ctx: CpuContext;

beforeEach(async () => {
  cpu = await createCpu();
  ctx = cpu.createContext();
  cpu.map(CODE, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC);
  cpu.map(TABLE, 0x2000, PROT_READ | PROT_WRITE);
  cpu.map(LOW, 0x1000, PROT_READ | PROT_WRITE);
  const table = Uint8Array.from({ length: 0x2000 }, (_, i) => (i * 7 + 3) & 0xff);
  cpu.write(TABLE, table);
  cpu.write(LOW, table.subarray(0x100, 0x1100));
});

/** Runs one xlat (bytes) with the given registers; returns al, or the stop when it faults. */
function xlat(bytes: number[], rax: bigint, rbx: bigint, fsBase = 0n, gsBase = 0n): { al: number; rax: bigint } | { stop: StopReason; address?: number } {
  cpu.write(CODE, Uint8Array.from(bytes));
  ctx.rip = BigInt(CODE);
  ctx.gpr[Reg.RAX] = rax;
  ctx.gpr[Reg.RBX] = rbx;
  ctx.fsBase = fsBase;
  ctx.gsBase = gsBase;
  const s = cpu.run(ctx, 1);
  if (s.reason !== StopReason.Budget) return { stop: s.reason, address: s.faultAddress };
  expect(ctx.rip).toBe(BigInt(CODE + bytes.length));
  expect(ctx.gpr[Reg.RBX]).toBe(rbx);
  return { al: Number(ctx.gpr[Reg.RAX] & 0xffn), rax: ctx.gpr[Reg.RAX] };
}

const byteAt = (offset: number) => (offset * 7 + 3) & 0xff;

describe('xlat', () => {
  it('reads [rbx + zero-extended al] and replaces al only', () => {
    const r = xlat([0xd7], 0x1122_3344_5566_77f0n, BigInt(TABLE + 0x100));
    expect(r).toEqual({ al: byteAt(0x1f0), rax: 0x1122_3344_5566_7700n | BigInt(byteAt(0x1f0)) });
    // REX.W changes nothing.
    expect(xlat([0x48, 0xd7], 0x80n, BigInt(TABLE))).toMatchObject({ al: byteAt(0x80) });
  });

  it('fs and gs add their bases; es, cs, ss, ds are ignored', () => {
    expect(xlat([0x64, 0xd7], 0x10n, 0x100n, BigInt(TABLE))).toMatchObject({ al: byteAt(0x110) });
    expect(xlat([0x65, 0xd7], 0x10n, 0x200n, 0n, BigInt(TABLE))).toMatchObject({ al: byteAt(0x210) });
    expect(xlat([0x2e, 0xd7], 0x10n, BigInt(TABLE + 0x300), BigInt(TABLE))).toMatchObject({ al: byteAt(0x310) });
    // The last segment override counts.
    expect(xlat([0x64, 0x65, 0xd7], 0x10n, 0x400n, 0x5000n, BigInt(TABLE))).toMatchObject({ al: byteAt(0x410) });
  });

  it('with 67 the offset is ebx + al modulo 2^32, then the segment base is added', () => {
    // ebx + al = 0xfffffff0 + 0x90 wraps to 0x80 (the upper half of rbx is ignored): fs base + 0x80.
    expect(xlat([0x64, 0x67, 0xd7], 0x90n, 0xdead_beef_ffff_fff0n, BigInt(TABLE))).toMatchObject({ al: byteAt(0x80) });
    // Without a base the wrapped offset is the address itself.
    expect(xlat([0x67, 0xd7], 0x20n, 0xffff_ffff_0001_0000n + 0x100n)).toMatchObject({ al: byteAt(0x220) });
    expect(xlat([0x67, 0xd7], 0xf0n, 0xffff_ff20n)).toMatchObject({ stop: StopReason.PageFault, address: 0x10 });
  });

  it('faults at the byte it reads, changing nothing', () => {
    expect(xlat([0xd7], 0x7fn, BigInt(TABLE + 0x2000))).toMatchObject({ stop: StopReason.PageFault, address: TABLE + 0x207f });
    expect(ctx.gpr[Reg.RAX]).toBe(0x7fn);
    expect(ctx.rip).toBe(BigInt(CODE));
    // A non-canonical address is #GP.
    expect(xlat([0x64, 0xd7], 0n, 0n, 0x8000_0000_0000n)).toMatchObject({ stop: StopReason.GeneralProtection });
  });
});
