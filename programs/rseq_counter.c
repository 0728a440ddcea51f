/* rseq_counter [threads] [increments]: the canonical per-CPU counter.
 * Each thread (default 4, at most 16) adds 1 to its CPU's counter
 * `increments` times (default 5000) with rseq_addv (rseq-abi.h): read
 * cpu_id_start, then a critical section that checks cpu_id and commits
 * with one addq (rseq-abi.md section 7). An abort (preemption, migration,
 * signal) retries on the CPU the thread is on now, so no increment is lost
 * or counted twice: the sum over all CPUs must be threads x increments.
 * Which CPUs were used and how often it aborted depend on the run, so only
 * the total is printed. */
#include "rseq-prog.h"

static struct percpu_word counts[MAX_CPUS];
static long increments;

static void *worker(void *arg)
{
	register_thread();
	add_on_current_cpu(counts, increments, rseq_addv);
	return arg;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_counter";
	int threads = (int)arg_or(argc, argv, 1, 4, MAX_THREADS);
	increments = arg_or(argc, argv, 2, 5000, 100000000);
	run_threads(threads, worker);
	intptr_t total = percpu_total(counts);
	if (total != threads * increments)
		fail("the per-CPU counters add up to %ld, expected %ld", (long)total, threads * increments);
	printf("rseq_counter: %d threads x %ld increments = %ld\n", threads, increments, (long)total);
	return 0;
}
