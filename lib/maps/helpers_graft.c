/*
 * graft's own helpers (IDs from GRAFT_HELPER_BASE), the env, and the table
 * of every helper this module provides.
 */
#include <stdio.h>

#include "helpers_internal.h"

static uint64_t h_puts(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
		       uint64_t r5, struct ebpf_exec *x)
{
	(void)r3, (void)r4, (void)r5;
	struct graft_env *env = helper_env(x);
	if (!env || !helper_mem(x, r1, r2, EBPF_R, "graft_puts", "string"))
		return 0;
	const char *s = (const char *)(uintptr_t)r1;
	size_t n = r2 ? strnlen(s, r2) : 0;
	helper_log(env, s, n);
	helper_log(env, "\n", 1);
	return n;
}

static uint64_t h_log_u64(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			  uint64_t r5, struct ebpf_exec *x)
{
	(void)r4, (void)r5;
	struct graft_env *env = helper_env(x);
	if (!env || !helper_mem(x, r1, r2, EBPF_R, "graft_log_u64", "tag"))
		return 0;
	const char *s = (const char *)(uintptr_t)r1;
	size_t n = r2 ? strnlen(s, r2) : 0;
	char num[32];
	int k = snprintf(num, sizeof num, "=%llu\n", (unsigned long long)r3);
	helper_log(env, s, n);
	helper_log(env, num, (size_t)k);
	return 0;
}

static uint64_t h_map_count(uint64_t r1, uint64_t r2, uint64_t r3,
			    uint64_t r4, uint64_t r5, struct ebpf_exec *x)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	struct graft_map *m = helper_map(x, r1, "graft_map_count");
	return m ? graft_map_count(m) : 0;
}

const struct ebpf_helper graft_own_helpers[] = {
	{ GRAFT_FN_graft_puts, "graft_puts", h_puts },
	{ GRAFT_FN_graft_log_u64, "graft_log_u64", h_log_u64 },
	{ GRAFT_FN_graft_map_count, "graft_map_count", h_map_count },
};
const size_t graft_own_nhelpers =
	sizeof graft_own_helpers / sizeof graft_own_helpers[0];

void graft_env_init(struct graft_env *env, struct graft_registry *reg)
{
	memset(env, 0, sizeof *env);
	env->reg = reg;
	env->rand_state = 0x853c49e6748fea9bull;
}

size_t graft_env_take_log(struct graft_env *env, char *buf, size_t cap)
{
	if (!cap)
		return 0;
	size_t n = env->log_len < cap - 1 ? env->log_len : cap - 1;
	memcpy(buf, env->log, n);
	buf[n] = 0;
	memmove(env->log, env->log + n, env->log_len - n);
	env->log_len -= (uint32_t)n;
	env->log[env->log_len] = 0;
	return n;
}

size_t graft_helpers_all(struct ebpf_helper *out, size_t cap)
{
	const struct {
		const struct ebpf_helper *t;
		size_t n;
	} parts[] = {
		{ helpers_map_table, helpers_map_count },
		{ helpers_misc_table, helpers_misc_count },
		{ helpers_tail_table, helpers_tail_count },
		{ graft_own_helpers, graft_own_nhelpers },
	};
	size_t n = 0;
	for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
		if (n + parts[p].n > cap)
			return 0;
		memcpy(out + n, parts[p].t, parts[p].n * sizeof *out);
		n += parts[p].n;
	}
	return n;
}
