/*
 * Array lookups inlined, as Linux's verifier does (map_gen_lookup): where
 * `lddw r1, map` (an ARRAY) reaches `call bpf_map_lookup_elem` in straight
 * code — no jump lands in between and nothing else writes r1 — the pair
 * (nothing in between reading r1 either) becomes
 *
 *     lddw  r1, &value[0]          (EBPF_PSEUDO_MAP_IDX_VALUE, offset 0)
 *     ldxw  r0, [r2+0]             the index (checked like any load)
 *     jge   r0, max_entries, +3
 *     lsh   r0, log2(stride)       (mul when the stride is no power of 2)
 *     add   r0, r1
 *     ja    +1
 *     mov   r0, 0
 *
 * which gives the helper's result (a pointer to the value or NULL) without
 * the call. Every jump and local call is re-aimed; a jump that no longer
 * fits its 16-bit offset leaves the program as it was. orig[new pc] is the
 * pc before the rewrite, for naming source lines.
 */
#include "elf_internal.h"

#define GROW 5 /* a call becomes 6 instructions */

static bool is_jump(const struct ebpf_insn *in)
{
	uint8_t cls = in->code & 7;
	return (cls == EBPF_CLS_JMP || cls == EBPF_CLS_JMP32) &&
	       in->code != 0x95 && !(in->code == 0x85 && in->src != 1) &&
	       in->code != 0x8d;
}

static int64_t target(const struct ebpf_insn *in, size_t pc)
{
	if (in->code == 0x06 || in->code == 0x85)
		return (int64_t)pc + in->imm + 1;
	return (int64_t)pc + in->off + 1;
}

/*
 * Does this straight-line instruction neither read nor write r1? (The
 * rewrite changes what r1 holds, so nothing between the lddw and the call
 * may see it: no copy, no store of it, no use as a base.)
 */
static bool keeps_r1(const struct ebpf_insn *in)
{
	uint8_t cls = in->code & 7;
	if (cls == EBPF_CLS_JMP || cls == EBPF_CLS_JMP32)
		return false;
	if (cls == EBPF_CLS_LD && in->code != 0x18)
		return false; /* legacy packet loads may end the program */
	return in->dst != 1 && in->src != 1;
}

/* The map index of the array whose lddw reaches the call at c, or -1. */
static int array_at(const struct graft_obj *o, const struct ebpf_insn *in,
		    const uint8_t *is_tgt, size_t c)
{
	if (is_tgt[c])
		return -1;
	for (size_t j = c; j-- > 0;) {
		if (j > 0 && in[j - 1].code == 0x18 && in[j].code == 0)
			continue; /* second slot of an lddw */
		if (in[j].code == 0x18 && in[j].dst == 1) {
			if (in[j].src != EBPF_PSEUDO_MAP_IDX ||
			    (uint32_t)in[j].imm >= o->elf->nmaps)
				return -1;
			for (size_t k = j + 1; k <= c; k++)
				if (is_tgt[k])
					return -1;
			const struct graft_map_def *d =
				graft_map_get_def(o->maps[in[j].imm]);
			return d->type == GRAFT_MAP_ARRAY ? (int)j : -1;
		}
		if (!keeps_r1(&in[j]))
			return -1;
	}
	return -1;
}

