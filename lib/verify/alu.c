/*
 * ALU instructions: scalar arithmetic goes to the scalar domain; pointer
 * arithmetic is allowed only as pointer +/- scalar (moving the pointer's
 * fixed or variable offset) and pointer - pointer of one region (giving a
 * scalar). Every other operation on a pointer is refused, so addresses
 * never turn into scalars that could be stored or returned.
 */
#include <string.h>

#include "vpriv.h"

#define MAX_OFF (1 << 29)

static const char *op_name(unsigned op)
{
	static const char *const names[16] = {
		"add", "sub", "mul", "div", "or", "and", "lsh", "rsh",
		"neg", "mod", "xor", "mov", "arsh", "end", "?", "?"
	};
	return names[op >> 4];
}

/* ptr = ptr +/- s (s a scalar); dst holds the pointer on entry. */
static enum graft_status ptr_arith(struct vctx *v, struct vstate *st,
				   uint32_t pc, struct vreg *dst,
				   const struct vreg *s, bool sub)
{
	int regno = v->insns[pc].dst;
	if (dst->type == T_MAP_PTR && reg_is_const(s) && !s->var.value)
		return GRAFT_OK; /* map + 0 is the map */
	switch (dst->type) {
	case T_STACK: case T_MAP_VALUE: case T_MEM: case T_PKT:
	case T_PKT_META: case T_CTX:
		break;
	default:
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "pointer arithmetic on this pointer type is "
			      "prohibited");
	}
	if (reg_is_const(s)) {
		int64_t c = (int64_t)s->var.value;
		int64_t off = sub ? (int64_t)dst->off - c : (int64_t)dst->off + c;
		if (off <= -MAX_OFF || off >= MAX_OFF)
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "pointer offset %lld out of range",
				      (long long)off);
		dst->off = (int32_t)off;
		return GRAFT_OK;
	}
	if (dst->type == T_CTX)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "variable offset added to the context pointer");
	/* the variable part moves like a scalar */
	struct vreg var = *dst;
	var.type = T_SCALAR;
	var.id = 0;
	scalar_alu(&var, s, sub ? 0x10 : 0x00, true, 0);
	uint32_t keep_type = dst->type, keep_id = dst->id;
	struct vreg out = *dst;
	out.var = var.var;
	out.smin = var.smin, out.smax = var.smax;
	out.umin = var.umin, out.umax = var.umax;
	out.s32min = var.s32min, out.s32max = var.s32max;
	out.u32min = var.u32min, out.u32max = var.u32max;
	out.type = (uint8_t)keep_type;
	out.id = keep_id;
	if (keep_type == T_PKT || keep_type == T_PKT_META) {
		/* a new variable offset: ranges learnt so far do not apply */
		out.id = ++v->next_id;
		out.range = 0;
	}
	*dst = out;
	return GRAFT_OK;
}

static bool same_region(const struct vreg *a, const struct vreg *b)
{
	bool pa = a->type == T_PKT || a->type == T_PKT_END ||
		  a->type == T_PKT_META;
	bool pb = b->type == T_PKT || b->type == T_PKT_END ||
		  b->type == T_PKT_META;
	if (pa && pb)
		return true; /* lengths: end - data, data - meta */
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case T_STACK: return a->frameno == b->frameno;
	case T_MAP_VALUE: return a->map == b->map && a->id == b->id;
	case T_PKT: case T_PKT_META: case T_CTX: return true;
	default: return false;
	}
}

enum graft_status do_alu(struct vctx *v, struct vstate *st, uint32_t pc);
enum graft_status do_alu(struct vctx *v, struct vstate *st, uint32_t pc)
{
	const struct ebpf_insn *in = &v->insns[pc];
	struct vframe *f = cur_frame(st);
	bool is64 = EBPF_CLASS(in->code) == EBPF_CLS_ALU64;
	unsigned op = in->code & 0xf0;
	bool use_reg = (in->code & EBPF_SRC_X) && op != 0xd0 && op != 0x80;
	struct vreg *dst = &f->r[in->dst], src;
	/* off selects movsx / sdiv / smod only where the table says so */
	enum ebpf_op eop = ebpf_decode(in);
	int16_t off = eop < EBPF_OP_COUNT &&
		      ebpf_opinfo[eop].sel == EBPF_SEL_OFF ? in->off : 0;

