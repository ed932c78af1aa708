/*
 * lib/verify — graft's static verifier.
 *
 * CONTRACT
 *
 * What an accepted program is proven to do, for every input the program
 * type allows (any context contents, any packet, any map contents, any
 * helper result within the helper's declared return type):
 *  - Every load, store and atomic stays inside a region it may touch: its
 *    own stack frame (or a caller's, through a pointer passed down), the
 *    context fields the program type exposes (writes only to writable
 *    fields), the packet bytes proven below data_end by a comparison, a
 *    map value of the map's value_size, or memory a helper returned, with
 *    its size. NULL results of map lookups and ringbuf reservations are
 *    checked before use.
 *  - No register or stack byte is read before it is written.
 *  - Pointers are used only as their helpers require (argument types),
 *    are never the operand of arithmetic other than +/- scalar and a
 *    same-region difference, and never leak: no pointer is stored into a
 *    map value, the packet, helper memory or the context, returned in r0
 *    (every program type returns a scalar), or moved to 32 bits.
 *  - Termination: every path reaches exit within max_insns_processed
 *    symbolically executed instructions. Loops are unrolled by the
 *    exploration; a path that reaches a state identical to one on its own
 *    loop is rejected as an infinite loop; a path is cut only against a
 *    state whose every continuation was already proven to terminate
 *    (state pruning by subsumption). bpf-to-bpf calls are not recursive
 *    and at most EBPF_MAX_FRAMES deep.
 *  - Ringbuf records that are reserved are submitted or discarded on
 *    every path.
 *  - Where a type has a return range (the cgroup types: 0..1 or the
 *    attach type's range in opts), R0 at exit is a scalar inside it.
 *
 * What it assumes:
 *  - The runtime provides the context layout of verify.h for the program
 *    type, with data <= data_end, and passes the map sizes given in opts.
 *  - Helpers behave as their prototypes in helpers.c say (they touch only
 *    the memory their arguments describe and return values of the stated
 *    type); a tail call runs a program that was verified for the same
 *    program type; packet-changing helpers invalidate packet pointers.
 *  - Division by zero and shifts follow include/graft/ebpf.h (no trap).
 *
 * What it does not check:
 *  - Unreachable instructions (they are never run), the helper's own
 *    results (e.g. whether a probe_read of another address succeeds),
 *    timing, and the total time of chains of tail calls (each program is
 *    bounded on its own; the runtime bounds the chain length).
 *  - kfuncs, BTF-typed pointers, spin locks, dynptrs, iterators,
 *    callbacks (bpf_loop), socket references (sk_lookup, sockmap lookups)
 *    and map-in-map: programs using them are refused with ENOTSUP.
 *  - For the Linux-compatible types (verify.h), what Linux checks and
 *    graft cannot run: their contexts and sockets (kobj.c) follow the
 *    kernel's access rules as facts, and their helpers the kernel's
 *    prototypes; the soundness alarm runs only what graft's runtime can.
 */
#include <string.h>

#include "vpriv.h"

enum graft_status do_alu(struct vctx *v, struct vstate *st, uint32_t pc);
enum graft_status check_helper_mem(struct vctx *v, struct vstate *st,
				   uint32_t pc, int regno, uint64_t size,
				   bool write);
void vdisasm(const struct ebpf_insn *insns, size_t n, size_t pc, char *buf,
	     size_t len);
bool prog_ctx_none(enum verify_prog_type t);
bool prog_has_pkt(enum verify_prog_type t);
bool prog_ptr_leaks_ok(enum verify_prog_type t);
void relevance_compute(struct vctx *v);

enum { J_NSET = 0xf0 };

/* ------------------------------------------------------------------ */
/* Structure: decode every slot, mark prune points.                    */

