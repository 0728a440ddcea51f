/* rseq_getcpu: glibc's rseq registration as a program sees it.
 *
 * - __rseq_size and __rseq_offset are sane: the size at least the 20 bytes
 *   of the original fields, the area (thread pointer + __rseq_offset)
 *   32-byte aligned and registered (cpu_id >= 0), and the area of a new
 *   thread is at the same offset from that thread's own thread pointer
 *   (rseq-abi.md section 6);
 * - for every CPU in the initial affinity mask, pinned to it alone with
 *   sched_setaffinity (a migration: section 3), in main and in a new
 *   thread: cpu_id and cpu_id_start equal that CPU, sched_getcpu() (which
 *   reads cpu_id) and the getcpu system call agree; node_id equals the
 *   node getcpu reports, and mm_cid is below the number of CPUs allowed,
 *   when the kernel's feature size covers those fields.
 * The number of CPUs differs between hosts, so it is not printed. */
#include "rseq-prog.h"

#include <sys/syscall.h>

static int allowed_cpus;

static void check_area(struct rseq_abi *rs, const char *who)
{
	if (!rs)
		fail("%s: glibc has no rseq registration (__rseq_size is 0)", who);
	if ((uintptr_t)rs % 32)
		fail("%s: the area at thread pointer %+ld is not 32-byte aligned", who, (long)__rseq_offset);
	if ((int32_t)RSEQ_ABI_READ_ONCE(rs->cpu_id) < 0)
		fail("%s: cpu_id is %d: not registered", who, (int32_t)rs->cpu_id);
}

static void check_on(int cpu, const char *who)
{
	struct rseq_abi *rs = rseq_abi_glibc_area();
	check_area(rs, who);
	for (int k = 0; k < 3; k++) {
		int id = (int)RSEQ_ABI_READ_ONCE(rs->cpu_id);
		int start = (int)RSEQ_ABI_READ_ONCE(rs->cpu_id_start);
		int g = sched_getcpu();
		unsigned c = ~0u, node = ~0u;
		if (syscall(SYS_getcpu, &c, &node, NULL))
			fail("%s: getcpu: %s", who, strerror(errno));
		if (id != cpu || start != cpu || g != cpu || (int)c != cpu)
			fail("%s: pinned to CPU %d, but cpu_id %d, cpu_id_start %d, sched_getcpu %d, getcpu %u",
			     who, cpu, id, start, g, c);
		if (rseq_abi_feature_size() >= RSEQ_ABI_FEATURE_NODE_ID && RSEQ_ABI_READ_ONCE(rs->node_id) != node)
			fail("%s: node_id %u, getcpu says node %u", who, rs->node_id, node);
		if (rseq_abi_has_mm_cid() && (int)RSEQ_ABI_READ_ONCE(rs->mm_cid) >= allowed_cpus)
			fail("%s: mm_cid %u is not below the %d CPUs allowed", who, rs->mm_cid, allowed_cpus);
		sched_yield();
	}
}

static void *thread(void *arg)
{
	check_on((int)(long)arg, "thread");
	return NULL;
}

int main(void)
{
	prog_name = "rseq_getcpu";
	unsigned size = rseq_abi_glibc_size();
	if (size < RSEQ_ABI_FEATURE_ORIG)
		fail("__rseq_size is %u, expected at least %d", size, RSEQ_ABI_FEATURE_ORIG);
	if (__rseq_offset % 32)
		fail("__rseq_offset %ld is not a multiple of 32", (long)__rseq_offset);
	cpu_set_t initial;
	if (sched_getaffinity(0, sizeof initial, &initial))
		fail("sched_getaffinity: %s", strerror(errno));
	allowed_cpus = CPU_COUNT(&initial);
	int tested = 0;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &initial))
			continue;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof one, &one))
			fail("sched_setaffinity(%d): %s", cpu, strerror(errno));
		check_on(cpu, "main");
		pthread_t t;
		if (pthread_create(&t, NULL, thread, (void *)(long)cpu) || pthread_join(t, NULL))
			fail("thread");
		tested++;
	}
	if (tested == 0)
		fail("empty initial mask");
	if (sched_setaffinity(0, sizeof initial, &initial))
		fail("restoring the mask: %s", strerror(errno));
	printf("rseq_getcpu: ok\n");
	return 0;
}
