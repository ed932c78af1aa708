/*
 * Memory-heavy with stores: fill 32 words of the packet from a xorshift
 * generator, insertion-sort them in place, fold them into a sum; n rounds.
 */
#include "prog.h"

#define SORT_LEN 32
#define SORT_ROUNDS_MAX 8

PROG(sort)
{
	struct bench_in *in = bench_input(ctx, SORT_LEN * 4);
	if (!in)
		return 0;
	u32 *a = (u32 *)(in + 1);
	u32 rounds = in->n;
	u32 x = in->seed | 1;
	u64 sum = 0;
	for (u32 r = 0; r < SORT_ROUNDS_MAX && r < rounds; r++) {
		for (u32 i = 0; i < SORT_LEN; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			a[i] = x;
		}
		for (u32 i = 1; i < SORT_LEN; i++) {
			u32 key = a[i];
			u32 j = i;
			while (j > 0 && a[j - 1] > key) {
				a[j] = a[j - 1];
				j--;
			}
			a[j] = key;
		}
		for (u32 i = 0; i < SORT_LEN; i++)
			sum = sum * 31 + a[i];
	}
	return (int)(sum ^ (sum >> 32));
}

LICENSE;