static enum graft_status check_structure(struct vctx *v)
{
	for (size_t pc = 0; pc < v->n; pc++) {
		const struct ebpf_insn *in = &v->insns[pc];
		enum ebpf_op op = ebpf_decode(in);
		if (in->code == 0x85 && in->src == EBPF_CALL_KFUNC)
			return reject(v, NULL, (uint32_t)pc, -1, GRAFT_ENOTSUP,
				      "kfunc calls are not modeled");
		if (op == EBPF_OP_COUNT)
			return reject(v, NULL, (uint32_t)pc, -1, GRAFT_EINVAL,
				      "unknown opcode %#04x", in->code);
		{
			unsigned f = ebpf_opinfo[op].fmt;
			bool uses_dst = f != EBPF_FMT_CALL &&
					f != EBPF_FMT_CALL_LOCAL &&
					f != EBPF_FMT_JA && f != EBPF_FMT_JA32 &&
					f != EBPF_FMT_EXIT && f != EBPF_FMT_LD_ABS &&
					f != EBPF_FMT_LD_IND;
			bool uses_src = f == EBPF_FMT_ALU_REG ||
					f == EBPF_FMT_JCOND_REG ||
					f == EBPF_FMT_LDX || f == EBPF_FMT_STX ||
					f == EBPF_FMT_ATOMIC || f == EBPF_FMT_LD_IND;
			if ((uses_dst && in->dst > 10) || (uses_src && in->src > 10))
				return reject(v, NULL, (uint32_t)pc, -1,
					      GRAFT_EINVAL, "invalid register r%u",
					      uses_dst && in->dst > 10 ? in->dst :
					      in->src);
		}
		unsigned fmt = ebpf_opinfo[op].fmt;
		int64_t tgt = INT64_MIN; /* none */
		switch (fmt) {
		case EBPF_FMT_LDDW:
			if (pc + 1 >= v->n || v->insns[pc + 1].code)
				return reject(v, NULL, (uint32_t)pc, -1,
					      GRAFT_EINVAL, "incomplete lddw");
			pc++;
			v->prune[pc] = 2; /* second slot: not a target */
			continue;
		case EBPF_FMT_JA:
			tgt = (int64_t)pc + 1 + in->off;
			break;
		case EBPF_FMT_JA32:
			tgt = (int64_t)pc + 1 + in->imm;
			break;
		case EBPF_FMT_JCOND_IMM:
		case EBPF_FMT_JCOND_REG:
			tgt = (int64_t)pc + 1 + in->off;
			if (pc + 1 < v->n)
				v->prune[pc + 1] |= 1;
			break;
		case EBPF_FMT_CALL_LOCAL:
			tgt = (int64_t)pc + 1 + in->imm;
			if (tgt >= 0 && (size_t)tgt < v->n)
				v->subprog_start[tgt] = 1;
			if (pc + 1 < v->n)
				v->prune[pc + 1] |= 1;
			break;
		default:
			break;
		}
		if (fmt == EBPF_FMT_CALL && in->src == EBPF_CALL_KFUNC)
			return reject(v, NULL, (uint32_t)pc, -1, GRAFT_ENOTSUP,
				      "kfunc calls are not modeled");
		if (tgt == INT64_MIN)
			continue;
		if (tgt < 0 || (size_t)tgt >= v->n)
			return reject(v, NULL, (uint32_t)pc, -1, GRAFT_EINVAL,
				      "jump out of range to %lld",
				      (long long)tgt);
		v->prune[tgt] |= 1;
	}
	for (size_t pc = 0; pc < v->n; pc++) {
		const struct ebpf_insn *in = &v->insns[pc];
		enum ebpf_op op = ebpf_decode(in);
		if (op == EBPF_OP_COUNT || v->prune[pc] == 2)
			continue;
		unsigned fmt = ebpf_opinfo[op].fmt;
		int64_t tgt = -1;
		if (fmt == EBPF_FMT_JA || fmt == EBPF_FMT_JCOND_IMM ||
		    fmt == EBPF_FMT_JCOND_REG)
			tgt = (int64_t)pc + 1 + in->off;
		else if (fmt == EBPF_FMT_JA32 || fmt == EBPF_FMT_CALL_LOCAL)
			tgt = (int64_t)pc + 1 + in->imm;
		if (tgt >= 0 && v->prune[tgt] & 2)
			return reject(v, NULL, (uint32_t)pc, -1, GRAFT_EINVAL,
				      "jump into the middle of lddw at %lld",
				      (long long)tgt);
	}
	return GRAFT_OK;
}

/* ------------------------------------------------------------------ */
/* Branches.                                                           */

static void for_each_reg(struct vstate *st,
			 void (*fn)(struct vreg *, const void *),
			 const void *arg)
{
	for (uint32_t fi = 0; fi < st->nframes; fi++) {
		struct vframe *f = st->f[fi];
		for (int r = 0; r < EBPF_NREGS; r++)
			fn(&f->r[r], arg);
		for (uint32_t k = 0; k < f->nslots; k++)
			if (f->s[k].spill_size)
				fn(&f->s[k].spill, arg);
	}
}

static void copy_linked(struct vreg *r, const void *arg)
{
	const struct vreg *src = arg;
	if (r->type == T_SCALAR && src->id && r->id == src->id)
		*r = *src;
}

static void set_pkt_range(struct vreg *r, const void *arg)
{
	const struct vreg *p = arg;
	if (r->type == p->type && r->id == p->id &&
	    r->range < (uint32_t)p->off)
		r->range = (uint32_t)p->off;
}

/* After a null check: the pointers sharing id become NULL or non-NULL. */
struct nullmark {
	uint32_t id;
	bool is_null;
};

static void mark_null(struct vreg *r, const void *arg)
{
	const struct nullmark *m = arg;
	if (r->id != m->id || (r->type != T_MAP_VALUE_OR_NULL &&
			       r->type != T_MEM_OR_NULL &&
			       r->type != T_KOBJ_OR_NULL))
		return;
	if (m->is_null) {
		reg_mark_const(r, 0);
	} else if (r->type == T_MAP_VALUE_OR_NULL) {
		r->type = T_MAP_VALUE;
		r->id = 0;
	} else if (r->type == T_KOBJ_OR_NULL) {
		r->type = T_KOBJ;
		r->id = 0;
	} else {
		r->type = T_MEM;
	}
}

