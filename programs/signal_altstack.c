/* signal_altstack: a thread with a 64 KiB stack recurses until it runs into
 * its guard page; the SIGSEGV cannot run on the exhausted stack, so the
 * handler is installed with SA_ONSTACK and the thread has a sigaltstack.
 * The handler checks it runs on the alternate stack (sigaltstack(NULL, &old)
 * reports SS_ONSTACK and a local lies inside it), that si_addr is in the
 * guard page below the thread's stack (SEGV_ACCERR: the guard is a
 * PROT_NONE mapping), and siglongjmps out. Twice, to show the alternate
 * stack is usable again; then a fault on the normal stack with the
 * alternate stack disabled (SS_DISABLE) runs the handler on the thread
 * stack. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREAD_STACK (64 * 1024)
#define ALT_STACK (64 * 1024)

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("signal_altstack: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static sigjmp_buf env;
static char *alt_base;
static uintptr_t stack_lo, guard_lo;  /* thread stack bottom, guard start */
static volatile int on_alt, local_on_alt, code, addr_in_guard, handler_runs;
static volatile int depth;
static volatile int limit = 1 << 30; /* never reached: the stack ends first */

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	stack_t cur;
	char here;
	handler_runs++;
	if (sigaltstack(NULL, &cur))
		fail("sigaltstack query");
	on_alt = (cur.ss_flags & SS_ONSTACK) != 0;
	local_on_alt = &here >= alt_base && &here < alt_base + ALT_STACK;
	code = si->si_code;
	addr_in_guard = (uintptr_t)si->si_addr >= guard_lo && (uintptr_t)si->si_addr < stack_lo;
	siglongjmp(env, 1);
}

static int __attribute__((noinline)) recurse(int n)
{
	volatile char frame[512];
	frame[0] = (char)n;
	frame[511] = (char)n;
	depth = n;
	if (n >= limit)
		return 0;
	return recurse(n + 1) + frame[0] + frame[511];
}

static void *thread(void *arg)
{
	(void)arg;
	pthread_attr_t a;
	void *addr;
	size_t size, guard;
	if (pthread_getattr_np(pthread_self(), &a))
		fail("pthread_getattr_np");
	pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_getguardsize(&a, &guard);
	pthread_attr_destroy(&a);
	if (guard == 0)
		fail("thread has no guard page");
	stack_lo = (uintptr_t)addr;
	guard_lo = stack_lo - guard;

	alt_base = malloc(ALT_STACK);
	stack_t ss = { .ss_sp = alt_base, .ss_size = ALT_STACK, .ss_flags = 0 };
	if (sigaltstack(&ss, NULL))
		fail("sigaltstack");
	stack_t cur;
	sigaltstack(NULL, &cur);
	if (cur.ss_flags != 0 || cur.ss_sp != alt_base)
		fail("sigaltstack readback flags %d", cur.ss_flags);

	for (volatile int round = 0; round < 2; round++) {
		handler_runs = 0;
		if (sigsetjmp(env, 1) == 0) {
			recurse(0);
			fail("recursion returned");
		}
		if (!on_alt || !local_on_alt)
			fail("handler not on the alternate stack (SS_ONSTACK %d, local inside %d)", on_alt, local_on_alt);
		if (code != SEGV_ACCERR || !addr_in_guard)
			fail("si_code %d, address in guard page %d", code, addr_in_guard);
		if (depth < 50)
			fail("overflowed after only %d frames", depth);
		sigaltstack(NULL, &cur);
		if (cur.ss_flags & SS_ONSTACK)
			fail("still SS_ONSTACK after siglongjmp");
		printf("caught stack overflow (handler on the alternate stack, SEGV_ACCERR in the guard page)\n");
	}

	/* alternate stack disabled: a fault with stack to spare runs the
	 * handler on the thread's own stack */
	ss.ss_flags = SS_DISABLE;
	if (sigaltstack(&ss, NULL))
		fail("SS_DISABLE");
	sigaltstack(NULL, &cur);
	if (!(cur.ss_flags & SS_DISABLE))
		fail("alternate stack not disabled");
	if (sigsetjmp(env, 1) == 0) {
		*(volatile int *)(uintptr_t)guard_lo = 1; /* write into the guard page */
		fail("write to the guard page succeeded");
	}
	if (on_alt || local_on_alt || code != SEGV_ACCERR || !addr_in_guard)
		fail("fault with the alternate stack disabled: on_alt %d local %d code %d", on_alt, local_on_alt, code);
	printf("guard page write with SS_DISABLE: handler on the thread stack\n");
	free(alt_base);
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);

	pthread_attr_t a;
	pthread_attr_init(&a);
	if (pthread_attr_setstacksize(&a, THREAD_STACK))
		fail("setstacksize");
	pthread_t t;
	if (pthread_create(&t, &a, thread, NULL) || pthread_join(t, NULL))
		fail("thread");
	pthread_attr_destroy(&a);
	printf("signal_altstack: ok\n");
	return 0;
}
