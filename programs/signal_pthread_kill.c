/* signal_pthread_kill: signals aimed at threads and at the process.
 * Every thread starts with SIGUSR1, SIGUSR2 and SIGRTMIN blocked (inherited
 * from main) and keeps its number in a __thread variable, which the
 * handlers record.
 *   1. pthread_kill(SIGUSR1) to thread 1, which unblocks it in sigsuspend:
 *      the handler runs in thread 1 (its TLS id, pthread_self), si_code
 *      SI_TKILL;
 *   2. pthread_kill(SIGUSR1) to thread 2, which keeps it blocked: pending
 *      for thread 2 only (sigpending there, not in main), then taken with
 *      sigwait; pthread_kill(SIGUSR2) to thread 2 is taken by sigwait too
 *      and the SIGUSR2 handler never runs;
 *   3. kill(getpid(), SIGUSR2) while only thread 3 (in sigsuspend) can take
 *      it, then while only thread 4 (unblocked with pthread_sigmask and
 *      running) can: the handler runs there, si_code SI_USER;
 *   4. three pthread_sigqueue(SIGRTMIN, value) and three
 *      pthread_kill(SIGUSR1) to thread 5 while blocked: the real-time ones
 *      queue (three, values in order, SI_QUEUE), the standard one does not
 *      (one); sigtimedwait with a zero timeout then says EAGAIN. (The
 *      kernel reports tgkill as SI_TKILL; glibc's sigtimedwait and
 *      sigwaitinfo turn that into SI_USER.)
 *   5. a thread pthread_kills the main thread, which waits in sigsuspend. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("signal_pthread_kill: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static __thread int my_id; /* 0 in main */
static pthread_t threads[8];
static pthread_t main_thread;

static volatile sig_atomic_t usr1_runs, usr1_by = -1, usr1_self_ok, usr1_code;
static volatile sig_atomic_t usr2_runs, usr2_by = -1, usr2_code, usr2_pid_ok;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	usr1_runs++;
	usr1_by = my_id;
	usr1_self_ok = pthread_equal(pthread_self(), my_id ? threads[my_id] : main_thread);
	usr1_code = si->si_code;
}

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	usr2_runs++;
	usr2_by = my_id;
	usr2_code = si->si_code;
	usr2_pid_ok = si->si_pid == getpid();
}

/* A tiny rendezvous: main waits for a thread to reach a step. */
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int step[8];

static void reach(int id, int s)
{
	pthread_mutex_lock(&m);
	step[id] = s;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&m);
}

static void await(int id, int s)
{
	pthread_mutex_lock(&m);
	while (step[id] < s)
		pthread_cond_wait(&cv, &m);
	pthread_mutex_unlock(&m);
}

static sigset_t only(int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	return s;
}

static sigset_t all_but(int sig)
{
	sigset_t s;
	sigfillset(&s);
	sigdelset(&s, sig);
	return s;
}

static void *t1(void *arg)
{
	(void)arg;
	sigset_t wait_mask = all_but(SIGUSR1);
	reach(1, 1);
	while (!usr1_runs)
		sigsuspend(&wait_mask);
	return NULL;
}

static int t2_pending_usr1, t2_got[2];

static void *t2(void *arg)
{
	(void)arg;
	reach(2, 1);
	await(0, 2); /* main has sent SIGUSR1 */
	sigset_t p;
	sigpending(&p);
	t2_pending_usr1 = sigismember(&p, SIGUSR1);
	sigset_t s = only(SIGUSR1);
	sigaddset(&s, SIGUSR2);
	for (int i = 0; i < 2; i++)
		if (sigwait(&s, &t2_got[i]))
			fail("sigwait");
	return NULL;
}

static void *t3(void *arg)
{
	(void)arg;
	sigset_t wait_mask = all_but(SIGUSR2);
	reach(3, 1);
	while (!usr2_runs)
		sigsuspend(&wait_mask);
	return NULL;
}