static void apply_null(struct vstate *st, uint32_t id, bool is_null)
{
	struct nullmark m = { id, is_null };
	for_each_reg(st, mark_null, &m);
	if (is_null)
		for (uint32_t i = 0; i < st->nrefs; i++)
			if (st->refs[i] == id) {
				st->refs[i] = st->refs[--st->nrefs];
				break;
			}
}

static unsigned negate(unsigned op)
{
	switch (op) {
	case 0x10: return 0x50;
	case 0x50: return 0x10;
	case 0x20: return 0xb0;
	case 0xb0: return 0x20;
	case 0x30: return 0xa0;
	case 0xa0: return 0x30;
	case 0x60: return 0xd0;
	case 0xd0: return 0x60;
	case 0x70: return 0xc0;
	case 0xc0: return 0x70;
	case 0x40: return J_NSET;
	default: return 0x40;
	}
}

/* Swap operands: a OP b  ==  b SWAP(OP) a. */
static unsigned swap_op(unsigned op)
{
	switch (op) {
	case 0x20: return 0xa0;
	case 0xa0: return 0x20;
	case 0x30: return 0xb0;
	case 0xb0: return 0x30;
	case 0x60: return 0xc0;
	case 0xc0: return 0x60;
	case 0x70: return 0xd0;
	case 0xd0: return 0x70;
	default: return op;
	}
}

static bool is_ptr(const struct vreg *r)
{
	return r->type != T_SCALAR && r->type != T_NOT_INIT;
}

static bool may_be_null(const struct vreg *r)
{
	return r->type == T_MAP_VALUE_OR_NULL || r->type == T_MEM_OR_NULL ||
	       r->type == T_KOBJ_OR_NULL;
}

/*
 * Refine st for the outcome where `dst OP src` holds (op possibly negated).
 * Returns false when that outcome cannot happen.
 */
static bool refine_branch(struct vstate *st,
			  const struct ebpf_insn *in, unsigned op, bool is64)
{
	struct vframe *f = cur_frame(st);
	bool use_reg = in->code & EBPF_SRC_X;
	struct vreg *a = &f->r[in->dst], bk, *b;
	if (use_reg) {
		b = &f->r[in->src];
	} else {
		reg_mark_const(&bk, is64 ? (uint64_t)(int64_t)in->imm :
					   (uint32_t)in->imm);
		b = &bk;
	}
	if (a->type == T_SCALAR && b->type == T_SCALAR) {
		if (use_reg && in->src == in->dst) {
			struct vreg x = *a, y = *b;
			return scalar_refine(&x, &y, op, is64);
		}
		if (!scalar_refine(a, b, op, is64))
			return false;
		struct vreg ca = *a, cb = *b;
		if (ca.id)
			for_each_reg(st, copy_linked, &ca);
		if (use_reg && cb.id)
			for_each_reg(st, copy_linked, &cb);
		return true;
	}
	/* a pointer against the constant 0 */
	struct vreg *p = is_ptr(a) ? a : b, *o = is_ptr(a) ? b : a;
	if (is_ptr(p) && !is_ptr(o) && reg_is_const(o) && !o->var.value &&
	    (op == 0x10 || op == 0x50) && is64) {
		bool eq = op == 0x10;
		if (p->type == T_MAP_VALUE_OR_NULL || p->type == T_MEM_OR_NULL ||
		    p->type == T_KOBJ_OR_NULL) {
			apply_null(st, p->id, eq);
			return true;
		}
		return !eq; /* a valid pointer is never NULL */
	}
	/* a pointer that may be NULL equal to one that is not: not NULL */
	if (use_reg && is64 && op == 0x10 && is_ptr(a) && is_ptr(b)) {
		struct vreg *mn = may_be_null(a) ? a : may_be_null(b) ? b : NULL;
		const struct vreg *nn = mn == a ? b : a;
		if (mn && mn->id && !may_be_null(nn))
			apply_null(st, mn->id, false);
		return true;
	}
	/* packet pointer against the end (or meta against data) */
	if (is64 && is_ptr(a) && is_ptr(b)) {
		struct vreg *pk = NULL;
		unsigned o2 = op;
		if ((a->type == T_PKT && b->type == T_PKT_END) ||
		    (a->type == T_PKT_META && b->type == T_PKT)) {
			pk = a;
		} else if ((b->type == T_PKT && a->type == T_PKT_END) ||
			   (b->type == T_PKT_META && a->type == T_PKT)) {
			pk = b;
			o2 = swap_op(op);
		}
		/* pk <= end: the bytes below pk are in the packet; pk < end:
		 * the byte at pk too. The end must be data_end itself (or
		 * data itself for meta). */
		const struct vreg *end = pk == a ? b : a;
		if (pk && (o2 == 0xa0 || o2 == 0xb0) && pk->off >= 0 &&
		    pk->off <= 0xffff && pk->umax <= 0xffff && end->off == 0 &&
		    tnum_is_const(end->var) && end->var.value == 0) {
			struct vreg p2 = *pk;
			if (o2 == 0xa0)
				p2.off++;
			for_each_reg(st, set_pkt_range, &p2);
		}
	}
	return true;
}

