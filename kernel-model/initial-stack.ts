// The initial process stack, laid out exactly as Linux lays it out for an
// ELF program (fs/exec.c copy_strings + fs/binfmt_elf.c create_elf_tables),
// with address-space randomisation off. From the top of the stack down:
//
//   STACK_TOP - 8        8 zero bytes (the end marker)
//                        the execfn string (the path given to execve)
//                        envp strings (envp[0] lowest), argv strings (argv[0] lowest)
//   align down to 16     (arch_align_stack)
//                        "x86_64\0" (AT_PLATFORM)
//                        16 random bytes (AT_RANDOM)
//                        padding so that rsp is 16-byte aligned
//                        auxv pairs ... AT_NULL 0
//                        NULL, envp[envc-1] ... envp[0]
//                        NULL, argv[argc-1] ... argv[0]
//   rsp ->               argc
//
// The result is built in memory and written with one copy.

import type { KernelProfile } from './kernel-profile.js';
import { STACK_TOP } from './layout.js';

export const AT_NULL = 0;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_BASE = 7;
export const AT_FLAGS = 8;
export const AT_ENTRY = 9;
export const AT_UID = 11;
export const AT_EUID = 12;
export const AT_GID = 13;
export const AT_EGID = 14;
export const AT_PLATFORM = 15;
export const AT_HWCAP = 16;
export const AT_CLKTCK = 17;
export const AT_SECURE = 23;
export const AT_RANDOM = 25;
export const AT_HWCAP2 = 26;
export const AT_RSEQ_FEATURE_SIZE = 27;
export const AT_RSEQ_ALIGN = 28;
export const AT_EXECFN = 31;
export const AT_SYSINFO_EHDR = 33;
export const AT_MINSIGSTKSZ = 51;

/** ELF_PLATFORM on x86-64. */
export const PLATFORM = 'x86_64';
/** sizeof(Elf64_Phdr). */
const PHENT_SIZE = 56;
/** CLOCKS_PER_SEC as the kernel reports it (USER_HZ). */
const CLOCK_TICKS = 100;

/**
 * AT_MINSIGSTKSZ as arch/x86/kernel/signal.c init_sigframe_size computes
 * it for a CPU whose XSAVE area holds only x87 and SSE state (576 bytes):
 * rt_sigframe (440) + frame padding (15) + fpstate (576 + 4 magic) +
 * xsave padding (63), rounded up to 16.
 */
export const DEFAULT_MIN_SIGSTACK_SIZE = 1104;

export type AuxEntry = [type: number, value: number];

export interface StackParameters {
  argv: string[];
  envp: string[];
  /** The path passed to execve (AT_EXECFN). */
  execFn: string;
  /** 16 bytes for AT_RANDOM, from the machine's seeded generator. */
  randomBytes: Uint8Array;
  profile: KernelProfile;
  hwcap: number;
  phdrAddress: number;
  phnum: number;
  entry: number;
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  minSigStackSize?: number;
  stackTop?: number;
}

export interface InitialStack {
  /** The initial rsp (points at argc). */
  rsp: number;
  /** Lowest address written. */
  base: number;
  /** The bytes to write at `base` (up to stackTop). */
  bytes: Uint8Array;
  argvAddresses: number[];
  envpAddresses: number[];
  auxv: AuxEntry[];
}

const encoder = new TextEncoder();

