/*
 * The scalar domain: a tnum plus signed and unsigned bounds at 64 and 32
 * bits, kept consistent by reg_bounds_sync. Every transfer function here
 * must over-approximate the interpreter's result for all concrete inputs in
 * the operands' sets (the soundness tests and fuzzer check this against
 * the checked interpreter).
 */
#include <string.h>

#include "vpriv.h"

#define U32M 0xffffffffull

void reg_mark_unknown(struct vreg *r)
{
	memset(r, 0, sizeof *r);
	r->type = T_SCALAR;
	r->var = TNUM_UNKNOWN;
	r->smin = INT64_MIN, r->smax = INT64_MAX;
	r->umin = 0, r->umax = UINT64_MAX;
	r->s32min = INT32_MIN, r->s32max = INT32_MAX;
	r->u32min = 0, r->u32max = UINT32_MAX;
}

void reg_mark_const(struct vreg *r, uint64_t v)
{
	memset(r, 0, sizeof *r);
	r->type = T_SCALAR;
	r->var = tnum_const(v);
	r->smin = r->smax = (int64_t)v;
	r->umin = r->umax = v;
	r->s32min = r->s32max = (int32_t)v;
	r->u32min = r->u32max = (uint32_t)v;
}

bool reg_is_const(const struct vreg *r)
{
	return r->type == T_SCALAR && tnum_is_const(r->var);
}

bool reg_bounds_empty(const struct vreg *r)
{
	if (r->umin > r->umax || r->smin > r->smax || r->u32min > r->u32max ||
	    r->s32min > r->s32max)
		return true;
	return tnum_conflict(r->var, tnum_range(r->umin, r->umax)) &&
	       tnum_is_const(tnum_range(r->umin, r->umax));
}

static uint64_t umax64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static uint64_t umin64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static int64_t smax64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t smin64(int64_t a, int64_t b) { return a < b ? a : b; }

static void sync_once(struct vreg *r)
{
	struct tnum v = r->var, s = tnum_subreg(v);
	/* bounds from the tnum */
	r->umin = umax64(r->umin, v.value);
	r->umax = umin64(r->umax, v.value | v.mask);
	r->smin = smax64(r->smin, (int64_t)(v.value | (v.mask & (1ull << 63))));
	r->smax = smin64(r->smax, (int64_t)(v.value | (v.mask & ~(1ull << 63))));
	r->u32min = (uint32_t)umax64(r->u32min, s.value);
	r->u32max = (uint32_t)umin64(r->u32max, s.value | s.mask);
	int32_t s32lo = (int32_t)(uint32_t)(s.value | (s.mask & 0x80000000u));
	int32_t s32hi = (int32_t)(uint32_t)(s.value | (s.mask & 0x7fffffffu));
	if (s32lo > r->s32min)
		r->s32min = s32lo;
	if (s32hi < r->s32max)
		r->s32max = s32hi;

	/* 32-bit bounds from the 64-bit ones when the upper half is fixed */
	if ((r->umin >> 32) == (r->umax >> 32)) {
		r->u32min = (uint32_t)umax64(r->u32min, (uint32_t)r->umin);
		r->u32max = (uint32_t)umin64(r->u32max, (uint32_t)r->umax);
		if ((int32_t)r->umin <= (int32_t)r->umax) {
			r->s32min = (int32_t)smax64(r->s32min, (int32_t)r->umin);
			r->s32max = (int32_t)smin64(r->s32max, (int32_t)r->umax);
		}
	}
	if ((r->smin >> 32) == (r->smax >> 32)) {
		if ((uint32_t)r->smin <= (uint32_t)r->smax) {
			r->u32min = (uint32_t)umax64(r->u32min, (uint32_t)r->smin);
			r->u32max = (uint32_t)umin64(r->u32max, (uint32_t)r->smax);
		}
		if ((int32_t)r->smin <= (int32_t)r->smax) {
			r->s32min = (int32_t)smax64(r->s32min, (int32_t)r->smin);
			r->s32max = (int32_t)smin64(r->s32max, (int32_t)r->smax);
		}
	}
	/* signed and unsigned 32-bit bounds agree when no sign change */
	if ((int32_t)r->u32min <= (int32_t)r->u32max) {
		r->s32min = (int32_t)smax64(r->s32min, (int32_t)r->u32min);
		r->s32max = (int32_t)smin64(r->s32max, (int32_t)r->u32max);
	}
	if ((uint32_t)r->s32min <= (uint32_t)r->s32max) {
		r->u32min = (uint32_t)umax64(r->u32min, (uint32_t)r->s32min);
		r->u32max = (uint32_t)umin64(r->u32max, (uint32_t)r->s32max);
	}
	/* 64-bit bounds from the 32-bit ones when the upper half is known */
	if (!(v.mask >> 32)) {
		uint64_t hi = v.value & ~U32M;
		r->umin = umax64(r->umin, hi | r->u32min);
		r->umax = umin64(r->umax, hi | r->u32max);
	}
	/* signed and unsigned 64-bit bounds agree when no sign change */
	if ((int64_t)r->umin <= (int64_t)r->umax) {
		r->smin = smax64(r->smin, (int64_t)r->umin);
		r->smax = smin64(r->smax, (int64_t)r->umax);
	}
	if ((uint64_t)r->smin <= (uint64_t)r->smax) {
		r->umin = umax64(r->umin, (uint64_t)r->smin);
		r->umax = umin64(r->umax, (uint64_t)r->smax);
	}
	/* tnum from the bounds */
	if (r->umin <= r->umax) {
		struct tnum t = tnum_range(r->umin, r->umax);
		if (!tnum_conflict(r->var, t))
			r->var = tnum_intersect(r->var, t);
	}
	if (r->u32min <= r->u32max) {
		struct tnum t = tnum_range(r->u32min, r->u32max);
		struct tnum sub = tnum_subreg(r->var);
		if (!tnum_conflict(sub, t))
			r->var = tnum_with_subreg(r->var, tnum_intersect(sub, t));
	}
}

