/* child_killed: children that die by signals, and SIGCHLD in the parent.
 * Children make no core dumps (RLIMIT_CORE 0 and PR_SET_DUMPABLE 0), so
 * the reports do not depend on the host's core_pattern.
 *   - a child writes through a null pointer: WIFSIGNALED, WTERMSIG SIGSEGV;
 *   - a child waits in pause() and the parent kill(SIGKILL)s it;
 *   - a child calls abort(): SIGABRT;
 *   - a child exits normally with status 3;
 *   - a child raise(SIGTERM)s itself.
 * The parent keeps SIGCHLD blocked and takes each child's SIGCHLD with
 * sigwaitinfo before reaping it: si_pid, si_code (CLD_KILLED or
 * CLD_EXITED), si_status. Then, with a handler installed, one more child
 * exits while SIGCHLD is blocked; after waitpid and unblocking, the
 * handler runs exactly once. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("child_killed: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static const char *code_name(int c)
{
	switch (c) {
	case CLD_EXITED: return "CLD_EXITED";
	case CLD_KILLED: return "CLD_KILLED";
	case CLD_DUMPED: return "CLD_DUMPED";
	case CLD_STOPPED: return "CLD_STOPPED";
	default: return "other";
	}
}

static const char *sig_name(int s)
{
	switch (s) {
	case SIGSEGV: return "SIGSEGV";
	case SIGKILL: return "SIGKILL";
	case SIGABRT: return "SIGABRT";
	case SIGTERM: return "SIGTERM";
	default: return "other";
	}
}

static volatile sig_atomic_t chld_handler_runs;
static void on_chld(int sig) { (void)sig; chld_handler_runs++; }

enum how { NULL_WRITE, KILLED, ABORT, EXIT3, RAISE_TERM };

static void child(enum how how, int ready_fd)
{
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	switch (how) {
	case NULL_WRITE:
		*(volatile int *)0 = 1;
		break;
	case KILLED:
		if (write(ready_fd, "r", 1) != 1)
			_exit(50);
		for (;;)
			pause();
	case ABORT:
		abort();
	case EXIT3:
		_exit(3);
	case RAISE_TERM:
		raise(SIGTERM);
		break;
	}
	_exit(60); /* not reached */
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	static const struct { enum how how; const char *what; int sig; int code; int status; } cases[] = {
		{ NULL_WRITE, "null pointer write", SIGSEGV, CLD_KILLED, SIGSEGV },
		{ KILLED, "kill(SIGKILL) by the parent", SIGKILL, CLD_KILLED, SIGKILL },
		{ ABORT, "abort()", SIGABRT, CLD_KILLED, SIGABRT },
		{ EXIT3, "_exit(3)", 0, CLD_EXITED, 3 },
		{ RAISE_TERM, "raise(SIGTERM)", SIGTERM, CLD_KILLED, SIGTERM },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int p[2];
		if (pipe(p))
			fail("pipe");
		pid_t pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid == 0) {
			close(p[0]);
			child(cases[i].how, p[1]);
		}
		close(p[1]);
		if (cases[i].how == KILLED) {
			char c;
			if (read(p[0], &c, 1) != 1)
				fail("child not ready");
			kill(pid, SIGKILL);
		}
		close(p[0]);
		siginfo_t si;
		if (sigwaitinfo(&chld, &si) != SIGCHLD)
			fail("sigwaitinfo");
		if (si.si_pid != pid || si.si_code != cases[i].code || si.si_status != cases[i].status)
			fail("%s: SIGCHLD pid %s, %s, status %d", cases[i].what, si.si_pid == pid ? "ok" : "wrong",
			     code_name(si.si_code), si.si_status);
		int st;
		if (waitpid(pid, &st, 0) != pid)
			fail("waitpid");
		if (cases[i].sig) {
			if (!WIFSIGNALED(st) || WTERMSIG(st) != cases[i].sig || WCOREDUMP(st))
				fail("%s: status %#x", cases[i].what, st);
			printf("%s: SIGCHLD %s, WIFSIGNALED, WTERMSIG %s, no core\n", cases[i].what,
			       code_name(si.si_code), sig_name(WTERMSIG(st)));
		} else {
			if (!WIFEXITED(st) || WEXITSTATUS(st) != cases[i].status)
				fail("%s: status %#x", cases[i].what, st);
			printf("%s: SIGCHLD %s, WIFEXITED, WEXITSTATUS %d\n", cases[i].what, code_name(si.si_code),
			       WEXITSTATUS(st));
		}
	}

	/* handler: one SIGCHLD pending while blocked, delivered on unblock */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	int st;
	if (waitpid(pid, &st, 0) != pid || st != 0)
		fail("waitpid");
	sigset_t pending;
	sigpending(&pending);
	int was_pending = sigismember(&pending, SIGCHLD);
	int before = chld_handler_runs;
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	printf("SIGCHLD handler: pending while blocked %s, runs before unblock %d, after %d\n",
	       was_pending ? "yes" : "no", before, (int)chld_handler_runs);
	if (!was_pending || before != 0 || chld_handler_runs != 1)
		fail("SIGCHLD handler");
	printf("child_killed: ok\n");
	return 0;
}
