/* bench_memory [MiB] [passes]: mallocs MiB mebibytes (default 1024) and
 * fills them with memset, so every page is fresh memory touched for the
 * first time; then reads one word of each page back into a checksum.
 * With passes > 1 it fills the same (now touched) memory again that many
 * times: the same instructions without fresh pages, for comparison.
 * Used by `npm run bench` (bench/memory.ts); prints the checksum only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	int passes = argc > 2 ? atoi(argv[2]) : 1;
	size_t n = mib << 20;
	unsigned char *p = malloc(n);
	if (!p) {
		printf("bench_memory: malloc(%zu MiB) failed\n", mib);
		return 1;
	}
	uint64_t sum = 0;
	for (int k = 0; k < passes; k++) {
		memset(p, 0x11 + k, n);
		for (size_t i = 0; i < n; i += 4096)
			sum = sum * 31 + *(uint64_t *)(p + i);
	}
	printf("bench_memory: %zu MiB x %d: checksum %016llx\n", mib, passes, (unsigned long long)sum);
	free(p);
	return 0;
}
