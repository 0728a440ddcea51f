/* rseq_slice [regions] [syscall-every]: the time slice extension
 * (rseq-abi.md section 9),
 * as a user of it: two threads (main and one more, so that they compete
 * for the CPU) each
 *   1. try prctl(PR_RSEQ_SLICE_EXTENSION, SET, ENABLE, 0, 0) while glibc's
 *      32-byte registration is the thread's (legacy mode: ENOTSUPP on
 *      kernels that have the extension, EINVAL on those that do not);
 *   2. drop glibc's registration and register an area of their own with a
 *      V2 length (the feature size rounded up to AT_RSEQ_ALIGN, more than
 *      32 bytes), then enable the extension; GET must then say 1;
 *   3. run `regions` short critical regions (default 200): set
 *      slice_ctrl.request = 1, do a little work (rseq additions to a
 *      per-CPU counter among it), clear request, and if the kernel granted
 *      an extension meanwhile (granted = 1) end it with rseq_slice_yield()
 *      (syscall 471) before any other system call.
 * With syscall-every = K (default: none), every K-th region of each thread
 * (the K-th, 2K-th, ...) breaks that rule on purpose: it makes a system
 * call (getppid) after its first addition, while it may hold a grant, so
 * the kernel revokes the grant there (the playground's time slice lesson
 * shows both endings).
 * When the extension is unavailable (an older kernel: EINVAL for the
 * unknown prctl, or a refused registration) it prints why and exits 0.
 * Whether a region was granted an extension depends on timing, so only
 * "ok" is printed; the counters must add up. */
#include "rseq-prog.h"

#include <sys/prctl.h>

static struct percpu_word counts[MAX_CPUS];
static long regions;
static long syscall_every;
static volatile long sink;

static const char *errname(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENXIO: return "ENXIO";
	case EPERM: return "EPERM";
	case EBUSY: return "EBUSY";
	case RSEQ_ABI_ENOTSUPP: return "ENOTSUPP";
	default: {
		static char buf[32];
		snprintf(buf, sizeof buf, "errno %d", e);
		return buf;
	}
	}
}

static int slice_prctl(int op, unsigned long arg)
{
	return prctl(RSEQ_ABI_PR_RSEQ_SLICE_EXTENSION, op, arg, 0, 0);
}

/* 0 when the thread runs with the extension enabled, else an errno; *what says which step failed. */
static int enable(const char **what)
{
	*what = "";
	if (rseq_abi_unregister_glibc()) {
		*what = "unregistering glibc's area: ";
		return errno;
	}
	if (rseq_abi_register_own(rseq_abi_extended_len())) {
		*what = "rseq registration: ";
		return errno;
	}
	if (slice_prctl(RSEQ_ABI_PR_RSEQ_SLICE_EXTENSION_SET, RSEQ_ABI_PR_RSEQ_SLICE_EXT_ENABLE))
		return errno;
	int on = slice_prctl(RSEQ_ABI_PR_RSEQ_SLICE_EXTENSION_GET, 0);
	if (on != 1)
		fail("PR_RSEQ_SLICE_EXTENSION_GET says %d after enabling", on);
	return 0;
}

static void add(void)
{
	for (;;) {
		int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
		if (rseq_addv(&counts[cpu].v, 1, cpu) == RSEQ_OK)
			return;
	}
}

static void run_regions(void)
{
	struct rseq_abi *rs = rseq_abi_area();
	for (long i = 0; i < regions; i++) {
		RSEQ_ABI_WRITE_ONCE(rs->slice_ctrl.request, 1);
		for (int k = 0; k < 4; k++) {
			add();
			/* Not rseq_slice_yield: a grant held now is revoked. */
			if (k == 0 && syscall_every > 0 && i % syscall_every == syscall_every - 1)
				syscall(SYS_getppid);
			for (int j = 0; j < 20; j++)
				sink = sink + j;
		}
		RSEQ_ABI_WRITE_ONCE(rs->slice_ctrl.request, 0);
		if (RSEQ_ABI_READ_ONCE(rs->slice_ctrl.granted))
			syscall(RSEQ_ABI_NR_rseq_slice_yield);
	}
}

static int thread_error;
static const char *thread_what;

static void *thread(void *arg)
{
	const char *what;
	int e = enable(&what);
	if (e) {
		thread_error = e;
		thread_what = what;
		return arg;
	}
	run_regions();
	return arg;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_slice";
	regions = arg_or(argc, argv, 1, 200, 100000000);
	syscall_every = arg_or(argc, argv, 2, 0, 100000000);
	if (!rseq_abi_glibc_area()) {
		printf("slice extension: unavailable (glibc did not register rseq)\n");
		return 0;
	}
	int r = slice_prctl(RSEQ_ABI_PR_RSEQ_SLICE_EXTENSION_SET, RSEQ_ABI_PR_RSEQ_SLICE_EXT_ENABLE);
	printf("slice extension, 32-byte registration: %s\n", r == 0 ? "enabled (wrong)" : errname(errno));
	const char *what;
	int e = enable(&what);
	if (e) {
		printf("slice extension: unavailable (%s%s)\n", what, errname(e));
		return 0;
	}
	pthread_t t;
	if ((errno = pthread_create(&t, NULL, thread, NULL)))
		fail("pthread_create: %s", strerror(errno));
	run_regions();
	pthread_join(t, NULL);
	if (thread_error)
		fail("the second thread could not enable the extension: %s%s", thread_what, errname(thread_error));
	intptr_t total = 0;
	for (int c = 0; c < MAX_CPUS; c++)
		total += counts[c].v;
	if (total != 2 * regions * 4)
		fail("the counters add up to %ld, expected %ld", (long)total, 2 * regions * 4);
	printf("slice extension: ok\n");
	return 0;
}
