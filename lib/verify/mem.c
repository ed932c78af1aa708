/*
 * Memory accesses: every load, store and atomic goes through
 * check_mem_access, which knows each pointer type's bounds. The stack keeps
 * a type per byte (invalid, misc, zero, spilled register) so that fills of
 * spilled pointers give the pointer back and reads of unwritten bytes are
 * refused.
 */
#include <string.h>

#include "vpriv.h"

#define MAX_VAR_OFF (1 << 29)
#define MAX_PKT_OFF 0xffff

static struct vslot *slot_at(struct vframe *f, int32_t fpoff)
{
	uint32_t k = (uint32_t)(-fpoff - 1) / 8;
	return k < f->nslots ? &f->s[k] : NULL;
}

static uint8_t byte_type(struct vframe *f, int32_t fpoff)
{
	struct vslot *s = slot_at(f, fpoff);
	return s ? s->t[(fpoff + 8 * 64) % 8] : S_INVALID;
}

/* Turn a spilled register into plain bytes (its parts stay initialized). */
static void slot_unspill(struct vslot *s)
{
	if (!s->spill_size)
		return;
	bool zero = reg_is_const(&s->spill) && s->spill.var.value == 0;
	for (int i = s->spill_off; i < s->spill_off + s->spill_size; i++)
		s->t[i] = zero ? S_ZERO : S_MISC;
	s->spill_size = 0;
	s->spill_off = 0;
}

static enum graft_status stack_bounds(struct vctx *v, struct vstate *st,
				      uint32_t pc, int regno,
				      const struct vreg *p, int32_t off,
				      uint64_t size, int64_t *lo, int64_t *hi)
{
	if (p->smin < -MAX_VAR_OFF || p->smax > MAX_VAR_OFF)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "unbounded variable offset into the stack");
	*lo = (int64_t)p->off + off + p->smin;
	*hi = (int64_t)p->off + off + p->smax + (int64_t)size;
	if (*lo < -EBPF_STACK_SIZE || *hi > 0 || size == 0)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "invalid stack access off=%lld size=%llu "
			      "(frame is [-%d, 0))",
			      (long long)*lo, (unsigned long long)size,
			      EBPF_STACK_SIZE);
	if (!frame_grow(v, st, p->frameno, (uint32_t)((-*lo + 7) / 8)))
		return v->status;
	return GRAFT_OK;
}

/* Check that bytes [lo, hi) of a frame may be read (initialized, and no
 * part of a spilled pointer unless it is read whole). */
static enum graft_status stack_read_ok(struct vctx *v, struct vstate *st,
				       uint32_t pc, int regno,
				       struct vframe *f, int64_t lo,
				       int64_t hi)
{
	for (int64_t o = lo; o < hi; o++) {
		uint8_t t = byte_type(f, (int32_t)o);
		if (t == S_INVALID && !v->ptr_leaks_ok)
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "invalid read from stack off %lld "
				      "(uninitialized)", (long long)o);
		if (t == S_SPILL && slot_at(f, (int32_t)o)->spill.type !=
				    T_SCALAR && (hi - lo != 8 || (lo & 7)))
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "partial read of a spilled pointer at "
				      "stack off %lld", (long long)o);
	}
	return GRAFT_OK;
}

/* After a write we cannot place exactly: bytes that were initialized
 * become unknown; unwritten ones may still be unwritten. */
static void stack_clobber(struct vframe *f, int64_t lo, int64_t hi,
			  bool mark_init)
{
	for (int64_t o = lo; o < hi; o++) {
		struct vslot *s = slot_at(f, (int32_t)o);
		if (!s)
			continue;
		slot_unspill(s);
		uint8_t *t = &s->t[(o + 8 * 64) % 8];
		if (mark_init || *t != S_INVALID)
			*t = S_MISC;
	}
}

