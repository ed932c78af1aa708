/*
 * Verifier states: allocation, copying, the subsumption test that prunes
 * paths, and formatting for the log. A state is a stack of frames; each
 * frame holds eleven registers and the slots of its stack that are in use.
 */
#include <stdio.h>
#include <string.h>

#include "vpriv.h"

static size_t frame_size(uint32_t nslots)
{
	return sizeof(struct vframe) + nslots * sizeof(struct vslot);
}

static void *valloc(struct vctx *v, size_t size)
{
	void *p = v->o->alloc.alloc(v->o->alloc.ud, size);
	if (!p)
		v->status = GRAFT_ENOMEM;
	return p;
}

static void vfree(struct vctx *v, void *p)
{
	if (p)
		v->o->alloc.free(v->o->alloc.ud, p);
}

struct vframe *frame_new(struct vctx *v, uint32_t callsite)
{
	struct vframe *f = valloc(v, frame_size(0));
	if (!f)
		return NULL;
	memset(f, 0, frame_size(0));
	f->callsite = callsite;
	return f;
}

bool frame_grow(struct vctx *v, struct vstate *st, uint32_t fi,
		uint32_t nslots)
{
	struct vframe *old = st->f[fi];
	if (old->nslots >= nslots)
		return true;
	nslots = (nslots + 3) & ~3u;
	if (nslots > NSLOTS)
		nslots = NSLOTS;
	struct vframe *f = valloc(v, frame_size(nslots));
	if (!f)
		return false;
	memcpy(f, old, frame_size(old->nslots));
	memset(&f->s[old->nslots], 0,
	       (nslots - old->nslots) * sizeof(struct vslot));
	f->nslots = nslots;
	vfree(v, old);
	st->f[fi] = f;
	return true;
}

struct vstate *state_new(struct vctx *v)
{
	struct vstate *st = valloc(v, sizeof *st);
	if (!st)
		return NULL;
	memset(st, 0, sizeof *st);
	return st;
}

struct vstate *state_copy(struct vctx *v, const struct vstate *src)
{
	struct vstate *st = state_new(v);
	if (!st)
		return NULL;
	*st = *src;
	st->next = NULL;
	st->branches = 0;
	for (uint32_t i = 0; i < src->nframes; i++) {
		size_t sz = frame_size(src->f[i]->nslots);
		st->f[i] = valloc(v, sz);
		if (!st->f[i]) {
			st->nframes = i;
			state_free(v, st);
			return NULL;
		}
		memcpy(st->f[i], src->f[i], sz);
	}
	return st;
}

void state_free(struct vctx *v, struct vstate *st)
{
	if (!st)
		return;
	for (uint32_t i = 0; i < st->nframes; i++)
		vfree(v, st->f[i]);
	vfree(v, st);
}

/* ------------------------------------------------------------------ */
/* Subsumption: may `cur` be pruned because `old` was proven safe?     */

struct idmap {
	uint32_t n;
	uint32_t old[64], cur[64];
};

/* The ids must correspond one to one between the two states. */
static bool id_match(struct idmap *m, uint32_t o, uint32_t c)
{
	if (!o && !c)
		return true;
	if (!o || !c)
		return false;
	for (uint32_t i = 0; i < m->n; i++) {
		if (m->old[i] == o)
			return m->cur[i] == c;
		if (m->cur[i] == c)
			return false;
	}
	if (m->n == 64)
		return false;
	m->old[m->n] = o, m->cur[m->n] = c;
	m->n++;
	return true;
}

static bool range_within(const struct vreg *o, const struct vreg *c)
{
	return o->umin <= c->umin && c->umax <= o->umax &&
	       o->smin <= c->smin && c->smax <= o->smax &&
	       o->u32min <= c->u32min && c->u32max <= o->u32max &&
	       o->s32min <= c->s32min && c->s32max <= o->s32max &&
	       tnum_in(o->var, c->var);
}

