/*
 * Linux helpers on maps: lookup/update/delete, push/pop/peek and the ring
 * buffer. A program's map argument is a registry handle (graft/maps.h);
 * a handle that names no live map, or a key/value pointer the program may
 * not access, stops the program (Linux's verifier would have refused it),
 * while the outcomes Linux reports at run time are returned as -errno.
 */
#include "helpers_internal.h"

struct graft_env *helper_env(struct ebpf_exec *x)
{
	if (!x->user) {
		ebpf_exec_abort(x, "map helper called without a graft_env");
		return NULL;
	}
	return x->user;
}

struct graft_map *helper_map_slow(struct ebpf_exec *x, uint64_t handle,
				  const char *fn)
{
	struct graft_env *env = helper_env(x);
	if (!env)
		return NULL;
	struct graft_map *m = env->reg ? graft_registry_map(env->reg, handle)
				       : NULL;
	if (!m)
		ebpf_exec_abort(x, "%s: 0x%llx is no map", fn,
				(unsigned long long)handle);
	return m;
}

bool helper_mem_slow(struct ebpf_exec *x, uint64_t p, uint64_t len,
		     unsigned perm, const char *fn, const char *what)
{
	if (len == 0 || ebpf_exec_access_ok(x, p, len, perm))
		return true;
	ebpf_exec_abort(x, "%s: %s 0x%llx (%llu bytes) is not %s", fn, what,
			(unsigned long long)p, (unsigned long long)len,
			perm & EBPF_W ? "writable" : "readable");
	return false;
}

#define PTR(v) ((void *)(uintptr_t)(v))

static uint64_t h_lookup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			 uint64_t r5, struct ebpf_exec *x)
{
	(void)r3, (void)r4, (void)r5;
	struct graft_map *m = helper_map(x, r1, "map_lookup_elem");
	if (!m || !helper_mem(x, r2, m->def.key_size, EBPF_R,
			      "map_lookup_elem", "key"))
		return 0;
	/* hashes straight to their lookup (JIT code inlines array ones) */
	if (m->def.type == GRAFT_MAP_HASH || m->def.type == GRAFT_MAP_LRU_HASH)
		return (uint64_t)(uintptr_t)map_hash_lookup(m, PTR(r2));
	return (uint64_t)(uintptr_t)graft_map_lookup(m, PTR(r2));
}

static uint64_t h_update(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			 uint64_t r5, struct ebpf_exec *x)
{
	(void)r5;
	struct graft_map *m = helper_map(x, r1, "map_update_elem");
	if (!m)
		return 0;
	const struct graft_map_def *d = graft_map_get_def(m);
	if (!helper_mem(x, r2, d->key_size, EBPF_R, "map_update_elem", "key") ||
	    !helper_mem(x, r3, d->value_size, EBPF_R, "map_update_elem",
			"value"))
		return 0;
	if (d->type == GRAFT_MAP_PROG_ARRAY)
		return (uint64_t)(int64_t)GRAFT_E_INVAL;
	return (uint64_t)(int64_t)graft_map_update(m, PTR(r2), PTR(r3), r4);
}

static uint64_t h_delete(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			 uint64_t r5, struct ebpf_exec *x)
{
	(void)r3, (void)r4, (void)r5;
	struct graft_map *m = helper_map(x, r1, "map_delete_elem");
	if (!m || !helper_mem(x, r2, graft_map_get_def(m)->key_size, EBPF_R,
			      "map_delete_elem", "key"))
		return 0;
	if (graft_map_get_def(m)->type == GRAFT_MAP_PROG_ARRAY)
		return (uint64_t)(int64_t)GRAFT_E_INVAL;
	return (uint64_t)(int64_t)graft_map_delete(m, PTR(r2));
}

static uint64_t h_push(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
		       uint64_t r5, struct ebpf_exec *x)
{
	(void)r4, (void)r5;
	struct graft_map *m = helper_map(x, r1, "map_push_elem");
	if (!m || !helper_mem(x, r2, graft_map_get_def(m)->value_size, EBPF_R,
			      "map_push_elem", "value"))
		return 0;
	return (uint64_t)(int64_t)graft_map_push(m, PTR(r2), r3);
}

static uint64_t take(uint64_t r1, uint64_t r2, struct ebpf_exec *x, bool pop)
{
	const char *fn = pop ? "map_pop_elem" : "map_peek_elem";
	struct graft_map *m = helper_map(x, r1, fn);
	if (!m || !helper_mem(x, r2, graft_map_get_def(m)->value_size, EBPF_W,
			      fn, "value"))
		return 0;
	return (uint64_t)(int64_t)(pop ? graft_map_pop(m, PTR(r2))
				       : graft_map_peek(m, PTR(r2)));
}