static enum graft_status stack_access(struct vctx *v, struct vstate *st,
				      uint32_t pc, int regno,
				      const struct vreg *p, int32_t off,
				      unsigned size, bool write,
				      const struct vreg *val,
				      struct vreg *out, bool sx)
{
	int64_t lo, hi;
	enum graft_status s = stack_bounds(v, st, pc, regno, p, off, size,
					   &lo, &hi);
	if (s)
		return s;
	struct vframe *f = st->f[p->frameno];
	bool fixed = tnum_is_const(p->var);
	if (write) {
		if (val && val->type != T_SCALAR && val->type != T_NOT_INIT) {
			if (size != 8 || !fixed || (lo & 7))
				return reject(v, st, pc, regno, GRAFT_EPERM,
					      "partial or unaligned spill of a "
					      "pointer at stack off %lld",
					      (long long)lo);
			if (val->type == T_STACK && val->frameno > p->frameno)
				return reject(v, st, pc, regno, GRAFT_EPERM,
					      "cannot store a pointer to frame "
					      "%u into the stack of frame %u",
					      val->frameno, p->frameno);
		}
		if (!fixed) {
			stack_clobber(f, lo, hi, false);
			return GRAFT_OK;
		}
		struct vslot *sl = slot_at(f, (int32_t)lo);
		if (size < 8 && sl->spill_size && sl->spill.type != T_SCALAR &&
		    !v->ptr_leaks_ok)
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "partial overwrite of a spilled pointer "
				      "at stack off %lld", (long long)lo);
		if (val && !(lo % size) &&
		    (size == 8 || (val->type == T_SCALAR &&
				   (reg_is_const(val) ||
				    val->umax < (1ull << (size * 8)))))) {
			/* a spill: the register comes back on a fill */
			slot_unspill(sl);
			unsigned b = (unsigned)(lo & 7);
			memset(sl->t + b, S_SPILL, size);
			sl->spill_off = (uint8_t)b;
			sl->spill_size = (uint8_t)size;
			sl->spill = *val;
			if (size < 8 && reg_is_const(val))
				reg_mark_const(&sl->spill, val->var.value &
					       ((1ull << (size * 8)) - 1));
			return GRAFT_OK;
		}
		if (sl->spill_size && sl->spill.type != T_SCALAR &&
		    !v->ptr_leaks_ok)
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "partial overwrite of a spilled pointer "
				      "at stack off %lld", (long long)lo);
		bool zero = val && reg_is_const(val) &&
			    (size == 8 ? val->var.value == 0 :
			     !(val->var.value & ((1ull << (size * 8)) - 1)));
		for (int64_t o = lo; o < hi; o++) {
			struct vslot *x = slot_at(f, (int32_t)o);
			slot_unspill(x);
			x->t[(o + 8 * 64) % 8] = zero ? S_ZERO : S_MISC;
		}
		return GRAFT_OK;
	}
	s = stack_read_ok(v, st, pc, regno, f, lo, hi);
	if (s)
		return s;
	if (!fixed) {
		reg_narrow_load(out, size, sx);
		return GRAFT_OK;
	}
	struct vslot *sl = slot_at(f, (int32_t)lo);
	unsigned b = (unsigned)(lo & 7);
	if (sl->spill_size && b == sl->spill_off && size == sl->spill_size &&
	    (!sx || size == 8)) {
		*out = sl->spill;
		return GRAFT_OK;
	}
	if (sl->spill_size && b >= sl->spill_off &&
	    b + size <= (unsigned)sl->spill_off + sl->spill_size) {
		/* part of a spilled scalar: exact when it is a constant */
		const struct vreg *sp = &sl->spill;
		unsigned rel = b - sl->spill_off;
		if (reg_is_const(sp)) {
			uint64_t x = sp->var.value >> (8 * rel);
			if (size < 8)
				x &= (1ull << (size * 8)) - 1;
			if (sx && size < 8 && (x >> (size * 8 - 1)))
				x |= ~((1ull << (size * 8)) - 1);
			reg_mark_const(out, x);
		} else if (!rel && !sx && sp->umax < (1ull << (size * 8))) {
			/* little-endian: the low bytes hold the whole value,
			 * so the fill is the spilled register itself */
			*out = *sp;
		} else {
			/* the bytes' known bits, little-endian */
			reg_narrow_load(out, size, sx);
			if (!sx && sp->type == T_SCALAR) {
				struct tnum t = tnum_rshift(sp->var, 8 * rel);
				if (size < 8)
					t = tnum_cast(t, size);
				out->var = tnum_intersect(out->var, t);
				reg_bounds_sync(out);
			}
		}
		return GRAFT_OK;
	}
	bool allzero = true;
	for (int64_t o = lo; o < hi; o++)
		if (byte_type(f, (int32_t)o) != S_ZERO)
			allzero = false;
	if (allzero)
		reg_mark_const(out, 0);
	else
		reg_narrow_load(out, size, sx);
	return GRAFT_OK;
}

