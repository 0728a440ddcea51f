// AT_HWCAP must say what the CPU's cpuid says (Linux copies CPUID.1:EDX),
// or glibc and the guest would disagree about the machine.

import { expect, it } from 'vitest';
import { createCpu, PROT_EXEC, PROT_READ, Reg, StopReason } from '../../emulator/index.js';
import { DEFAULT_HWCAP } from '../../kernel-model/machine.js';

/** Runs cpuid with eax = leaf, ecx = 0 and returns [eax, ebx, ecx, edx]. */
async function cpuid(leaf: number): Promise<number[]> {
  const cpu = await createCpu();
  const ctx = cpu.createContext();
  cpu.map(0x400000, 0x1000, PROT_READ | PROT_EXEC);
  // mov eax, leaf; xor ecx, ecx; cpuid; ud2
  cpu.write(0x400000, Uint8Array.from([0xb8, leaf & 0xff, (leaf >> 8) & 0xff, (leaf >> 16) & 0xff, leaf >>> 24, 0x31, 0xc9, 0x0f, 0xa2, 0x0f, 0x0b]));
  ctx.rip = 0x400000n;
  expect(cpu.run(ctx, 10).reason).toBe(StopReason.Ud);
  return [Reg.RAX, Reg.RBX, Reg.RCX, Reg.RDX].map((r) => Number(ctx.gpr[r] & 0xffffffffn));
}

it('AT_HWCAP equals CPUID.1:EDX of the emulated CPU', async () => {
  const [, , , edx] = await cpuid(1);
  expect(edx).toBe(DEFAULT_HWCAP);
});

it('CPUID.1:ECX advertises x86-64-v2 (SSE3, SSSE3, CX16, SSE4.1, SSE4.2, POPCNT), which Linux keeps out of AT_HWCAP', async () => {
  const [, , ecx] = await cpuid(1);
  for (const bit of [0, 9, 13, 19, 20, 23]) expect((ecx >>> bit) & 1, `CPUID.1:ECX bit ${bit}`).toBe(1);
});

it('AT_HWCAP2 (0) is what Linux derives from the CPU: no FSGSBASE in CPUID.7.0:EBX, no ring3mwait', async () => {
  // arch/x86: elf_hwcap2 gets HWCAP2_FSGSBASE when the CPU has FSGSBASE and
  // HWCAP2_RING3MWAIT only on Xeon Phi parts (arch/x86/kernel/cpu/intel.c).
  const [, ebx] = await cpuid(7);
  expect(ebx & 1).toBe(0);
});
