/* Iterative Fibonacci: a dependent chain of 64-bit adds in a loop. */
#include "prog.h"

#define FIB_MAX 20000

PROG(fib)
{
	struct bench_in *in = bench_input(ctx, 0);
	if (!in)
		return 0;
	u32 n = in->n;
	u64 a = in->seed, b = 1;
	for (u32 i = 0; i < FIB_MAX && i < n; i++) {
		u64 t = a + b;
		a = b;
		b = t;
	}
	return (int)(a ^ (a >> 32));
}

LICENSE;
