/* thread_condvar: a bounded buffer (8 slots) guarded by a mutex and two
 * condition variables, filled by 2 producers and drained by 2 consumers.
 * Which consumer takes which item depends on the schedule, so only the
 * count, sum and xor of everything consumed are printed. Then
 * pthread_cond_timedwait with an absolute CLOCK_REALTIME deadline already
 * in the past (ETIMEDOUT at once), with one in the future that another
 * thread beats by signalling, and pthread_cond_clockwait on CLOCK_MONOTONIC
 * with a deadline in the past. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 8
#define PRODUCERS 2
#define CONSUMERS 2
#define PER_PRODUCER 5000
#define TOTAL (PRODUCERS * PER_PRODUCER)

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("thread_condvar: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static unsigned long buf[SLOTS];
static int head, count;          /* under m */
static int produced, consumed;   /* under m */
static unsigned long sum, xsum;  /* under m */
static int seen[TOTAL];          /* under m */

static unsigned long item(long producer, long i)
{
	return (unsigned long)(producer * PER_PRODUCER + i) * 2654435761ul + 12345;
}

static void *producer(void *arg)
{
	long p = (long)arg;
	for (long i = 0; i < PER_PRODUCER; i++) {
		pthread_mutex_lock(&m);
		while (count == SLOTS)
			pthread_cond_wait(&not_full, &m);
		buf[(head + count) % SLOTS] = item(p, i);
		count++;
		produced++;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&m);
		while (count == 0 && consumed < TOTAL)
			pthread_cond_wait(&not_empty, &m);
		if (count == 0) { /* everything consumed */
			pthread_mutex_unlock(&m);
			return NULL;
		}
		unsigned long v = buf[head];
		head = (head + 1) % SLOTS;
		count--;
		consumed++;
		unsigned long idx = (v - 12345) / 2654435761ul;
		if (idx >= TOTAL || seen[idx]++)
			fail("item %lu consumed twice or corrupt", v);
		sum += v;
		xsum ^= v * 0x9e3779b97f4a7c15ul;
		if (consumed == TOTAL) /* wake the other consumer to finish */
			pthread_cond_broadcast(&not_empty);
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&m);
	}
}

/* timed waits */
static pthread_mutex_t tm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tc = PTHREAD_COND_INITIALIZER;
static int flag;
static int waiter_ready;

static void *signaller(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&tm);
	while (!waiter_ready) {
		pthread_mutex_unlock(&tm);
		sched_yield();
		pthread_mutex_lock(&tm);
	}
	flag = 1;
	pthread_cond_signal(&tc);
	pthread_mutex_unlock(&tm);
	return NULL;
}

int main(void)
{
	pthread_t t[PRODUCERS + CONSUMERS];
	for (long i = 0; i < PRODUCERS; i++)
		if (pthread_create(&t[i], NULL, producer, (void *)i))
			fail("pthread_create");
	for (long i = 0; i < CONSUMERS; i++)
		if (pthread_create(&t[PRODUCERS + i], NULL, consumer, NULL))
			fail("pthread_create");
	for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
		if (pthread_join(t[i], NULL))
			fail("pthread_join");

	unsigned long want_sum = 0, want_x = 0;
	for (long p = 0; p < PRODUCERS; p++)
		for (long i = 0; i < PER_PRODUCER; i++) {
			want_sum += item(p, i);
			want_x ^= item(p, i) * 0x9e3779b97f4a7c15ul;
		}
	if (produced != TOTAL || consumed != TOTAL || count != 0)
		fail("produced %d consumed %d left %d", produced, consumed, count);
	if (sum != want_sum || xsum != want_x)
		fail("checksum %lx/%lx, want %lx/%lx", sum, xsum, want_sum, want_x);
	printf("bounded buffer: %d items, sum %lu, xor %016lx\n", consumed, sum, xsum);

	/* deadline in the past: ETIMEDOUT without waiting */
	struct timespec now, past, future;
	clock_gettime(CLOCK_REALTIME, &now);
	past = now;
	past.tv_sec -= 1;
	pthread_mutex_lock(&tm);
	int rc = pthread_cond_timedwait(&tc, &tm, &past);
	if (rc != ETIMEDOUT)
		fail("timedwait with a past deadline returned %d, want ETIMEDOUT", rc);
	past.tv_sec = 0; /* the epoch */
	past.tv_nsec = 0;
	rc = pthread_cond_timedwait(&tc, &tm, &past);
	if (rc != ETIMEDOUT)
		fail("timedwait with deadline 0 returned %d, want ETIMEDOUT", rc);
	struct timespec mono;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	rc = pthread_cond_clockwait(&tc, &tm, CLOCK_MONOTONIC, &mono);
	if (rc != ETIMEDOUT)
		fail("clockwait(CLOCK_MONOTONIC, now) returned %d, want ETIMEDOUT", rc);
	rc = pthread_cond_timedwait(&tc, &tm, &(struct timespec){ .tv_sec = 0, .tv_nsec = 1000000000 });
	if (rc != EINVAL)
		fail("timedwait with tv_nsec 1e9 returned %d, want EINVAL", rc);
	printf("timedwait past deadline: ETIMEDOUT\n");

	/* deadline in the future (generous, so a loaded host still makes it),
	 * signalled long before it */
	pthread_t s;
	if (pthread_create(&s, NULL, signaller, NULL))
		fail("pthread_create");
	clock_gettime(CLOCK_REALTIME, &future);
	future.tv_sec += 20;
	waiter_ready = 1;
	rc = 0;
	while (!flag && rc == 0)
		rc = pthread_cond_timedwait(&tc, &tm, &future);
	pthread_mutex_unlock(&tm);
	if (rc != 0 || !flag)
		fail("timedwait with a future deadline returned %d (flag %d)", rc, flag);
	if (pthread_join(s, NULL))
		fail("pthread_join");
	printf("timedwait future deadline: signalled\n");
	printf("thread_condvar: ok\n");
	return 0;
}
