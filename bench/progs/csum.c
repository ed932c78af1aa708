/*
 * Memory-heavy: a multiply-xor checksum over the packet's payload words,
 * repeated n rounds (every word is loaded once per round).
 */
#include "prog.h"

#define CSUM_WORDS 256
#define CSUM_ROUNDS_MAX 16

PROG(csum)
{
	struct bench_in *in = bench_input(ctx, CSUM_WORDS * 8);
	if (!in)
		return 0;
	u64 *w = (u64 *)(in + 1);
	u32 rounds = in->n;
	u64 h = in->seed;
	for (u32 r = 0; r < CSUM_ROUNDS_MAX && r < rounds; r++) {
		for (u32 i = 0; i < CSUM_WORDS; i++)
			h = (h ^ w[i]) * 0x100000001b3ull + r;
	}
	return (int)(h ^ (h >> 32));
}

LICENSE;
