/* shm_fork: shared and private memory, across mappings and across fork.
 *   - a memfd (memfd_create + ftruncate) mapped MAP_SHARED at two addresses:
 *     a write through one is seen through the other and by pread, and
 *     pwrite is seen through both;
 *   - MAP_FIXED of the memfd's second page into the middle of a PROT_NONE
 *     reservation: the pages around it still fault (SEGV_ACCERR);
 *   - a MAP_SHARED|MAP_ANONYMOUS region and a MAP_PRIVATE one written by a
 *     forked child: the parent sees the shared write (and the child's write
 *     to the memfd), not the private one; the child saw the private data
 *     the parent had at fork;
 *   - madvise(MADV_DONTFORK): the region is gone in the child (touching it
 *     faults, SEGV_MAPERR) but intact in the parent;
 *   - madvise(MADV_WIPEONFORK): the child reads zeros, the parent its data;
 *   - mprotect(PROT_READ) makes writes fault (SEGV_ACCERR), munmap of a
 *     middle page leaves a hole (SEGV_MAPERR).
 * Faults are probed with a SIGSEGV handler that siglongjmps back; the
 * child reports through its exit status. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("shm_fork: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static sigjmp_buf probe_env;
static volatile int probe_code;
static void *volatile probe_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	probe_code = si->si_code;
	probe_addr = si->si_addr;
	siglongjmp(probe_env, 1);
}

/* 0 if the access works, else the fault's si_code (SEGV_MAPERR, SEGV_ACCERR). */
static int probe(volatile char *p, int write)
{
	if (sigsetjmp(probe_env, 1) == 0) {
		if (write)
			*p = *p;
		else
			(void)*p;
		return 0;
	}
	if (probe_addr != (void *)p)
		return -1;
	return probe_code;
}

static const char *fault_name(int c)
{
	return c == 0 ? "ok" : c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
}

static void *map(size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);
	if (p == MAP_FAILED)
		fail("mmap");
	return p;
}

static int wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid");
	if (!WIFEXITED(st))
		fail("child died: %#x", st);
	return WEXITSTATUS(st);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	long pg = sysconf(_SC_PAGESIZE);

	/* memfd at two addresses */
	int fd = memfd_create("shm_fork", MFD_CLOEXEC);
	if (fd < 0)
		fail("memfd_create");
	if (ftruncate(fd, 2 * pg))
		fail("ftruncate");
	struct stat st;
	if (fstat(fd, &st) || st.st_size != 2 * pg)
		fail("fstat size");
	char *a = map(2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *b = map(2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a == b)
		fail("two mappings at one address");
	if (a[0] != 0 || b[2 * pg - 1] != 0)
		fail("new memfd not zero");
	strcpy(a + pg + 10, "written through a");
	if (strcmp(b + pg + 10, "written through a") != 0)
		fail("write through a not seen through b");
	if (pwrite(fd, "pwrite", 7, 100) != 7 || strcmp(a + 100, "pwrite") || strcmp(b + 100, "pwrite"))
		fail("pwrite not seen through the mappings");
	char buf[32];
	if (pread(fd, buf, 18, pg + 10) != 18 || memcmp(buf, "written through a", 18))
		fail("pread does not see the mapping's write");
	printf("memfd at two addresses: writes seen through both and by pread/pwrite\n");

	/* MAP_FIXED inside a PROT_NONE reservation */
	char *res = map(4 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *fixed = mmap(res + pg, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, pg);
	if (fixed != res + pg)
		fail("MAP_FIXED moved");
	if (strcmp(fixed + 10, "written through a") != 0)
		fail("MAP_FIXED page does not show the memfd's second page");
	fixed[0] = 'F';
	int below = probe(res, 0), above = probe(res + 2 * pg, 0), inside = probe(fixed + pg - 1, 1);
	printf("MAP_FIXED over PROT_NONE: mapped page %s, neighbours %s/%s, memfd sees '%c'\n", fault_name(inside),
	       fault_name(below), fault_name(above), a[pg]);
	if (inside || below != SEGV_ACCERR || above != SEGV_ACCERR || a[pg] != 'F')
		fail("reservation");

	/* shared vs private across fork, DONTFORK, WIPEONFORK */
	volatile int *shared = map(pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	volatile int *priv = map(pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *dontfork = map(pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *wipe = map(2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shared[0] = 1;
	priv[0] = 1;
	memset(dontfork, 0x5a, pg);
	memset(wipe, 0xab, 2 * pg);
	if (madvise(dontfork, pg, MADV_DONTFORK))
		fail("MADV_DONTFORK");
	if (madvise(wipe, 2 * pg, MADV_WIPEONFORK))
		fail("MADV_WIPEONFORK");
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		int bad = 0;
		if (priv[0] != 1 || shared[0] != 1)
			bad |= 1;
		shared[0] = 2;
		priv[0] = 2;
		a[0] = 'C';
		if (probe(dontfork, 0) != SEGV_MAPERR)
			bad |= 2;
		if (probe(wipe, 0) != 0 || wipe[0] != 0 || wipe[2 * pg - 1] != 0)
			bad |= 4;
		wipe[1] = 7; /* private to the child */
		_exit(bad);
	}
	int bad = wait_child(pid);
	if (bad)
		fail("child found problems: %#x", bad);
	printf("after fork, child wrote both: shared %d, private %d, memfd '%c'\n", shared[0], priv[0], a[0]);
	if (shared[0] != 2 || priv[0] != 1 || a[0] != 'C')
		fail("shared/private");
	printf("MADV_DONTFORK: gone in the child (SEGV_MAPERR), parent reads %#x\n", (unsigned char)dontfork[pg - 1]);
	if ((unsigned char)dontfork[0] != 0x5a || (unsigned char)dontfork[pg - 1] != 0x5a)
		fail("DONTFORK region changed in the parent");
	printf("MADV_WIPEONFORK: zeros in the child, parent reads %#x\n", (unsigned char)wipe[1]);
	for (long i = 0; i < 2 * pg; i++)
		if ((unsigned char)wipe[i] != 0xab)
			fail("WIPEONFORK region changed in the parent");

	/* mprotect and munmap */
	char *three = map(3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	three[0] = 1;
	if (mprotect(three, pg, PROT_READ))
		fail("mprotect");
	int w = probe(three, 1), r = probe(three, 0);
	if (munmap(three + pg, pg))
		fail("munmap");
	int hole = probe(three + pg, 0), after = probe(three + 2 * pg, 1);
	printf("read-only page: write %s, read %s; unmapped middle page %s, last page %s\n", fault_name(w), fault_name(r),
	       fault_name(hole), fault_name(after));
	if (w != SEGV_ACCERR || r || hole != SEGV_MAPERR || after)
		fail("mprotect/munmap");

	munmap(a, 2 * pg);
	munmap(b, 2 * pg);
	munmap(res, 4 * pg);
	close(fd);
	printf("shm_fork: ok\n");
	return 0;
}