void reg_bounds_sync(struct vreg *r)
{
	if (r->type != T_SCALAR && r->type != T_PKT && r->type != T_STACK &&
	    r->type != T_MAP_VALUE && r->type != T_MEM && r->type != T_CTX &&
	    r->type != T_PKT_META)
		return;
	for (int i = 0; i < 3 && !reg_bounds_empty(r); i++)
		sync_once(r);
}

/* Keep only the low 32 bits (zero-extended): the result of a 32-bit op. */
void reg_zext32(struct vreg *r)
{
	r->var = tnum_subreg(r->var);
	r->umin = r->u32min, r->umax = r->u32max;
	r->smin = r->u32min, r->smax = r->u32max;
	reg_bounds_sync(r);
}

void reg_set_subreg_unknown_bounds(struct vreg *r)
{
	r->s32min = INT32_MIN, r->s32max = INT32_MAX;
	r->u32min = 0, r->u32max = UINT32_MAX;
}

/* ------------------------------------------------------------------ */
/* Views: the bounds of one width, so one set of rules serves both.     */

struct view {
	unsigned w;              /* 32 or 64 */
	uint64_t umin, umax;
	int64_t smin, smax;
	struct tnum var;
};

static uint64_t wmask(unsigned w) { return w == 64 ? ~0ull : U32M; }
static int64_t wsmin(unsigned w) { return w == 64 ? INT64_MIN : INT32_MIN; }
static int64_t wsmax(unsigned w) { return w == 64 ? INT64_MAX : INT32_MAX; }

static struct view view_of(const struct vreg *r, unsigned w)
{
	if (w == 64)
		return (struct view){ 64, r->umin, r->umax, r->smin, r->smax,
				      r->var };
	return (struct view){ 32, r->u32min, r->u32max, r->s32min, r->s32max,
			      tnum_subreg(r->var) };
}

static void view_unknown(struct view *x)
{
	x->umin = 0, x->umax = wmask(x->w);
	x->smin = wsmin(x->w), x->smax = wsmax(x->w);
	x->var = TNUM(0, wmask(x->w));
}

