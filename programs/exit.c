/* exit: prints argc and argv, then exits with the status given in argv[1]
 * (0 if absent), so tests can check argv passing and exit codes. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	printf("argc=%d\n", argc);
	/* argv[0] is whatever path the runner used, so it is not printed:
	 * the output must not depend on where the program lives. */
	for (int i = 1; i < argc; i++)
		printf("argv[%d]=\"%s\"\n", i, argv[i]);
	int status = argc > 1 ? atoi(argv[1]) : 0;
	printf("exit status %d\n", status);
	fflush(stdout);
	exit(status);
}