static uint64_t h_pop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
		      uint64_t r5, struct ebpf_exec *x)
{
	(void)r3, (void)r4, (void)r5;
	return take(r1, r2, x, true);
}

static uint64_t h_peek(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
		       uint64_t r5, struct ebpf_exec *x)
{
	(void)r3, (void)r4, (void)r5;
	return take(r1, r2, x, false);
}

static uint64_t h_rb_output(uint64_t r1, uint64_t r2, uint64_t r3,
			    uint64_t r4, uint64_t r5, struct ebpf_exec *x)
{
	(void)r4, (void)r5;
	struct graft_map *m = helper_map(x, r1, "ringbuf_output");
	if (!m || !helper_mem(x, r2, r3, EBPF_R, "ringbuf_output", "data"))
		return 0;
	if (graft_map_get_def(m)->type != GRAFT_MAP_RINGBUF)
		return (uint64_t)(int64_t)GRAFT_E_INVAL;
	return (uint64_t)(int64_t)graft_ringbuf_output(m, PTR(r2), r3);
}

static uint64_t h_rb_reserve(uint64_t r1, uint64_t r2, uint64_t r3,
			     uint64_t r4, uint64_t r5, struct ebpf_exec *x)
{
	(void)r4, (void)r5;
	struct graft_map *m = helper_map(x, r1, "ringbuf_reserve");
	if (!m || r3 != 0)
		return 0;
	return (uint64_t)(uintptr_t)graft_ringbuf_reserve(m, r2);
}

static uint64_t commit(uint64_t r1, struct ebpf_exec *x, bool discard)
{
	struct graft_env *env = helper_env(x);
	if (!env || !env->reg)
		return 0;
	for (unsigned i = 0; i < GRAFT_REGISTRY_MAX; i++) {
		struct graft_map *m = graft_registry_at(env->reg, i, NULL, NULL);
		if (m && graft_map_get_def(m)->type == GRAFT_MAP_RINGBUF &&
		    graft_ringbuf_commit(m, PTR(r1), discard))
			return 0;
	}
	return ebpf_exec_abort(x, "ringbuf_%s: 0x%llx is no reserved record",
			       discard ? "discard" : "submit",
			       (unsigned long long)r1);
}

static uint64_t h_rb_submit(uint64_t r1, uint64_t r2, uint64_t r3,
			    uint64_t r4, uint64_t r5, struct ebpf_exec *x)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	return commit(r1, x, false);
}

static uint64_t h_rb_discard(uint64_t r1, uint64_t r2, uint64_t r3,
			     uint64_t r4, uint64_t r5, struct ebpf_exec *x)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	return commit(r1, x, true);
}

static uint64_t h_rb_query(uint64_t r1, uint64_t r2, uint64_t r3,
			   uint64_t r4, uint64_t r5, struct ebpf_exec *x)
{
	(void)r3, (void)r4, (void)r5;
	struct graft_map *m = helper_map(x, r1, "ringbuf_query");
	if (!m)
		return 0;
	switch (r2) {
	case 0: /* BPF_RB_AVAIL_DATA */
		return graft_ringbuf_avail(m);
	case 1: /* BPF_RB_RING_SIZE */
		return graft_map_get_def(m)->max_entries;
	default:
		return 0;
	}
}

const struct ebpf_helper helpers_map_table[] = {
	{ GRAFT_FN_map_lookup_elem, "map_lookup_elem", h_lookup },
	{ GRAFT_FN_map_update_elem, "map_update_elem", h_update },
	{ GRAFT_FN_map_delete_elem, "map_delete_elem", h_delete },
	{ GRAFT_FN_map_push_elem, "map_push_elem", h_push },
	{ GRAFT_FN_map_pop_elem, "map_pop_elem", h_pop },
	{ GRAFT_FN_map_peek_elem, "map_peek_elem", h_peek },
	{ GRAFT_FN_ringbuf_output, "ringbuf_output", h_rb_output },
	{ GRAFT_FN_ringbuf_reserve, "ringbuf_reserve", h_rb_reserve },
	{ GRAFT_FN_ringbuf_submit, "ringbuf_submit", h_rb_submit },
	{ GRAFT_FN_ringbuf_discard, "ringbuf_discard", h_rb_discard },
	{ GRAFT_FN_ringbuf_query, "ringbuf_query", h_rb_query },
};
const size_t helpers_map_count =
	sizeof helpers_map_table / sizeof helpers_map_table[0];
