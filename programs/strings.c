/* strings: glibc's string functions (most are hand-written SSE2/AVX2 with
 * runtime CPU dispatch, so they stress the emulator's vector instructions and
 * cpuid). Every result is printed; nothing depends on addresses, pointer
 * results are printed as offsets. Buffer sizes and alignments are varied
 * because the vector code paths change with both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long checksum(const unsigned char *p, size_t n)
{
	unsigned long h = 1469598103934665603UL; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211UL;
	return h;
}

static int sign(int x) { return (x > 0) - (x < 0); }

#define OFF(p, base) ((p) ? (long)((p) - (base)) : -1L)

int main(void)
{
	static char big[4096 + 64];
	static char buf[512];
	char tmp[256];

	/* strlen over many lengths and start alignments */
	unsigned long acc = 0;
	for (int align = 0; align < 32; align++) {
		for (int len = 0; len < 300; len += 7) {
			memset(big, 'x', sizeof big);
			big[align + len] = '\0';
			acc = acc * 31 + strlen(big + align);
		}
	}
	printf("strlen sweep checksum %lu\n", acc);
	printf("strlen(\"\")=%zu strlen(\"rseq\")=%zu\n", strlen(""), strlen("rseq"));

	/* strcpy / strcat / strncpy */
	strcpy(buf, "restartable");
	strcat(buf, " ");
	strcat(buf, "sequences");
	printf("strcpy+strcat: \"%s\" (%zu)\n", buf, strlen(buf));
	memset(tmp, '#', sizeof tmp);
	strncpy(tmp, "abc", 6);
	printf("strncpy pads with NULs: %d %d %d %d %c\n", tmp[3], tmp[4], tmp[5], tmp[2], tmp[6]);

	/* strcmp / strncmp: signs only, the magnitude is unspecified */
	const char *words[] = { "", "a", "ab", "abc", "abd", "b", "\xff", "abcdefghijklmnopqrstuvwxyz0123456789",
				"abcdefghijklmnopqrstuvwxyz0123456788" };
	int nw = sizeof words / sizeof words[0];
	printf("strcmp signs:");
	for (int i = 0; i < nw; i++)
		for (int j = 0; j < nw; j++)
			printf("%c", "-0+"[sign(strcmp(words[i], words[j])) + 1]);
	printf("\nstrncmp(...,3) signs:");
	for (int i = 0; i < nw; i++)
		for (int j = 0; j < nw; j++)
			printf("%c", "-0+"[sign(strncmp(words[i], words[j], 3)) + 1]);
	printf("\n");

	/* strchr / strrchr / strstr, results as offsets */
	const char *hay = "the quick brown fox jumps over the lazy dog; the end";
	printf("strchr('q')=%ld strchr('z')=%ld strchr('#')=%ld strchr('\\0')=%ld\n",
	       OFF(strchr(hay, 'q'), hay), OFF(strchr(hay, 'z'), hay), OFF(strchr(hay, '#'), hay),
	       OFF(strchr(hay, '\0'), hay));
	printf("strrchr('t')=%ld strrchr('o')=%ld strrchr('#')=%ld\n",
	       OFF(strrchr(hay, 't'), hay), OFF(strrchr(hay, 'o'), hay), OFF(strrchr(hay, '#'), hay));
	printf("strstr(\"the\")=%ld strstr(\"lazy\")=%ld strstr(\"the end\")=%ld strstr(\"cat\")=%ld strstr(\"\")=%ld\n",
	       OFF(strstr(hay, "the"), hay), OFF(strstr(hay, "lazy"), hay), OFF(strstr(hay, "the end"), hay),
	       OFF(strstr(hay, "cat"), hay), OFF(strstr(hay, ""), hay));
	/* a long needle forces the two-way algorithm */
	memset(big, 'a', 4000);
	memcpy(big + 3000, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", 40);
	big[4000] = '\0';
	printf("strstr long needle at %ld\n", OFF(strstr(big, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"), big));

	/* memcpy / memset / memcmp over sizes and alignments */
	unsigned char src[1100], dst[1100];
	for (int i = 0; i < 1100; i++)
		src[i] = (unsigned char)(i * 7 + 3);
	acc = 0;
	for (int n = 0; n < 1024; n = n * 2 + 1) {
		for (int a = 0; a < 16; a += 3) {
			memset(dst, 0xAA, sizeof dst);
			memcpy(dst + a, src + (15 - a), n);
			acc ^= checksum(dst, sizeof dst) + n;
			acc += memcmp(dst + a, src + (15 - a), n) == 0;
		}
	}
	printf("memcpy sweep checksum %lu\n", acc);
	acc = 0;
	for (int n = 0; n < 1024; n = n * 3 + 1) {
		memset(dst, 0, sizeof dst);
		memset(dst + (n & 15), n & 0xff, n);
		acc = acc * 17 + checksum(dst, sizeof dst);
	}
	printf("memset sweep checksum %lu\n", acc);
	memcpy(dst, src, 64);
	dst[40] ^= 1;
	printf("memcmp equal=%d first-diff-sign=%d reverse=%d len0=%d\n", memcmp(dst, src, 40),
	       sign(memcmp(dst, src, 64)), sign(memcmp(src, dst, 64)), memcmp(dst, "zzz", 0));

	/* memmove with overlap in both directions */
	strcpy(buf, "0123456789abcdefghijklmnopqrstuvwxyz");
	memmove(buf + 5, buf, 20);
	printf("memmove forward overlap:  %s\n", buf);
	strcpy(buf, "0123456789abcdefghijklmnopqrstuvwxyz");
	memmove(buf, buf + 5, 20);
	printf("memmove backward overlap: %s\n", buf);
	for (int i = 0; i < 1100; i++)
		src[i] = (unsigned char)i;
	memmove(src + 3, src, 1000);
	memmove(src + 100, src + 333, 700);
	printf("memmove large overlap checksum %lu\n", checksum(src, sizeof src));

	/* strtok */
	char line[] = "  alpha, beta,,gamma ;delta;  ";
	printf("strtok:");
	for (char *t = strtok(line, " ,;"); t; t = strtok(NULL, " ,;"))
		printf(" [%s]", t);
	printf("\n");

	/* sprintf / snprintf into buffers */
	int n = sprintf(buf, "%s-%d-%05.1f-%x", "cpu", 42, 3.14159, 0xbeef);
	printf("sprintf wrote %d: %s\n", n, buf);
	volatile size_t cap = 8; /* truncation on purpose; volatile keeps gcc quiet */
	n = snprintf(tmp, cap, "truncate %d", 123456);
	printf("snprintf returned %d, buffer \"%s\"\n", n, tmp);

	/* a few more: strspn, strcspn, strpbrk, strdup, strndup, memchr */
	printf("strspn=%zu strcspn=%zu strpbrk=%ld memchr=%ld\n", strspn("aaabbbccc", "ab"),
	       strcspn("hello, world", ",!"), OFF(strpbrk(hay, "xyz"), hay),
	       OFF((const char *)memchr(hay, 'j', strlen(hay)), hay));
	char *d = strdup(hay), *nd = strndup(hay, 9);
	printf("strdup equal=%d strndup=\"%s\"\n", strcmp(d, hay) == 0, nd);
	free(d);
	free(nd);

	puts("strings: ok");
	return 0;
}
