/* spawn: posix_spawn of /proc/self/exe (this program again, with "child"
 * as argv[1]) with file actions that dup2 a pipe onto the child's stdout
 * and close the pipe's ends, an explicit environment, and spawn attributes
 * (a signal mask, SIG_IGN reset to SIG_DFL by POSIX_SPAWN_SETSIGDEF).
 * The parent reads the child's report to EOF and checks its exit status;
 * spawning a path that does not exist returns ENOENT. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
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
	fputs("spawn: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static int child(int argc, char **argv)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	struct sigaction usr2;
	sigaction(SIGUSR2, NULL, &usr2);
	const char *env = getenv("SPAWN_TEST");
	printf("child: argc %d, argv[2] \"%s\", SPAWN_TEST=%s\n", argc, argc > 2 ? argv[2] : "", env ? env : "(unset)");
	printf("child: SIGUSR1 %s, SIGUSR2 %s\n", sigismember(&cur, SIGUSR1) ? "blocked" : "unblocked",
	       usr2.sa_handler == SIG_IGN ? "ignored" : usr2.sa_handler == SIG_DFL ? "default" : "handled");
	return argc > 3 ? atoi(argv[3]) : 0;
}

static void run(const char *label, int set_attrs, const char *word, const char *status)
{
	int p[2];
	if (pipe(p))
		fail("pipe");
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	posix_spawn_file_actions_addclose(&fa, p[1]);
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	if (set_attrs) {
		sigset_t mask, def;
		sigemptyset(&mask);
		sigaddset(&mask, SIGUSR1);
		sigemptyset(&def);
		sigaddset(&def, SIGUSR2);
		posix_spawnattr_setsigmask(&at, &mask);
		posix_spawnattr_setsigdefault(&at, &def);
		posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	}
	char *argv[] = { "spawn", "child", (char *)word, (char *)status, NULL };
	char *envp[] = { "SPAWN_TEST=42", NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, "/proc/self/exe", &fa, &at, argv, envp);
	if (rc)
		fail("posix_spawn: %s", strerror(rc));
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	char buf[512];
	size_t n = 0;
	for (;;) {
		ssize_t r = read(p[0], buf + n, sizeof buf - 1 - n);
		if (r < 0)
			fail("read");
		if (r == 0)
			break;
		n += r;
	}
	close(p[0]);
	buf[n] = 0;
	int st;
	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid");
	printf("%s:\n%s", label, buf);
	if (!WIFEXITED(st))
		fail("child did not exit normally: %#x", st);
	printf("exit status %d\n", WEXITSTATUS(st));
	if (WEXITSTATUS(st) != atoi(status))
		fail("want exit status %s", status);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child(argc, argv);

	signal(SIGUSR2, SIG_IGN);
	run("spawn with defaults", 0, "plain", "7");
	run("spawn with sigmask and sigdefault", 1, "attrs", "9");

	char *argv2[] = { "nope", NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, "/nonexistent/program", NULL, NULL, argv2, argv2 + 1);
	printf("spawn of a missing file: %s\n", rc == ENOENT ? "ENOENT" : "other");
	if (rc != ENOENT)
		fail("posix_spawn of a missing file returned %d", rc);
	printf("spawn: ok\n");
	return 0;
}