static enum graft_status push_branch(struct vctx *v, struct vstate *st,
				     uint32_t pc)
{
	if (v->nstack == v->capstack) {
		uint32_t cap = v->capstack ? v->capstack * 2 : 64;
		struct vstate **ns = v->o->alloc.alloc(v->o->alloc.ud,
						       cap * sizeof *ns);
		if (!ns)
			return v->status = GRAFT_ENOMEM;
		if (v->stack) {
			memcpy(ns, v->stack, v->nstack * sizeof *ns);
			v->o->alloc.free(v->o->alloc.ud, v->stack);
		}
		v->stack = ns, v->capstack = cap;
	}
	struct vstate *c = state_copy(v, st);
	if (!c)
		return v->status;
	c->pc = pc;
	if (c->parent)
		c->parent->branches++;
	v->stack[v->nstack++] = c;
	return GRAFT_OK;
}

/* Returns GRAFT_OK with *next set: the pc to continue at, or -1 when
 * the path ends here (both outcomes impossible cannot happen). */
static enum graft_status do_jcond(struct vctx *v, struct vstate *st,
				  uint32_t pc, int64_t *next)
{
	const struct ebpf_insn *in = &v->insns[pc];
	struct vframe *f = cur_frame(st);
	bool is64 = EBPF_CLASS(in->code) == EBPF_CLS_JMP;
	unsigned op = in->code & 0xf0;
	if (f->r[in->dst].type == T_NOT_INIT)
		return reject(v, st, pc, in->dst, GRAFT_EPERM,
			      "R%d !read_ok (not initialized)", in->dst);
	if ((in->code & EBPF_SRC_X) && f->r[in->src].type == T_NOT_INIT)
		return reject(v, st, pc, in->src, GRAFT_EPERM,
			      "R%d !read_ok (not initialized)", in->src);
	struct vstate *taken = state_copy(v, st);
	if (!taken)
		return v->status;
	bool t_ok = refine_branch(taken, in, op, is64);
	bool f_ok = refine_branch(st, in, negate(op), is64);
	uint32_t tpc = (uint32_t)((int64_t)pc + 1 + in->off);
	enum graft_status s = GRAFT_OK;
	if (t_ok && f_ok) {
		taken->pc = tpc;
		s = push_branch(v, taken, tpc);
		*next = pc + 1;
	} else if (t_ok) {
		/* only the jump: continue in the refined copy */
		for (uint32_t i = 0; i < st->nframes; i++) {
			struct vframe *tmp = st->f[i];
			st->f[i] = taken->f[i];
			taken->f[i] = tmp;
		}
		st->nrefs = taken->nrefs;
		memcpy(st->refs, taken->refs, sizeof st->refs);
		*next = tpc;
	} else if (f_ok) {
		*next = pc + 1;
	} else {
		*next = -1;
	}
	state_free(v, taken);
	return s;
}

/* ------------------------------------------------------------------ */
/* Loads and stores.                                                   */

