/* hello: the smallest useful guest. One write through stdio, exit 0.
 * It is what `npm start` runs in the emulator. */
#include <stdio.h>

int main(void)
{
	puts("Hello from rseqlab!");
	return 0;
}
