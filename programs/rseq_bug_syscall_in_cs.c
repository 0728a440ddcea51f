/* rseq_bug_syscall_in_cs [iterations]: KNOWN BUGGY. A per-CPU counter
 * whose critical section logs each addition by writing a byte to a pipe
 * with a write system call, before the commit. A system call's effect
 * cannot be rolled back: when the section aborts after the syscall (a
 * preemption, migration or signal between it and the commit, or a
 * context switch inside the call itself) the retry writes the byte again,
 * and the pipe holds more bytes than there were additions. The ABI
 * forbids system calls inside a critical section; kernels built with
 * CONFIG_DEBUG_RSEQ kill the thread at the syscall (rseq-abi.md section
 * 4), rseqlab reports it as an ABI violation.
 *
 * One thread adds `iterations` times (default 200) and compares the
 * bytes in the pipe with the total. A write to a pipe that has room does
 * not block, so a native run usually passes; rseqlab shows the bug with
 * --inject preempt@cs0+OFF, OFF the offset of the instruction after the
 * syscall. */
#include "rseq-prog.h"

#include <fcntl.h>

static struct percpu_word counts[MAX_CPUS];
static const char log_byte = '+';

__attribute__((noipa)) static int addv_logged(intptr_t *v, intptr_t count, int cpu, int fd)
{
	struct rseq_abi *rs = rseq_abi_area();
	__asm__ goto (
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")
		"1:\n\t"
		RSEQ_ABI_ASM_CMP_INDEX("%[cpu]", "%[cpu_id]", 4)
		"movl $1, %%eax\n\t"	/* BUG: write(fd, &log_byte, 1) inside the section */
		"syscall\n\t"
		"addq %[count], %[v]\n"	/* commit */
		"2:\n\t"
		RSEQ_ABI_ASM_ABORT(4, "%l[abort]")
		: : [cpu] "r"(cpu), [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs),
		    [v] "m"(*v), [count] "er"(count), "D"(fd), "S"(&log_byte), "d"(1L)
		: "memory", "cc", "rax", "rcx", "r11" : abort);
	return RSEQ_OK;
abort:
	return RSEQ_ABORTED;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_bug_syscall_in_cs";
	long n = arg_or(argc, argv, 1, 200, 10000);
	register_thread();
	int p[2];
	if (pipe2(p, O_NONBLOCK))
		fail("pipe2: %s", strerror(errno));
	for (long i = 0; i < n; i++) {
		for (;;) {
			int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
			if (addv_logged(&counts[cpu].v, 1, cpu, p[1]) == RSEQ_OK)
				break;
		}
	}
	intptr_t total = percpu_total(counts);
	long logged = 0;
	char buf[256];
	ssize_t got;
	while ((got = read(p[0], buf, sizeof buf)) > 0)
		logged += got;
	if (total != n)
		fail("counted %ld for %ld additions", (long)total, n);
	if (logged != n)
		fail("the log holds %ld bytes for %ld additions: a section aborted after its system call and ran it again",
		     logged, n);
	printf("rseq_bug_syscall_in_cs: %ld additions, %ld log bytes (this time)\n", n, logged);
	return 0;
}