static enum graft_status do_mem(struct vctx *v, struct vstate *st,
				uint32_t pc)
{
	const struct ebpf_insn *in = &v->insns[pc];
	struct vframe *f = cur_frame(st);
	static const unsigned sizes[4] = { 4, 2, 1, 8 };
	unsigned size = sizes[(in->code >> 3) & 3];
	unsigned cls = EBPF_CLASS(in->code), mode = in->code & 0xe0;
	if (cls == EBPF_CLS_LDX) {
		struct vreg p = f->r[in->src], out;
		if (p.type == T_NOT_INIT)
			return reject(v, st, pc, in->src, GRAFT_EPERM,
				      "R%d !read_ok (not initialized)", in->src);
		reg_mark_unknown(&out);
		enum graft_status s = check_mem_access(
			v, st, pc, &p, in->off, size, false, NULL, &out,
			mode == EBPF_MODE_MEMSX);
		if (s)
			return s;
		cur_frame(st)->r[in->dst] = out;
		return GRAFT_OK;
	}
	struct vreg p = f->r[in->dst], val;
	if (p.type == T_NOT_INIT)
		return reject(v, st, pc, in->dst, GRAFT_EPERM,
			      "R%d !read_ok (not initialized)", in->dst);
	if (cls == EBPF_CLS_ST) {
		reg_mark_const(&val, (uint64_t)(int64_t)in->imm);
		return check_mem_access(v, st, pc, &p, in->off, size, true,
					&val, NULL, false);
	}
	val = f->r[in->src];
	if (val.type == T_NOT_INIT)
		return reject(v, st, pc, in->src, GRAFT_EPERM,
			      "R%d !read_ok (not initialized)", in->src);
	if (mode != EBPF_MODE_ATOMIC && p.type == T_STACK &&
	    val.type == T_SCALAR && !tnum_is_const(val.var)) {
		/* a spill links the register and its stack copy, so a check
		 * on either (after a fill) refines both */
		if (!f->r[in->src].id)
			f->r[in->src].id = ++v->next_id;
		val.id = f->r[in->src].id;
	}
	if (mode != EBPF_MODE_ATOMIC)
		return check_mem_access(v, st, pc, &p, in->off, size, true, &val,
					NULL, false);
	/* atomics: read and write the location; only scalars go in */
	if (size != 4 && size != 8)
		return reject(v, st, pc, in->dst, GRAFT_EINVAL,
			      "atomic of invalid size");
	if (val.type != T_SCALAR && !v->ptr_leaks_ok)
		return reject(v, st, pc, in->src, GRAFT_EPERM,
			      "R%d leaks a pointer into memory (atomic)",
			      in->src);
	if (val.type != T_SCALAR) /* Linux as root: the address's bits */
		reg_mark_unknown(&val);
	if (p.type != T_STACK && p.type != T_MAP_VALUE && p.type != T_MEM)
		return reject(v, st, pc, in->dst, GRAFT_EPERM,
			      "atomic operation on this pointer type is not "
			      "allowed");
	bool cmpxchg = in->imm == EBPF_ATOMIC_CMPXCHG;
	if (cmpxchg && f->r[0].type != T_SCALAR)
		return reject(v, st, pc, 0, GRAFT_EPERM,
			      "R0 must be an initialized scalar for cmpxchg");
	struct vreg old;
	reg_mark_unknown(&old);
	enum graft_status s = check_mem_access(v, st, pc, &p, in->off, size,
					       false, NULL, &old, false);
	if (s)
		return s;
	struct vreg unk;
	reg_narrow_load(&unk, size, false);
	s = check_mem_access(v, st, pc, &p, in->off, size, true, &unk, NULL,
			     false);
	if (s)
		return s;
	f = cur_frame(st);
	if (old.type != T_SCALAR)
		reg_narrow_load(&old, size, false);
	if (size == 4)
		reg_narrow_load(&old, 4, false);
	if (cmpxchg)
		f->r[0] = old;
	else if (in->imm & EBPF_ATOMIC_FETCH)
		f->r[in->src] = old;
	return GRAFT_OK;
}

static enum graft_status do_lddw(struct vctx *v, struct vstate *st,
				 uint32_t pc)
{
	const struct ebpf_insn *in = &v->insns[pc];
	struct vreg *d = &cur_frame(st)->r[in->dst];
	uint64_t imm = (uint32_t)in->imm |
		       ((uint64_t)(uint32_t)v->insns[pc + 1].imm << 32);
	switch (in->src) {
	case 0:
		reg_mark_const(d, imm);
		return GRAFT_OK;
	case EBPF_PSEUDO_MAP_FD:
	case EBPF_PSEUDO_MAP_IDX:
	case EBPF_PSEUDO_MAP_VALUE:
	case EBPF_PSEUDO_MAP_IDX_VALUE:
		if ((uint32_t)in->imm >= v->o->nmaps)
			return reject(v, st, pc, -1, GRAFT_EINVAL,
				      "lddw refers to map %u, there are %zu",
				      (uint32_t)in->imm, v->o->nmaps);
		memset(d, 0, sizeof *d);
		d->map = (uint16_t)in->imm;
		d->var = tnum_const(0);
		if (in->src == EBPF_PSEUDO_MAP_FD ||
		    in->src == EBPF_PSEUDO_MAP_IDX) {
			d->type = T_MAP_PTR;
		} else {
			d->type = T_MAP_VALUE;
			d->off = v->insns[pc + 1].imm;
		}
		return GRAFT_OK;
	default:
		return reject(v, st, pc, -1, GRAFT_ENOTSUP,
			      "lddw of pseudo kind %u is not modeled", in->src);
	}
}

/* ------------------------------------------------------------------ */
/* Calls and exit.                                                     */

