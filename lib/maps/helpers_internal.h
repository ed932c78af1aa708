/* What the helper files share. */
#ifndef GRAFT_HELPERS_INTERNAL_H
#define GRAFT_HELPERS_INTERNAL_H

#include <string.h>

#include "map_internal.h"

/* Each returns NULL/false after stopping the program with a message. */
struct graft_env *helper_env(struct ebpf_exec *x);
struct graft_map *helper_map_slow(struct ebpf_exec *x, uint64_t handle,
				  const char *fn);
bool helper_mem_slow(struct ebpf_exec *x, uint64_t p, uint64_t len,
		     unsigned perm, const char *fn, const char *what);

/* The common cases inline: a live handle, a pointer into the stack. */
static inline struct graft_map *helper_map(struct ebpf_exec *x,
					   uint64_t handle, const char *fn)
{
	struct graft_env *env = x->user;
	struct graft_map *m = env && env->reg ? registry_map(env->reg, handle)
					      : NULL;
	return m ? m : helper_map_slow(x, handle, fn);
}

static inline bool helper_mem(struct ebpf_exec *x, uint64_t p, uint64_t len,
			      unsigned perm, const char *fn, const char *what)
{
	uint64_t lo = (uint64_t)(uintptr_t)x->stack;
	if (p >= lo && p - lo <= sizeof x->stack &&
	    len <= sizeof x->stack - (p - lo))
		return true;
	return helper_mem_slow(x, p, len, perm, fn, what);
}

/* Append to the env's log ring (drops what does not fit). */
void helper_log(struct graft_env *env, const char *s, size_t n);

extern const struct ebpf_helper helpers_map_table[];
extern const size_t helpers_map_count;
extern const struct ebpf_helper helpers_misc_table[];
extern const size_t helpers_misc_count;
extern const struct ebpf_helper helpers_tail_table[];
extern const size_t helpers_tail_count;

#endif
