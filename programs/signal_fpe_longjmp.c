/* signal_fpe_longjmp: a SIGFPE handler (SA_SIGINFO) catches
 *   - integer division by zero (idiv, and div) and INT64_MIN / -1: all are
 *     #DE, which Linux reports as FPE_INTDIV with si_addr and the saved RIP
 *     at the faulting instruction;
 *   - an SSE divide by zero (divsd) after clearing the divide-by-zero mask
 *     bit in MXCSR: FPE_FLTDIV; and 0/0 with the invalid mask cleared:
 *     FPE_FLTINV;
 * and leaves by siglongjmp. With sigsetjmp(env, 1) the signal mask is
 * restored (SIGFPE unblocked again, so it can repeat); with
 * sigsetjmp(env, 0) SIGFPE stays blocked as it was in the handler. The
 * handler runs with a fresh MXCSR (0x1f80), which siglongjmp keeps. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include <xmmintrin.h>

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("signal_fpe_longjmp: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static sigjmp_buf env;
static volatile int got_code, got_signo;
static void *volatile got_addr, *volatile got_rip;
static volatile unsigned got_mxcsr;
static volatile int handler_runs;

static void on_fpe(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	handler_runs++;
	got_signo = sig;
	got_code = si->si_code;
	got_addr = si->si_addr;
	got_rip = (void *)uc->uc_mcontext.gregs[REG_RIP];
	got_mxcsr = _mm_getcsr();
	siglongjmp(env, 1);
}

/* The faulting instructions carry global labels so the handler's si_addr
 * can be compared with them. noinline/noclone keep each label unique. */
extern char idiv_insn[], div_insn[], idiv_min_insn[], divsd_insn[], divsd_inv_insn[];

static long __attribute__((noinline, noclone)) do_idiv(long a, long b)
{
	long q = a, d = a < 0 ? -1 : 0;
	__asm__ volatile(".globl idiv_insn\nidiv_insn: idivq %2" : "+a"(q), "+d"(d) : "r"(b));
	return q;
}

static unsigned long __attribute__((noinline, noclone)) do_div(unsigned long a, unsigned long b)
{
	unsigned long q = a, d = 0;
	__asm__ volatile(".globl div_insn\ndiv_insn: divq %2" : "+a"(q), "+d"(d) : "r"(b));
	return q;
}

static long __attribute__((noinline, noclone)) do_idiv_min(long a, long b)
{
	long q = a, d = -1;
	__asm__ volatile(".globl idiv_min_insn\nidiv_min_insn: idivq %2" : "+a"(q), "+d"(d) : "r"(b));
	return q;
}

static double __attribute__((noinline, noclone)) do_divsd(double a, double b)
{
	__asm__ volatile(".globl divsd_insn\ndivsd_insn: divsd %1, %0" : "+x"(a) : "x"(b));
	return a;
}

static double __attribute__((noinline, noclone)) do_divsd_inv(double a, double b)
{
	__asm__ volatile(".globl divsd_inv_insn\ndivsd_inv_insn: divsd %1, %0" : "+x"(a) : "x"(b));
	return a;
}

static int fpe_blocked(void)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, SIGFPE);
}

static const char *code_name(int c)
{
	switch (c) {
	case FPE_INTDIV: return "FPE_INTDIV";
	case FPE_INTOVF: return "FPE_INTOVF";
	case FPE_FLTDIV: return "FPE_FLTDIV";
	case FPE_FLTINV: return "FPE_FLTINV";
	case FPE_FLTOVF: return "FPE_FLTOVF";
	case FPE_FLTUND: return "FPE_FLTUND";
	case FPE_FLTRES: return "FPE_FLTRES";
	default: return "other";
	}
}

static void expect_trap(const char *what, int want_code, void *want_addr)
{
	if (handler_runs == 0)
		fail("%s: no SIGFPE", what);
	if (got_signo != SIGFPE || got_code != want_code)
		fail("%s: signal %d code %s, want SIGFPE %s", what, got_signo, code_name(got_code), code_name(want_code));
	if (got_addr != want_addr || got_rip != want_addr)
		fail("%s: si_addr/rip not at the faulting instruction", what);
	if (got_mxcsr != 0x1f80)
		fail("%s: handler ran with MXCSR %#x, want 0x1f80", what, got_mxcsr);
	printf("%s: SIGFPE %s at the instruction\n", what, code_name(got_code));
	handler_runs = 0;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fpe;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGFPE, &sa, NULL);

	volatile long zero = 0;
	volatile int caught = 0;
	for (volatile int i = 0; i < 3; i++) {
		if (sigsetjmp(env, 1) == 0) {
			do_idiv(1000 + i, zero);
			fail("idiv by zero returned");
		}
		if (fpe_blocked())
			fail("SIGFPE still blocked after siglongjmp to sigsetjmp(env, 1)");
		expect_trap("idiv by zero", FPE_INTDIV, idiv_insn);
		caught++;
	}
	if (sigsetjmp(env, 1) == 0) {
		do_div(7, zero);
		fail("div by zero returned");
	}
	expect_trap("div by zero", FPE_INTDIV, div_insn);
	caught++;
	if (sigsetjmp(env, 1) == 0) {
		do_idiv_min(INT64_MIN, -1 + zero);
		fail("INT64_MIN / -1 returned");
	}
	expect_trap("INT64_MIN / -1", FPE_INTDIV, idiv_min_insn);
	caught++;

	/* savemask 0: the mask stays as the handler had it (SIGFPE blocked) */
	if (sigsetjmp(env, 0) == 0) {
		do_idiv(5, zero);
		fail("idiv by zero returned");
	}
	int blocked = fpe_blocked();
	printf("after siglongjmp to sigsetjmp(env, 0): SIGFPE %s\n", blocked ? "blocked" : "unblocked");
	if (!blocked)
		fail("SIGFPE not blocked after siglongjmp to sigsetjmp(env, 0)");
	expect_trap("idiv by zero (mask not saved)", FPE_INTDIV, idiv_insn);
	caught++;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGFPE);
	sigprocmask(SIG_UNBLOCK, &s, NULL);

	/* SSE: masked, 1/0 is inf and only sets the flag */
	volatile double one = 1.0, fzero = 0.0;
	double inf = do_divsd(one, fzero);
	if (inf <= 1e308 || !(_mm_getcsr() & _MM_EXCEPT_DIV_ZERO))
		fail("masked divsd by zero");
	printf("masked divsd 1/0: inf, ZE flag set\n");
	for (volatile int i = 0; i < 2; i++) {
		_mm_setcsr(0x1f80 & ~_MM_MASK_DIV_ZERO);
		if (sigsetjmp(env, 1) == 0) {
			do_divsd(one, fzero);
			fail("unmasked divsd by zero returned");
		}
		unsigned after = _mm_getcsr();
		expect_trap("unmasked divsd 1/0", FPE_FLTDIV, divsd_insn);
		printf("  MXCSR after siglongjmp: %#x\n", after);
		if (after != 0x1f80)
			fail("MXCSR after siglongjmp %#x", after);
		caught++;
	}
	_mm_setcsr(0x1f80 & ~_MM_MASK_INVALID);
	if (sigsetjmp(env, 1) == 0) {
		do_divsd_inv(fzero, fzero);
		fail("unmasked divsd 0/0 returned");
	}
	expect_trap("unmasked divsd 0/0", FPE_FLTINV, divsd_inv_insn);
	caught++;
	_mm_setcsr(0x1f80);
	printf("caught %d SIGFPE\n", caught);
	printf("signal_fpe_longjmp: ok\n");
	return 0;
}