static enum graft_status do_call_local(struct vctx *v, struct vstate *st,
				       uint32_t pc, uint32_t target)
{
	if (st->nframes >= EBPF_MAX_FRAMES)
		return reject(v, st, pc, -1, GRAFT_EPERM,
			      "call depth limit of %d exceeded",
			      EBPF_MAX_FRAMES);
	for (uint32_t i = 1; i < st->nframes; i++)
		if ((uint32_t)((int64_t)st->f[i]->callsite + 1 +
			       v->insns[st->f[i]->callsite].imm) == target)
			return reject(v, st, pc, -1, GRAFT_EPERM,
				      "recursive call to pc %u", target);
	struct vframe *nf = frame_new(v, pc);
	if (!nf)
		return v->status;
	struct vframe *f = cur_frame(st);
	for (int r = 1; r <= 5; r++)
		nf->r[r] = f->r[r];
	nf->r[10].type = T_STACK;
	nf->r[10].var = tnum_const(0);
	nf->r[10].frameno = (uint8_t)st->nframes;
	st->f[st->nframes++] = nf;
	if (st->nframes - 1 > v->res->max_depth)
		v->res->max_depth = st->nframes - 1;
	return GRAFT_OK;
}

/* Returns the pc to go on at, or -1 when the program ends here. */
static enum graft_status do_exit(struct vctx *v, struct vstate *st,
				 uint32_t pc, int64_t *next)
{
	struct vframe *f = cur_frame(st);
	struct vreg r0 = f->r[0];
	/* a subprogram may return nothing: the caller's R0 is then
	 * uninitialized, and reading it is refused there */
	if (r0.type == T_NOT_INIT && st->nframes == 1)
		return reject(v, st, pc, 0, GRAFT_EPERM,
			      "R0 !read_ok: exit with an uninitialized return "
			      "value");
	if (st->nframes > 1) {
		uint32_t me = st->nframes - 1;
		if (r0.type == T_STACK && r0.frameno == me)
			return reject(v, st, pc, 0, GRAFT_EPERM,
				      "returning a pointer to the callee's own "
				      "stack");
		uint32_t callsite = f->callsite;
		v->o->alloc.free(v->o->alloc.ud, f);
		st->f[me] = NULL;
		st->nframes--;
		f = cur_frame(st);
		f->r[0] = r0;
		for (int r = 1; r <= 5; r++)
			memset(&f->r[r], 0, sizeof f->r[r]);
		*next = callsite + 1;
		return GRAFT_OK;
	}
	if (st->nrefs)
		return reject(v, st, pc, -1, GRAFT_EPERM,
			      "unreleased reference: %u ringbuf record(s) "
			      "reserved and neither submitted nor discarded",
			      st->nrefs);
	int64_t lo, hi;
	if (prog_ret_range(v->o, &lo, &hi)) {
		if (r0.type != T_SCALAR)
			return reject(v, st, pc, 0, GRAFT_EPERM,
				      "R0 is not a known value at exit (a "
				      "pointer where [%lld, %lld] is required)",
				      (long long)lo, (long long)hi);
		if (r0.smin < lo || r0.smax > hi)
			return reject(v, st, pc, 0, GRAFT_EPERM,
				      "R0 smin=%lld smax=%lld at exit should "
				      "have been in [%lld, %lld]",
				      (long long)r0.smin, (long long)r0.smax,
				      (long long)lo, (long long)hi);
	} else if (r0.type != T_SCALAR && !v->ptr_leaks_ok) {
		return reject(v, st, pc, 0, GRAFT_EPERM,
			      "R0 must be a scalar (pointers must not leak "
			      "out of the program)");
	}
	*next = -1;
	return GRAFT_OK;
}

/* ------------------------------------------------------------------ */
/* The exploration.                                                    */

static void path_done(struct vstate *parent)
{
	while (parent) {
		if (--parent->branches)
			break;
		parent = parent->parent;
	}
}

/* At a prune point: returns 1 to cut the path, 0 to go on. */
static int prune_or_record(struct vctx *v, struct vstate *st, uint32_t pc)
{
	/* The newest states first, and only a window of them: in a DFS the
	 * state that subsumes a path is almost always a recent one, and the
	 * window keeps long loops linear. */
	int window = 64;
	for (struct vstate *old = v->explored[pc]; old && window--;
	     old = old->next) {
		if (old->branches) {
			/* old is on the way here: a loop back edge */
			if (state_subsumes(old, st, true, NULL) &&
			    state_subsumes(st, old, true, NULL)) {
				reject(v, st, pc, -1, GRAFT_EPERM,
				       "infinite loop detected: the state at "
				       "pc %u repeats", pc);
				return -1;
			}
			continue;
		}
		if (state_subsumes(old, st, false, v->relevant)) {
			v->res->pruned++;
			return 1;
		}
	}
	/* Past the state limit a path goes on unrecorded (still bounded by
	 * max_insns_processed). */
	if (v->nstates >= (v->o->max_states ? v->o->max_states : 32768))
		return 0;
	v->nexplored[pc]++;
	struct vstate *rec = state_copy(v, st);
	if (!rec)
		return -1;
	rec->pc = pc;
	rec->branches = 1;
	rec->parent = st->parent;
	rec->next = v->explored[pc];
	v->explored[pc] = rec;
	st->parent = rec;
	v->nstates++;
	v->res->states = v->nstates;
	return 0;
}

