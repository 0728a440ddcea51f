// errno values for x86-64 Linux (include/uapi/asm-generic/errno-base.h and
// errno.h). System calls return them negated in rax.

export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const EMFILE = 24;
export const ENOTTY = 25;
export const ESPIPE = 29;
export const EROFS = 30;
export const ERANGE = 34;
export const EDEADLK = 35;
export const ENAMETOOLONG = 36;
export const ENOSYS = 38;
export const ELOOP = 40;
export const EOVERFLOW = 75;
export const EOPNOTSUPP = 95;
export const ETIMEDOUT = 110;
export const ECHILD = 10;
export const E2BIG = 7;
export const ENOEXEC = 8;
export const EPIPE = 32;
export const ENOSPC = 28;
export const ENXIO = 6;
export const ENOTRECOVERABLE = 131;
export const EOWNERDEAD = 130;
export const ENOTSUP = 95;
export const ENOTSUPP = 524;

// Kernel-internal restart codes (include/linux/errno.h): a system call
// interrupted by a signal returns one of these; the signal code turns it
// into EINTR or restarts the call (arch/x86/kernel/signal.c
// arch_do_signal_or_restart, handle_signal). They never reach user space.
export const ERESTARTSYS = 512;
export const ERESTARTNOINTR = 513;
export const ERESTARTNOHAND = 514;
export const ERESTART_RESTARTBLOCK = 516;

const NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG', 8: 'ENOEXEC', 9: 'EBADF', 10: 'ECHILD',
  11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV', 20: 'ENOTDIR',
  21: 'EISDIR', 22: 'EINVAL', 24: 'EMFILE', 25: 'ENOTTY', 28: 'ENOSPC', 29: 'ESPIPE', 30: 'EROFS', 32: 'EPIPE',
  34: 'ERANGE', 35: 'EDEADLK', 36: 'ENAMETOOLONG', 38: 'ENOSYS', 40: 'ELOOP', 75: 'EOVERFLOW', 95: 'EOPNOTSUPP',
  110: 'ETIMEDOUT', 130: 'EOWNERDEAD', 131: 'ENOTRECOVERABLE', 512: 'ERESTARTSYS', 513: 'ERESTARTNOINTR',
  514: 'ERESTARTNOHAND', 516: 'ERESTART_RESTARTBLOCK', 524: 'ENOTSUPP',
};

/** The symbolic name of an errno value, as strace prints it. */
export function errnoName(e: number): string {
  return NAMES[e] ?? `E${e}`;
}
