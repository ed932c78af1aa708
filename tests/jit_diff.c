/*
 * tests/jit_diff.c — differential test: random valid programs (see
 * jit_gen.h) run in the interpreter and the JIT, checked and (when safe)
 * unchecked; every observable result must be equal. GRAFT_JIT_DIFF_N
 * overrides the number of programs, GRAFT_JIT_DIFF_SEED the first seed.
 */
#include "jit_gen.h"
#include "testlib.h"

int main(void)
{
	const char *ns = getenv("GRAFT_JIT_DIFF_N");
	const char *ss = getenv("GRAFT_JIT_DIFF_SEED");
	unsigned long n = ns ? strtoul(ns, NULL, 0) : 20000;
	uint64_t seed0 = ss ? strtoull(ss, NULL, 0) : 1;
	static struct diff_env env;
	static struct ebpf_insn prog[GEN_MAX];
	struct diff_counts c = { 0 };
	char why[1024];
	unsigned shown = 0;
	for (unsigned long i = 0; i < n; i++) {
		uint64_t seed = seed0 + i;
		int len = gen_program(seed, prog);
		diff_setup(&env, seed);
		if (diff_one(&env, prog, (size_t)len, &c, why, sizeof why) &&
		    shown++ < 20)
			T_CHECK(0, "seed %llu (%d slots): %s",
				(unsigned long long)seed, len, why);
	}
	T_CHECK(c.mismatches == 0, "mismatches: %lu", c.mismatches);
	T_CHECK(c.invalid * 100 <= c.programs, "invalid programs: %lu of %lu",
		c.invalid, c.programs);
	T_CHECK(c.by_status[GRAFT_OK] && c.by_status[GRAFT_EFAULT] &&
			c.by_status[GRAFT_EBUDGET] && c.by_status[GRAFT_EDEPTH] &&
			c.by_status[GRAFT_EHELPER],
		"every outcome is reached");
	T_CHECK(c.tail_calls > 0, "tail calls are exercised");
	printf("jit_diff: %lu programs (%lu invalid), %lu runs compared "
	       "(%lu unchecked), %lu mismatches\n",
	       c.programs, c.invalid, c.runs, c.unchecked, c.mismatches);
	printf("jit_diff: %lu tail calls taken\n", c.tail_calls);
	printf("jit_diff: checked outcomes: OK %lu, EFAULT %lu, EBUDGET %lu, "
	       "EDEPTH %lu, EHELPER %lu\n",
	       c.by_status[GRAFT_OK], c.by_status[GRAFT_EFAULT],
	       c.by_status[GRAFT_EBUDGET], c.by_status[GRAFT_EDEPTH],
	       c.by_status[GRAFT_EHELPER]);
	return t_done();
}