static void trace_insn(struct vctx *v, struct vstate *st, uint32_t pc)
{
	char ins[96], regs[1024];
	vdisasm(v->insns, v->n, pc, ins, sizeof ins);
	state_format(st, regs, sizeof regs);
	vlog(v, "%u: %-32s ; %s", pc, ins, regs);
}

static enum graft_status explore(struct vctx *v, struct vstate *st)
{
	uint64_t limit = v->o->max_insns_processed ?
				 v->o->max_insns_processed : 1000000;
	for (;;) {
		v->cur = st;
		uint32_t pc = st->pc;
		int64_t next = (int64_t)pc + 1;
		enum graft_status s = GRAFT_OK;
		if (pc >= v->n)
			return reject(v, st, pc, -1, GRAFT_EINVAL,
				      "execution falls off the end of the "
				      "program");
		if (++v->res->insns_processed > limit)
			return reject(v, st, pc, -1, GRAFT_EPERM,
				      "program too complex: %llu instructions "
				      "explored without proving termination "
				      "(loop bound unknown?)",
				      (unsigned long long)limit);
		if (v->prune[pc] & 1) {
			int r = prune_or_record(v, st, pc);
			if (r < 0)
				return v->status;
			if (r > 0) {
				next = -1;
				goto path_end;
			}
		}
		if (v->o->trace)
			trace_insn(v, st, pc);
		const struct ebpf_insn *in = &v->insns[pc];
		enum ebpf_op op = ebpf_decode(in);
		const struct ebpf_opinfo *e = &ebpf_opinfo[op];
		struct vframe *f = cur_frame(st);
		switch (e->fmt) {
		case EBPF_FMT_ALU_REG:
		case EBPF_FMT_ALU_IMM:
		case EBPF_FMT_NEG:
		case EBPF_FMT_END:
			if (in->dst == 10)
				s = reject(v, st, pc, 10, GRAFT_EPERM,
					   "frame pointer r10 is read-only");
			else
				s = do_alu(v, st, pc);
			break;
		case EBPF_FMT_JA:
			next = (int64_t)pc + 1 + in->off;
			break;
		case EBPF_FMT_JA32:
			next = (int64_t)pc + 1 + in->imm;
			break;
		case EBPF_FMT_JCOND_IMM:
		case EBPF_FMT_JCOND_REG:
			s = do_jcond(v, st, pc, &next);
			break;
		case EBPF_FMT_CALL:
			s = check_helper_call(v, st, pc, in->imm);
			break;
		case EBPF_FMT_CALLX:
			if (!reg_is_const(&f->r[in->dst]))
				s = reject(v, st, pc, in->dst, GRAFT_ENOTSUP,
					   "callx with a register that is not a "
					   "known helper ID");
			else
				s = check_helper_call(
					v, st, pc, (int32_t)f->r[in->dst].var.value);
			break;
		case EBPF_FMT_CALL_LOCAL:
			next = (int64_t)pc + 1 + in->imm;
			s = do_call_local(v, st, pc, (uint32_t)next);
			break;
		case EBPF_FMT_EXIT:
			s = do_exit(v, st, pc, &next);
			break;
		case EBPF_FMT_LDDW:
			if (in->dst == 10)
				s = reject(v, st, pc, 10, GRAFT_EPERM,
					   "frame pointer r10 is read-only");
			else
				s = do_lddw(v, st, pc);
			next = pc + 2;
			break;
		case EBPF_FMT_LD_ABS:
		case EBPF_FMT_LD_IND:
			if (v->o->type != VERIFY_PROG_SKB &&
			    v->o->type != VERIFY_PROG_SOCKET) {
				s = reject(v, st, pc, -1, GRAFT_EPERM,
					   "legacy packet loads are not allowed "
					   "in %s programs",
					   verify_prog_type_name(v->o->type));
				break;
			}
			if (f->r[6].type != T_CTX) {
				s = reject(v, st, pc, 6, GRAFT_EPERM,
					   "legacy packet loads need the "
					   "context in R6");
				break;
			}
			if (e->fmt == EBPF_FMT_LD_IND &&
			    f->r[in->src].type != T_SCALAR) {
				s = reject(v, st, pc, in->src, GRAFT_EPERM,
					   "R%d must be an initialized scalar",
					   in->src);
				break;
			}
			for (int r = 1; r <= 5; r++)
				memset(&f->r[r], 0, sizeof f->r[r]);
			reg_narrow_load(&f->r[0],
					(in->code & 0x18) == EBPF_SZ_W ? 4 :
					(in->code & 0x18) == EBPF_SZ_H ? 2 : 1,
					false);
			break;
		case EBPF_FMT_LDX:
			if (in->dst == 10) {
				s = reject(v, st, pc, 10, GRAFT_EPERM,
					   "frame pointer r10 is read-only");
				break;
			}
			/* fall through */
		case EBPF_FMT_ST:
		case EBPF_FMT_STX:
		case EBPF_FMT_ATOMIC:
			s = do_mem(v, st, pc);
			break;
		}
		if (s)
			return s;
		if (v->status)
			return v->status;
		if (next >= 0) {
			st->pc = (uint32_t)next;
			continue;
		}
path_end:
		path_done(st->parent);
		state_free(v, st);
		v->cur = NULL;
		if (!v->nstack)
			return GRAFT_OK;
		st = v->stack[--v->nstack];
		if (v->o->trace)
			vlog(v, "from branch to pc %u:", st->pc);
	}
}

