/* affinity_getcpu: for every CPU in the initial affinity mask, pin the
 * thread to it alone with sched_setaffinity and check that glibc's
 * sched_getcpu() (read from the rseq area's cpu_id) and the getcpu system
 * call both say that CPU, that sched_getaffinity reads the single-CPU mask
 * back, and that a thread created meanwhile inherits the mask and runs
 * there too. An empty mask is EINVAL. The number of CPUs differs between
 * hosts, so nothing about it is printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("affinity_getcpu: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static void check_on(int cpu, const char *who)
{
	cpu_set_t now;
	if (sched_getaffinity(0, sizeof now, &now))
		fail("%s: sched_getaffinity", who);
	if (CPU_COUNT(&now) != 1 || !CPU_ISSET(cpu, &now))
		fail("%s: mask is not just CPU %d", who, cpu);
	for (int k = 0; k < 3; k++) {
		int g = sched_getcpu();
		unsigned c = ~0u, node = ~0u;
		if (syscall(SYS_getcpu, &c, &node, NULL))
			fail("%s: getcpu", who);
		if (g != cpu || (int)c != cpu)
			fail("%s: pinned to CPU %d but sched_getcpu says %d, getcpu %u", who, cpu, g, c);
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
	cpu_set_t initial;
	if (sched_getaffinity(0, sizeof initial, &initial))
		fail("sched_getaffinity");
	int tested = 0;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &initial))
			continue;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof one, &one))
			fail("sched_setaffinity(%d)", cpu);
		check_on(cpu, "main");
		pthread_t t;
		if (pthread_create(&t, NULL, thread, (void *)(long)cpu) || pthread_join(t, NULL))
			fail("thread");
		tested++;
	}
	if (tested == 0)
		fail("empty initial mask");
	cpu_set_t empty;
	CPU_ZERO(&empty);
	if (sched_setaffinity(0, sizeof empty, &empty) != -1 || errno != EINVAL)
		fail("empty mask not EINVAL");
	if (sched_setaffinity(0, sizeof initial, &initial))
		fail("restoring the mask");
	cpu_set_t back;
	sched_getaffinity(0, sizeof back, &back);
	if (!CPU_EQUAL(&back, &initial))
		fail("mask not restored");
	printf("affinity: ok\n");
	return 0;
}
