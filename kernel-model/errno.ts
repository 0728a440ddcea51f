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
