/*
 * fuzz_jit_diff — the differential test on mutated programs: the input is
 * either raw instructions (first byte even) or a generator seed plus byte
 * flips applied to the generated program (first byte odd). Whatever loads
 * runs in the interpreter and the JIT (checked; unchecked when the checked
 * run neither faulted nor ran out of budget); any difference traps.
 */
#include "../tests/jit_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct diff_env env;
	static struct ebpf_insn prog[GEN_MAX];
	if (size < 9)
		return 0;
	uint64_t seed;
	memcpy(&seed, data + 1, 8);
	size_t n;
	if (!(data[0] & 1)) {
		n = (size - 9) / sizeof prog[0];
		if (n == 0 || n > GEN_MAX)
			return 0;
		memcpy(prog, data + 9, n * sizeof prog[0]);
	} else {
		n = (size_t)gen_program(seed, prog);
		uint8_t *bytes = (uint8_t *)prog;
		/* pairs (position, xor mask) */
		for (size_t i = 9; i + 1 < size; i += 2)
			bytes[(data[i] * 131u + i) % (n * sizeof prog[0])] ^= data[i + 1];
	}
	diff_setup(&env, seed);
	if (env.budget == 0 || env.budget > 20000)
		env.budget = 20000; /* keep endless loops short */
	struct diff_counts c = { 0 };
	char why[1024];
	if (diff_one(&env, prog, n, &c, why, sizeof why)) {
		fprintf(stderr, "jit/interp mismatch: %s\n", why);
		__builtin_trap();
	}
	return 0;
}