static bool reg_same(const struct vreg *o, const struct vreg *c)
{
	return o->umin == c->umin && o->umax == c->umax &&
	       o->smin == c->smin && o->smax == c->smax &&
	       o->var.value == c->var.value && o->var.mask == c->var.mask &&
	       o->u32min == c->u32min && o->u32max == c->u32max &&
	       o->s32min == c->s32min && o->s32max == c->s32max;
}

static bool reg_subsumes(const struct vreg *o, const struct vreg *c,
			 struct idmap *m, bool exact, bool relevant)
{
	if (o->type == T_NOT_INIT)
		return !exact || c->type == T_NOT_INIT;
	if (o->type != c->type)
		return false;
	if (o->type == T_SCALAR && !relevant)
		return true; /* its value cannot change any later check */
	if (o->type == T_SCALAR) {
		/* an id in old links registers that a check refines together;
		 * cur must have the same link for old's proof to carry over */
		if (o->id && !id_match(m, o->id, c->id))
			return false;
		return exact ? reg_same(o, c) : range_within(o, c);
	}
	if (o->off != c->off || o->map != c->map || o->frameno != c->frameno)
		return false;
	if (exact ? !reg_same(o, c) : !range_within(o, c))
		return false;
	switch (o->type) {
	case T_PKT:
	case T_PKT_META:
		if (exact ? o->range != c->range : o->range > c->range)
			return false;
		return id_match(m, o->id, c->id);
	case T_MEM:
	case T_MEM_OR_NULL:
		return o->range == c->range && id_match(m, o->id, c->id);
	case T_MAP_VALUE_OR_NULL:
	case T_KOBJ_OR_NULL:
		return id_match(m, o->id, c->id);
	default:
		return true;
	}
}

static bool slot_subsumes(const struct vslot *o, const struct vslot *c,
			  struct idmap *m, bool exact)
{
	static const struct vslot none;
	if (!o)
		o = &none;
	if (!c)
		c = &none;
	if (exact)
		if (memcmp(o->t, c->t, 8))
			return false;
	if (o->spill_size) {
		if (c->spill_size != o->spill_size ||
		    c->spill_off != o->spill_off ||
		    !reg_subsumes(&o->spill, &c->spill, m, exact, true))
			return false;
	}
	for (int i = 0; i < 8; i++) {
		switch (o->t[i]) {
		case S_SPILL:
			break; /* compared above */
		case S_INVALID:
			break; /* old never read it: anything will do */
		case S_ZERO:
			if (c->t[i] != S_ZERO)
				return false;
			break;
		case S_MISC:
			if (c->t[i] == S_INVALID)
				return false;
			if (c->t[i] == S_SPILL && c->spill.type != T_SCALAR)
				return false;
			break;
		}
	}
	return true;
}

