/* cpubench: a deterministic CPU benchmark of plain integer and memory work,
 * the same each run: per round, a multiply/xorshift hash over a 64 KiB
 * buffer, a sieve of Eratosthenes, and a quicksort of 8192 ints. Usage:
 *   cpubench [rounds]     (default 1000, about half a second natively)
 * It prints one checksum per phase so no work can be optimized away; bench/cpu.ts
 * compares that output between the host and the emulator. No libc calls
 * inside the loop, so the instruction count measures the CPU, not the kernel. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BUF_WORDS (64 * 1024 / 8)
#define SIEVE_N 65536
#define SORT_N 8192

static uint64_t buf[BUF_WORDS];
static uint8_t composite[SIEVE_N];
static uint32_t arr[SORT_N];

static uint64_t hash_round(uint64_t seed)
{
	uint64_t x = seed | 1, h = 0;
	for (int i = 0; i < BUF_WORDS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = x;
	}
	/* dependent loads with a data-driven stride */
	uint64_t j = seed;
	for (int i = 0; i < BUF_WORDS; i++) {
		j = (j + buf[j % BUF_WORDS]) * 0x9E3779B97F4A7C15ULL;
		h = (h ^ (j >> 29)) * 0x100000001B3ULL;
		h += (uint32_t)buf[i] / ((uint32_t)i | 1);
	}
	return h;
}

static uint64_t sieve_round(uint32_t limit)
{
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
		/* recurse into the smaller half, loop on the larger */
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

static uint64_t sort_round(uint32_t seed)
{
	uint32_t s = seed;
	for (int i = 0; i < SORT_N; i++) {
		s = s * 1664525u + 1013904223u; /* Numerical Recipes LCG */
		arr[i] = s >> 8;
	}
	quicksort(arr, 0, SORT_N - 1);
	uint64_t h = 0;
	for (int i = 0; i < SORT_N; i++) {
		if (i && arr[i - 1] > arr[i])
			return 0; /* not sorted: the checksum shows it */
		h = h * 31 + arr[i];
	}
	return h;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 1000;
	if (rounds < 1) {
		fprintf(stderr, "usage: cpubench [rounds >= 1]\n");
		return 2;
	}
	uint64_t hh = 0, hs = 0, hq = 0;
	for (long r = 0; r < rounds; r++) {
		hh = hh * 3 + hash_round(0x1234567ULL + (uint64_t)r * 0x9E3779B9ULL);
		hs = hs * 5 + sieve_round(SIEVE_N - (uint32_t)(r % 64) * 97);
		hq = hq * 7 + sort_round((uint32_t)r + 1);
	}
	printf("rounds %ld\n", rounds);
	printf("hash  %016llx\n", (unsigned long long)hh);
	printf("sieve %016llx\n", (unsigned long long)hs);
	printf("sort  %016llx\n", (unsigned long long)hq);
	printf("total %016llx\n", (unsigned long long)(hh ^ hs * 3 ^ hq * 5));
	return 0;
}
