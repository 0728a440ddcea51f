/* rseq_membarrier [workers]: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ)
 * as a fence for rseq critical sections (rseq-abi.md section 5).
 *
 * Workers (default 3) keep adding 1 to their CPU's slot of the array that
 * a global pointer names, with rseq_offset_deref_addv: the pointer is
 * loaded inside the section. The controller (main) switches the pointer to
 * a fresh array four times; after each switch it issues the fence, twice
 * for all CPUs (flags 0) and twice CPU by CPU (MEMBARRIER_CMD_FLAG_CPU for
 * every configured CPU). Any worker that was inside its section when the
 * fence reached its CPU aborts and retries on the new array, so the old
 * array must not change after the fence returns: main records its sum,
 * waits until the workers have added plenty to the new array, and checks
 * the old sum again. At the end the arrays must add up to the additions
 * the workers counted. Without the fence the check could fail; with it,
 * never. The command without registration is EPERM. */
#include "rseq-prog.h"

#include <linux/membarrier.h>
#include <sys/sysinfo.h>

#define SWITCHES 4
#define PROGRESS 200

static struct percpu_word arrays[SWITCHES + 1][MAX_CPUS];
static intptr_t active;
static volatile int stop;
static long total_additions;

static int membarrier(int cmd, unsigned flags, int cpu)
{
	return (int)syscall(SYS_membarrier, cmd, flags, cpu);
}

static intptr_t sum(int a)
{
	intptr_t s = 0;
	for (int c = 0; c < MAX_CPUS; c++)
		s += RSEQ_ABI_READ_ONCE(arrays[a][c].v);
	return s;
}

static void *worker(void *arg)
{
	register_thread();
	long additions = 0;
	while (!stop) {
		int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
		if (rseq_offset_deref_addv(&active, cpu * (long)sizeof(struct percpu_word), 1, cpu) == RSEQ_OK &&
		    ++additions % 64 == 0)
			sched_yield(); /* on one CPU, let the controller run */
	}
	__atomic_fetch_add(&total_additions, additions, __ATOMIC_RELAXED);
	return arg;
}

static void wait_for_progress(int a, intptr_t from)
{
	while (sum(a) < from + PROGRESS)
		sched_yield();
}

int main(int argc, char **argv)
{
	prog_name = "rseq_membarrier";
	int workers = (int)arg_or(argc, argv, 1, 3, MAX_THREADS);
	int q = membarrier(MEMBARRIER_CMD_QUERY, 0, 0);
	if (q < 0 || !(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) || !(q & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ)) {
		printf("rseq_membarrier: the membarrier RSEQ commands are not available\n");
		return 0;
	}
	errno = 0;
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0) != -1 || errno != EPERM)
		fail("the fence before registration did not fail with EPERM");
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0))
		fail("MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ: %s", strerror(errno));
	int ncpus = get_nprocs_conf();
	active = (intptr_t)arrays[0];
	pthread_t t[MAX_THREADS];
	for (long i = 0; i < workers; i++)
		if ((errno = pthread_create(&t[i], NULL, worker, (void *)i)))
			fail("pthread_create: %s", strerror(errno));
	wait_for_progress(0, 0);
	for (int s = 0; s < SWITCHES; s++) {
		RSEQ_ABI_WRITE_ONCE(active, (intptr_t)arrays[s + 1]);
		if (s % 2 == 0) {
			if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0))
				fail("membarrier: %s", strerror(errno));
		} else {
			for (int cpu = 0; cpu < ncpus; cpu++)
				if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_FLAG_CPU, cpu))
					fail("membarrier(FLAG_CPU, %d): %s", cpu, strerror(errno));
		}
		intptr_t old = sum(s);
		wait_for_progress(s + 1, 0);
		if (sum(s) != old)
			fail("array %d changed from %ld to %ld after the fence (switch %d)", s, (long)old, (long)sum(s), s + 1);
	}
	stop = 1;
	for (int i = 0; i < workers; i++)
		pthread_join(t[i], NULL);
	intptr_t all = 0;
	for (int a = 0; a <= SWITCHES; a++)
		all += sum(a);
	if (all != total_additions)
		fail("the arrays add up to %ld, the workers made %ld additions", (long)all, total_additions);
	printf("rseq_membarrier: %d workers, %d pointer switches (2 fences on all CPUs, 2 CPU by CPU): "
	       "no old array changed after its fence, every addition counted once\n", workers, SWITCHES);
	return 0;
}
