/* thread_barrier_tls: 4 threads plus main step through phases separated by
 * a pthread_barrier. Each thread first checks its own copy of the __thread
 * variables (an initialised int, a zero int, an initialised string and a
 * 64-byte aligned block) is fresh, then writes its id into them; after
 * every barrier it checks they still hold its id (so the copies really are
 * per thread) and that the values every thread published for the phase are
 * all there. pthread_barrier_wait returns PTHREAD_BARRIER_SERIAL_THREAD to
 * exactly one waiter per phase. pthread_key destructors run once per thread
 * that set a value. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS 4
#define PARTIES (THREADS + 1)   /* the workers and main */
#define PHASES 200

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("thread_barrier_tls: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static __thread int tls_init = 42;
static __thread long tls_zero;
static __thread char tls_name[16] = "unnamed";
static __thread struct { long v[8]; } tls_aligned __attribute__((aligned(64))) = { { 1, 2, 3, 4, 5, 6, 7, 8 } };

static pthread_barrier_t barrier;
static long published[PHASES][PARTIES];
static long phase_sum[PARTIES];          /* per party: sum over phases of what it saw */
static int serial_count[PHASES];
static void *tls_addr[PARTIES];
static pthread_key_t key;
static int destructor_runs;
static long destructor_sum;

static void destructor(void *v)
{
	__atomic_fetch_add(&destructor_runs, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&destructor_sum, (long)(intptr_t)v, __ATOMIC_RELAXED);
}

static void check_fresh(const char *who)
{
	if (tls_init != 42 || tls_zero != 0 || strcmp(tls_name, "unnamed") != 0)
		fail("%s: TLS not initialised: %d %ld %s", who, tls_init, tls_zero, tls_name);
	for (int i = 0; i < 8; i++)
		if (tls_aligned.v[i] != i + 1)
			fail("%s: aligned TLS block not initialised", who);
	if ((uintptr_t)&tls_aligned % 64 != 0)
		fail("%s: aligned TLS block is not 64-byte aligned", who);
}

static void claim(int id)
{
	tls_init = 1000 + id;
	tls_zero = id;
	snprintf(tls_name, sizeof tls_name, "party-%d", id);
	for (int i = 0; i < 8; i++)
		tls_aligned.v[i] = id * 8 + i;
	tls_addr[id] = &tls_init;
}

static void check_mine(int id, int phase)
{
	char want[16];
	snprintf(want, sizeof want, "party-%d", id);
	if (tls_init != 1000 + id || tls_zero != id || strcmp(tls_name, want) != 0)
		fail("party %d phase %d: TLS holds %d %ld %s", id, phase, tls_init, tls_zero, tls_name);
	for (int i = 0; i < 8; i++)
		if (tls_aligned.v[i] != id * 8 + i)
			fail("party %d phase %d: aligned TLS changed", id, phase);
}

static void run(int id)
{
	claim(id);
	for (int p = 0; p < PHASES; p++) {
		published[p][id] = (long)(p + 1) * (id + 1) + tls_zero;
		int rc = pthread_barrier_wait(&barrier);
		if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_fetch_add(&serial_count[p], 1, __ATOMIC_RELAXED);
		else if (rc != 0)
			fail("barrier_wait returned %d", rc);
		check_mine(id, p);
		long s = 0;
		for (int j = 0; j < PARTIES; j++) {
			long want = (long)(p + 1) * (j + 1) + j;
			if (published[p][j] != want)
				fail("party %d phase %d: party %d published %ld, want %ld", id, p, j, published[p][j], want);
			s += published[p][j];
		}
		phase_sum[id] += s;
	}
	/* every party's TLS lives at its own address */
	pthread_barrier_wait(&barrier);
	for (int j = 0; j < PARTIES; j++)
		if (j != id && tls_addr[j] == &tls_init)
			fail("parties %d and %d share TLS", id, j);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	check_fresh("worker");
	if (pthread_getspecific(key) != NULL)
		fail("key value not NULL in a new thread");
	pthread_setspecific(key, (void *)(intptr_t)(id + 1));
	run(id);
	if (pthread_getspecific(key) != (void *)(intptr_t)(id + 1))
		fail("key value changed");
	return (void *)(intptr_t)tls_init;
}

static void *late_thread(void *arg)
{
	check_fresh(arg);
	return NULL;
}

int main(void)
{
	check_fresh("main");
	if (pthread_key_create(&key, destructor))
		fail("pthread_key_create");
	if (pthread_barrier_init(&barrier, NULL, PARTIES))
		fail("pthread_barrier_init");
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)(i + 1)))
			fail("pthread_create");
	run(0);
	long ret_sum = 0;
	for (int i = 0; i < THREADS; i++) {
		void *r;
		if (pthread_join(t[i], &r))
			fail("pthread_join");
		ret_sum += (long)(intptr_t)r;
	}
	for (int p = 0; p < PHASES; p++)
		if (serial_count[p] != 1)
			fail("phase %d had %d serial threads", p, serial_count[p]);
	for (int j = 1; j < PARTIES; j++)
		if (phase_sum[j] != phase_sum[0])
			fail("party %d saw sum %ld, party 0 %ld", j, phase_sum[j], phase_sum[0]);
	/* a thread created now gets fresh TLS again */
	pthread_t late;
	if (pthread_create(&late, NULL, late_thread, "late thread") || pthread_join(late, NULL))
		fail("late thread");
	check_mine(0, PHASES);
	pthread_barrier_destroy(&barrier);

	printf("%d phases x %d parties, one serial waiter per phase\n", PHASES, PARTIES);
	printf("sum seen by every party: %ld\n", phase_sum[0]);
	printf("thread return values (their TLS): %ld\n", ret_sum);
	printf("key destructors: %d runs, sum %ld\n", destructor_runs, destructor_sum);
	printf("thread_barrier_tls: ok\n");
	return 0;
}
