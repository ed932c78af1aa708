/* The empty program: measures what one call costs in each engine. */
#include "prog.h"

PROG(empty)
{
	(void)ctx;
	return 1;
}

LICENSE;