static void view_store(struct vreg *r, const struct view *x)
{
	if (x->w == 64) {
		r->umin = x->umin, r->umax = x->umax;
		r->smin = x->smin, r->smax = x->smax;
		r->var = x->var;
		reg_set_subreg_unknown_bounds(r);
	} else {
		r->u32min = (uint32_t)x->umin, r->u32max = (uint32_t)x->umax;
		r->s32min = (int32_t)x->smin, r->s32max = (int32_t)x->smax;
		r->var = tnum_with_subreg(r->var, x->var);
		r->umin = 0, r->umax = UINT64_MAX;
		r->smin = INT64_MIN, r->smax = INT64_MAX;
	}
}

static bool add_u(uint64_t a, uint64_t b, unsigned w, uint64_t *r)
{
	if (__builtin_add_overflow(a, b, r))
		return false;
	return *r <= wmask(w);
}

static bool add_s(int64_t a, int64_t b, unsigned w, int64_t *r)
{
	if (__builtin_add_overflow(a, b, r))
		return false;
	return *r >= wsmin(w) && *r <= wsmax(w);
}

static bool sub_s(int64_t a, int64_t b, unsigned w, int64_t *r)
{
	if (__builtin_sub_overflow(a, b, r))
		return false;
	return *r >= wsmin(w) && *r <= wsmax(w);
}

/* The interpreter's semantics on concrete values, for constant folding. */
static uint64_t alu_eval(unsigned op, uint64_t a, uint64_t b, bool is64,
			 int16_t off)
{
	unsigned w = is64 ? 64 : 32;
	uint64_t m = wmask(w), r;
	a &= m, b &= m;
	unsigned sh = (unsigned)(b & (w - 1));
	switch (op) {
	case 0x00: r = a + b; break;
	case 0x10: r = a - b; break;
	case 0x20: r = a * b; break;
	case 0x30:
		if (!b)
			r = 0;
		else if (off == 1 && is64)
			r = (a == (1ull << 63) && b == m) ? a :
			    (uint64_t)((int64_t)a / (int64_t)b);
		else if (off == 1)
			r = ((uint32_t)a == 0x80000000u && (uint32_t)b == U32M) ?
				    a : (uint32_t)((int32_t)a / (int32_t)b);
		else
			r = a / b;
		break;
	case 0x40: r = a | b; break;
	case 0x50: r = a & b; break;
	case 0x60: r = a << sh; break;
	case 0x70: r = a >> sh; break;
	case 0x80: r = -a; break;
	case 0x90:
		if (!b)
			r = a;
		else if (off == 1 && is64)
			r = (b == m) ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
		else if (off == 1)
			r = ((uint32_t)b == U32M) ? 0 :
				    (uint32_t)((int32_t)a % (int32_t)b);
		else
			r = a % b;
		break;
	case 0xa0: r = a ^ b; break;
	case 0xc0:
		r = is64 ? (uint64_t)((int64_t)a >> sh) :
			   (uint32_t)((int32_t)(uint32_t)a >> sh);
		break;
	default: r = 0; break;
	}
	return r & m;
}