/* [ptr+off, +size) inside [0, limit) for a pointer with variable offset. */
static enum graft_status region_check(struct vctx *v, struct vstate *st,
				      uint32_t pc, int regno,
				      const struct vreg *p, int32_t off,
				      uint64_t size, uint64_t limit,
				      const char *what)
{
	if (p->umax > MAX_VAR_OFF)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "%s access with an unbounded variable offset",
			      what);
	int64_t lo = (int64_t)p->off + off + (int64_t)p->umin;
	int64_t hi = (int64_t)p->off + off + (int64_t)p->umax + (int64_t)size;
	if (lo < 0 || hi > (int64_t)limit)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "invalid %s access off=%lld size=%llu "
			      "(allowed [0, %llu))", what,
			      (long long)((int64_t)p->off + off + p->smin),
			      (unsigned long long)size,
			      (unsigned long long)limit);
	return GRAFT_OK;
}

static enum graft_status pkt_check(struct vctx *v, struct vstate *st,
				   uint32_t pc, int regno,
				   const struct vreg *p, int32_t off,
				   uint64_t size)
{
	if (p->smin < 0)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "packet pointer with a possibly negative offset");
	if (p->umax > MAX_PKT_OFF || (int64_t)p->off + off < 0 ||
	    (int64_t)p->off + off + (int64_t)size > (int64_t)p->range)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "invalid access to packet, off=%d size=%llu, "
			      "R%d has %u bytes proven in range "
			      "(compare with data_end first)",
			      p->off + off, (unsigned long long)size, regno,
			      p->range);
	return GRAFT_OK;
}

/*
 * A load (write=false: *out receives the value), store (val: the stored
 * register, NULL for an immediate) or atomic of `size` bytes at ptr+off.
 * regno names the pointer's register in messages.
 */
