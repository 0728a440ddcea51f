/* timer_signals: timers that deliver signals or start threads.
 *   - setitimer(ITIMER_REAL) every 1 ms with a SIGALRM handler; SIGALRM is
 *     blocked except inside sigsuspend, so each sigsuspend returns after
 *     exactly one handler run: "got 3 SIGALRM", then getitimer after
 *     disarming says 0;
 *   - setitimer(ITIMER_VIRTUAL) while spinning in user mode: SIGVTALRM;
 *   - timer_create(CLOCK_MONOTONIC, SIGEV_SIGNAL) with a real-time signal
 *     and a value, taken by sigwaitinfo: SI_TIMER, the value, the timer id;
 *     an absolute deadline in the past fires at once;
 *   - timer_create(CLOCK_MONOTONIC, SIGEV_THREAD): glibc runs the notify
 *     function in a new thread (not main), which posts a semaphore; twice;
 *   - alarm(5) then alarm(0) returns the 5 seconds left, without waiting;
 *   - clock_nanosleep to an absolute time in the past returns at once.
 * Only counts and codes are printed, never times. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("timer_signals: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static volatile sig_atomic_t alrm, vtalrm;
static void on_alrm(int sig) { (void)sig; alrm++; }
static void on_vtalrm(int sig) { (void)sig; vtalrm++; }

static sem_t sem;
static pthread_t main_thread;
static volatile int notify_runs, notify_in_main, notify_arg_ok;
static int cookie;

static void notify(union sigval v)
{
	notify_runs++;
	if (pthread_equal(pthread_self(), main_thread))
		notify_in_main = 1;
	notify_arg_ok = v.sival_ptr == &cookie;
	sem_post(&sem);
}

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, NULL);
}

static const struct itimerval ms_interval = { { 0, 1000 }, { 0, 1000 } };
static const struct itimerval off;

int main(void)
{
	main_thread = pthread_self();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);

	/* ITIMER_REAL */
	sa.sa_handler = on_alrm;
	sigaction(SIGALRM, &sa, NULL);
	block(SIGALRM, SIG_BLOCK);
	sigset_t unblocked;
	sigprocmask(SIG_BLOCK, NULL, &unblocked);
	sigdelset(&unblocked, SIGALRM);
	if (setitimer(ITIMER_REAL, &ms_interval, NULL))
		fail("setitimer(ITIMER_REAL)");
	int suspends = 0;
	while (alrm < 3) {
		if (sigsuspend(&unblocked) != -1 || errno != EINTR)
			fail("sigsuspend");
		suspends++;
	}
	int got = alrm;
	setitimer(ITIMER_REAL, &off, NULL);
	struct itimerval now;
	getitimer(ITIMER_REAL, &now);
	signal(SIGALRM, SIG_IGN); /* drops a tick that may be pending */
	block(SIGALRM, SIG_UNBLOCK);
	printf("got %d SIGALRM in %d sigsuspend calls\n", got, suspends);
	if (got != 3 || suspends != 3)
		fail("SIGALRM count");
	if (now.it_value.tv_sec || now.it_value.tv_usec || now.it_interval.tv_sec || now.it_interval.tv_usec)
		fail("ITIMER_REAL still armed after disarming");

	/* ITIMER_VIRTUAL: counts only user time, so spin */
	sa.sa_handler = on_vtalrm;
	sigaction(SIGVTALRM, &sa, NULL);
	if (setitimer(ITIMER_VIRTUAL, &ms_interval, NULL))
		fail("setitimer(ITIMER_VIRTUAL)");
	while (!vtalrm)
		for (int i = 0; i < 64; i++)
			__builtin_ia32_pause();
	block(SIGVTALRM, SIG_BLOCK);
	setitimer(ITIMER_VIRTUAL, &off, NULL);
	printf("got SIGVTALRM while spinning\n");

	/* POSIX timer, SIGEV_SIGNAL */
	int rtsig = SIGRTMIN + 1;
	block(rtsig, SIG_BLOCK);
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = rtsig;
	sev.sigev_value.sival_int = 77;
	timer_t tid;
	if (timer_create(CLOCK_MONOTONIC, &sev, &tid))
		fail("timer_create(SIGEV_SIGNAL)");
	struct itimerspec its = { .it_value = { 0, 1000000 } };
	for (int round = 0; round < 2; round++) {
		int flags = 0;
		if (round == 1) { /* absolute, already past */
			flags = TIMER_ABSTIME;
			clock_gettime(CLOCK_MONOTONIC, &its.it_value);
			its.it_value.tv_sec -= 1;
		}
		if (timer_settime(tid, flags, &its, NULL))
			fail("timer_settime");
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, rtsig);
		siginfo_t si;
		if (sigwaitinfo(&s, &si) != rtsig)
			fail("sigwaitinfo");
		if (si.si_code != SI_TIMER || si.si_value.sival_int != 77 || si.si_timerid != (int)(intptr_t)tid)
			fail("timer siginfo: code %d value %d", si.si_code, si.si_value.sival_int);
		struct itimerspec left;
		timer_gettime(tid, &left);
		if (left.it_value.tv_sec || left.it_value.tv_nsec)
			fail("one-shot timer still armed after firing");
		printf("SIGEV_SIGNAL timer (%s): SI_TIMER, value %d, timer id matches\n",
		       round ? "absolute, in the past" : "relative 1 ms", si.si_value.sival_int);
	}
	if (timer_delete(tid))
		fail("timer_delete");

	/* POSIX timer, SIGEV_THREAD */
	sem_init(&sem, 0, 0);
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = notify;
	sev.sigev_value.sival_ptr = &cookie;
	if (timer_create(CLOCK_MONOTONIC, &sev, &tid))
		fail("timer_create(SIGEV_THREAD)");
	its.it_value.tv_sec = 0;
	its.it_value.tv_nsec = 1000000;
	for (int round = 0; round < 2; round++) {
		if (timer_settime(tid, 0, &its, NULL))
			fail("timer_settime");
		while (sem_wait(&sem))
			if (errno != EINTR)
				fail("sem_wait");
	}
	timer_delete(tid);
	printf("SIGEV_THREAD timer: notified %d times, %s, value %s\n", notify_runs,
	       notify_in_main ? "in main" : "in another thread", notify_arg_ok ? "ok" : "wrong");
	if (notify_runs != 2 || notify_in_main || !notify_arg_ok)
		fail("SIGEV_THREAD");

	/* alarm */
	unsigned prev = alarm(5);
	unsigned left = alarm(0);
	printf("alarm(5) returned %u, alarm(0) returned %u\n", prev, left);
	if (prev != 0 || left != 5)
		fail("alarm");

	/* sleeping until a time already past */
	struct timespec past;
	clock_gettime(CLOCK_MONOTONIC, &past);
	past.tv_sec -= 1;
	int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL);
	if (rc)
		fail("clock_nanosleep to the past returned %d", rc);
	printf("clock_nanosleep to a past deadline: returned at once\n");
	printf("timer_signals: ok\n");
	return 0;
}
