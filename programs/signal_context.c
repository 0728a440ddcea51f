/* signal_context: what a handler sees of the interrupted context, for faults
 * and for signals sent by software: si_code, the saved EFLAGS (RF is set for
 * faults, not for the int3 trap), trapno and the page-fault error code, which
 * stay from the last fault for later signals, as Linux keeps them per thread.
 * Each handler leaves with siglongjmp. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <ucontext.h>

static sigjmp_buf env;

static void handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	/* Only the bits a test can rely on: RF (16), IF (9) and the reserved bit 1. */
	unsigned long long efl = (unsigned long long)uc->uc_mcontext.gregs[REG_EFL] & 0x10202ULL;
	printf("%-8s si_code %4d  eflags %#7llx  trapno %2lld  err %lld\n", sig == SIGSEGV ? "SIGSEGV" : sig == SIGFPE ? "SIGFPE" : "SIGTRAP",
	       si->si_code, efl, (long long)uc->uc_mcontext.gregs[REG_TRAPNO], (long long)uc->uc_mcontext.gregs[REG_ERR]);
	siglongjmp(env, 1);
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = handler, .sa_flags = SA_SIGINFO };
	sigaction(SIGSEGV, &sa, 0);
	sigaction(SIGFPE, &sa, 0);
	sigaction(SIGTRAP, &sa, 0);
	volatile int *unmapped = (volatile int *)8;
	__asm__("" : "+r"(unmapped)); /* an address the compiler cannot see through */
	if (!sigsetjmp(env, 1))
		*unmapped = 1; /* write to an unmapped page */
	if (!sigsetjmp(env, 1))
		(void)unmapped[2]; /* read from it */
	if (!sigsetjmp(env, 1)) {
		volatile int zero = 0;
		printf("%d\n", 5 / zero);
	}
	if (!sigsetjmp(env, 1))
		__asm__ volatile("int3");
	if (!sigsetjmp(env, 1))
		raise(SIGSEGV); /* trapno and err are the last fault's */
	puts("signal_context: ok");
	return 0;
}