enum graft_status check_mem_access(struct vctx *v, struct vstate *st,
				   uint32_t pc, const struct vreg *ptr,
				   int32_t off, unsigned size, bool write,
				   const struct vreg *val, struct vreg *out,
				   bool sx)
{
	const struct ebpf_insn *in = &v->insns[pc];
	int regno = write ? in->dst : in->src;
	if ((in->code & 0xe0) == EBPF_MODE_ATOMIC)
		regno = in->dst;
	bool leak = write && val && val->type != T_SCALAR &&
		    val->type != T_NOT_INIT;
	switch (ptr->type) {
	case T_STACK:
		return stack_access(v, st, pc, regno, ptr, off, size, write, val,
				    out, sx);
	case T_CTX:
		if (!tnum_is_const(ptr->var))
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "variable offset into the context");
		/* Linux as root lets a whole pointer be stored (into cb[]) */
		if (leak && (!v->ptr_leaks_ok || size != 8))
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "pointer stored into the context");
		return ctx_access(v, st, pc, ptr->off + off, size, write, out);
	case T_PKT:
	case T_PKT_META: {
		enum graft_status s = pkt_check(v, st, pc, regno, ptr, off,
						size);
		if (s)
			return s;
		if (write && !v->ctx_has_pkt)
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "this program type may not write the "
				      "packet");
		if (leak && !v->ptr_leaks_ok)
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "pointer leaked into the packet");
		if (!write)
			reg_narrow_load(out, size, sx);
		return GRAFT_OK;
	}
	case T_MAP_VALUE:
	case T_MEM: {
		uint64_t lim = ptr->type == T_MEM ? ptr->range :
			       v->o->maps[ptr->map].value_size;
		enum graft_status s = region_check(
			v, st, pc, regno, ptr, off, size, lim,
			ptr->type == T_MEM ? "memory" : "map value");
		if (s)
			return s;
		uint32_t mf = ptr->type == T_MAP_VALUE ?
				      v->o->maps[ptr->map].flags : 0;
		if (write && (mf & VERIFY_MAP_F_RDONLY_PROG))
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "write into a read-only map value");
		if (!write && (mf & VERIFY_MAP_F_WRONLY_PROG))
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "read from a write-only map value");
		if (leak && !v->ptr_leaks_ok)
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "pointer leaked into %s",
				      ptr->type == T_MEM ? "helper memory" :
							   "a map value");
		if (!write)
			reg_narrow_load(out, size, sx);
		return GRAFT_OK;
	}
	case T_KOBJ:
		if (!tnum_is_const(ptr->var))
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "variable offset into %s",
				      kobj_name(ptr->map));
		return kobj_access(v, st, pc, regno, ptr->map, ptr->off + off,
				   size, write, out);
	case T_MAP_VALUE_OR_NULL:
	case T_MEM_OR_NULL:
	case T_KOBJ_OR_NULL:
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "possible NULL pointer dereference of R%d "
			      "(check the helper's result against 0 first)",
			      regno);
	case T_NOT_INIT:
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "R%d is not initialized", regno);
	case T_SCALAR:
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "invalid memory access: R%d is a scalar, not a "
			      "pointer", regno);
	default:
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "R%d of this type cannot be dereferenced", regno);
	}
}

/*
 * Memory passed to a helper: `size` bytes (umax of the size register) at
 * the pointer in regno; write: the helper fills it (uninitialized stack is
 * fine and becomes initialized).
 */
enum graft_status check_helper_mem(struct vctx *v, struct vstate *st,
				   uint32_t pc, int regno, uint64_t size,
				   bool write);
enum graft_status check_helper_mem(struct vctx *v, struct vstate *st,
				   uint32_t pc, int regno, uint64_t size,
				   bool write)
{
	struct vreg *p = &cur_frame(st)->r[regno];
	if (size == 0 && p->type != T_SCALAR)
		return GRAFT_OK; /* nothing is touched, but it must be memory */
	switch (p->type) {
	case T_STACK: {
		int64_t lo, hi;
		enum graft_status s = stack_bounds(v, st, pc, regno, p, 0, size,
						   &lo, &hi);
		if (s)
			return s;
		p = &cur_frame(st)->r[regno];
		struct vframe *f = st->f[p->frameno];
		if (write) {
			stack_clobber(f, lo, hi, tnum_is_const(p->var));
			return GRAFT_OK;
		}
		return stack_read_ok(v, st, pc, regno, f, lo, hi);
	}
	case T_PKT:
	case T_PKT_META:
		return pkt_check(v, st, pc, regno, p, 0, size);
	case T_MAP_VALUE: {
		uint32_t mf = v->o->maps[p->map].flags;
		if (write && (mf & VERIFY_MAP_F_RDONLY_PROG))
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "helper write into a read-only map value");
		if (!write && (mf & VERIFY_MAP_F_WRONLY_PROG))
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "helper read from a write-only map value");
		return region_check(v, st, pc, regno, p, 0, size,
				    v->o->maps[p->map].value_size, "map value");
	}
	case T_MEM:
		return region_check(v, st, pc, regno, p, 0, size, p->range,
				    "memory");
	case T_CTX:
		if (write)
			break;
		return ctx_access(v, st, pc, p->off, (unsigned)(size > 8 ? 0 :
			size), false, NULL);
	default:
		break;
	}
	return reject(v, st, pc, regno, GRAFT_EPERM,
		      "R%d must point to memory of %llu bytes for this helper",
		      regno, (unsigned long long)size);
}
