/* bench_pingpong: two threads hand a token back and forth K times
 * (argv[1], default 20000) through one futex word, to measure the cost of a
 * context switch. Main owns the token while the word is 0, the partner while
 * it is 1; each side waits with FUTEX_WAIT until the word is its own, changes
 * the token, flips the word and wakes the other with FUTEX_WAKE. On one CPU
 * every hand-off is a context switch. Raw syscall(SYS_futex), no pthread
 * mutex or condition variable, so only the futex path is measured.
 *   bench_pingpong [round trips]
 * Prints the round-trip count and a checksum of the token, which depends
 * only on the strict alternation, never on timing (bench/threads.ts compares
 * it between the host and the emulator). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int turn;        /* 0: main holds the token, 1: the partner does */
static uint64_t token;  /* written only by the holder */
static long rounds;

static void wait_for(int mine)
{
	for (;;) {
		int v = __atomic_load_n(&turn, __ATOMIC_ACQUIRE);
		if (v == mine)
			return;
		if (syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0) == -1 && errno != EAGAIN &&
		    errno != EINTR) {
			perror("bench_pingpong: futex wait");
			exit(1);
		}
	}
}

static void pass_to(int other)
{
	__atomic_store_n(&turn, other, __ATOMIC_RELEASE);
	if (syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == -1) {
		perror("bench_pingpong: futex wake");
		exit(1);
	}
}

static void *partner(void *arg)
{
	(void)arg;
	for (long i = 0; i < rounds; i++) {
		wait_for(1);
		token ^= token >> 29;
		token += (uint64_t)i;
		pass_to(0);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	rounds = argc > 1 ? atol(argv[1]) : 20000;
	if (rounds < 1) {
		fprintf(stderr, "usage: bench_pingpong [round trips >= 1]\n");
		return 2;
	}
	token = 0x243F6A8885A308D3ULL;
	pthread_t t;
	int rc = pthread_create(&t, NULL, partner, NULL);
	if (rc) {
		fprintf(stderr, "bench_pingpong: pthread_create: %d\n", rc);
		return 1;
	}
	for (long i = 0; i < rounds; i++) {
		wait_for(0);
		token = token * 6364136223846793005ULL + 1442695040888963407ULL;
		pass_to(1);
	}
	wait_for(0);
	pthread_join(t, NULL);
	printf("round trips %ld\n", rounds);
	printf("token %016llx\n", (unsigned long long)token);
	return 0;
}