export function buildInitialStack(p: StackParameters): InitialStack {
  const top = p.stackTop ?? STACK_TOP;
  const strings: { addr: number; bytes: Uint8Array }[] = [];
  let sp = top - 8;
  const push = (s: string): number => {
    const bytes = encoder.encode(s + '\0');
    sp -= bytes.length;
    strings.push({ addr: sp, bytes });
    return sp;
  };
  // copy_string_kernel(bprm->filename), then copy_strings(envp), copy_strings(argv), each from the last string down.
  const execFnAddress = push(p.execFn);
  const envpAddresses = new Array<number>(p.envp.length);
  for (let i = p.envp.length - 1; i >= 0; i--) envpAddresses[i] = push(p.envp[i]);
  const argvAddresses = new Array<number>(p.argv.length);
  for (let i = p.argv.length - 1; i >= 0; i--) argvAddresses[i] = push(p.argv[i]);

  // create_elf_tables
  sp -= sp % 16; // arch_align_stack without randomisation
  const platformAddress = push(PLATFORM);
  sp -= 16;
  const randomAddress = sp;
  strings.push({ addr: randomAddress, bytes: p.randomBytes.subarray(0, 16) });

  const auxv = auxiliaryVector(p, platformAddress, randomAddress, execFnAddress);
  const auxWords = (auxv.length + 1) * 2; // + AT_NULL
  const items = p.argv.length + 1 + (p.envp.length + 1) + 1;
  // STACK_ROUND(STACK_ADD(p, ei_index), items): 16-byte aligned, as the ABI requires at process entry.
  const unaligned = sp - auxWords * 8 - items * 8;
  const finalRsp = unaligned - (unaligned % 16);

  const bytes = new Uint8Array(top - finalRsp);
  const view = new DataView(bytes.buffer);
  const put = (addr: number, v: number) => view.setBigUint64(addr - finalRsp, BigInt(v), true);
  let w = finalRsp;
  put(w, p.argv.length);
  w += 8;
  for (const a of argvAddresses) {
    put(w, a);
    w += 8;
  }
  put(w, 0);
  w += 8;
  for (const e of envpAddresses) {
    put(w, e);
    w += 8;
  }
  put(w, 0);
  w += 8;
  for (const [type, value] of auxv) {
    put(w, type);
    put(w + 8, value);
    w += 16;
  }
  put(w, AT_NULL);
  put(w + 8, 0);
  for (const s of strings) bytes.set(s.bytes, s.addr - finalRsp);
  return { rsp: finalRsp, base: finalRsp, bytes, argvAddresses, envpAddresses, auxv };
}

/** The NEW_AUX_ENT sequence of create_elf_tables (Linux 6.x order), without AT_NULL. */
function auxiliaryVector(p: StackParameters, platform: number, random: number, execFn: number): AuxEntry[] {
  const aux: AuxEntry[] = [];
  // ARCH_DLINFO (x86-64): AT_SYSINFO_EHDR only with a vDSO (rseqlab has none,
  // so glibc makes real system calls for clock_gettime and friends), then
  // AT_MINSIGSTKSZ (5.14+).
  if (p.profile.auxvMinSigStkSz) aux.push([AT_MINSIGSTKSZ, p.minSigStackSize ?? DEFAULT_MIN_SIGSTACK_SIZE]);
  aux.push(
    [AT_HWCAP, p.hwcap],
    [AT_PAGESZ, 4096],
    [AT_CLKTCK, CLOCK_TICKS],
    [AT_PHDR, p.phdrAddress],
    [AT_PHENT, PHENT_SIZE],
    [AT_PHNUM, p.phnum],
    [AT_BASE, 0],
    [AT_FLAGS, 0],
    [AT_ENTRY, p.entry],
    [AT_UID, p.uid],
    [AT_EUID, p.euid],
    [AT_GID, p.gid],
    [AT_EGID, p.egid],
    [AT_SECURE, 0],
    [AT_RANDOM, random],
    // AT_HWCAP2 is elf_hwcap2 (arch/x86): only HWCAP2_RING3MWAIT and
    // HWCAP2_FSGSBASE exist on x86, and the emulated CPU has neither.
    [AT_HWCAP2, 0],
    [AT_EXECFN, execFn],
    [AT_PLATFORM, platform],
  );
  if (p.profile.auxvRseq) aux.push([AT_RSEQ_FEATURE_SIZE, p.profile.rseqFeatureSize], [AT_RSEQ_ALIGN, p.profile.rseqAlign]);
  return aux;
}
