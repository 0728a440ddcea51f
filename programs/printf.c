/* printf: glibc's formatted output and number parsing. Integers of every
 * width with flags and bases, doubles through %f %e %g %a (exact decimal
 * conversion uses multi-precision integer code), special values, and strtod
 * round trips. The host's output is the expected output; no %p, since
 * addresses vary. Values go through volatile so gcc cannot fold them. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int64_t v64[] = { 0, 1, -1, 42, -42, 255, 65535, 2147483647, -2147483647 - 1,
				  4294967295LL, INT64_MAX, INT64_MIN, 1234567890123456789LL };
static volatile double vd[] = { 0.0, -0.0, 0.1, 0.5, 1.0, -1.5, 2.0 / 3.0, 123456.789, 1e300, -1e-300,
				1e21, 9007199254740993.0, 18446744073709551616.0, 4.9406564584124654e-324,
				2.2250738585072014e-308, 2.2250738585072009e-308, DBL_MAX, DBL_MIN, M_PI, 1e-5 };

int main(void)
{
	int n = (int)(sizeof v64 / sizeof v64[0]);

	puts("-- integers --");
	for (int i = 0; i < n; i++) {
		int64_t x = v64[i];
		printf("[%lld] [%+lld] [% lld] [%25lld] [%-25lld|] [%025lld] [%.20lld]\n", (long long)x, (long long)x,
		       (long long)x, (long long)x, (long long)x, (long long)x, (long long)x);
		printf("  u=%llu x=%llx X=%#llX o=%#llo ld=%ld\n", (unsigned long long)x, (unsigned long long)x,
		       (unsigned long long)x, (unsigned long long)x, (long)x);
		printf("  int=%d hd=%hd hhd=%hhd u=%u x=%#x o=%o hu=%hu hhx=%hhx zu=%zu zd=%zd jd=%jd\n", (int)x,
		       (short)x, (signed char)x, (unsigned)x, (unsigned)x, (unsigned)x, (unsigned short)x,
		       (unsigned char)x, (size_t)x, (ssize_t)x, (intmax_t)x);
	}
	printf("PRI macros: %" PRId8 " %" PRIu16 " %" PRIx32 " %" PRIX64 " %" PRIo64 "\n", (int8_t)v64[4],
	       (uint16_t)v64[6], (uint32_t)v64[7], (uint64_t)v64[11], (uint64_t)v64[10]);
	printf("width/precision from args: [%*d] [%-*d] [%.*d] [%*.*x]\n", 8, (int)v64[3], 8, (int)v64[3], 5,
	       (int)v64[3], 10, 6, (unsigned)v64[5]);
	printf("zero with precision 0: [%.0d] [%#.0o] [%#x]\n", (int)v64[0], (unsigned)v64[0], (unsigned)v64[0]);
	printf("chars and strings: [%c] [%5c] [%-5c|] [%s] [%10s] [%-10s|] [%.3s] [%%]\n", 'A', 'b', 'c', "rseq",
	       "rseq", "rseq", "restartable");
	int count = 0;
	printf("counted%n", &count);
	printf(" -> %%n says %d\n", count);

	puts("-- doubles --");
	int nd = (int)(sizeof vd / sizeof vd[0]);
	for (int i = 0; i < nd; i++) {
		double d = vd[i];
		printf("%%f=%f %%.0f=%.0f %%.3f=%.3f %%.17f=%.17f\n", d, d, d, d);
		printf("  %%e=%e %%.0e=%.0e %%.15E=%.15E %%+12.4e=[%+12.4e]\n", d, d, d, d);
		printf("  %%g=%g %%.17g=%.17g %%#g=%#g %%G=%G %%-14g=[%-14g]\n", d, d, d, d, d);
		printf("  %%a=%a %%.3a=%.3a %%A=%A\n", d, d, d);
	}
	printf("%%.60f of 0.1: %.60f\n", vd[2]);
	printf("1e300 exactly: %.0f\n", vd[8]);
	printf("smallest denormal exactly: %.760e\n", vd[13]);
	volatile double zero = 0.0, one = 1.0, three = 3.0;
	double inf = one / zero, ninf = -one / zero, dnan = zero / zero;
	printf("1/3: %.20f %.20e %g %a\n", one / three, one / three, one / three, one / three);
	printf("inf: %f %e %g %a %F %E %G [%8f] [%-8f|] [%+f]\n", inf, inf, inf, inf, inf, inf, inf, inf, inf, inf);
	printf("-inf: %f %e %g %a [%08f]\n", ninf, ninf, ninf, ninf, ninf);
	printf("NAN macro: %f %F %e %g %a [%+8f]\n", (double)NAN, (double)NAN, (double)NAN, (double)NAN,
	       (double)NAN, (double)NAN);
	printf("0.0/0.0 (x86 default NaN is negative): %f %g\n", dnan, dnan);
	printf("signbit(-0.0)=%d signbit(0.0/0.0)=%d\n", signbit(vd[1]) != 0, signbit(dnan) != 0);
	printf("large integers as doubles:");
	for (int i = 50; i <= 66; i += 4)
		printf(" 2^%d=%.0f", i, ldexp(one, i));
	printf(" 2^1023=%.0f\n", ldexp(one, 1023));

	puts("-- strtod / atof round trips --");
	const char *inputs[] = { "0.1", "1e300", "-0", "4.9406564584124654e-324", "2.2250738585072011e-308",
				 "1.7976931348623157e308", "1e309", "1e-400", "0x1.8p+3", "inf", "-Infinity", "nan",
				 "  +3.14159abc", "123456789012345678901234567890", "0.30000000000000004", ".5e-2",
				 "9007199254740993" };
	int ni = (int)(sizeof inputs / sizeof inputs[0]);
	int mismatches = 0;
	for (int i = 0; i < ni; i++) {
		char *end;
		double d = strtod(inputs[i], &end);
		char back[64];
		snprintf(back, sizeof back, "%.17g", d);
		double again = strtod(back, NULL);
		int same = memcmp(&d, &again, sizeof d) == 0 || (isnan(d) && isnan(again));
		mismatches += !same;
		uint64_t bits;
		memcpy(&bits, &d, 8);
		printf("%-32s -> %-24s bits=%016" PRIx64 " consumed=%ld roundtrip=%s atof=%.17g\n", inputs[i], back,
		       bits, (long)(end - inputs[i]), same ? "same" : "DIFFERENT", atof(inputs[i]));
	}
	/* shortest round trip for many values: %.17g always round-trips */
	uint64_t s = 88172645463325252ULL;
	for (int i = 0; i < 2000; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		double d;
		uint64_t bits = s & 0x7fefffffffffffffULL; /* finite */
		memcpy(&d, &bits, 8);
		char back[40];
		snprintf(back, sizeof back, "%.17g", d);
		double again = strtod(back, NULL);
		mismatches += memcmp(&d, &again, 8) != 0;
	}
	printf("printf: %s (%d round-trip mismatches)\n", mismatches ? "FAILED" : "ok", mismatches);
	return mismatches != 0;
}
