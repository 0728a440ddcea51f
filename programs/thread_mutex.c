/* thread_mutex: N threads (argv[1], default 4, at most 8) each add K to a
 * shared counter under a pthread_mutex, one increment at a time; the total
 * must be N*K. Also a recursive mutex taken several times, an error-checking
 * mutex (EDEADLK on relock, EPERM on unlock by a non-owner) and trylock
 * (EBUSY while another thread holds it). Prints only schedule-independent
 * results. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define K 10000
#define MAX_THREADS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;            /* guarded by lock */
static long per_thread[MAX_THREADS];

static pthread_mutex_t rec;     /* recursive */
static pthread_mutex_t chk;     /* error checking */
static long rec_counter;

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("thread_mutex: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static void rec_add(int depth)
{
	int rc = pthread_mutex_lock(&rec);
	if (rc)
		fail("recursive lock at depth %d: %d", depth, rc);
	if (depth > 0)
		rec_add(depth - 1);
	else
		rec_counter++;
	pthread_mutex_unlock(&rec);
}

static void *worker(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < K; i++) {
		int rc = pthread_mutex_lock(&lock);
		if (rc)
			fail("lock: %d", rc);
		long v = counter;
		/* a window in which an unprotected increment would be lost */
		__asm__ volatile("" ::: "memory");
		counter = v + 1;
		per_thread[id]++;
		pthread_mutex_unlock(&lock);
	}
	for (int i = 0; i < 100; i++)
		rec_add(3);
	return (void *)(id * 3 + 1);
}

/* Tries the error-checking mutex from a thread that does not own it. */
static void *intruder(void *arg)
{
	(void)arg;
	int rc = pthread_mutex_unlock(&chk);
	if (rc != EPERM)
		fail("unlock of another thread's errorcheck mutex returned %d, want EPERM", rc);
	rc = pthread_mutex_trylock(&chk);
	if (rc != EBUSY)
		fail("trylock of a held errorcheck mutex returned %d, want EBUSY", rc);
	rc = pthread_mutex_trylock(&lock);
	if (rc != EBUSY)
		fail("trylock of a held mutex returned %d, want EBUSY", rc);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	if (n < 1 || n > MAX_THREADS) {
		fprintf(stderr, "usage: thread_mutex [threads 1..%d]\n", MAX_THREADS);
		return 2;
	}

	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec, &a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&chk, &a);
	pthread_mutexattr_destroy(&a);

	pthread_t t[MAX_THREADS];
	for (long i = 0; i < n; i++) {
		int rc = pthread_create(&t[i], NULL, worker, (void *)i);
		if (rc)
			fail("pthread_create: %d", rc);
	}
	for (long i = 0; i < n; i++) {
		void *ret;
		int rc = pthread_join(t[i], &ret);
		if (rc)
			fail("pthread_join: %d", rc);
		if (ret != (void *)(i * 3 + 1))
			fail("thread %ld returned %p", i, ret);
		if (per_thread[i] != K)
			fail("thread %ld did %ld increments, want %d", i, per_thread[i], K);
	}
	if (counter != (long)n * K)
		fail("counter %ld, want %ld", counter, (long)n * K);
	if (rec_counter != (long)n * 100)
		fail("recursive counter %ld, want %ld", rec_counter, (long)n * 100);
	printf("%d threads x %d increments = %ld\n", n, K, counter);
	printf("recursive mutex: %ld\n", rec_counter);

	/* error checking mutex */
	if (pthread_mutex_lock(&chk))
		fail("errorcheck lock");
	int rc = pthread_mutex_lock(&chk);
	if (rc != EDEADLK)
		fail("relock of errorcheck mutex returned %d, want EDEADLK", rc);
	if (pthread_mutex_lock(&lock))
		fail("lock");
	pthread_t in;
	if (pthread_create(&in, NULL, intruder, NULL) || pthread_join(in, NULL))
		fail("intruder thread");
	pthread_mutex_unlock(&lock);
	if (pthread_mutex_unlock(&chk))
		fail("errorcheck unlock by owner");
	rc = pthread_mutex_unlock(&chk);
	if (rc != EPERM)
		fail("unlock of an unlocked errorcheck mutex returned %d, want EPERM", rc);
	printf("errorcheck mutex: EDEADLK EPERM EBUSY\n");

	pthread_mutex_destroy(&rec);
	pthread_mutex_destroy(&chk);
	printf("thread_mutex: ok\n");
	return 0;
}
