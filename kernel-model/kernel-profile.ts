// Kernel-version profiles (shared/docs/rseq-abi.md section 7b). A profile
// changes only what that version of Linux did differently.

export type KernelProfileName = '4.18' | '6.3' | 'current';

export const KERNEL_PROFILE_NAMES: readonly KernelProfileName[] = ['4.18', '6.3', 'current'];

export interface KernelProfile {
  name: KernelProfileName;
  /** uname -r. */
  release: string;
  /** rseq extensible ABI (6.3): node_id and mm_cid written, extended rseq_len accepted. */
  rseqExtended: boolean;
  /** AT_RSEQ_FEATURE_SIZE / AT_RSEQ_ALIGN in the auxiliary vector (6.3). */
  auxvRseq: boolean;
  /** AT_MINSIGSTKSZ on x86 (5.14). */
  auxvMinSigStkSz: boolean;
}

export function kernelProfile(name: KernelProfileName): KernelProfile {
  switch (name) {
    case '4.18':
      return { name, release: '4.18.0-rseqlab', rseqExtended: false, auxvRseq: false, auxvMinSigStkSz: false };
    case '6.3':
      return { name, release: '6.3.0-rseqlab', rseqExtended: true, auxvRseq: true, auxvMinSigStkSz: true };
    case 'current':
      return { name, release: '6.18.0-rseqlab', rseqExtended: true, auxvRseq: true, auxvMinSigStkSz: true };
  }
}

export function isKernelProfileName(s: string): s is KernelProfileName {
  return (KERNEL_PROFILE_NAMES as readonly string[]).includes(s);
}
