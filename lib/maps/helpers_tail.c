/*
 * bpf_tail_call(ctx, prog_array, index): on success the current program
 * ends and the one in the slot runs with r1 = ctx (the engine's run loop
 * does the switch, bounded by EBPF_MAX_TAIL_CALLS). As in Linux, an empty
 * slot, an index out of range or a chain at its bound make the helper fail
 * and the program go on.
 */
#include "helpers_internal.h"

static uint64_t h_tail_call(uint64_t r1, uint64_t r2, uint64_t r3,
			    uint64_t r4, uint64_t r5, struct ebpf_exec *x)
{
	(void)r4, (void)r5;
	struct graft_map *m = helper_map(x, r2, "tail_call");
	if (!m)
		return 0;
	if (graft_map_get_def(m)->type != GRAFT_MAP_PROG_ARRAY)
		return ebpf_exec_abort(x, "tail_call: map is no prog array");
	const struct ebpf_prog *p = graft_prog_array_get(m, (uint32_t)r3);
	if (!p || x->tail_calls >= EBPF_MAX_TAIL_CALLS)
		return (uint64_t)(int64_t)GRAFT_E_NOENT;
	x->tail_call = p;
	x->tail_ctx = r1;
	return 0;
}

const struct ebpf_helper helpers_tail_table[] = {
	{ GRAFT_FN_tail_call, "tail_call", h_tail_call },
};
const size_t helpers_tail_count =
	sizeof helpers_tail_table / sizeof helpers_tail_table[0];
