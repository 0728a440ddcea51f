// The kernel model's public surface.

export { Machine, DEFAULT_HWCAP, type MachineOptions, type RunOptions, type RunResult, type RunKind } from './machine.js';
export { ElfError, parseElf, SymbolTable, type CriticalSection, type ElfImage, type ElfSymbol } from './elf.js';
export type { FaultReport } from './kernel.js';
export { KERNEL_PROFILE_NAMES, isKernelProfileName, kernelProfile, type KernelProfileName } from './kernel-profile.js';
export { signalName } from './signals.js';
export { syscallName, syscallNumber } from './syscall-names.js';
