/* thread_rwlock: 2 writers and 4 readers share a 16-word record under a
 * pthread_rwlock. A writer sets every word to the next version (one word at
 * a time, so a reader that got in during a write would see a mix); readers
 * check all words are equal and never go backwards. Also: try/timed locks
 * against a lock held for reading or writing by another thread (EBUSY,
 * ETIMEDOUT), EDEADLK when a writer relocks, and a writer-preferring lock. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define WRITERS 2
#define READERS 4
#define WRITES 500
#define READS 2000
#define WORDS 16

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("thread_rwlock: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static pthread_rwlock_t lock;
static volatile long record[WORDS];
static int readers_inside, writers_inside;
static long reads_done;

static void *writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < WRITES; i++) {
		if (pthread_rwlock_wrlock(&lock))
			fail("wrlock");
		if (__atomic_fetch_add(&writers_inside, 1, __ATOMIC_RELAXED) != 0 || __atomic_load_n(&readers_inside, __ATOMIC_RELAXED) != 0)
			fail("writer not alone");
		long v = record[0] + 1;
		for (int w = 0; w < WORDS; w++)
			record[w] = v;
		__atomic_fetch_sub(&writers_inside, 1, __ATOMIC_RELAXED);
		pthread_rwlock_unlock(&lock);
		if (i % 16 == 0)
			sched_yield();
	}
	return NULL;
}

static void *reader(void *arg)
{
	(void)arg;
	long last = 0, n = 0;
	for (int i = 0; i < READS; i++) {
		if (pthread_rwlock_rdlock(&lock))
			fail("rdlock");
		__atomic_fetch_add(&readers_inside, 1, __ATOMIC_RELAXED);
		if (__atomic_load_n(&writers_inside, __ATOMIC_RELAXED) != 0)
			fail("reader inside with a writer");
		long v = record[0];
		for (int w = 1; w < WORDS; w++)
			if (record[w] != v)
				fail("torn record: word %d is %ld, word 0 is %ld", w, record[w], v);
		if (v < last)
			fail("version went back from %ld to %ld", last, v);
		last = v;
		n++;
		__atomic_fetch_sub(&readers_inside, 1, __ATOMIC_RELAXED);
		pthread_rwlock_unlock(&lock);
	}
	__atomic_fetch_add(&reads_done, n, __ATOMIC_RELAXED);
	return NULL;
}

static int expect_rc;
static const char *what;

/* Runs one try/timed operation in another thread (a lock's owner is a thread). */
static void *try_other(void *arg)
{
	int op = (int)(long)arg;
	struct timespec past;
	clock_gettime(CLOCK_REALTIME, &past);
	past.tv_sec -= 1;
	int rc = 0;
	switch (op) {
	case 0: rc = pthread_rwlock_trywrlock(&lock); break;
	case 1: rc = pthread_rwlock_tryrdlock(&lock); break;
	case 2: rc = pthread_rwlock_timedwrlock(&lock, &past); break;
	case 3: rc = pthread_rwlock_timedrdlock(&lock, &past); break;
	}
	if (rc != expect_rc)
		fail("%s returned %d, want %d", what, rc, expect_rc);
	if (rc == 0)
		pthread_rwlock_unlock(&lock);
	return NULL;
}

static void other(int op, int rc, const char *name)
{
	pthread_t t;
	expect_rc = rc;
	what = name;
	if (pthread_create(&t, NULL, try_other, (void *)(long)op) || pthread_join(t, NULL))
		fail("thread for %s", name);
}

int main(void)
{
	pthread_rwlockattr_t a;
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	for (int kind = 0; kind < 2; kind++) {
		if (pthread_rwlock_init(&lock, kind ? &a : NULL))
			fail("rwlock_init");
		for (int w = 0; w < WORDS; w++)
			record[w] = 0;
		reads_done = 0;
		pthread_t t[WRITERS + READERS];
		for (int i = 0; i < WRITERS + READERS; i++)
			if (pthread_create(&t[i], NULL, i < WRITERS ? writer : reader, NULL))
				fail("pthread_create");
		for (int i = 0; i < WRITERS + READERS; i++)
			if (pthread_join(t[i], NULL))
				fail("pthread_join");
		if (record[0] != WRITERS * WRITES || reads_done != READERS * READS)
			fail("version %ld after %d writes, %ld reads", record[0], WRITERS * WRITES, reads_done);
		printf("%s: %d writers x %d writes -> version %ld, %d readers x %d reads consistent\n",
		       kind ? "prefer-writer" : "default", WRITERS, WRITES, record[0], READERS, READS);
		pthread_rwlock_destroy(&lock);
	}
	pthread_rwlockattr_destroy(&a);

	pthread_rwlock_init(&lock, NULL);
	if (pthread_rwlock_rdlock(&lock) || pthread_rwlock_rdlock(&lock))
		fail("recursive rdlock");
	other(0, EBUSY, "trywrlock while read-locked");
	other(1, 0, "tryrdlock while read-locked");
	other(2, ETIMEDOUT, "timedwrlock (past) while read-locked");
	pthread_rwlock_unlock(&lock);
	pthread_rwlock_unlock(&lock);
	if (pthread_rwlock_wrlock(&lock))
		fail("wrlock");
	int rc = pthread_rwlock_wrlock(&lock);
	if (rc != EDEADLK)
		fail("wrlock twice returned %d, want EDEADLK", rc);
	other(0, EBUSY, "trywrlock while write-locked");
	other(1, EBUSY, "tryrdlock while write-locked");
	other(3, ETIMEDOUT, "timedrdlock (past) while write-locked");
	pthread_rwlock_unlock(&lock);
	other(0, 0, "trywrlock when free");
	pthread_rwlock_destroy(&lock);
	printf("try/timed locks: EBUSY ETIMEDOUT EDEADLK as expected\n");
	printf("thread_rwlock: ok\n");
	return 0;
}