bool state_subsumes(const struct vstate *old, const struct vstate *cur,
		    bool exact, const uint16_t *relevant)
{
	if (old->nframes != cur->nframes || old->nrefs != cur->nrefs)
		return false;
	struct idmap m;
	m.n = 0;
	for (uint32_t fi = 0; fi < old->nframes; fi++) {
		const struct vframe *o = old->f[fi], *c = cur->f[fi];
		if (o->callsite != c->callsite)
			return false;
		/* relevance at the pc where this frame goes on: the state's
		 * pc for the top frame, the return site for callers (whose
		 * r0-r5 the return overwrites) */
		uint32_t rel = 0x7ff;
		if (relevant) {
			if (fi + 1 == old->nframes)
				rel = relevant[old->pc];
			else
				rel = relevant[old->f[fi + 1]->callsite + 1] &
				      ~0x3fu;
		}
		for (int r = 0; r < EBPF_NREGS; r++)
			if (!reg_subsumes(&o->r[r], &c->r[r], &m, exact,
					  (rel >> r) & 1))
				return false;
		uint32_t ns = o->nslots > c->nslots ? o->nslots : c->nslots;
		for (uint32_t k = 0; k < ns; k++)
			if (!slot_subsumes(k < o->nslots ? &o->s[k] : NULL,
					   k < c->nslots ? &c->s[k] : NULL, &m,
					   exact))
				return false;
	}
	for (uint32_t i = 0; i < old->nrefs; i++)
		if (!id_match(&m, old->refs[i], cur->refs[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Formatting.                                                         */

static const char *const type_names[T_NTYPES] = {
	[T_NOT_INIT] = "?", [T_SCALAR] = "scalar", [T_CTX] = "ctx",
	[T_STACK] = "fp", [T_PKT] = "pkt", [T_PKT_END] = "pkt_end",
	[T_PKT_META] = "pkt_meta", [T_MAP_VALUE] = "map_value",
	[T_MAP_VALUE_OR_NULL] = "map_value_or_null", [T_MAP_PTR] = "map_ptr",
	[T_MEM] = "mem", [T_MEM_OR_NULL] = "mem_or_null",
	[T_KOBJ] = "kobj", [T_KOBJ_OR_NULL] = "kobj_or_null",
};

static int fmt_bounds(const struct vreg *r, char *buf, size_t len)
{
	if (tnum_is_const(r->var))
		return snprintf(buf, len, "%lld", (long long)r->var.value);
	return snprintf(buf, len,
			"smin=%lld,smax=%lld,umin=%llu,umax=%llu,var=(%#llx;%#llx)",
			(long long)r->smin, (long long)r->smax,
			(unsigned long long)r->umin,
			(unsigned long long)r->umax,
			(unsigned long long)r->var.value,
			(unsigned long long)r->var.mask);
}

void reg_format(const struct vreg *r, char *buf, size_t len)
{
	int k = snprintf(buf, len, "%s", r->type < T_NTYPES ?
				       type_names[r->type] : "bad");
	if (k < 0 || (size_t)k >= len)
		return;
	if (r->type == T_NOT_INIT)
		return;
	if (r->type == T_SCALAR) {
		buf[k++] = '(';
		int j = fmt_bounds(r, buf + k, len - (size_t)k);
		if (j < 0 || (size_t)(k + j) >= len - 1)
			return;
		k += j;
		snprintf(buf + k, len - (size_t)k, ")");
		return;
	}
	int j = snprintf(buf + k, len - (size_t)k, "(off=%d", r->off);
	if (j < 0 || (size_t)(k += j) >= len)
		return;
	if (r->type == T_STACK)
		k += snprintf(buf + k, len - (size_t)k, ",frame=%u", r->frameno);
	else if (r->type == T_PKT || r->type == T_PKT_META || r->type == T_MEM ||
		 r->type == T_MEM_OR_NULL)
		k += snprintf(buf + k, len - (size_t)k, ",r=%u", r->range);
	else if (r->type == T_KOBJ || r->type == T_KOBJ_OR_NULL)
		k += snprintf(buf + k, len - (size_t)k, ",%s", kobj_name(r->map));
	else if (r->type == T_MAP_VALUE || r->type == T_MAP_VALUE_OR_NULL ||
		 r->type == T_MAP_PTR)
		k += snprintf(buf + k, len - (size_t)k, ",map=%u", r->map);
	if ((size_t)k >= len)
		return;
	if (!tnum_is_const(r->var) || r->var.value) {
		k += snprintf(buf + k, len - (size_t)k, ",var:");
		if ((size_t)k >= len)
			return;
		k += fmt_bounds(r, buf + k, len - (size_t)k);
		if ((size_t)k >= len)
			return;
	}
	snprintf(buf + k, len - (size_t)k, ")");
}

/* All initialized registers of the current frame: "R1=ctx(off=0) ...". */
void state_format(const struct vstate *st, char *buf, size_t len)
{
	size_t k = 0;
	buf[0] = 0;
	const struct vframe *f = st->f[st->nframes - 1];
	for (int r = 0; r < EBPF_NREGS && k + 8 < len; r++) {
		if (f->r[r].type == T_NOT_INIT)
			continue;
		char one[160];
		reg_format(&f->r[r], one, sizeof one);
		int j = snprintf(buf + k, len - k, "%sR%d=%s", k ? " " : "", r,
				 one);
		if (j < 0)
			break;
		k += (size_t)j;
	}
	if (k >= len)
		buf[len - 1] = 0;
}
