/* thread_cancel: deferred cancellation of threads blocked or spinning at
 * cancellation points, and asynchronous cancellation of a pure loop:
 *   - a thread in pthread_cond_wait (its cleanup handler unlocks the mutex
 *     that cond_wait re-acquired);
 *   - a thread spinning on pthread_testcancel();
 *   - a thread blocked in read() on an empty pipe (glibc cancels it with
 *     SIGCANCEL);
 *   - a thread with cancellation disabled, enabled later;
 *   - a thread in PTHREAD_CANCEL_ASYNCHRONOUS mode spinning without calls.
 * Cleanup handlers run in reverse order of pushing, pthread_join returns
 * PTHREAD_CANCELED, and thread-specific data destructors run too. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("thread_cancel: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int started;              /* under m */
static char log_buf[256];        /* cleanup order, under logm */
static pthread_mutex_t logm = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t key;
static int key_destructors;

static void note(const char *s)
{
	pthread_mutex_lock(&logm);
	strcat(log_buf, s);
	pthread_mutex_unlock(&logm);
}

static void cleanup_note(void *arg) { note(arg); }

static void cleanup_unlock(void *arg)
{
	note("unlock ");
	pthread_mutex_unlock(arg);
}

static void key_destructor(void *v)
{
	(void)v;
	__atomic_fetch_add(&key_destructors, 1, __ATOMIC_RELAXED);
}

static void announce(void)
{
	pthread_mutex_lock(&m);
	started++;
	pthread_cond_broadcast(&c);
	pthread_mutex_unlock(&m);
}

static void wait_started(int n)
{
	pthread_mutex_lock(&m);
	while (started < n)
		pthread_cond_wait(&c, &m);
	pthread_mutex_unlock(&m);
}

static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *in_cond_wait(void *arg)
{
	(void)arg;
	pthread_setspecific(key, (void *)1);
	pthread_cleanup_push(cleanup_note, "outer ");
	pthread_mutex_lock(&m);
	pthread_cleanup_push(cleanup_unlock, &m);
	started++;
	pthread_cond_broadcast(&c);
	for (;;)
		pthread_cond_wait(&never, &m); /* nobody signals it */
	pthread_cleanup_pop(1);
	pthread_cleanup_pop(1);
	return NULL;
}

static void *in_testcancel(void *arg)
{
	(void)arg;
	pthread_setspecific(key, (void *)1);
	pthread_cleanup_push(cleanup_note, "testcancel ");
	announce();
	for (;;) {
		pthread_testcancel();
		sched_yield(); /* not a cancellation point */
	}
	pthread_cleanup_pop(0);
	return NULL;
}

static int pipefd[2];

static void *in_read(void *arg)
{
	(void)arg;
	char b;
	pthread_cleanup_push(cleanup_note, "read ");
	announce();
	for (;;) {
		ssize_t r = read(pipefd[0], &b, 1);
		if (r >= 0 || errno != EINTR)
			fail("read on an empty pipe returned %zd", r);
	}
	pthread_cleanup_pop(0);
	return NULL;
}

static volatile int may_enable;

static void *disabled(void *arg)
{
	(void)arg;
	int old;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	if (old != PTHREAD_CANCEL_ENABLE)
		fail("initial cancel state not ENABLE");
	pthread_cleanup_push(cleanup_note, "disabled ");
	announce();
	while (!may_enable) {
		pthread_testcancel(); /* no effect while disabled */
		sched_yield();
	}
	note("enabling ");
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	pthread_testcancel();
	fail("testcancel returned with a cancel pending");
	pthread_cleanup_pop(0);
	return NULL;
}

static volatile unsigned long spins;

static void *async(void *arg)
{
	(void)arg;
	int old;
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	if (old != PTHREAD_CANCEL_DEFERRED)
		fail("initial cancel type not DEFERRED");
	pthread_cleanup_push(cleanup_note, "async ");
	announce();
	for (;;) {
		/* no cancellation point here: only SIGCANCEL can stop this; the
		 * occasional sched_yield (not a cancellation point either) keeps a
		 * single CPU from spending a whole time slice here */
		if ((++spins & 1023) == 0)
			sched_yield();
	}
	pthread_cleanup_pop(0);
	return NULL;
}

static void join_canceled(pthread_t t, const char *name)
{
	void *r;
	int rc = pthread_join(t, &r);
	if (rc)
		fail("join %s: %d", name, rc);
	if (r != PTHREAD_CANCELED)
		fail("%s: join returned %p, not PTHREAD_CANCELED", name, r);
	printf("%s: canceled, cleanup: %s\n", name, log_buf);
	log_buf[0] = 0;
}

int main(void)
{
	pthread_t t;
	if (pthread_key_create(&key, key_destructor))
		fail("key_create");
	if (pipe(pipefd))
		fail("pipe");

	if (pthread_create(&t, NULL, in_cond_wait, NULL))
		fail("create");
	wait_started(1); /* it holds no lock now: it is in cond_wait */
	pthread_cancel(t);
	join_canceled(t, "cond_wait");
	if (pthread_mutex_trylock(&m))
		fail("cleanup handler left the mutex locked");
	pthread_mutex_unlock(&m);

	if (pthread_create(&t, NULL, in_testcancel, NULL))
		fail("create");
	wait_started(2);
	pthread_cancel(t);
	join_canceled(t, "testcancel loop");

	if (pthread_create(&t, NULL, in_read, NULL))
		fail("create");
	wait_started(3);
	pthread_cancel(t);
	join_canceled(t, "read on pipe");

	if (pthread_create(&t, NULL, disabled, NULL))
		fail("create");
	wait_started(4);
	pthread_cancel(t);
	may_enable = 1;
	join_canceled(t, "cancel disabled then enabled");

	if (pthread_create(&t, NULL, async, NULL))
		fail("create");
	wait_started(5);
	pthread_cancel(t);
	join_canceled(t, "asynchronous");

	/* a second round of the testcancel loop, with a fresh thread */
	if (pthread_create(&t, NULL, in_testcancel, NULL))
		fail("create");
	wait_started(6);
	pthread_cancel(t);
	join_canceled(t, "testcancel again");

	printf("key destructors run: %d\n", key_destructors);
	char b = 'x';
	if (write(pipefd[1], &b, 1) != 1 || read(pipefd[0], &b, 1) != 1)
		fail("pipe still works");
	printf("thread_cancel: ok\n");
	return 0;
}