	if (use_reg) {
		src = f->r[in->src];
		if (src.type == T_NOT_INIT)
			return reject(v, st, pc, in->src, GRAFT_EPERM,
				      "R%d !read_ok (not initialized)", in->src);
	} else if (op == 0xd0) {
		reg_mark_const(&src, (uint64_t)in->imm);
	} else {
		reg_mark_const(&src, is64 ? (uint64_t)(int64_t)in->imm :
					    (uint32_t)in->imm);
	}
	if (op == 0xb0) { /* mov */
		if (src.type != T_SCALAR) {
			if ((!is64 || off) && v->ptr_leaks_ok) {
				reg_mark_unknown(dst);
				if (!is64)
					reg_zext32(dst);
				return GRAFT_OK;
			}
			if (!is64 || off)
				return reject(v, st, pc, in->src, GRAFT_EPERM,
					      "32-bit or sign-extending move of "
					      "a pointer (address leak)");
			*dst = src;
			return GRAFT_OK;
		}
		if (is64 && !off && use_reg) {
			/* a 64-bit copy: link the two so checks refine both */
			if (!f->r[in->src].id && !tnum_is_const(src.var))
				f->r[in->src].id = ++v->next_id;
			*dst = f->r[in->src];
			return GRAFT_OK;
		}
		if (!is64 && !off && use_reg && src.umax <= UINT32_MAX) {
			/* w = w of a value that fits in 32 bits: the same
			 * 64-bit value, so the two may share what checks
			 * learn */
			if (!f->r[in->src].id && !tnum_is_const(src.var))
				f->r[in->src].id = ++v->next_id;
			*dst = f->r[in->src];
			return GRAFT_OK;
		}
		scalar_alu(dst, &src, 0xb0, is64, off);
		return GRAFT_OK;
	}
	if (dst->type == T_NOT_INIT)
		return reject(v, st, pc, in->dst, GRAFT_EPERM,
			      "R%d !read_ok (not initialized)", in->dst);
	if (dst->type == T_SCALAR && src.type == T_SCALAR) {
		if (op == 0xd0) {
			/* le* truncates on this little-endian machine; be*
			 * and bswap* swap bytes */
			bool swap = EBPF_CLASS(in->code) == EBPF_CLS_ALU64 ||
				    (in->code & EBPF_SRC_X);
			scalar_alu(dst, &src, 0xd0, true, swap ? 1 : 0);
			return GRAFT_OK;
		}
		scalar_alu(dst, &src, op, is64, off);
		return GRAFT_OK;
	}
	/* at least one pointer */
	if (!is64 && op == 0x10 && v->ptr_leaks_ok) {
		/* Linux as root: a 32-bit difference involving a pointer is
		 * a meaningless scalar */
		reg_mark_unknown(dst);
		return GRAFT_OK;
	}
	if (!is64)
		return reject(v, st, pc, in->dst, GRAFT_EPERM,
			      "32-bit %s on a pointer is prohibited",
			      op_name(op));
	if (op == 0x00 && dst->type == T_SCALAR) {
		struct vreg s = *dst;
		*dst = src;
		return ptr_arith(v, st, pc, dst, &s, false);
	}
	if ((op == 0x00 || op == 0x10) && src.type == T_SCALAR)
		return ptr_arith(v, st, pc, dst, &src, op == 0x10);
	if (op == 0x10 && dst->type != T_SCALAR && same_region(dst, &src)) {
		reg_mark_unknown(dst);
		return GRAFT_OK;
	}
	return reject(v, st, pc, dst->type == T_SCALAR ? in->src : in->dst,
		      GRAFT_EPERM, "%s on a pointer is prohibited",
		      op_name(op));
}
