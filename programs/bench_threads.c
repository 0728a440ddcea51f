/* bench_threads: N threads (argv[2], default 4, at most 8) each run R rounds
 * (argv[1], default 100) of independent integer work on private buffers,
 * the rounds of cpubench: a multiply/xorshift hash over 64 KiB with
 * dependent loads and divisions, a sieve of Eratosthenes, a quicksort of
 * 8192 ints. No locks and no shared writes, so the threads never wait for
 * each other: on N CPUs they run side by side. Main joins them and prints
 * one checksum per thread and their combination; each thread's seeds come
 * from its index, so the output never depends on the interleaving.
 *   bench_threads [rounds] [threads]
 * bench/threads.ts compares the output between the host and the emulator. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BUF_WORDS (64 * 1024 / 8)
#define SIEVE_N 65536
#define SORT_N 8192
#define MAX_THREADS 8

struct work {
	uint64_t buf[BUF_WORDS];
	uint8_t composite[SIEVE_N];
	uint32_t arr[SORT_N];
	long id;
	uint64_t result;
} __attribute__((aligned(64)));

static struct work works[MAX_THREADS];
static long rounds;

static uint64_t hash_round(struct work *w, uint64_t seed)
{
	uint64_t *buf = w->buf;
	uint64_t x = seed | 1, h = 0;
	for (int i = 0; i < BUF_WORDS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = x;
	}
	uint64_t j = seed;
	for (int i = 0; i < BUF_WORDS; i++) {
		j = (j + buf[j % BUF_WORDS]) * 0x9E3779B97F4A7C15ULL;
		h = (h ^ (j >> 29)) * 0x100000001B3ULL;
		h += (uint32_t)buf[i] / ((uint32_t)i | 1);
	}
	return h;
}

static uint64_t sieve_round(struct work *w, uint32_t limit)
{
	uint8_t *composite = w->composite;
	for (uint32_t i = 0; i < limit; i++)
		composite[i] = 0;
	uint64_t count = 0, sum = 0;
	for (uint32_t i = 2; i < limit; i++) {
		if (composite[i])
			continue;
		count++;
		sum += i;
		for (uint32_t k = i * i; k < limit; k += i)
			composite[k] = 1;
	}
	return count * 1000003 + sum;
}

static void quicksort(uint32_t *a, long lo, long hi)
{
	while (hi - lo > 16) {
		uint32_t p = a[lo + (hi - lo) / 2];
		long i = lo, j = hi;
		while (i <= j) {
			while (a[i] < p)
				i++;
			while (a[j] > p)
				j--;
			if (i <= j) {
				uint32_t t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				j--;
			}
		}
		if (j - lo < hi - i) {
			quicksort(a, lo, j);
			lo = i;
		} else {
			quicksort(a, i, hi);
			hi = j;
		}
	}
	for (long i = lo + 1; i <= hi; i++) {
		uint32_t v = a[i];
		long k = i - 1;
		while (k >= lo && a[k] > v) {
			a[k + 1] = a[k];
			k--;
		}
		a[k + 1] = v;
	}
}

static uint64_t sort_round(struct work *w, uint32_t seed)
{
	uint32_t *arr = w->arr;
	uint32_t s = seed;
	for (int i = 0; i < SORT_N; i++) {
		s = s * 1664525u + 1013904223u;
		arr[i] = s >> 8;
	}
	quicksort(arr, 0, SORT_N - 1);
	uint64_t h = 0;
	for (int i = 0; i < SORT_N; i++) {
		if (i && arr[i - 1] > arr[i])
			return 0;
		h = h * 31 + arr[i];
	}
	return h;
}

static void *worker(void *arg)
{
	struct work *w = arg;
	uint64_t base = 0x1234567ULL + (uint64_t)w->id * 0x51ED270B27ULL;
	uint64_t hh = 0, hs = 0, hq = 0;
	for (long r = 0; r < rounds; r++) {
		hh = hh * 3 + hash_round(w, base + (uint64_t)r * 0x9E3779B9ULL);
		hs = hs * 5 + sieve_round(w, SIEVE_N - (uint32_t)((r + w->id * 13) % 64) * 97);
		hq = hq * 7 + sort_round(w, (uint32_t)(r + 1 + w->id * 100003));
	}
	w->result = hh ^ hs * 3 ^ hq * 5;
	return NULL;
}

int main(int argc, char **argv)
{
	rounds = argc > 1 ? atol(argv[1]) : 100;
	long n = argc > 2 ? atol(argv[2]) : 4;
	if (rounds < 1 || n < 1 || n > MAX_THREADS) {
		fprintf(stderr, "usage: bench_threads [rounds >= 1] [threads 1..%d]\n", MAX_THREADS);
		return 2;
	}
	pthread_t t[MAX_THREADS];
	for (long i = 0; i < n; i++) {
		works[i].id = i;
		int rc = pthread_create(&t[i], NULL, worker, &works[i]);
		if (rc) {
			fprintf(stderr, "bench_threads: pthread_create: %d\n", rc);
			return 1;
		}
	}
	uint64_t total = 0;
	for (long i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total = total * 0x100000001B3ULL ^ works[i].result;
	}
	printf("threads %ld x %ld rounds\n", n, rounds);
	for (long i = 0; i < n; i++)
		printf("thread %ld %016llx\n", i, (unsigned long long)works[i].result);
	printf("total %016llx\n", (unsigned long long)total);
	return 0;
}