static void free_all(struct vctx *v, struct vstate *cur)
{
	(void)cur;
	const struct graft_alloc *a = &v->o->alloc;
	state_free(v, v->cur);
	v->cur = NULL;
	if (v->explored) {
		for (size_t pc = 0; pc < v->n; pc++) {
			struct vstate *s = v->explored[pc];
			while (s) {
				struct vstate *nx = s->next;
				state_free(v, s);
				s = nx;
			}
		}
		a->free(a->ud, v->explored);
	}
	for (uint32_t i = 0; i < v->nstack; i++)
		state_free(v, v->stack[i]);
	if (v->stack)
		a->free(a->ud, v->stack);
	if (v->prune)
		a->free(a->ud, v->prune);
	if (v->nexplored)
		a->free(a->ud, v->nexplored);
	if (v->relevant)
		a->free(a->ud, v->relevant);
}

enum graft_status verify_prog(const struct ebpf_insn *insns, size_t n,
			      const struct verify_opts *opts,
			      struct verify_result *res, struct graft_err *err)
{
	memset(res, 0, sizeof *res);
	res->insns = (uint32_t)n;
	if (!opts || !opts->alloc.alloc || (unsigned)opts->type >=
	    VERIFY_PROG_COUNT)
		return graft_errf(err, GRAFT_EINVAL, "verify: bad options");
	if (!insns || n == 0 || n > EBPF_DEFAULT_MAX_INSNS)
		return graft_errf(err, GRAFT_EINVAL,
				  "verify: program of %zu instructions", n);
	struct vctx v;
	memset(&v, 0, sizeof v);
	v.insns = insns, v.n = n, v.o = opts, v.res = res, v.err = err;
	v.ctx_has_pkt = prog_has_pkt(opts->type);
	v.ptr_leaks_ok = prog_ptr_leaks_ok(opts->type);
	const struct graft_alloc *a = &opts->alloc;
	v.prune = a->alloc(a->ud, 3 * n);
	v.relevant = a->alloc(a->ud, n * sizeof *v.relevant);
	v.explored = a->alloc(a->ud, n * sizeof *v.explored);
	v.nexplored = a->alloc(a->ud, n * sizeof *v.nexplored);
	if (!v.prune || !v.explored || !v.nexplored || !v.relevant) {
		/* explored is not yet cleared: free it without walking it */
		if (v.explored)
			a->free(a->ud, v.explored);
		v.explored = NULL;
		free_all(&v, NULL);
		return graft_errf(err, GRAFT_ENOMEM, "verify: out of memory");
	}
	memset(v.prune, 0, 3 * n);
	v.subprog_start = v.prune + n;
	memset(v.explored, 0, n * sizeof *v.explored);
	memset(v.nexplored, 0, n * sizeof *v.nexplored);
	enum graft_status s = check_structure(&v);
	struct vstate *st = NULL;
	if (!s)
		relevance_compute(&v);
	if (!s) {
		st = state_new(&v);
		struct vframe *f = st ? frame_new(&v, 0) : NULL;
		if (!f) {
			state_free(&v, st);
			free_all(&v, NULL);
			return graft_errf(err, GRAFT_ENOMEM,
					  "verify: out of memory");
		}
		st->f[0] = f;
		st->nframes = 1;
		if (prog_ctx_none(opts->type)) {
			/* raw: r1, r2 (the conformance convention); exec:
			 * the five arguments of bpf_exec */
			int nargs = opts->type == VERIFY_PROG_EXEC ? 5 : 2;
			for (int r = 1; r <= nargs; r++)
				reg_mark_unknown(&f->r[r]);
		} else {
			f->r[1].type = T_CTX;
			f->r[1].var = tnum_const(0);
		}
		f->r[10].type = T_STACK;
		f->r[10].var = tnum_const(0);
		s = explore(&v, st);
	}
	if (!s && v.status)
		s = v.status;
	if (s == GRAFT_ENOMEM && err && !err->msg[0])
		graft_errf(err, GRAFT_ENOMEM, "verify: out of memory");
	free_all(&v, NULL);
	res->accepted = s == GRAFT_OK;
	if (res->accepted && err) {
		err->status = GRAFT_OK;
		err->msg[0] = 0;
	}
	return s;
}
