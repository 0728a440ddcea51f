/* fork_pipe_wait: processes and their exit statuses.
 *   - 4 forked children each write one fixed-size record (atomic: below
 *     PIPE_BUF) to a shared pipe and exit with status 10+i; the parent
 *     reads to EOF (every write end closed), sorts the records (their order
 *     depends on the schedule) and reaps each child with waitpid:
 *     WIFEXITED, WEXITSTATUS, and the pid in the record matches;
 *   - a child sees a copy of the parent's memory (a later parent write is
 *     not seen, its own write is not seen by the parent) and getppid();
 *   - vfork: the parent is suspended until the child calls _exit;
 *   - waitid(P_ALL, WEXITED) reaps 3 more children: si_code CLD_EXITED,
 *     si_status; waitid(P_PID, WNOWAIT) leaves a child waitable;
 *   - exit(256 + 5) is status 5; wait() with no children is ECHILD. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fork_pipe_wait: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

#define CHILDREN 4
#define REC 32

struct rec { char text[REC]; };

static int cmp(const void *a, const void *b) { return strcmp(a, b); }

static int shared_var = 1;

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0); /* nothing buffered to duplicate in children */
	int p[2];
	if (pipe(p))
		fail("pipe");
	pid_t pids[CHILDREN];
	pid_t parent = getpid();
	for (int i = 0; i < CHILDREN; i++) {
		pid_t pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid == 0) {
			close(p[0]);
			if (getppid() != parent)
				_exit(100);
			struct rec r;
			memset(&r, 0, sizeof r);
			snprintf(r.text, REC, "child %d pid-ok %d", i, getpid() != parent);
			/* several writes make interleaving likely; each is atomic */
			for (int k = 0; k < 3; k++)
				if (write(p[1], &r, sizeof r) != sizeof r)
					_exit(101);
			_exit(10 + i);
		}
		pids[i] = pid;
	}
	close(p[1]);
	struct rec recs[CHILDREN * 3 + 1];
	int n = 0;
	for (;;) {
		ssize_t r = read(p[0], &recs[n], sizeof recs[0]);
		if (r == 0)
			break;
		if (r != sizeof recs[0])
			fail("short read %zd", r);
		if (++n > CHILDREN * 3)
			fail("too many records");
	}
	close(p[0]);
	qsort(recs, n, sizeof recs[0], cmp);
	printf("read %d records to EOF:\n", n);
	for (int i = 0; i < n; i += 3)
		printf("  %s (x3)\n", recs[i].text);
	for (int i = 0; i < n; i++)
		if (strcmp(recs[i].text, recs[i / 3 * 3].text) != 0)
			fail("records differ");
	for (int i = CHILDREN - 1; i >= 0; i--) {
		int status;
		pid_t w = waitpid(pids[i], &status, 0);
		if (w != pids[i])
			fail("waitpid returned %d", w);
		if (!WIFEXITED(status))
			fail("child %d did not exit normally: %#x", i, status);
		printf("child %d: exited, status %d\n", i, WEXITSTATUS(status));
		if (WEXITSTATUS(status) != 10 + i)
			fail("child %d status", i);
	}

	/* copy-on-write view of memory */
	int q[2], back[2];
	if (pipe(q) || pipe(back))
		fail("pipe");
	shared_var = 2;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		if (read(q[0], &c, 1) != 1) /* wait until the parent changed shared_var */
			_exit(1);
		int seen = shared_var;
		shared_var = 99;
		if (write(back[1], &seen, sizeof seen) != sizeof seen)
			_exit(1);
		_exit(0);
	}
	shared_var = 3;
	if (write(q[1], "g", 1) != 1)
		fail("write");
	int seen = 0;
	if (read(back[0], &seen, sizeof seen) != sizeof seen)
		fail("read");
	int status;
	waitpid(pid, &status, 0);
	printf("child saw %d (value at fork), parent still has %d\n", seen, shared_var);
	if (seen != 2 || shared_var != 3 || status != 0)
		fail("copy on write");
	close(q[0]); close(q[1]); close(back[0]); close(back[1]);

	/* vfork: the parent waits until the child _exits */
	volatile int order = 0;
	pid = vfork();
	if (pid < 0)
		fail("vfork");
	if (pid == 0) {
		order = 1; /* shared memory with the parent until _exit */
		_exit(3);
	}
	int order_seen = order;
	waitpid(pid, &status, 0);
	printf("vfork child ran first (%d), status %d\n", order_seen, WEXITSTATUS(status));
	if (order_seen != 1 || !WIFEXITED(status) || WEXITSTATUS(status) != 3)
		fail("vfork");

	/* waitid */
	pid_t w3[3];
	for (int i = 0; i < 3; i++) {
		w3[i] = fork();
		if (w3[i] == 0)
			exit(i == 2 ? 256 + 5 : 20 + i);
	}
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, w3[0], &si, WEXITED | WNOWAIT))
		fail("waitid WNOWAIT");
	if (si.si_pid != w3[0] || si.si_code != CLD_EXITED || si.si_status != 20)
		fail("waitid WNOWAIT info");
	int statuses[3], got = 0;
	for (int i = 0; i < 3; i++) {
		memset(&si, 0, sizeof si);
		if (waitid(P_ALL, 0, &si, WEXITED))
			fail("waitid");
		if (si.si_code != CLD_EXITED || si.si_signo != SIGCHLD)
			fail("waitid si_code %d", si.si_code);
		int k = si.si_pid == w3[0] ? 0 : si.si_pid == w3[1] ? 1 : si.si_pid == w3[2] ? 2 : -1;
		if (k < 0)
			fail("waitid pid unknown");
		statuses[k] = si.si_status;
		got++;
	}
	printf("waitid(P_ALL, WEXITED): %d children, CLD_EXITED, statuses %d %d %d\n", got, statuses[0], statuses[1], statuses[2]);
	if (statuses[0] != 20 || statuses[1] != 21 || statuses[2] != 5)
		fail("waitid statuses");

	errno = 0;
	if (wait(NULL) != -1 || errno != ECHILD)
		fail("wait with no children");
	if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) != -1 || errno != ECHILD)
		fail("waitid with no children");
	printf("no children left: ECHILD\n");
	printf("fork_pipe_wait: ok\n");
	return 0;
}
