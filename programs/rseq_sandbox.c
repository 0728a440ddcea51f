/* rseq_sandbox [threads] [increments]: the harness of the page's assembly
 * sandbox (web/sandbox.ts). Each thread (default 2, at most 16) adds 1 to
 * its CPU's counter `increments` times (default 1000) by calling a critical
 * section that lives in a reserved, patchable code area: rseq_sandbox_area,
 * SANDBOX_AREA_SIZE bytes of .text (the section, then int3 to the end), and
 * its descriptor rseq_sandbox_cs in __rseq_cs (listed in
 * __rseq_cs_ptr_array). The page assembles the user's section at the
 * area's address, writes it over the area in the ELF file and points the
 * descriptor's start_ip / post_commit_offset / abort_ip at its labels, so
 * the patched file runs like any other program.
 *
 * The contract of the area (what the page's text must keep), SysV calls:
 *   int rseq_sandbox_area(struct percpu_word *counts,   rdi: 64 bytes per CPU
 *                         struct rseq_abi *rs,          rsi: this thread's area
 *                         const struct rseq_abi_cs *cs) rdx: the descriptor
 * returns 0 in eax once the increment committed, 1 after an abort (the
 * harness calls again); rbx, rbp, rsp, r12-r15 must be preserved.
 *
 * The default section below is correct and this program checks it: the
 * counters must add up to threads x increments. It is written in Intel
 * syntax, byte for byte the text the page starts with (web/sandbox.ts
 * DEFAULT_SECTION; test/web/sandbox.test.ts compares the bytes). Its labels
 * are .L labels here so that no stale symbol names the patched code. */
#include "rseq-prog.h"

#define SANDBOX_AREA_SIZE 512
/* One increment aborting this often in a row is a section that never commits. */
#define MAX_TRIES 1000000

extern int rseq_sandbox_area(struct percpu_word *counts, struct rseq_abi *rs, const struct rseq_abi_cs *cs);
extern const struct rseq_abi_cs rseq_sandbox_cs;

#define STR_(x) #x
#define STR(x) STR_(x)

__asm__(
	".pushsection .text\n"
	".balign 64\n"
	".globl rseq_sandbox_area\n"
	".type rseq_sandbox_area, @function\n"
	"rseq_sandbox_area:\n"
	".intel_syntax noprefix\n"
	"	mov eax, dword ptr [rsi]	# cpu_id_start: always a valid CPU\n"
	"	mov rcx, rax\n"
	"	shl rcx, 6			# rcx = offset of that CPU's counter\n"
	"	mov qword ptr [rsi + 8], rdx	# arm: rseq->rseq_cs = &descriptor\n"
	".Lsandbox_start:\n"
	"	cmp eax, dword ptr [rsi + 4]	# still on that CPU?\n"
	"	jne .Lsandbox_abort\n"
	"	inc qword ptr [rdi + rcx]	# commit: the one store, and the last instruction\n"
	".Lsandbox_post_commit:\n"
	"	xor eax, eax			# 0: committed\n"
	"	ret\n"
	"	.byte 0x0f, 0xb9, 0x3d		# ud1 whose 4-byte displacement is ...\n"
	"	.long 0x53053053		# ... the signature the kernel checks before abort_ip\n"
	".Lsandbox_abort:\n"
	"	mov eax, 1			# 1: aborted, call again\n"
	"	ret\n"
	".att_syntax prefix\n"
	".fill " STR(SANDBOX_AREA_SIZE) " - (. - rseq_sandbox_area), 1, 0xcc\n"
	".size rseq_sandbox_area, " STR(SANDBOX_AREA_SIZE) "\n"
	".popsection\n"
	".pushsection __rseq_cs, \"aw\"\n"
	".balign 32\n"
	".globl rseq_sandbox_cs\n"
	".type rseq_sandbox_cs, @object\n"
	"rseq_sandbox_cs:\n"
	".long 0, 0\n"
	".quad .Lsandbox_start, .Lsandbox_post_commit - .Lsandbox_start, .Lsandbox_abort\n"
	".size rseq_sandbox_cs, 32\n"
	".popsection\n"
	".pushsection __rseq_cs_ptr_array, \"aw\"\n"
	".quad rseq_sandbox_cs\n"
	".popsection\n");

static struct percpu_word counts[MAX_CPUS];
static long increments;

static void *worker(void *arg)
{
	register_thread();
	struct rseq_abi *rs = rseq_abi_area();
	for (long i = 0; i < increments; i++) {
		for (long tries = 1;; tries++) {
			int r = rseq_sandbox_area(counts, rs, &rseq_sandbox_cs);
			if (r == 0)
				break;
			if (r != 1)
				fail("not ok: the section returned %d; it must return 0 (committed) or 1 (aborted)", r);
			if (tries == MAX_TRIES)
				fail("not ok: one increment aborted %d times in a row; does the section ever commit?", MAX_TRIES);
		}
	}
	return arg;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_sandbox";
	int threads = (int)arg_or(argc, argv, 1, 2, MAX_THREADS);
	increments = arg_or(argc, argv, 2, 1000, 100000000);
	run_threads(threads, worker);
	long want = threads * increments;
	long total = (long)percpu_total(counts);
	if (total < want)
		fail("not ok: the per-CPU counters add up to %ld, expected %ld: %ld increments were lost", total, want, want - total);
	if (total > want)
		fail("not ok: the per-CPU counters add up to %ld, expected %ld: %ld increments were counted twice", total, want, total - want);
	printf("rseq_sandbox: ok: %d threads x %ld increments = %ld\n", threads, increments, total);
	return 0;
}
