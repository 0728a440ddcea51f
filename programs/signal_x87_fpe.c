/* signal_x87_fpe: x87 exceptions unmasked in the control word are reported
 * at the next waiting x87 instruction (#MF), as SIGFPE with the FPE_* code
 * of the status word's unmasked flags and trapno 16: a division by zero
 * seen at the following fadd, an invalid 0/0 seen at fwait. The handler
 * leaves by siglongjmp; fnclex / fninit clear the state. */
#define _GNU_SOURCE
#include <fenv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <ucontext.h>
static sigjmp_buf env;
static void h(int s, siginfo_t *si, void *u) { ucontext_t *uc = u; printf("SIGFPE code %d trapno %lld swd %#x\n", si->si_code, (long long)uc->uc_mcontext.gregs[REG_TRAPNO], uc->uc_mcontext.fpregs->swd & 0x3f); siglongjmp(env, 1); }
int main(void) {
  struct sigaction sa = { .sa_sigaction = h, .sa_flags = SA_SIGINFO }; sigaction(SIGFPE, &sa, 0);
  volatile long double a = 1, z = 0, r = 0;
  unsigned short cw;
  if (!sigsetjmp(env, 1)) {
    __asm__ volatile("fnstcw %0" : "=m"(cw)); cw &= ~0x4; __asm__ volatile("fldcw %0" :: "m"(cw));
    r = a / z; /* raises ZE, reported at the next waiting instruction */
    r = r + 1;
    puts("no trap (wrong)");
  }
  __asm__ volatile("fnclex"); cw |= 0x3f; __asm__ volatile("fldcw %0" :: "m"(cw));
  if (!sigsetjmp(env, 1)) {
    __asm__ volatile("fnstcw %0" : "=m"(cw)); cw &= ~0x1; __asm__ volatile("fldcw %0" :: "m"(cw));
    r = z / z; __asm__ volatile("fwait");
    puts("no trap 2 (wrong)");
  }
  __asm__ volatile("fninit");
  puts("signal_x87_fpe: ok");
  return 0;
}
