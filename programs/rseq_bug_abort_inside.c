/* rseq_bug_abort_inside [iterations]: KNOWN BUGGY. A per-CPU counter
 * whose abort handler (signature and all) sits inside its own critical
 * section: the code jumps over it on the way to the commit, so abort_ip
 * is in [start_ip, post_commit_ip). Kernels up to 6.18 validate every
 * descriptor they look at (rseq-abi.md section 4 step 4) and kill the
 * thread with SIGSEGV at the first preemption, migration or signal while
 * rseq_cs points to it, inside the section or after it. 6.19 and later
 * check only abort_ip's signature on their fast path (a debug kernel
 * checks all), so there the program runs; rseqlab's loader reports the
 * descriptor as broken either way.
 *
 * One thread adds `iterations` times (default 1000). A native run is
 * rarely interrupted during that short loop and usually passes; rseqlab
 * shows the kill with --kernel 6.3 --inject preempt@cs0. */
#include "rseq-prog.h"

static struct percpu_word counts[MAX_CPUS];

__attribute__((noipa)) static int addv_abort_inside(intptr_t *v, intptr_t count, int cpu)
{
	struct rseq_abi *rs = rseq_abi_area();
	__asm__ goto (
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")
		"1:\n\t"
		RSEQ_ABI_ASM_CMP_INDEX("%[cpu]", "%[cpu_id]", 4)
		"jmp 5f\n\t"
		/* BUG: the abort handler inside the range */
		".byte 0x0f, 0xb9, 0x3d\n\t"
		".long " RSEQ_ABI_SIG_STR "\n"
		"4:\n\t"
		"jmp %l[abort]\n"
		"5:\n\t"
		"addq %[count], %[v]\n"	/* commit */
		"2:\n\t"
		: : [cpu] "r"(cpu), [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs),
		    [v] "m"(*v), [count] "er"(count)
		: "memory", "cc", "rax" : abort);
	return RSEQ_OK;
abort:
	return RSEQ_ABORTED;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_bug_abort_inside";
	long n = arg_or(argc, argv, 1, 1000, 100000000);
	register_thread();
	add_on_current_cpu(counts, n, addv_abort_inside);
	intptr_t total = percpu_total(counts);
	if (total != n)
		fail("counted %ld for %ld increments", (long)total, n);
	printf("rseq_bug_abort_inside: %ld increments, never interrupted while armed (this time)\n", n);
	return 0;
}
