// Byte offsets inside a register file, mirroring emulator/assembly/state.ts.
export const CTX = {
  GPR: 0,
  RIP: 128,
  RFLAGS: 136,
  FS_BASE: 144,
  GS_BASE: 152,
  RETIRED: 160,
  MXCSR: 168,
  FPU_CW: 172,
  FPU_SW: 174,
  FPU_TAG: 176,
  XMM: 256,
  ST: 512,
  SIZE: 1024,
} as const;

/** MXCSR bits fxrstor and ldmxcsr accept (emulator/assembly/xmm.ts MXCSR_MASK); others are #GP. */
export const MXCSR_MASK = 0xffff;
