/* rseq_bug_bad_signature [iterations]: KNOWN BUGGY. A per-CPU counter
 * whose abort handler is preceded by the wrong signature (0x53053054, one
 * off the registered 0x53053053). Before moving a thread to abort_ip the
 * kernel compares the 4 bytes before it with the registered signature
 * and kills the thread with SIGSEGV when they differ (rseq-abi.md section
 * 4 step 5: "Possible attack attempt"). So any preemption, migration or
 * signal inside the section is fatal; kernels up to 6.18 check the
 * descriptor of a still-armed rseq_cs even when the thread is past the
 * section, so on those any interruption after the first section is too.
 *
 * One thread adds `iterations` times (default 1000). A native run is
 * rarely interrupted during that short loop and usually passes; rseqlab
 * shows the kill with --inject preempt@cs0. */
#include "rseq-prog.h"

static struct percpu_word counts[MAX_CPUS];

__attribute__((noipa)) static int addv_bad_signature(intptr_t *v, intptr_t count, int cpu)
{
	struct rseq_abi *rs = rseq_abi_area();
	__asm__ goto (
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")
		"1:\n\t"
		RSEQ_ABI_ASM_CMP_INDEX("%[cpu]", "%[cpu_id]", 4)
		"addq %[count], %[v]\n"	/* commit */
		"2:\n\t"
		RSEQ_ABI_ASM_ABORT_SIG(4, "%l[abort]", "0x53053054") /* BUG: not RSEQ_ABI_SIG */
		: : [cpu] "r"(cpu), [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs),
		    [v] "m"(*v), [count] "er"(count)
		: "memory", "cc", "rax" : abort);
	return RSEQ_OK;
abort:
	return RSEQ_ABORTED;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_bug_bad_signature";
	long n = arg_or(argc, argv, 1, 1000, 100000000);
	register_thread();
	add_on_current_cpu(counts, n, addv_bad_signature);
	intptr_t total = percpu_total(counts);
	if (total != n)
		fail("counted %ld for %ld increments", (long)total, n);
	printf("rseq_bug_bad_signature: %ld increments, never interrupted inside (this time)\n", n);
	return 0;
}