enum graft_status obj_inline_lookups(const struct graft_obj *o,
				     const struct ebpf_insn *in, size_t n,
				     struct ebpf_insn **out, size_t *nout,
				     uint32_t **orig, struct graft_err *err)
{
	const struct graft_alloc *a = &o->alloc;
	*out = NULL;
	*orig = NULL;
	uint8_t *is_tgt = a->alloc(a->ud, n + 1);
	int32_t *lddw_of = a->alloc(a->ud, (n + 1) * sizeof *lddw_of);
	uint32_t *newpc = a->alloc(a->ud, (n + 1) * sizeof *newpc);
	enum graft_status st = GRAFT_OK;
	if (!is_tgt || !lddw_of || !newpc) {
		st = graft_errf(err, GRAFT_ENOMEM, "out of memory");
		goto done;
	}
	memset(is_tgt, 0, n + 1);
	for (size_t pc = 0; pc < n; pc++) {
		lddw_of[pc] = -1;
		int64_t t = is_jump(&in[pc]) ? target(&in[pc], pc) : -1;
		if (t >= 0 && (size_t)t <= n)
			is_tgt[t] = 1;
	}
	size_t grow = 0;
	for (size_t pc = 0; pc < n; pc++) {
		if (in[pc].code != 0x85 || in[pc].src != 0 || in[pc].imm != 1)
			continue;
		int j = array_at(o, in, is_tgt, pc);
		if (j >= 0) {
			lddw_of[pc] = j;
			grow += GROW;
		}
	}
	if (!grow)
		goto done; /* nothing to do: the caller loads the original */
	for (size_t pc = 0, at = 0; pc <= n; pc++) {
		newpc[pc] = (uint32_t)at;
		at += 1 + (pc < n && lddw_of[pc] >= 0 ? GROW : 0);
	}
	size_t m = n + grow;
	struct ebpf_insn *p = a->alloc(a->ud, m * sizeof *p);
	uint32_t *op = a->alloc(a->ud, m * sizeof *op);
	if (!p || !op) {
		if (p)
			a->free(a->ud, p);
		if (op)
			a->free(a->ud, op);
		st = graft_errf(err, GRAFT_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t pc = 0; pc < n; pc++) {
		struct ebpf_insn *w = &p[newpc[pc]];
		*w = in[pc];
		op[newpc[pc]] = (uint32_t)pc;
		if (is_jump(&in[pc])) {
			int64_t t = target(&in[pc], pc);
			int64_t d = (int64_t)newpc[t < 0 || (size_t)t > n ? pc : (size_t)t] -
				    newpc[pc] - 1;
			if (in[pc].code == 0x06 || in[pc].code == 0x85)
				w->imm = (int32_t)d;
			else if (d < INT16_MIN || d > INT16_MAX)
				goto giveup;
			else
				w->off = (int16_t)d;
		}
		if (lddw_of[pc] < 0)
			continue;
		struct ebpf_insn *l = &p[newpc[lddw_of[pc]]];
		l->src = EBPF_PSEUDO_MAP_IDX_VALUE;
		l[1].imm = 0;
		const struct graft_map_def *d = graft_map_get_def(o->maps[l->imm]);
		uint32_t stride = (d->value_size + 7u) & ~7u, sh = 0;
		while ((1u << sh) < stride)
			sh++;
		struct ebpf_insn seq[6] = {
			{ .code = 0x61, .dst = 0, .src = 2 },              /* ldxw */
			{ .code = 0x35, .dst = 0, .off = 3,
			  .imm = (int32_t)d->max_entries },                /* jge */
			(1u << sh) == stride
				? (struct ebpf_insn){ .code = 0x67, .imm = (int32_t)sh }
				: (struct ebpf_insn){ .code = 0x27, .imm = (int32_t)stride },
			{ .code = 0x0f, .dst = 0, .src = 1 },              /* add */
			{ .code = 0x05, .off = 1 },                         /* ja */
			{ .code = 0xb7, .dst = 0 },                         /* mov 0 */
		};
		memcpy(w, seq, sizeof seq);
		for (int k = 0; k < 6; k++)
			op[newpc[pc] + k] = (uint32_t)pc;
	}
	*out = p;
	*nout = m;
	*orig = op;
	goto done;
giveup:
	a->free(a->ud, p);
	a->free(a->ud, op);
done:
	if (is_tgt)
		a->free(a->ud, is_tgt);
	if (lddw_of)
		a->free(a->ud, lddw_of);
	if (newpc)
		a->free(a->ud, newpc);
	return st;
}
