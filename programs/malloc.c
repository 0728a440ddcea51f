/* malloc: glibc's allocator under load. Small chunks (tcache, fastbins),
 * medium (bins, brk growth and trimming), large ones above the mmap
 * threshold (mmap/munmap/mremap through realloc), calloc zeroing and
 * realloc keeping contents. Prints checksums of contents, never addresses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t lcg_state = 12345;
static uint32_t lcg(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(lcg_state >> 33);
}

static void fill(unsigned char *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 131);
}

static uint64_t sum(const unsigned char *p, size_t n)
{
	uint64_t h = 0;
	for (size_t i = 0; i < n; i++)
		h = h * 1000003 + p[i];
	return h;
}

/* 0 if p[0..n) holds what fill(p, n, seed) wrote */
static int check(const unsigned char *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 131))
			return 1;
	return 0;
}

#define SLOTS 512

int main(void)
{
	static unsigned char *slot[SLOTS];
	static size_t size[SLOTS];
	static uint32_t seed[SLOTS];
	uint64_t total = 0;
	int errors = 0;

	/* 1. random churn of small and medium blocks */
	for (int round = 0; round < 8000; round++) {
		int i = lcg() % SLOTS;
		if (slot[i]) {
			errors += check(slot[i], size[i], seed[i]);
			total += sum(slot[i], size[i] < 64 ? size[i] : 64);
			free(slot[i]);
			slot[i] = NULL;
		} else {
			uint32_t r = lcg();
			size[i] = (r % 8 == 0) ? 1024 + r % 16000 : 1 + r % 512;
			seed[i] = lcg();
			slot[i] = malloc(size[i]);
			if (!slot[i]) {
				puts("malloc failed");
				return 1;
			}
			fill(slot[i], size[i], seed[i]);
		}
	}
	printf("churn: checksum %llu, errors %d\n", (unsigned long long)total, errors);

	/* 2. realloc growing and shrinking keeps the common prefix */
	total = 0;
	for (int i = 0; i < SLOTS; i++) {
		if (!slot[i])
			continue;
		size_t newsize = 1 + lcg() % 4096;
		size_t keep = newsize < size[i] ? newsize : size[i];
		unsigned char *q = realloc(slot[i], newsize);
		errors += check(q, keep, seed[i]);
		fill(q, newsize, seed[i]);
		slot[i] = q;
		size[i] = newsize;
		total += sum(q, keep < 32 ? keep : 32);
	}
	printf("realloc: checksum %llu, errors %d\n", (unsigned long long)total, errors);
	for (int i = 0; i < SLOTS; i++) {
		if (slot[i])
			errors += check(slot[i], size[i], seed[i]);
		free(slot[i]);
		slot[i] = NULL;
	}

	/* 3. large blocks above the mmap threshold (128 KiB by default) */
	total = 0;
	for (int k = 0; k < 3; k++) {
		size_t n = ((size_t)192 << 10) << k; /* 192K, 384K, 768K */
		unsigned char *p = malloc(n);
		fill(p, n, k);
		total += sum(p + n - 4096, 4096);
		/* grow through mremap, then shrink */
		p = realloc(p, n * 2 + 12345);
		errors += check(p, n, k);
		memset(p + n, 0x5a, n + 12345);
		total += sum(p + n * 2, 12345);
		p = realloc(p, 1000);
		errors += check(p, 1000, k);
		free(p);
	}
	printf("large: checksum %llu, errors %d\n", (unsigned long long)total, errors);

	/* 4. calloc returns zeroed memory, including recycled chunks */
	int nonzero = 0;
	for (int k = 0; k < 100; k++) {
		size_t n = 1 + lcg() % 3000, m = 1 + k % 7;
		unsigned char *dirty = malloc(n * m);
		memset(dirty, 0xff, n * m);
		free(dirty);
		unsigned char *z = calloc(n, m);
		for (size_t i = 0; i < n * m; i++)
			nonzero += z[i] != 0;
		free(z);
	}
	unsigned char *zbig = calloc(1, 3 << 20);
	for (size_t i = 0; i < (3 << 20); i += 4096)
		nonzero += zbig[i] != 0;
	free(zbig);
	printf("calloc: nonzero bytes %d\n", nonzero);

	/* 5. calloc overflow must fail, not wrap */
	volatile size_t huge = SIZE_MAX / 2; /* volatile: gcc would warn */
	void *ov = calloc(huge, 3);
	printf("calloc overflow returned %s\n", ov ? "a pointer (bug)" : "NULL");

	printf("malloc: %s\n", errors || nonzero || ov ? "FAILED" : "ok");
	return errors || nonzero || ov ? 1 : 0;
}
