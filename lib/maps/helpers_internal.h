/* What the helper files share. */
#ifndef GRAFT_HELPERS_INTERNAL_H
#define GRAFT_HELPERS_INTERNAL_H

#include <string.h>

#include "graft/maps.h"

/* Each returns NULL/false after stopping the program with a message. */
struct graft_env *helper_env(struct ebpf_exec *x);
struct graft_map *helper_map(struct ebpf_exec *x, uint64_t handle,
			     const char *fn);
bool helper_mem(struct ebpf_exec *x, uint64_t p, uint64_t len, unsigned perm,
		const char *fn, const char *what);

/* Append to the env's log ring (drops what does not fit). */
void helper_log(struct graft_env *env, const char *s, size_t n);

extern const struct ebpf_helper helpers_map_table[];
extern const size_t helpers_map_count;
extern const struct ebpf_helper helpers_misc_table[];
extern const size_t helpers_misc_count;
extern const struct ebpf_helper helpers_tail_table[];
extern const size_t helpers_tail_count;

#endif
