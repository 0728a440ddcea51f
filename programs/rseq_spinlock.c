/* rseq_spinlock [threads] [increments]: a per-CPU spinlock taken with an
 * rseq compare-and-store, protecting a plain (non-atomic) counter.
 *
 * lock: read cpu_id_start, then rseq_cmpeqv_storev(&lock[cpu], 0, 1, cpu):
 *   among the threads that can run that section (those on that CPU) it is
 *   atomic, and a thread elsewhere aborts at the cpu_id check, so no
 *   locked instruction is needed. If the lock is taken (RSEQ_CMPFAIL) the
 *   holder may be preempted on this very CPU: yield.
 * The holder may migrate while it holds the lock; it still owns lock[cpu]
 * and the data of that CPU, and releases with a store-release.
 * Inside, a plain read-modify-write of the CPU's counter and an owner
 * field that nobody else may change while the lock is held. The counters
 * must add up to threads x increments. */
#include "rseq-prog.h"

struct percpu_lock {
	intptr_t locked;
	long owner;
	long count;
} __attribute__((aligned(64)));

static struct percpu_lock locks[MAX_CPUS];
static long increments;

static int lock_current_cpu(void)
{
	for (;;) {
		int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
		int r = rseq_cmpeqv_storev(&locks[cpu].locked, 0, 1, cpu);
		if (r == RSEQ_OK)
			return cpu;
		if (r == RSEQ_CMPFAIL)
			sched_yield();
	}
}

static void unlock_cpu(int cpu)
{
	__atomic_store_n(&locks[cpu].locked, 0, __ATOMIC_RELEASE);
}

static void *worker(void *arg)
{
	register_thread();
	long me = (long)arg + 1;
	for (long i = 0; i < increments; i++) {
		int cpu = lock_current_cpu();
		struct percpu_lock *l = &locks[cpu];
		RSEQ_ABI_WRITE_ONCE(l->owner, me);
		long c = RSEQ_ABI_READ_ONCE(l->count);
		__asm__ volatile ("" ::: "memory"); /* a window for anyone who could break in */
		RSEQ_ABI_WRITE_ONCE(l->count, c + 1);
		if (RSEQ_ABI_READ_ONCE(l->owner) != me)
			fail("thread %ld found thread %ld inside the lock of CPU %d", me, l->owner, cpu);
		unlock_cpu(cpu);
	}
	return arg;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_spinlock";
	int threads = (int)arg_or(argc, argv, 1, 4, MAX_THREADS);
	increments = arg_or(argc, argv, 2, 3000, 100000000);
	run_threads(threads, worker);
	long total = 0;
	for (int c = 0; c < MAX_CPUS; c++) {
		if (locks[c].locked)
			fail("the lock of CPU %d is still held", c);
		total += locks[c].count;
	}
	if (total != threads * increments)
		fail("the counters add up to %ld, expected %ld", total, threads * increments);
	printf("rseq_spinlock: %d threads x %ld locked increments = %ld\n", threads, increments, total);
	return 0;
}
