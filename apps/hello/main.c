/* apps/hello — the smallest application: greets, shows argv, exits 0. */
#include <stdio.h>
#include <string.h>

#include "graft/platform.h"

int main(int argc, char **argv)
{
	printf("hello from graft (%s)\n", gp_name());
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--boot-time"))
			printf("boot-to-main-ns %llu\n", (unsigned long long)gp_boot_ns());
		else
			printf("argv[%d] = %s\n", i, argv[i]);
	}
	return 0;
}