/* dst = dst OP src on views; both scalars, w-bit. */
static void view_alu(struct view *d, const struct view *s, unsigned op,
		     int16_t off)
{
	unsigned w = d->w;
	uint64_t m = wmask(w);
	struct view x = *d;
	bool s_const = tnum_is_const(s->var);
	view_unknown(&x);
	switch (op) {
	case 0x00: /* add */
		x.var = tnum_cast(tnum_add(d->var, s->var), w / 8);
		if (!add_u(d->umin, s->umin, w, &x.umin) ||
		    !add_u(d->umax, s->umax, w, &x.umax))
			x.umin = 0, x.umax = m;
		if (!add_s(d->smin, s->smin, w, &x.smin) ||
		    !add_s(d->smax, s->smax, w, &x.smax))
			x.smin = wsmin(w), x.smax = wsmax(w);
		break;
	case 0x10: /* sub */
		x.var = tnum_cast(tnum_sub(d->var, s->var), w / 8);
		if (d->umin >= s->umax)
			x.umin = d->umin - s->umax, x.umax = d->umax - s->umin;
		if (!sub_s(d->smin, s->smax, w, &x.smin) ||
		    !sub_s(d->smax, s->smin, w, &x.smax))
			x.smin = wsmin(w), x.smax = wsmax(w);
		break;
	case 0x20: /* mul */
		x.var = tnum_cast(tnum_mul(d->var, s->var), w / 8);
		if (d->umax <= (m >> (w / 2)) && s->umax <= (m >> (w / 2))) {
			x.umin = d->umin * s->umin, x.umax = d->umax * s->umax;
		}
		break;
	case 0x30: /* div: unsigned quotient never exceeds the dividend */
		if (off == 0) {
			x.umin = 0, x.umax = d->umax;
			if (s_const && s->var.value)
				x.umin = d->umin / s->var.value,
				x.umax = d->umax / s->var.value;
		}
		break;
	case 0x90: /* mod: an unsigned remainder never exceeds the dividend */
		if (off == 0) {
			x.umin = 0, x.umax = d->umax;
			if (s->umin >= 1 && s->umax - 1 < x.umax)
				x.umax = s->umax - 1;
		}
		break;
	case 0x50: /* and */
		x.var = tnum_and(d->var, s->var);
		x.umin = x.var.value;
		x.umax = d->umax < s->umax ? d->umax : s->umax;
		break;
	case 0x40: /* or */
		x.var = tnum_or(d->var, s->var);
		x.umin = d->umin > s->umin ? d->umin : s->umin;
		x.umax = x.var.value | x.var.mask;
		break;
	case 0xa0: /* xor */
		x.var = tnum_xor(d->var, s->var);
		x.umin = x.var.value, x.umax = x.var.value | x.var.mask;
		break;
	case 0x60: /* lsh */
		if (s_const) {
			unsigned k = (unsigned)(s->var.value & (w - 1));
			x.var = tnum_cast(tnum_lshift(d->var, k), w / 8);
			if (k == 0 || (d->umax >> (w - k)) == 0)
				x.umin = d->umin << k, x.umax = d->umax << k;
		}
		break;
	case 0x70: /* rsh */
		if (s_const) {
			unsigned k = (unsigned)(s->var.value & (w - 1));
			x.var = tnum_rshift(d->var, k);
			x.umin = d->umin >> k, x.umax = d->umax >> k;
		} else {
			x.umin = 0, x.umax = d->umax;
		}
		break;
	case 0xc0: /* arsh */
		if (s_const) {
			unsigned k = (unsigned)(s->var.value & (w - 1));
			x.var = tnum_cast(tnum_arshift(d->var, k, w), w / 8);
			x.smin = d->smin >> k, x.smax = d->smax >> k;
		}
		break;
	default:
		break;
	}
	x.umin &= m, x.umax &= m;
	if (x.umin > x.umax)
		x.umin = 0, x.umax = m;
	*d = x;
}

static int64_t sext(uint64_t v, unsigned bits)
{
	unsigned sh = 64 - bits;
	return (int64_t)(v << sh) >> sh;
}

/*
 * dst = dst OP src for two scalars. op is code & 0xf0; off selects signed
 * div/mod and the movsx width; END ops carry their width in src->var.
 */
