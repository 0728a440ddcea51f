// What cpuid reports: exactly the features this CPU implements, so glibc's
// ifunc resolvers (sysdeps/x86/cpu-features.c, init_cpu_features) pick
// code paths we execute. Intel-style leaves, so glibc sizes its caches from
// leaf 4 (sysdeps/x86/dl-cacheinfo.h, handle_intel).

export let CPUID_EAX: u32 = 0;
export let CPUID_EBX: u32 = 0;
export let CPUID_ECX: u32 = 0;
export let CPUID_EDX: u32 = 0;

const MAX_BASIC_LEAF: u32 = 7;
const MAX_EXTENDED_LEAF: u32 = 0x80000008;

// Leaf 1 EDX: FPU (0), TSC (4), CX8 (8), CMOV (15), MMX (23), FXSR (24),
// SSE (25), SSE2 (26): the x86-64 baseline.
export const LEAF1_EDX: u32 = (1 << 0) | (1 << 4) | (1 << 8) | (1 << 15) | (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26);
// Leaf 1 ECX: SSE3 (0), SSSE3 (9), CX16 (13), SSE4.1 (19), SSE4.2 (20),
// POPCNT (23): x86-64-v2 (with LAHF/SAHF below). The SSE3..SSE4.2 rows are
// emulator/table/sse4.ts. No MONITOR, no XSAVE/AVX.
export const LEAF1_ECX: u32 = (1 << 0) | (1 << 9) | (1 << 13) | (1 << 19) | (1 << 20) | (1 << 23);
// Leaf 7 EBX: BMI1 (3), for tzcnt. No ERMS, no AVX2/AVX-512.
const LEAF7_EBX: u32 = 1 << 3;
// Leaf 0x80000001 ECX: LAHF/SAHF in 64-bit mode (0), LZCNT (5); EDX: SYSCALL (11), NX (20), LM (29).
const EXT1_ECX: u32 = (1 << 0) | (1 << 5);
const EXT1_EDX: u32 = (1 << 11) | (1 << 20) | (1 << 29);

function set(a: u32, b: u32, c: u32, d: u32): void {
  CPUID_EAX = a; CPUID_EBX = b; CPUID_ECX = c; CPUID_EDX = d;
}

/** Four ASCII bytes as a little-endian register value. */
function str4(s: string, at: i32): u32 {
  let v: u32 = 0;
  for (let i = 0; i < 4; i++) {
    const c = at + i < s.length ? <u32>s.charCodeAt(at + i) : 0;
    v |= c << (<u32>i * 8);
  }
  return v;
}

const BRAND = 'rseqlab virtual x86-64 CPU';

/** Deterministic cache parameters (leaf 4): type, level, ways, partitions, line size, sets. */
function cacheLeaf(sub: u32): void {
  // EAX: type (1 data, 2 instruction, 3 unified) | level << 5 | self-init (bit 8)
  // EBX: (ways-1) << 22 | (partitions-1) << 12 | (line-1); ECX: sets - 1.
  if (sub == 0) set(1 | (1 << 5) | (1 << 8), (7 << 22) | 63, 63, 0); //        L1d 32 KiB, 8-way
  else if (sub == 1) set(2 | (1 << 5) | (1 << 8), (7 << 22) | 63, 63, 0); //   L1i 32 KiB, 8-way
  else if (sub == 2) set(3 | (2 << 5) | (1 << 8), (15 << 22) | 63, 1023, 0); // L2 1 MiB, 16-way
  else if (sub == 3) set(3 | (3 << 5) | (1 << 8) | (7 << 14), (15 << 22) | 63, 16383, 0); // L3 16 MiB shared
  else set(0, 0, 0, 0);
}

export function cpuidLeaf(leaf: u32, sub: u32): void {
  switch (leaf) {
    case 0: set(MAX_BASIC_LEAF, str4('GenuineIntel', 0), str4('GenuineIntel', 8), str4('GenuineIntel', 4)); break;
    // Family 6, model 0x0f, stepping 1: a model glibc has no quirks for.
    // EBX: CLFLUSH line size 8 (x8 = 64 bytes), one logical processor.
    case 1: set(0x000006f1, (8 << 8) | (1 << 16), LEAF1_ECX, LEAF1_EDX); break;
    // Leaf 2 descriptor 0xff: "use leaf 4 for cache parameters".
    case 2: set(0x00ff0001, 0, 0, 0); break;
    case 4: cacheLeaf(sub); break;
    case 7: if (sub == 0) set(0, LEAF7_EBX, 0, 0); else set(0, 0, 0, 0); break;
    case 0x80000000: set(MAX_EXTENDED_LEAF, 0, 0, 0); break;
    case 0x80000001: set(0, 0, EXT1_ECX, EXT1_EDX); break;
    case 0x80000002: set(str4(BRAND, 0), str4(BRAND, 4), str4(BRAND, 8), str4(BRAND, 12)); break;
    case 0x80000003: set(str4(BRAND, 16), str4(BRAND, 20), str4(BRAND, 24), str4(BRAND, 28)); break;
    case 0x80000004: set(str4(BRAND, 32), str4(BRAND, 36), str4(BRAND, 40), str4(BRAND, 44)); break;
    // L2: 1 MiB, 64-byte lines, 16-way (encoding 8).
    case 0x80000006: set(0, 0, (1024 << 16) | (8 << 12) | 64, 0); break;
    // 48-bit virtual and physical addresses.
    case 0x80000008: set(0x3030, 0, 0, 0); break;
    default: set(0, 0, 0, 0); break;
  }
}
