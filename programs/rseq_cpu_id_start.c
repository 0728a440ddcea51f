/* rseq_cpu_id_start: a program that overwrites cpu_id_start, as tcmalloc
 * did, and relies on the kernel rewriting it after every context switch.
 *
 * The ABI says cpu_id_start is written by the kernel (rseq-abi.md section
 * 1); tcmalloc stored its own value there (bit 31 set) and counted on the
 * kernel replacing it whenever the thread had been switched out. Kernels
 * up to 6.18 do that on every return to user space after a context
 * switch; 6.19 wrote the IDs only when they changed, so the value
 * survived and tcmalloc broke; 7.0 restores the old behaviour for 32-byte
 * (legacy) registrations (section 9). This program uses glibc's 32-byte
 * registration, writes a sentinel with bit 31 set, blocks in nanosleep
 * for 1 ms (the thread certainly sleeps, so it is switched out) and
 * checks that cpu_id_start holds a valid CPU again, equal to cpu_id. Three
 * times. Prints "cpu_id_start: rewritten", or says the sentinel survived
 * and exits 1. */
#include "rseq-prog.h"

#include <time.h>

#define SENTINEL 0x80000000u

int main(void)
{
	prog_name = "rseq_cpu_id_start";
	struct rseq_abi *rs = rseq_abi_glibc_area();
	if (!rs || (int32_t)RSEQ_ABI_READ_ONCE(rs->cpu_id) < 0)
		fail("glibc has no rseq registration");
	for (unsigned k = 0; k < 3; k++) {
		RSEQ_ABI_WRITE_ONCE(rs->cpu_id_start, SENTINEL | k);
		struct timespec ms = { 0, 1000000 };
		while (nanosleep(&ms, &ms) && errno == EINTR)
			;
		uint32_t start = RSEQ_ABI_READ_ONCE(rs->cpu_id_start);
		uint32_t id = RSEQ_ABI_READ_ONCE(rs->cpu_id);
		if (start == (SENTINEL | k))
			fail("the sentinel %#x in cpu_id_start survived a context switch (cpu_id %u)", start, id);
		if (start != id || start >= MAX_CPUS)
			fail("cpu_id_start is %#x after a context switch, cpu_id %u", start, id);
	}
	printf("cpu_id_start: rewritten\n");
	return 0;
}