void scalar_alu(struct vreg *dst, const struct vreg *src, unsigned op,
		bool is64, int16_t off)
{
	unsigned w = is64 ? 64 : 32;
	if (op == 0xb0) { /* mov, movsx */
		struct vreg s = *src;
		s.id = 0;
		if (off == 0) {
			*dst = s;
			if (!is64)
				reg_zext32(dst);
			return;
		}
		if (reg_is_const(&s)) {
			uint64_t v = (uint64_t)sext(s.var.value, (unsigned)off);
			reg_mark_const(dst, is64 ? v : (uint32_t)v);
			return;
		}
		uint64_t half = 1ull << (off - 1);
		reg_mark_unknown(dst);
		struct tnum low = tnum_cast(s.var, (unsigned)off / 8);
		if ((low.value | low.mask) < half) {
			/* sign bit known clear: the value is its low bits */
			dst->var = low;
		} else {
			dst->smin = -(int64_t)half, dst->smax = (int64_t)half - 1;
		}
		if (!is64)
			reg_zext32(dst);
		else
			reg_bounds_sync(dst);
		return;
	}
	if (reg_is_const(dst) && reg_is_const(src) && op != 0xd0) {
		uint64_t v = alu_eval(op, dst->var.value, src->var.value, is64,
				      off);
		reg_mark_const(dst, v);
		return;
	}
	if (op == 0xd0) { /* byte swaps: known only for constants */
		unsigned width = (unsigned)src->var.value;
		bool swap = off != 0; /* caller passes off=1 for a real swap */
		if (reg_is_const(dst)) {
			uint64_t v = dst->var.value, r = 0;
			if (swap) {
				for (unsigned i = 0; i < width / 8; i++)
					r = (r << 8) | ((v >> (8 * i)) & 0xff);
			} else {
				r = width == 64 ? v : v & ((1ull << width) - 1);
			}
			reg_mark_const(dst, r);
			return;
		}
		if (!swap) {
			dst->var = tnum_cast(dst->var, width / 8);
			dst->id = 0;
			if (width < 64) {
				uint64_t m = (1ull << width) - 1;
				dst->umin = 0, dst->umax = dst->umax < m ? dst->umax : m;
				dst->smin = 0, dst->smax = (int64_t)dst->umax;
				reg_set_subreg_unknown_bounds(dst);
			}
			reg_bounds_sync(dst);
			return;
		}
		reg_mark_unknown(dst);
		if (width < 64) {
			dst->var = TNUM(0, (1ull << width) - 1);
			reg_bounds_sync(dst);
		}
		return;
	}
	if (op == 0x80) { /* neg */
		struct vreg zero;
		reg_mark_const(&zero, 0);
		struct vreg d = *dst;
		*dst = zero;
		scalar_alu(dst, &d, 0x10, is64, 0);
		return;
	}
	struct view d = view_of(dst, w), s = view_of(src, w);
	int32_t lo32 = dst->s32min, hi32 = dst->s32max;
	view_alu(&d, &s, op, off);
	dst->id = 0;
	view_store(dst, &d);
	if (is64 && op == 0x60 && reg_is_const(src) &&
	    (src->var.value & 63) == 32) {
		/* x << 32 is the low half, read as signed, times 2^32: the
		 * sign-extension idiom (<<32 s>>32) keeps the 32-bit bounds */
		int64_t lo = (int64_t)lo32 * 4294967296ll;
		int64_t hi = (int64_t)hi32 * 4294967296ll;
		if (lo > dst->smin)
			dst->smin = lo;
		if (hi < dst->smax)
			dst->smax = hi;
	}
	if (!is64)
		reg_zext32(dst);
	else
		reg_bounds_sync(dst);
}

/* After a load of `size` bytes: the register holds an unknown value of
 * that width, sign-extended for ldxs*. */
void reg_narrow_load(struct vreg *r, unsigned size, bool sx)
{
	reg_mark_unknown(r);
	if (size >= 8)
		return;
	if (!sx) {
		r->var = TNUM(0, (1ull << (size * 8)) - 1);
	} else {
		int64_t half = (int64_t)1 << (size * 8 - 1);
		r->smin = -half, r->smax = half - 1;
	}
	reg_bounds_sync(r);
}

/* ------------------------------------------------------------------ */
/* Branch refinement.                                                  */

enum { J_EQ = 0x10, J_GT = 0x20, J_GE = 0x30, J_SET = 0x40, J_NE = 0x50,
       J_SGT = 0x60, J_SGE = 0x70, J_LT = 0xa0, J_LE = 0xb0, J_SLT = 0xc0,
       J_SLE = 0xd0, J_NSET = 0xf0 };

