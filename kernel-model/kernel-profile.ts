// Kernel-version profiles (shared/docs/rseq-abi.md sections 7b and 9). A
// profile changes only what that version of Linux did differently; each
// field below is one such difference, and each has a test that runs a guest
// program under the profiles on both sides of it.

export type KernelProfileName = '4.18' | '6.3' | '6.19' | '7.0';

/** What --kernel accepts: the versions, and `current` (the newest). */
export const KERNEL_PROFILE_NAMES: readonly string[] = ['4.18', '6.3', '6.19', '7.0', 'current'];

export const CURRENT_PROFILE: KernelProfileName = '7.0';

/**
 * How the kernel handles one thread's registration on the way back to user
 * space (section 9): 'legacy' rewrites the IDs and evaluates rseq_cs after
 * every context switch and before every signal; 'optimized' writes the IDs
 * only when they change and evaluates rseq_cs only after user space was
 * interrupted.
 */
export type RseqMode = 'legacy' | 'optimized';

/**
 * How the abort-IP fixup validates a descriptor: 'full' is rseq_ip_fixup
 * with rseq_get_rseq_cs up to 6.18 (every field checked, even when the IP is
 * outside the range); 'lean' is 6.19's rseq_update_user_cs (only a section
 * the IP is inside is checked, and only abort_ip and its signature; the
 * remaining checks moved to the debug variant).
 */
export type RseqCsChecks = 'full' | 'lean';

/**
 * The NO_RESTART_ON_* flags (descriptor and area): honoured by 4.18,
 * rejected with SIGSEGV from 6.0 (rseq_warn_flags), not read at all by
 * 6.19's fast path (a debug kernel still requires version and flags 0).
 */
export type NoRestartFlags = 'honoured' | 'rejected' | 'ignored';

export interface KernelProfile {
  name: KernelProfileName;
  /** uname -r. */
  release: string;
  /** rseq extensible ABI (6.3): node_id and mm_cid written, extended rseq_len accepted. */
  rseqExtended: boolean;
  /** AT_RSEQ_FEATURE_SIZE / AT_RSEQ_ALIGN in the auxiliary vector (6.3). */
  auxvRseq: boolean;
  /** offsetof(struct rseq, end): 28 up to 6.19, 33 once slice_ctrl exists (7.0). */
  rseqFeatureSize: number;
  /** AT_RSEQ_ALIGN: the feature size rounded up to a power of two, at least 32. */
  rseqAlign: number;
  /** AT_MINSIGSTKSZ on x86 (5.14). */
  auxvMinSigStkSz: boolean;
  /**
   * 6.19's rework: registration writes the area at once (rseq_cs 0, flags,
   * cpu_id_start and cpu_id -1, node_id and mm_cid 0), the kernel caches the
   * IDs it wrote, descriptor checks are lean.
   */
  rseqRework: boolean;
  csChecks: RseqCsChecks;
  noRestartFlags: NoRestartFlags;
  /** 7.0: registrations longer than 32 bytes are optimized V2, 32-byte ones legacy; 6.19: every one optimized. */
  optimizedFor: 'none' | 'all' | 'longer-than-32';
  /** 7.0: time slice extension (slice_ctrl, prctl PR_RSEQ_SLICE_EXTENSION, rseq_slice_yield) for V2 registrations. */
  sliceExtension: boolean;
}

const PROFILES: Record<KernelProfileName, KernelProfile> = {
  '4.18': {
    name: '4.18', release: '4.18.0-rseqlab', rseqExtended: false, auxvRseq: false, rseqFeatureSize: 20, rseqAlign: 32,
    auxvMinSigStkSz: false, rseqRework: false, csChecks: 'full', noRestartFlags: 'honoured', optimizedFor: 'none', sliceExtension: false,
  },
  '6.3': {
    name: '6.3', release: '6.3.0-rseqlab', rseqExtended: true, auxvRseq: true, rseqFeatureSize: 28, rseqAlign: 32,
    auxvMinSigStkSz: true, rseqRework: false, csChecks: 'full', noRestartFlags: 'rejected', optimizedFor: 'none', sliceExtension: false,
  },
  '6.19': {
    name: '6.19', release: '6.19.0-rseqlab', rseqExtended: true, auxvRseq: true, rseqFeatureSize: 28, rseqAlign: 32,
    auxvMinSigStkSz: true, rseqRework: true, csChecks: 'lean', noRestartFlags: 'ignored', optimizedFor: 'all', sliceExtension: false,
  },
  '7.0': {
    name: '7.0', release: '7.0.0-rseqlab', rseqExtended: true, auxvRseq: true, rseqFeatureSize: 33, rseqAlign: 64,
    auxvMinSigStkSz: true, rseqRework: true, csChecks: 'lean', noRestartFlags: 'ignored', optimizedFor: 'longer-than-32', sliceExtension: true,
  },
};

export function kernelProfile(name: KernelProfileName | 'current'): KernelProfile {
  return PROFILES[name === 'current' ? CURRENT_PROFILE : name];
}

export function isKernelProfileName(s: string): s is KernelProfileName | 'current' {
  return KERNEL_PROFILE_NAMES.includes(s);
}

/** The mode a registration of `length` bytes gets (section 9). */
export function rseqModeFor(profile: KernelProfile, length: number): RseqMode {
  switch (profile.optimizedFor) {
    case 'none':
      return 'legacy';
    case 'all':
      return 'optimized';
    case 'longer-than-32':
      return length > 32 ? 'optimized' : 'legacy';
  }
}
