/* thread_robust: robust mutexes whose owner dies holding them.
 *   1. a thread locks a PTHREAD_MUTEX_ROBUST mutex and returns without
 *      unlocking: the next locker gets EOWNERDEAD, calls
 *      pthread_mutex_consistent, unlocks, and the mutex works normally;
 *   2. the same with a second thread already waiting in pthread_mutex_lock
 *      when the owner dies (or arriving just after: same result);
 *   3. a mutex whose next owner unlocks it without pthread_mutex_consistent
 *      becomes unrecoverable: lock and trylock return ENOTRECOVERABLE;
 *   4. a process-shared robust mutex in MAP_SHARED memory locked by a
 *      forked child that exits: the parent gets EOWNERDEAD.
 * The kernel does the recovery (the robust list registered with
 * set_robust_list is walked when a thread exits). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("thread_robust: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static const char *err(int rc)
{
	switch (rc) {
	case 0: return "0";
	case EOWNERDEAD: return "EOWNERDEAD";
	case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
	case EBUSY: return "EBUSY";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	default: return "other";
	}
}

static void init_robust(pthread_mutex_t *mu, int pshared)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	if (pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST))
		fail("setrobust");
	if (pshared && pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED))
		fail("setpshared");
	int rc = pthread_mutex_init(mu, &a);
	if (rc)
		fail("pthread_mutex_init(robust): %d", rc);
	pthread_mutexattr_destroy(&a);
}

static pthread_mutex_t r1, r2, r3;
static long protected_value;

/* Locks the mutex and exits without unlocking it. */
static void *die_holding(void *arg)
{
	pthread_mutex_t *mu = arg;
	int rc = pthread_mutex_lock(mu);
	if (rc)
		fail("owner lock: %s", err(rc));
	protected_value = 41;
	return NULL;
}

static void die_holding_in_thread(pthread_mutex_t *mu)
{
	pthread_t t;
	if (pthread_create(&t, NULL, die_holding, mu) || pthread_join(t, NULL))
		fail("owner thread");
}

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int owner_has_it, waiter_started;

static void *owner2(void *arg)
{
	(void)arg;
	if (pthread_mutex_lock(&r2))
		fail("owner2 lock");
	pthread_mutex_lock(&gate);
	owner_has_it = 1;
	pthread_cond_broadcast(&gate_cv);
	while (!waiter_started)
		pthread_cond_wait(&gate_cv, &gate);
	pthread_mutex_unlock(&gate);
	sched_yield(); /* give the waiter a chance to block first */
	return NULL;   /* dies holding r2 */
}

static int waiter_rc = -1;

static void *waiter2(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate);
	waiter_started = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate);
	waiter_rc = pthread_mutex_lock(&r2);
	if (waiter_rc == EOWNERDEAD) {
		pthread_mutex_consistent(&r2);
		protected_value++;
		pthread_mutex_unlock(&r2);
	}
	return NULL;
}

int main(void)
{
	/* 1 */
	init_robust(&r1, 0);
	die_holding_in_thread(&r1);
	int rc = pthread_mutex_lock(&r1);
	printf("lock after owner died: %s\n", err(rc));
	if (rc != EOWNERDEAD)
		fail("want EOWNERDEAD");
	if (protected_value != 41)
		fail("value written by the dead owner lost");
	rc = pthread_mutex_consistent(&r1);
	printf("consistent: %s\n", err(rc));
	if (rc)
		fail("consistent");
	if (pthread_mutex_unlock(&r1))
		fail("unlock");
	rc = pthread_mutex_lock(&r1);
	printf("lock again: %s\n", err(rc));
	if (rc)
		fail("lock of a recovered mutex");
	rc = pthread_mutex_consistent(&r1);
	if (rc != EINVAL)
		fail("consistent on a consistent mutex returned %s, want EINVAL", err(rc));
	pthread_mutex_unlock(&r1);

	/* 2 */
	init_robust(&r2, 0);
	pthread_t o, w;
	if (pthread_create(&o, NULL, owner2, NULL))
		fail("create");
	pthread_mutex_lock(&gate);
	while (!owner_has_it)
		pthread_cond_wait(&gate_cv, &gate);
	pthread_mutex_unlock(&gate);
	if (pthread_create(&w, NULL, waiter2, NULL))
		fail("create");
	if (pthread_join(o, NULL) || pthread_join(w, NULL))
		fail("join");
	printf("waiter when owner died: %s\n", err(waiter_rc));
	if (waiter_rc != EOWNERDEAD || protected_value != 42)
		fail("waiter got %s, value %ld", err(waiter_rc), protected_value);
	if ((rc = pthread_mutex_trylock(&r2)) != 0)
		fail("trylock after recovery: %s", err(rc));
	pthread_mutex_unlock(&r2);

	/* 3 */
	init_robust(&r3, 0);
	die_holding_in_thread(&r3);
	rc = pthread_mutex_lock(&r3);
	if (rc != EOWNERDEAD)
		fail("r3 lock: %s", err(rc));
	pthread_mutex_unlock(&r3); /* without consistent */
	rc = pthread_mutex_lock(&r3);
	printf("lock after unlock without consistent: %s\n", err(rc));
	if (rc != ENOTRECOVERABLE)
		fail("want ENOTRECOVERABLE");
	rc = pthread_mutex_trylock(&r3);
	printf("trylock: %s\n", err(rc));
	if (rc != ENOTRECOVERABLE)
		fail("want ENOTRECOVERABLE");
	if (pthread_mutex_destroy(&r3))
		fail("destroy of an unrecoverable mutex");

	/* 4 */
	pthread_mutex_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		fail("mmap");
	init_robust(shared, 1);
	long *counter = (long *)(shared + 1);
	pid_t pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		if (pthread_mutex_lock(shared))
			_exit(3);
		*counter = 100;
		_exit(0); /* dies holding it */
	}
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("child status %#x", status);
	rc = pthread_mutex_lock(shared);
	printf("process-shared, child exited holding it: %s\n", err(rc));
	if (rc != EOWNERDEAD || *counter != 100)
		fail("want EOWNERDEAD and the child's write");
	pthread_mutex_consistent(shared);
	pthread_mutex_unlock(shared);
	if ((rc = pthread_mutex_lock(shared)) != 0)
		fail("lock again: %s", err(rc));
	pthread_mutex_unlock(shared);
	printf("thread_robust: ok\n");
	return 0;
}
