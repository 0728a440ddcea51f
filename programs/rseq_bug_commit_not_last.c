/* rseq_bug_commit_not_last [iterations]: KNOWN BUGGY. A per-CPU counter
 * whose critical section does not end with its commit: after the addq
 * that commits, one more instruction (setting a "committed" flag in a
 * register) is still inside [start_ip, post_commit_ip). A preemption, migration or signal
 * that lands on that instruction makes the kernel move the thread to the
 * abort handler (rseq-abi.md section 4: it only looks at the IP), and the
 * caller retries an addition that already happened: the counter
 * double-counts. The fix is to end the range right after the commit
 * (section 7: the commit is the last instruction).
 *
 * One thread adds 1 `iterations` times (default 1000) and checks the
 * total. A native run almost never gets preempted on that one
 * instruction, so it usually passes; rseqlab shows the bug with
 * --inject preempt@cs0+OFF, OFF the offset of the instruction after the
 * commit, and its static check reports the section (its last instruction
 * does not store to memory). */
#include "rseq-prog.h"

static struct percpu_word counts[MAX_CPUS];

__attribute__((noipa)) static int addv_commit_not_last(intptr_t *v, intptr_t count, int cpu)
{
	struct rseq_abi *rs = rseq_abi_area();
	__asm__ goto (
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")
		"1:\n\t"
		RSEQ_ABI_ASM_CMP_INDEX("%[cpu]", "%[cpu_id]", 4)
		"addq %[count], %[v]\n\t"	/* the commit ... */
		"movl $1, %%eax\n"		/* BUG: ... is not the last instruction of the range */
		"2:\n\t"
		RSEQ_ABI_ASM_ABORT(4, "%l[abort]")
		: : [cpu] "r"(cpu), [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs),
		    [v] "m"(*v), [count] "er"(count)
		: "memory", "cc", "rax" : abort);
	return RSEQ_OK;
abort:
	return RSEQ_ABORTED;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_bug_commit_not_last";
	long n = arg_or(argc, argv, 1, 1000, 100000000);
	register_thread();
	add_on_current_cpu(counts, n, addv_commit_not_last);
	intptr_t total = percpu_total(counts);
	if (total != n)
		fail("counted %ld for %ld increments: a section aborted after its commit and ran again", (long)total, n);
	printf("rseq_bug_commit_not_last: %ld increments counted once (this time)\n", n);
	return 0;
}
