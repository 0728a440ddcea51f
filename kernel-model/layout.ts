// The x86-64 user address space as Linux lays it out with 4-level paging
// and address-space randomisation off (what rseqlab always models, so runs
// are reproducible). Values from arch/x86/include/asm/page_64_types.h,
// arch/x86/include/asm/elf.h and mm/util.c.

export const PAGE_SIZE = 4096;

/** TASK_SIZE_MAX: the first address user space may not use ((1 << 47) - PAGE_SIZE). */
export const TASK_SIZE = 0x7ffffffff000;

/** STACK_TOP: the initial stack ends here (no randomisation). */
export const STACK_TOP = TASK_SIZE;

/** RLIMIT_STACK default (_STK_LIM, 8 MiB); the stack mapping is reserved up front. */
export const STACK_SIZE = 8 * 1024 * 1024;

/** Lowest address of the stack reservation. */
export const STACK_BOTTOM = STACK_TOP - STACK_SIZE;

/**
 * mmap_base with randomisation off: TASK_SIZE minus the stack gap
 * (mm/util.c mmap_base clamps the gap to at least 128 MiB). Top-down
 * mmap allocations search downwards from here.
 */
export const MMAP_BASE = TASK_SIZE - 128 * 1024 * 1024;

/** ELF_ET_DYN_BASE (arch/x86/include/asm/elf.h): 2/3 of TASK_SIZE, page aligned: where PIE executables load. */
export const ET_DYN_BASE = 0x555555554000;

/** vm.mmap_min_addr default: nothing may be mapped below this. */
export const MMAP_MIN_ADDR = 0x10000;

export function pageDown(addr: number): number {
  return addr - (addr % PAGE_SIZE);
}

export function pageUp(addr: number): number {
  const rem = addr % PAGE_SIZE;
  return rem === 0 ? addr : addr + (PAGE_SIZE - rem);
}

export function isPageAligned(addr: number): boolean {
  return addr % PAGE_SIZE === 0;
}

export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}
