/* qsort: glibc's qsort (merge sort with a temporary buffer, falling back to
 * an in-place sort) on ints, doubles and strings from a deterministic LCG;
 * checks order and prints checksums and a few elements. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 0x2545F4914F6CDD1DULL;
static uint32_t lcg(void)
{
	state = state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(state >> 32);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct rec { int key; int seq; };
static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	if (x->key != y->key)
		return (x->key > y->key) - (x->key < y->key);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

#define NI 20000
#define ND 5000
#define NS 2000

int main(void)
{
	static int ints[NI];
	static double dbl[ND];
	static char strbuf[NS][16];
	static char *strs[NS];
	static struct rec recs[NI];
	int bad = 0;

	for (int i = 0; i < NI; i++)
		ints[i] = (int)(lcg() % 2000001) - 1000000; /* some duplicates */
	qsort(ints, NI, sizeof ints[0], cmp_int);
	uint64_t h = 0;
	for (int i = 0; i < NI; i++) {
		bad += i && ints[i - 1] > ints[i];
		h = h * 31 + (uint32_t)ints[i];
	}
	printf("ints: n=%d min=%d median=%d max=%d checksum=%llu\n", NI, ints[0], ints[NI / 2], ints[NI - 1],
	       (unsigned long long)h);

	for (int i = 0; i < ND; i++)
		dbl[i] = ((double)lcg() - 2147483648.0) / ((double)(lcg() % 1000) + 1.0);
	qsort(dbl, ND, sizeof dbl[0], cmp_double);
	h = 0;
	for (int i = 0; i < ND; i++) {
		bad += i && dbl[i - 1] > dbl[i];
		uint64_t bits;
		memcpy(&bits, &dbl[i], 8);
		h = h * 31 + bits;
	}
	printf("doubles: min=%.6f median=%.6f max=%.6f checksum=%llu\n", dbl[0], dbl[ND / 2], dbl[ND - 1],
	       (unsigned long long)h);

	for (int i = 0; i < NS; i++) {
		int len = 1 + lcg() % 12;
		for (int j = 0; j < len; j++)
			strbuf[i][j] = "abcdefghijklmnopqrstuvwxyz"[lcg() % 4 + (j & 3)];
		strbuf[i][len] = '\0';
		strs[i] = strbuf[i];
	}
	qsort(strs, NS, sizeof strs[0], cmp_str);
	h = 0;
	for (int i = 0; i < NS; i++) {
		bad += i && strcmp(strs[i - 1], strs[i]) > 0;
		for (const char *p = strs[i]; *p; p++)
			h = h * 131 + (unsigned char)*p;
	}
	printf("strings: first=\"%s\" second=\"%s\" last=\"%s\" checksum=%llu\n", strs[0], strs[1], strs[NS - 1],
	       (unsigned long long)h);

	/* many equal keys, already-sorted and reverse-sorted inputs */
	for (int i = 0; i < NI; i++)
		recs[i] = (struct rec){ (int)(lcg() % 16), i };
	qsort(recs, NI, sizeof recs[0], cmp_rec);
	h = 0;
	for (int i = 0; i < NI; i++) {
		bad += i && cmp_rec(&recs[i - 1], &recs[i]) > 0;
		h = h * 31 + (uint32_t)(recs[i].key * 100000 + recs[i].seq);
	}
	printf("records: first=(%d,%d) last=(%d,%d) checksum=%llu\n", recs[0].key, recs[0].seq, recs[NI - 1].key,
	       recs[NI - 1].seq, (unsigned long long)h);
	for (int i = 0; i < NI; i++)
		ints[i] = NI - i;
	qsort(ints, NI, sizeof ints[0], cmp_int);
	for (int i = 0; i < NI; i++)
		bad += ints[i] != i + 1;
	qsort(ints, NI, sizeof ints[0], cmp_int);
	for (int i = 0; i < NI; i++)
		bad += ints[i] != i + 1;
	printf("reverse and sorted inputs: %s\n", bad ? "wrong" : "right");

	printf("qsort: %s\n", bad ? "FAILED" : "ok");
	return bad != 0;
}