static void *t4(void *arg)
{
	(void)arg;
	await(0, 4); /* thread 3 is done with its SIGUSR2 */
	sigset_t s = only(SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	reach(4, 1);
	while (usr2_runs < 2)
		sched_yield();
	return NULL;
}

static int t5_sigs[8], t5_vals[8], t5_codes[8], t5_n, t5_eagain;

static void *t5(void *arg)
{
	(void)arg;
	reach(5, 1);
	await(0, 5); /* everything sent */
	sigset_t s = only(SIGUSR1);
	sigaddset(&s, SIGRTMIN);
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	for (;;) {
		int sig = sigtimedwait(&s, &si, &zero);
		if (sig < 0) {
			t5_eagain = errno == EAGAIN;
			break;
		}
		if (t5_n == 8)
			fail("too many signals");
		t5_sigs[t5_n] = sig;
		t5_vals[t5_n] = sig == SIGRTMIN ? si.si_value.sival_int : 0;
		t5_codes[t5_n] = si.si_code;
		t5_n++;
	}
	return NULL;
}

static void *t6(void *arg)
{
	(void)arg;
	await(0, 6); /* main is about to sigsuspend */
	pthread_kill(main_thread, SIGUSR1);
	return NULL;
}

static void *(*const bodies[])(void *) = { NULL, t1, t2, t3, t4, t5, t6 };

static void *thread_main(void *arg)
{
	my_id = (int)(intptr_t)arg;
	return bodies[my_id](NULL);
}

int main(void)
{
	main_thread = pthread_self();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_flags = SA_SIGINFO;
	sa.sa_sigaction = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_sigaction = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	sigset_t block = only(SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGRTMIN);
	pthread_sigmask(SIG_BLOCK, &block, NULL);

	for (int id = 1; id <= 6; id++)
		if (pthread_create(&threads[id], NULL, thread_main, (void *)(intptr_t)id))
			fail("pthread_create");

	/* 1 */
	await(1, 1);
	pthread_kill(threads[1], SIGUSR1);
	pthread_join(threads[1], NULL);
	printf("pthread_kill SIGUSR1 -> handled in thread %d, pthread_self %s, si_code %s\n", (int)usr1_by,
	       usr1_self_ok ? "matches" : "differs", usr1_code == SI_TKILL ? "SI_TKILL" : "other");
	if (usr1_by != 1 || !usr1_self_ok || usr1_code != SI_TKILL || usr1_runs != 1)
		fail("step 1");

	/* 2 */
	await(2, 1);
	pthread_kill(threads[2], SIGUSR1);
	sigset_t p;
	sigpending(&p);
	int main_pending = sigismember(&p, SIGUSR1);
	reach(0, 2);
	pthread_kill(threads[2], SIGUSR2);
	pthread_join(threads[2], NULL);
	printf("blocked SIGUSR1 pending in thread 2: %s, in main: %s\n", t2_pending_usr1 ? "yes" : "no", main_pending ? "yes" : "no");
	printf("thread 2 sigwait got %s then %s, handlers ran %d+%d times\n", t2_got[0] == SIGUSR1 ? "SIGUSR1" : "?",
	       t2_got[1] == SIGUSR2 ? "SIGUSR2" : "?", (int)usr1_runs - 1, (int)usr2_runs);
	if (!t2_pending_usr1 || main_pending || t2_got[0] != SIGUSR1 || t2_got[1] != SIGUSR2 || usr1_runs != 1 || usr2_runs != 0)
		fail("step 2");

	/* 3 */
	await(3, 1);
	kill(getpid(), SIGUSR2);
	pthread_join(threads[3], NULL);
	printf("kill(getpid(), SIGUSR2) -> handled in thread %d (sigsuspend), si_code %s\n", (int)usr2_by,
	       usr2_code == SI_USER ? "SI_USER" : "other");
	if (usr2_by != 3 || usr2_code != SI_USER || !usr2_pid_ok || usr2_runs != 1)
		fail("step 3");
	reach(0, 4);
	await(4, 1);
	kill(getpid(), SIGUSR2);
	pthread_join(threads[4], NULL);
	printf("kill(getpid(), SIGUSR2) -> handled in thread %d (unblocked, running)\n", (int)usr2_by);
	if (usr2_by != 4 || usr2_runs != 2)
		fail("step 3b");

	/* 4 */
	await(5, 1);
	for (int i = 1; i <= 3; i++) {
		if (pthread_sigqueue(threads[5], SIGRTMIN, (union sigval){ .sival_int = i * 10 }))
			fail("pthread_sigqueue");
		pthread_kill(threads[5], SIGUSR1);
	}
	reach(0, 5);
	pthread_join(threads[5], NULL);
	printf("thread 5 dequeued %d signals:", t5_n);
	for (int i = 0; i < t5_n; i++)
		printf(" %s(%d,%s)", t5_sigs[i] == SIGUSR1 ? "SIGUSR1" : t5_sigs[i] == SIGRTMIN ? "SIGRTMIN" : "?", t5_vals[i],
		       t5_codes[i] == SI_QUEUE ? "SI_QUEUE" : t5_codes[i] == SI_USER ? "SI_USER" : "other");
	printf("; then %s\n", t5_eagain ? "EAGAIN" : "?");
	if (t5_n != 4 || !t5_eagain || t5_sigs[0] != SIGUSR1 || t5_codes[0] != SI_USER)
		fail("step 4");
	for (int i = 1; i < 4; i++)
		if (t5_sigs[i] != SIGRTMIN || t5_vals[i] != i * 10 || t5_codes[i] != SI_QUEUE)
			fail("step 4: signal %d", i);

	/* 5 */
	sigset_t wait_mask = all_but(SIGUSR1);
	reach(0, 6);
	while (usr1_runs < 2)
		sigsuspend(&wait_mask);
	pthread_join(threads[6], NULL);
	printf("SIGUSR1 from a thread -> handled in thread %d (main)\n", (int)usr1_by);
	if (usr1_by != 0 || !usr1_self_ok)
		fail("step 5");
	printf("signal_pthread_kill: ok\n");
	return 0;
}
