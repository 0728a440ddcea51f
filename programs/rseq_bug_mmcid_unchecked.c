/* rseq_bug_mmcid_unchecked [threads] [increments] [fixed]: KNOWN BUGGY.
 * Per-mm_cid counters (a pool of slots indexed by concurrency ID) where
 * each thread reads its mm_cid once, when it starts, as if it were a
 * thread index, and its critical section compares cpu_id (read before
 * each section) instead of mm_cid. mm_cid is only unique among threads
 * running at the same moment (rseq-abi.md section 3): after a thread is
 * switched out and in, or migrated, its ID may change and another thread
 * may hold the old one. The cpu_id check then passes (or is redone for
 * the new CPU) and two threads run read-modify-write sections on one
 * slot at once: increments are lost. The fix, with "fixed" as the third
 * argument: read mm_cid before every section and compare mm_cid (offset
 * 24) inside it, as rseq_mm_cid_addv does.
 *
 * Threads (default 4) add 1 `increments` times each (default 2000); the
 * slots must add up to threads x increments. Needs node_id/mm_cid (kernel
 * 6.3+; otherwise it says so and exits 0). A native run usually passes;
 * rseqlab shows the bug with migrations, e.g. --chaos with several
 * threads per vCPU. */
#include "rseq-prog.h"

static struct percpu_word slots[MAX_CPUS];
static long increments;
static int fixed;

/* Section comparing `index` with the area's field, then a read-modify-write
 * of *v with a few instructions of work between the load and the store. */
#define WIDE_ADD_SECTION(area_field)									\
	struct rseq_abi *rs = rseq_abi_area();							\
	__asm__ goto (										\
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)						\
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")					\
		"1:\n\t"									\
		RSEQ_ABI_ASM_CMP_INDEX("%[index]", "%[field]", 4)				\
		"movq %[v], %%rax\n\t"								\
		"nop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\t"			\
		"addq %[count], %%rax\n\t"							\
		"movq %%rax, %[v]\n" /* commit */						\
		"2:\n\t"									\
		RSEQ_ABI_ASM_ABORT(4, "%l[abort]")						\
		: : [index] "r"(index), [field] "m"(rs->area_field), [rseq_cs] "m"(rs->rseq_cs),	\
		    [v] "m"(*v), [count] "er"(count)						\
		: "memory", "cc", "rax" : abort);						\
	return RSEQ_OK;										\
abort:												\
	return RSEQ_ABORTED;

/* BUG: v is the slot of a (possibly stale) mm_cid, index a CPU number. */
__attribute__((noipa)) static int slot_add_cpu_checked(intptr_t *v, intptr_t count, int index)
{
	WIDE_ADD_SECTION(cpu_id)
}

__attribute__((noipa)) static int slot_add_mm_cid_checked(intptr_t *v, intptr_t count, int index)
{
	WIDE_ADD_SECTION(mm_cid)
}

static __thread int my_cid; /* BUG: read once */

static void *worker(void *arg)
{
	register_thread();
	my_cid = check_index(rseq_abi_current_mm_cid(), "mm_cid");
	for (long i = 0; i < increments; i++) {
		for (;;) {
			int r;
			if (fixed) {
				int cid = check_index(rseq_abi_current_mm_cid(), "mm_cid");
				r = slot_add_mm_cid_checked(&slots[cid].v, 1, cid);
			} else {
				int cpu = rseq_abi_current_cpu();
				r = slot_add_cpu_checked(&slots[my_cid].v, 1, cpu);
			}
			if (r == RSEQ_OK)
				break;
		}
	}
	return arg;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_bug_mmcid_unchecked";
	int threads = (int)arg_or(argc, argv, 1, 4, MAX_THREADS);
	increments = arg_or(argc, argv, 2, 2000, 100000000);
	fixed = argc > 3 && !strcmp(argv[3], "fixed");
	register_thread();
	if (!rseq_abi_has_mm_cid()) {
		printf("rseq_bug_mmcid_unchecked: mm_cid not available (rseq feature size %lu)\n", rseq_abi_feature_size());
		return 0;
	}
	run_threads(threads, worker);
	intptr_t total = 0;
	for (int c = 0; c < MAX_CPUS; c++)
		total += slots[c].v;
	if (total != threads * increments)
		fail("the per-mm_cid slots add up to %ld, expected %ld: two threads used one slot at once", (long)total,
		     threads * increments);
	printf("rseq_bug_mmcid_unchecked: %d threads x %ld increments = %ld%s\n", threads, increments, (long)total,
	       fixed ? " (fixed)" : " (this time)");
	return 0;
}
