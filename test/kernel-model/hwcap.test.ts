// AT_HWCAP must say what the CPU's cpuid says (Linux copies CPUID.1:EDX),
// or glibc and the guest would disagree about the machine.

import { expect, it } from 'vitest';
import { createCpu, PROT_EXEC, PROT_READ, Reg, StopReason } from '../../emulator/index.js';
import { DEFAULT_HWCAP } from '../../kernel-model/machine.js';

it('AT_HWCAP equals CPUID.1:EDX of the emulated CPU', async () => {
  const cpu = await createCpu();
  const ctx = cpu.createContext();
  cpu.map(0x400000, 0x1000, PROT_READ | PROT_EXEC);
  cpu.write(0x400000, Uint8Array.from([0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0x0f, 0x0b])); // mov eax, 1; cpuid; ud2
  ctx.rip = 0x400000n;
  expect(cpu.run(ctx, 10).reason).toBe(StopReason.Ud);
  expect(Number(ctx.gpr[Reg.RDX])).toBe(DEFAULT_HWCAP);
});
