/* rseq-prog.h: what the rseq programs share besides the ABI (rseq-abi.h):
 * failing with a message, per-CPU slots padded to a cache line, argv
 * parsing, starting and joining worker threads that register rseq. */
#ifndef RSEQ_PROG_H
#define RSEQ_PROG_H

#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rseq-abi.h"

/* Per-CPU (or per-mm_cid) arrays have this many slots; an index beyond is
 * a failure, not a crash. rseqlab has at most 64 vCPUs. */
#define MAX_CPUS 256
#define MAX_THREADS 16

static const char *prog_name = "rseq";

__attribute__((format(printf, 1, 2), noreturn)) static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	fflush(stdout);
	_exit(1);
}

/* One slot per CPU, alone on its cache line. */
struct percpu_word {
	intptr_t v;
} __attribute__((aligned(64)));

__attribute__((unused)) static int check_index(int index, const char *what)
{
	if (index < 0 || index >= MAX_CPUS)
		fail("%s %d is out of range (0..%d)", what, index, MAX_CPUS - 1);
	return index;
}

/* A per-CPU add (rseq_addv's shape): adds count to *v if the thread is
 * still on cpu; RSEQ_OK once committed, else the caller retries. */
typedef int (*percpu_add_fn)(intptr_t *v, intptr_t count, int cpu);

/* Adds 1 to the counter of the CPU the thread runs on, n times, through
 * add, reading cpu_id_start afresh for each try. */
__attribute__((unused)) static void add_on_current_cpu(struct percpu_word *counts, long n, percpu_add_fn add)
{
	for (long i = 0; i < n; i++) {
		for (;;) {
			int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
			if (add(&counts[cpu].v, 1, cpu) == RSEQ_OK)
				break;
		}
	}
}

/* The sum of every CPU's counter. */
__attribute__((unused)) static intptr_t percpu_total(const struct percpu_word *counts)
{
	intptr_t total = 0;
	for (int c = 0; c < MAX_CPUS; c++)
		total += counts[c].v;
	return total;
}

/* argv[i] as a positive number, or the default; fails on nonsense. */
__attribute__((unused)) static long arg_or(int argc, char **argv, int i, long dflt, long max)
{
	if (argc <= i)
		return dflt;
	char *end;
	long v = strtol(argv[i], &end, 10);
	if (*end || v < 1 || v > max)
		fail("argument %d must be a number from 1 to %ld, not \"%s\"", i, max, argv[i]);
	return v;
}

/* Registers rseq for the calling thread (glibc's area, or our own). */
__attribute__((unused)) static void register_thread(void)
{
	if (rseq_abi_register_current_thread())
		fail("cannot register rseq: %s", strerror(errno));
}

/* Runs fn(0..n-1) in n threads and joins them. */
__attribute__((unused)) static void run_threads(int n, void *(*fn)(void *))
{
	pthread_t t[MAX_THREADS];
	for (long i = 0; i < n; i++)
		if ((errno = pthread_create(&t[i], NULL, fn, (void *)i)))
			fail("pthread_create: %s", strerror(errno));
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

#endif
