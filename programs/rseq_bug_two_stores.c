/* rseq_bug_two_stores [iterations]: KNOWN BUGGY. Each CPU has a pair
 * (a, b) that must stay equal; the critical section adds 1 to a, then
 * adds 1 to b as its commit. The first store is visible to everyone and
 * is not a trystore (a store whose effect is harmless until the commit
 * publishes it, rseq-abi.h's rseq_cmpeqv_trystorev_storev): an abort
 * between the two stores (a preemption, migration or signal on the
 * commit instruction) leaves a incremented and b not, and the retry
 * increments a again. The fix is one commit that publishes both (e.g.
 * both values in one 8-byte word, or a trystore into an unpublished
 * slot).
 *
 * One thread adds `iterations` times (default 1000) and checks every
 * pair. A native run usually passes; rseqlab shows the bug with
 * --inject preempt@cs0+OFF, OFF the offset of the second store. */
#include "rseq-prog.h"

struct pair {
	intptr_t a, b;
} __attribute__((aligned(64)));

static struct pair pairs[MAX_CPUS];

__attribute__((noipa)) static int add_pair(struct pair *p, int cpu)
{
	struct rseq_abi *rs = rseq_abi_area();
	__asm__ goto (
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")
		"1:\n\t"
		RSEQ_ABI_ASM_CMP_INDEX("%[cpu]", "%[cpu_id]", 4)
		"addq $1, %[a]\n\t"	/* BUG: a visible store before the commit */
		"addq $1, %[b]\n"	/* commit */
		"2:\n\t"
		RSEQ_ABI_ASM_ABORT(4, "%l[abort]")
		: : [cpu] "r"(cpu), [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs),
		    [a] "m"(p->a), [b] "m"(p->b)
		: "memory", "cc", "rax" : abort);
	return RSEQ_OK;
abort:
	return RSEQ_ABORTED;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_bug_two_stores";
	long n = arg_or(argc, argv, 1, 1000, 100000000);
	register_thread();
	for (long i = 0; i < n; i++) {
		for (;;) {
			int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
			if (add_pair(&pairs[cpu], cpu) == RSEQ_OK)
				break;
		}
	}
	intptr_t total = 0;
	for (int c = 0; c < MAX_CPUS; c++) {
		if (pairs[c].a != pairs[c].b)
			fail("CPU %d's pair is out of step: a = %ld, b = %ld (an abort between the two stores)", c,
			     (long)pairs[c].a, (long)pairs[c].b);
		total += pairs[c].b;
	}
	if (total != n)
		fail("the pairs add up to %ld, expected %ld", (long)total, n);
	printf("rseq_bug_two_stores: %ld pair updates, every pair in step (this time)\n", n);
	return 0;
}