static bool view_refine(struct view *a, struct view *b, unsigned op)
{
	uint64_t m = wmask(a->w);
	switch (op) {
	case J_EQ:
		if (tnum_conflict(a->var, b->var))
			return false;
		a->var = b->var = tnum_intersect(a->var, b->var);
		a->umin = b->umin = umax64(a->umin, b->umin);
		a->umax = b->umax = umin64(a->umax, b->umax);
		a->smin = b->smin = smax64(a->smin, b->smin);
		a->smax = b->smax = smin64(a->smax, b->smax);
		break;
	case J_NE:
		if (tnum_is_const(a->var) && tnum_is_const(b->var))
			return a->var.value != b->var.value;
		for (int k = 0; k < 2; k++) {
			struct view *x = k ? b : a, *c = k ? a : b;
			if (!tnum_is_const(c->var))
				continue;
			uint64_t cv = c->var.value;
			int64_t cs = a->w == 64 ? (int64_t)cv : (int32_t)(uint32_t)cv;
			if (x->umin == cv) {
				if (x->umin == m) return false;
				x->umin++;
			}
			if (x->umax == cv) {
				if (x->umax == 0) return false;
				x->umax--;
			}
			if (x->smin == cs) {
				if (x->smin == wsmax(a->w)) return false;
				x->smin++;
			}
			if (x->smax == cs) {
				if (x->smax == wsmin(a->w)) return false;
				x->smax--;
			}
		}
		break;
	case J_GT:
	case J_GE: {
		uint64_t inc = op == J_GT;
		if (b->umin > m - inc || a->umax < inc)
			return false;
		a->umin = umax64(a->umin, b->umin + inc);
		b->umax = umin64(b->umax, a->umax - inc);
		break;
	}
	case J_SGT:
	case J_SGE: {
		int64_t inc = op == J_SGT;
		if (b->smin > wsmax(a->w) - inc || a->smax < wsmin(a->w) + inc)
			return false;
		a->smin = smax64(a->smin, b->smin + inc);
		b->smax = smin64(b->smax, a->smax - inc);
		break;
	}
	case J_LT: return view_refine(b, a, J_GT);
	case J_LE: return view_refine(b, a, J_GE);
	case J_SLT: return view_refine(b, a, J_SGT);
	case J_SLE: return view_refine(b, a, J_SGE);
	case J_SET:
		if (tnum_is_const(b->var)) {
			if (!((a->var.value | a->var.mask) & b->var.value))
				return false;
		} else if (tnum_is_const(a->var)) {
			if (!((b->var.value | b->var.mask) & a->var.value))
				return false;
		}
		break;
	case J_NSET:
		if (tnum_is_const(b->var)) {
			uint64_t c = b->var.value;
			if (a->var.value & c)
				return false;
			a->var.mask &= ~c;
		} else if (tnum_is_const(a->var)) {
			uint64_t c = a->var.value;
			if (b->var.value & c)
				return false;
			b->var.mask &= ~c;
		}
		break;
	default:
		break;
	}
	return a->umin <= a->umax && b->umin <= b->umax &&
	       a->smin <= a->smax && b->smin <= b->smax;
}

bool scalar_refine(struct vreg *a, struct vreg *b, unsigned op, bool is64)
{
	unsigned w = is64 ? 64 : 32;
	struct view va = view_of(a, w), vb = view_of(b, w);
	if (!view_refine(&va, &vb, op))
		return false;
	if (is64) {
		a->umin = va.umin, a->umax = va.umax, a->smin = va.smin;
		a->smax = va.smax, a->var = va.var;
		b->umin = vb.umin, b->umax = vb.umax, b->smin = vb.smin;
		b->smax = vb.smax, b->var = vb.var;
	} else {
		a->u32min = (uint32_t)va.umin, a->u32max = (uint32_t)va.umax;
		a->s32min = (int32_t)va.smin, a->s32max = (int32_t)va.smax;
		a->var = tnum_with_subreg(a->var, va.var);
		b->u32min = (uint32_t)vb.umin, b->u32max = (uint32_t)vb.umax;
		b->s32min = (int32_t)vb.smin, b->s32max = (int32_t)vb.smax;
		b->var = tnum_with_subreg(b->var, vb.var);
	}
	reg_bounds_sync(a);
	reg_bounds_sync(b);
	return !reg_bounds_empty(a) && !reg_bounds_empty(b);
}
