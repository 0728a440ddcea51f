/* rseq_bug_no_cpu_check [threads] [increments] [fixed]: KNOWN BUGGY. A
 * per-CPU counter whose critical section never compares cpu_id with the
 * CPU the thread read before it: the section loads the counter, computes
 * (a few instructions standing for real work), and stores the sum as its
 * commit. A thread migrated after it read cpu_id_start and before the
 * section started is not aborted by anything (no event is pending once it
 * runs on the new CPU), so it runs the section on its old CPU's counter
 * while a thread on that CPU does the same: the two read-modify-writes
 * interleave and an increment is lost. The cpu_id comparison at the start
 * of the section (rseq-abi.md section 7) is what makes the section abort
 * instead. With "fixed" as the third argument the program uses the same
 * section with the comparison.
 *
 * Threads (default 4) add 1 `increments` times each (default 2000); the
 * sum must be threads x increments. A native run usually passes (the
 * window is a few instructions); rseqlab shows the bug with migrations,
 * e.g. --chaos with several threads per vCPU. */
#include "rseq-prog.h"

static struct percpu_word counts[MAX_CPUS];
static long increments;
static int fixed;

/* BUG: nothing compares cpu_id with `cpu`. */
__attribute__((noipa)) static int addv_unchecked(intptr_t *v, intptr_t count, int cpu)
{
	struct rseq_abi *rs = rseq_abi_area();
	(void)cpu;
	__asm__ goto (
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")
		"1:\n\t"
		"movq %[v], %%rax\n\t"
		"nop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\t"
		"addq %[count], %%rax\n\t"
		"movq %%rax, %[v]\n"	/* commit */
		"2:\n\t"
		RSEQ_ABI_ASM_ABORT(4, "%l[abort]")
		: : [rseq_cs] "m"(rs->rseq_cs), [v] "m"(*v), [count] "er"(count)
		: "memory", "cc", "rax" : abort);
	return RSEQ_OK;
abort:
	return RSEQ_ABORTED;
}

/* The same section with the comparison. */
__attribute__((noipa)) static int addv_checked(intptr_t *v, intptr_t count, int cpu)
{
	struct rseq_abi *rs = rseq_abi_area();
	__asm__ goto (
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")
		"1:\n\t"
		RSEQ_ABI_ASM_CMP_INDEX("%[cpu]", "%[cpu_id]", 4)
		"movq %[v], %%rax\n\t"
		"nop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\t"
		"addq %[count], %%rax\n\t"
		"movq %%rax, %[v]\n"	/* commit */
		"2:\n\t"
		RSEQ_ABI_ASM_ABORT(4, "%l[abort]")
		: : [cpu] "r"(cpu), [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs),
		    [v] "m"(*v), [count] "er"(count)
		: "memory", "cc", "rax" : abort);
	return RSEQ_OK;
abort:
	return RSEQ_ABORTED;
}

static void *worker(void *arg)
{
	register_thread();
	for (long i = 0; i < increments; i++) {
		for (;;) {
			int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
			int r = fixed ? addv_checked(&counts[cpu].v, 1, cpu) : addv_unchecked(&counts[cpu].v, 1, cpu);
			if (r == RSEQ_OK)
				break;
		}
	}
	return arg;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_bug_no_cpu_check";
	int threads = (int)arg_or(argc, argv, 1, 4, MAX_THREADS);
	increments = arg_or(argc, argv, 2, 2000, 100000000);
	fixed = argc > 3 && !strcmp(argv[3], "fixed");
	run_threads(threads, worker);
	intptr_t total = 0;
	for (int c = 0; c < MAX_CPUS; c++)
		total += counts[c].v;
	if (total != threads * increments)
		fail("the per-CPU counters add up to %ld, expected %ld: increments were lost", (long)total,
		     threads * increments);
	printf("rseq_bug_no_cpu_check: %d threads x %ld increments = %ld%s\n", threads, increments, (long)total,
	       fixed ? " (fixed)" : " (this time)");
	return 0;
}
