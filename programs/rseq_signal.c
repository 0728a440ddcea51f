/* rseq_signal [signals]: a signal handler that uses rseq itself.
 *
 * main keeps adding 1 to its CPU's counter with rseq_addv while a helper
 * thread sends it SIGUSR1 with pthread_kill, `signals` times (default 50),
 * each time waiting until the handler has run. The handler adds 1 to its
 * CPU's counter in a second array with the same rseq_addv (the same
 * critical section, re-entered on the same thread). Signal delivery runs
 * the rseq fixup before the handler's frame is built (rseq-abi.md section
 * 4), so a section the signal interrupted resumes at its abort handler
 * after sigreturn and retries: main's counters must add up to the number
 * of its successful additions, the handler's to the number of times it
 * ran in any thread (at least `signals`; rseqlab's chaos mode sends more,
 * to both threads). main yields
 * every 32 additions so that on one CPU the sender gets to run. How many
 * additions main makes depends on timing; only the signal count is
 * printed. */
#include "rseq-prog.h"

#include <signal.h>

static struct percpu_word main_counts[MAX_CPUS], handler_counts[MAX_CPUS];
static int handled;
static volatile int stop;
static pthread_t main_thread;
static long signals;

static void add(struct percpu_word *counts)
{
	for (;;) {
		int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
		if (rseq_addv(&counts[cpu].v, 1, cpu) == RSEQ_OK)
			return;
	}
}

static void on_usr1(int sig)
{
	(void)sig;
	add(handler_counts);
	/* atomic: chaos mode also sends SIGUSR1 to the sender thread */
	__atomic_fetch_add(&handled, 1, __ATOMIC_RELAXED);
}

static void *sender(void *arg)
{
	for (long i = 0; i < signals; i++) {
		int before = __atomic_load_n(&handled, __ATOMIC_RELAXED);
		if ((errno = pthread_kill(main_thread, SIGUSR1)))
			fail("pthread_kill: %s", strerror(errno));
		while (__atomic_load_n(&handled, __ATOMIC_RELAXED) == before)
			sched_yield();
	}
	stop = 1;
	return arg;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_signal";
	signals = arg_or(argc, argv, 1, 50, 1000000);
	register_thread();
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		fail("sigaction: %s", strerror(errno));
	main_thread = pthread_self();
	pthread_t t;
	if ((errno = pthread_create(&t, NULL, sender, NULL)))
		fail("pthread_create: %s", strerror(errno));
	long additions = 0;
	while (!stop) {
		add(main_counts);
		if (++additions % 32 == 0)
			sched_yield();
	}
	pthread_join(t, NULL);
	/* No handler may run while the counters are summed (chaos sends more). */
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	intptr_t in_main = 0, in_handler = 0;
	for (int c = 0; c < MAX_CPUS; c++) {
		in_main += main_counts[c].v;
		in_handler += handler_counts[c].v;
	}
	if (in_main != additions)
		fail("main's counters add up to %ld after %ld additions", (long)in_main, additions);
	if (handled < signals || in_handler != handled)
		fail("%ld signals sent, %d handled, handler counters %ld", signals, handled, (long)in_handler);
	printf("rseq_signal: %ld signals sent, every addition in main and in the handler counted once\n", signals);
	return 0;
}
