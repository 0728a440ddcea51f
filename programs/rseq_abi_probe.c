/* rseq_abi_probe: prints the facts of the rseq ABI this kernel and libc
 * offer, one stable line each, and the errno rules of registration
 * (rseq-abi.md sections 1, 2, 6 and 8):
 *   - AT_RSEQ_FEATURE_SIZE and AT_RSEQ_ALIGN (present from 6.3), glibc's
 *     __rseq_size and the sign of __rseq_offset, whether node_id and mm_cid
 *     are written;
 *   - on glibc's registered area: registering again with the same
 *     arguments is EBUSY, at another address or with another length
 *     EINVAL, with another signature EPERM; unregistering with a wrong
 *     signature is EPERM, at another address EINVAL; unregistering resets
 *     cpu_id to -1 and registering again writes it;
 *   - an area of our own: length 31 and a misaligned 32-byte area are
 *     EINVAL; an extended length (the feature size rounded up to the
 *     alignment, at least 33) is accepted from 6.3 on (EINVAL before).
 * The output differs between kernel versions, and that is the point; it
 * does not depend on the CPU count or timing. */
#include "rseq-prog.h"

static const char *errname(long r)
{
	if (r == 0)
		return "ok";
	switch (errno) {
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case EFAULT: return "EFAULT";
	case ENOSYS: return "ENOSYS";
	default: {
		static char buf[32];
		snprintf(buf, sizeof buf, "errno %d", errno);
		return buf;
	}
	}
}

static const char *cpu_id_state(struct rseq_abi *rs)
{
	int32_t id = (int32_t)RSEQ_ABI_READ_ONCE(rs->cpu_id);
	int32_t start = (int32_t)RSEQ_ABI_READ_ONCE(rs->cpu_id_start);
	if (id == RSEQ_ABI_CPU_ID_UNINITIALIZED)
		return "cpu_id -1";
	if (id == RSEQ_ABI_CPU_ID_REGISTRATION_FAILED)
		return "cpu_id -2";
	if (id >= 0 && id == start && id == sched_getcpu())
		return "cpu_id valid";
	static char buf[64];
	snprintf(buf, sizeof buf, "cpu_id %d, cpu_id_start %d (wrong)", id, start);
	return buf;
}

/* A 32-byte aligned buffer for misaligned and foreign registrations. */
static union rseq_abi_own other[2];

int main(void)
{
	prog_name = "rseq_abi_probe";
	unsigned long fs = rseq_abi_auxv_feature_size(), al = rseq_abi_auxv_align();
	if (fs)
		printf("AT_RSEQ_FEATURE_SIZE: %lu\n", fs);
	else
		printf("AT_RSEQ_FEATURE_SIZE: absent\n");
	if (al)
		printf("AT_RSEQ_ALIGN: %lu\n", al);
	else
		printf("AT_RSEQ_ALIGN: absent\n");
	unsigned size = rseq_abi_glibc_size();
	printf("__rseq_size: %u\n", size);
	struct rseq_abi *g = rseq_abi_glibc_area();
	if (!g) {
		printf("glibc registration: none\n");
		return 0;
	}
	printf("__rseq_offset: %s, area %s32-byte aligned\n", __rseq_offset < 0 ? "negative" : "positive",
	       (uintptr_t)g % 32 ? "NOT " : "");
	printf("glibc registration: %s\n", cpu_id_state(g));
	if (rseq_abi_has_mm_cid()) {
		cpu_set_t allowed;
		sched_getaffinity(0, sizeof allowed, &allowed);
		unsigned node = ~0u, cpu;
		syscall(SYS_getcpu, &cpu, &node, NULL);
		int ok = g->node_id == node && (int)g->mm_cid < CPU_COUNT(&allowed);
		printf("node_id, mm_cid: %s\n", ok ? "written" : "WRONG");
	} else {
		printf("node_id, mm_cid: not in the feature size\n");
	}

	uint32_t len = rseq_abi_glibc_len();
	printf("register again, same arguments: %s\n", errname(rseq_abi_syscall(g, len, 0, RSEQ_ABI_SIG)));
	printf("register, another address: %s\n", errname(rseq_abi_syscall(&other[0].area, len, 0, RSEQ_ABI_SIG)));
	printf("register, another length: %s\n", errname(rseq_abi_syscall(g, len + 32, 0, RSEQ_ABI_SIG)));
	printf("register, another signature: %s\n", errname(rseq_abi_syscall(g, len, 0, RSEQ_ABI_SIG + 1)));
	printf("register, unknown flag: %s\n", errname(rseq_abi_syscall(g, len, 4, RSEQ_ABI_SIG)));
	printf("unregister, wrong signature: %s\n", errname(rseq_abi_syscall(g, len, RSEQ_ABI_FLAG_UNREGISTER, RSEQ_ABI_SIG + 1)));
	printf("unregister, another address: %s\n", errname(rseq_abi_syscall(&other[0].area, len, RSEQ_ABI_FLAG_UNREGISTER, RSEQ_ABI_SIG)));
	long r = rseq_abi_syscall(g, len, RSEQ_ABI_FLAG_UNREGISTER, RSEQ_ABI_SIG);
	printf("unregister: %s, %s\n", errname(r), cpu_id_state(g));
	printf("unregister again: %s\n", errname(rseq_abi_syscall(g, len, RSEQ_ABI_FLAG_UNREGISTER, RSEQ_ABI_SIG)));
	r = rseq_abi_syscall(g, len, 0, RSEQ_ABI_SIG);
	printf("register again: %s, %s\n", errname(r), cpu_id_state(g));

	/* Areas of our own, with glibc's registration dropped. */
	if (rseq_abi_unregister_glibc())
		fail("cannot unregister glibc's area: %s", strerror(errno));
	printf("own area, length 31: %s\n", errname(rseq_abi_syscall(&other[0].area, 31, 0, RSEQ_ABI_SIG)));
	printf("own area, length 32, misaligned: %s\n",
	       errname(rseq_abi_syscall((char *)&other[0].area + 16, 32, 0, RSEQ_ABI_SIG)));
	uint32_t ext = rseq_abi_extended_len();
	r = rseq_abi_register_own(ext);
	printf("own area, extended length %u: %s", ext, errname(r));
	if (r == 0) {
		printf(", %s", cpu_id_state(rseq_abi_area()));
		if (rseq_abi_unregister_own())
			fail("cannot unregister our own area: %s", strerror(errno));
	}
	printf("\n");
	r = rseq_abi_register_own(RSEQ_ABI_ORIG_SIZE);
	printf("own area, length 32: %s", errname(r));
	if (r == 0) {
		printf(", %s", cpu_id_state(rseq_abi_area()));
		if (rseq_abi_unregister_own())
			fail("cannot unregister our own area: %s", strerror(errno));
	}
	printf("\n");
	r = rseq_abi_syscall(g, len, 0, RSEQ_ABI_SIG);
	printf("glibc's area back: %s, %s\n", errname(r), cpu_id_state(g));
	return 0;
}
