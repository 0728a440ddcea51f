/* setjmp: setjmp/longjmp across several frames, nested jump buffers, values
 * surviving in volatile locals, and longjmp(…, 0) turning into 1. */
#include <setjmp.h>
#include <stdio.h>

static jmp_buf outer, inner;
static int depth_reached;

static void __attribute__((noinline)) dive(jmp_buf *env, int depth, int target, int value)
{
	volatile char pad[64];
	pad[depth % 64] = (char)depth;
	depth_reached = depth;
	if (depth == target)
		longjmp(*env, value);
	if (depth < 1000)
		dive(env, depth + 1, target, value + pad[depth % 64] * 0);
}

static int __attribute__((noinline)) nested(int n)
{
	volatile int inner_hits = 0;
	int r = setjmp(inner);
	if (r == 0) {
		dive(&inner, 0, n, 100 + n);
		return -1; /* not reached */
	}
	inner_hits++;
	printf("  inner longjmp returned %d after depth %d (hits %d)\n", r, depth_reached, inner_hits);
	if (n == 3)
		dive(&outer, 0, 7, 42); /* escape two levels: through nested() to main */
	return r;
}

int main(void)
{
	volatile int rounds = 0;
	volatile long sum = 0;

	/* 1. simple: longjmp back up through 10 frames */
	int r = setjmp(outer);
	if (r == 0) {
		dive(&outer, 0, 10, 5);
		puts("unreachable");
		return 1;
	}
	printf("longjmp through %d frames returned %d\n", depth_reached, r);

	/* 2. longjmp(env, 0) must make setjmp return 1 */
	r = setjmp(outer);
	if (r == 0)
		longjmp(outer, 0);
	printf("longjmp with 0 returned %d\n", r);

	/* 3. loop by longjmp: locals marked volatile keep their values */
	r = setjmp(outer);
	rounds++;
	sum += r;
	if (rounds < 5)
		longjmp(outer, rounds * 10);
	printf("looped %d times by longjmp, sum of values %ld\n", rounds, sum);

	/* 4. nested buffers: inner jumps, then one jump from inside an inner
	 *    handler straight to the outer buffer */
	r = setjmp(outer);
	if (r == 0) {
		for (int n = 1; n <= 5; n++)
			printf("nested(%d) = %d\n", n, nested(n));
		puts("unreachable");
		return 1;
	}
	printf("escaped to outer with %d from depth %d\n", r, depth_reached);
	puts("setjmp: ok");
	return 0;
}
