/*
 * Leibniz series for pi/4 in 2^40 fixed point (eBPF has no floats): one
 * 64-bit division and an add or subtract per term.
 */
#include "prog.h"

#define LEIBNIZ_MAX 20000
#define ONE (1ull << 40)

PROG(leibniz)
{
	struct bench_in *in = bench_input(ctx, 0);
	if (!in)
		return 0;
	u32 n = in->n;
	u64 sum = in->seed;
	for (u32 k = 0; k < LEIBNIZ_MAX && k < n; k++) {
		u64 term = ONE / (2 * (u64)k + 1);
		if (k & 1)
			sum -= term;
		else
			sum += term;
	}
	/* 4 * sum / 2^40 ~ pi; keep 32 bits of the fraction as the result. */
	return (int)(sum >> 8);
}

LICENSE;
