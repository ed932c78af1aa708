/*
 * Helper calls: the checks a call's arguments must pass for the helper's
 * prototype (helper_protos.c) and the call's effects (return value,
 * acquired and released records, invalidated packet pointers).
 */
#include <string.h>

#include "helpers.h"
#include "vpriv.h"

/* The F_* map flag a map type requires of its helpers (0: plain maps). */
static unsigned map_kind(uint32_t type)
{
	switch (type) {
	case VERIFY_MAP_PROG_ARRAY: return F_PROG_ARRAY;
	case VERIFY_MAP_RINGBUF: return F_RINGBUF;
	case 19: case 21: return F_CG_STORAGE; /* (percpu) cgroup storage */
	case 24: return F_SK_STORAGE;
	case 15: case 18: return F_SOCKMAP;  /* sockmap, sockhash */
	case 17: return F_XSKMAP;
	case 20: return F_REUSEPORT; /* reuseport socket array */
	default: return 0;
	}
}

enum graft_status check_helper_mem(struct vctx *v, struct vstate *st,
				   uint32_t pc, int regno, uint64_t size,
				   bool write);

/* Linux: sockmaps are updated (with sockets) and emptied only where no
 * socket lock can be held; an xskmap is looked up (an XDP socket) or a
 * redirect target. */
static bool special_map_ok(enum verify_prog_type t, unsigned kind,
			   int32_t id)
{
	if (kind == F_XSKMAP)
		return id == 1 || id == 51;
	if (id == 82) /* sk_select_reuseport */
		return true;
	if (kind == F_REUSEPORT || (id != 2 && id != 3))
		return false;
	return t == VERIFY_PROG_SOCKET || t == VERIFY_PROG_SKB ||
	       t == VERIFY_PROG_XDP || t == VERIFY_PROG_SK_REUSEPORT;
}

/* Every register, in every frame and spill slot, passes through fn. */
static void for_each_reg(struct vstate *st,
			 void (*fn)(struct vreg *r, uint32_t x), uint32_t x)
{
	for (uint32_t fi = 0; fi < st->nframes; fi++) {
		struct vframe *f = st->f[fi];
		for (int r = 0; r < EBPF_NREGS; r++)
			fn(&f->r[r], x);
		for (uint32_t k = 0; k < f->nslots; k++)
			if (f->s[k].spill_size)
				fn(&f->s[k].spill, x);
	}
}

static void drop_pkt(struct vreg *r, uint32_t x)
{
	(void)x;
	if (r->type == T_PKT || r->type == T_PKT_END || r->type == T_PKT_META)
		reg_mark_unknown(r);
}

static void drop_id(struct vreg *r, uint32_t id)
{
	if ((r->type == T_MEM || r->type == T_MEM_OR_NULL) && r->id == id)
		reg_mark_unknown(r);
}

static enum graft_status check_size_arg(struct vctx *v, struct vstate *st,
					uint32_t pc, int regno, bool zero_ok,
					uint64_t *size)
{
	struct vreg *r = &cur_frame(st)->r[regno];
	if (r->type != T_SCALAR)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "R%d must be a scalar size", regno);
	if (r->smin < 0)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "R%d size may be negative", regno);
	if (!zero_ok && r->umin == 0)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "R%d size may be zero", regno);
	if (r->umax > 1u << 29)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "R%d size is unbounded (umax=%llu)", regno,
			      (unsigned long long)r->umax);
	*size = r->umax;
	return GRAFT_OK;
}

enum graft_status check_helper_call(struct vctx *v, struct vstate *st,
				    uint32_t pc, int32_t id)
{
	const struct proto *p = vhelper_proto(id);
	if (!p)
		return reject(v, st, pc, -1, GRAFT_ENOTSUP,
			      "helper %d is not modeled by the verifier", id);
	if (!prog_helper_allowed(v->o->type, id))
		return reject(v, st, pc, -1, GRAFT_EPERM,
			      "helper %s (%d) is not allowed in %s programs",
			      p->name, id, verify_prog_type_name(v->o->type));
	struct vframe *f = cur_frame(st);
	const struct verify_map *map = NULL;
	uint32_t map_idx = 0, release_id = 0;
	uint64_t alloc_size = 0, last_size = 0;
	unsigned mkind = 0;
	for (int i = 0; i < 5 && p->arg[i] != A_NONE; i++) {
		int regno = i + 1;
		struct vreg *r = &f->r[regno];
		uint8_t a = p->arg[i];
		if (r->type == T_NOT_INIT)
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "R%d !read_ok: argument %d of %s is not "
				      "initialized", regno, regno, p->name);
		switch (a) {
		case A_ANY:
			break;
		case A_CTX_NULL:
			if (reg_is_const(r) && !r->var.value)
				break;
			/* fall through */
		case A_CTX:
			if (r->type != T_CTX || r->off || !tnum_is_const(r->var))
				return reject(v, st, pc, regno, GRAFT_EPERM,
					      "R%d must be the context pointer "
					      "for %s", regno, p->name);
			break;
		case A_MAP:
			if (r->type != T_MAP_PTR)
				return reject(v, st, pc, regno, GRAFT_EPERM,
					      "R%d must be a map pointer for %s",
					      regno, p->name);
			map_idx = r->map;
			map = &v->o->maps[map_idx];
			switch (map->type) {
			case 1: case 2: case 3: case 5: case 6: case 9:
			case 10: case 15: case 17: case 18: case 19: case 20:
			case 21: case 22: case 23: case 24: case 27:
				break;
			default:
				return reject(v, st, pc, regno, GRAFT_ENOTSUP,
					      "map type %u is not modeled",
					      map->type);
			}
			mkind = map_kind(map->type);
			if (mkind == F_SOCKMAP && id == 1)
				return reject(v, st, pc, regno, GRAFT_ENOTSUP,
					      "a lookup in a sockmap returns a "
					      "socket reference (not modeled)");
			if (mkind & (F_SOCKMAP | F_XSKMAP | F_REUSEPORT) ?
				    !special_map_ok(v->o->type, mkind, id) :
				    (p->flags & F_MAPKINDS) != mkind || id == 82)
				return reject(v, st, pc, regno, GRAFT_EPERM,
					      "map %u of type %u cannot be used "
					      "with %s%s", map_idx, map->type,
					      p->name,
					      mkind == F_SOCKMAP ? " in this "
					      "program type" : "");
			break;
		case A_VALUE_NULL:
			if (reg_is_const(r) && !r->var.value)
				break;
			/* fall through */
		case A_VALUE:
			if (mkind == F_SOCKMAP) {
				/* a sockmap stores sockets */
				if (r->type != T_KOBJ || r->off ||
				    !tnum_is_const(r->var) || r->var.value)
					return reject(v, st, pc, regno,
						      GRAFT_EPERM, "R%d must be "
						      "a socket (checked against "
						      "NULL) to store in a "
						      "sockmap", regno);
				break;
			}
			/* fall through */
		case A_KEY:
		case A_UVALUE: {
			if (!map)
				return reject(v, st, pc, regno, GRAFT_EINVAL,
					      "internal: no map before key");
			uint32_t sz = a == A_KEY ? map->key_size :
						   map->value_size;
			if (r->type != T_STACK && r->type != T_MAP_VALUE &&
			    r->type != T_PKT && r->type != T_PKT_META &&
			    r->type != T_MEM)
				return reject(v, st, pc, regno, GRAFT_EPERM,
					      "R%d must point to the stack or "
					      "map memory (%s of %s)", regno,
					      a == A_KEY ? "key" : "value",
					      p->name);
			enum graft_status s = check_helper_mem(v, st, pc, regno,
							       sz, a == A_UVALUE);
			if (s)
				return s;
			f = cur_frame(st);
			break;
		}
		case A_LONG: {
			bool fixed = tnum_is_const(r->var);
			if ((r->type != T_STACK && r->type != T_MAP_VALUE) ||
			    !fixed || (r->off + (int64_t)r->var.value) % 8)
				return reject(v, st, pc, regno, GRAFT_EPERM,
					      "R%d must point to 8 aligned bytes "
					      "of stack or map value for %s",
					      regno, p->name);
			enum graft_status s = check_helper_mem(v, st, pc, regno,
							       8, true);
			if (s)
				return s;
			f = cur_frame(st);
			break;
		}
		case A_RWMEM:
		case A_MEM:
		case A_MEM_NULL:
		case A_UMEM: {
			uint64_t size = 0;
			if (a == A_MEM_NULL && reg_is_const(r) &&
			    r->var.value == 0) {
				/* NULL only with a size of exactly 0 */
				const struct vreg *sz = &f->r[regno + 1];
				if (!reg_is_const(sz) || sz->var.value)
					return reject(v, st, pc, regno + 1,
						      GRAFT_EPERM,
						      "R%d is NULL but the size "
						      "in R%d may be nonzero",
						      regno, regno + 1);
				break;
			}
			enum graft_status s = check_size_arg(
				v, st, pc, regno + 1, p->arg[i + 1] == A_SIZE0,
				&size);
			if (s)
				return s;
			s = check_helper_mem(v, st, pc, regno, size, a == A_UMEM);
			if (!s && a == A_RWMEM)
				s = check_helper_mem(v, st, pc, regno, size, true);
			if (s)
				return s;
			last_size = size;
			f = cur_frame(st);
			break;
		}
		case A_SIZE:
		case A_SIZE0:
			break; /* checked with its memory argument */
		case A_ZERO:
			if (!reg_is_const(r) || r->var.value)
				return reject(v, st, pc, regno, GRAFT_EPERM,
					      "R%d: %s takes no flags (must be "
					      "0)", regno, p->name);
			break;
		case A_SOCK:
			if (r->type != T_KOBJ || r->off || !tnum_is_const(r->var)
			    || r->var.value)
				return reject(v, st, pc, regno, GRAFT_EPERM,
					      "R%d must be a socket (checked "
					      "against NULL, unmodified) for %s",
					      regno, p->name);
			break;
		case A_ALLOC_SIZE:
			if (!reg_is_const(r) || r->var.value == 0 ||
			    r->var.value > 1u << 24)
				return reject(v, st, pc, regno, GRAFT_EPERM,
					      "R%d must be a constant size for "
					      "%s", regno, p->name);
			alloc_size = r->var.value;
			break;
		case A_ALLOC_MEM:
			if (r->type != T_MEM || r->off || !tnum_is_const(r->var)
			    || !r->id)
				return reject(v, st, pc, regno, GRAFT_EPERM,
					      "R%d must be the unmodified result "
					      "of ringbuf_reserve (checked "
					      "against NULL)", regno);
			release_id = r->id;
			break;
		}
	}
	if (p->flags & F_RELEASE) {
		uint32_t i;
		for (i = 0; i < st->nrefs && st->refs[i] != release_id; i++)
			;
		if (i == st->nrefs)
			return reject(v, st, pc, 1, GRAFT_EPERM,
				      "releasing a record that is not held");
		st->refs[i] = st->refs[--st->nrefs];
		for_each_reg(st, drop_id, release_id);
	}
	if (p->flags & F_PKT_CHANGE)
		for_each_reg(st, drop_pkt, 0);
	f = cur_frame(st);
	for (int r = 1; r <= 5; r++)
		memset(&f->r[r], 0, sizeof f->r[r]);
	struct vreg *r0 = &f->r[0];
	reg_mark_unknown(r0);
	if (p->ret == R_MAP_VALUE_OR_NULL && mkind == F_XSKMAP) {
		memset(r0, 0, sizeof *r0);
		r0->type = T_KOBJ_OR_NULL;
		r0->map = KOBJ_XDP_SOCK;
		r0->var = tnum_const(0);
		r0->id = ++v->next_id;
	} else if (p->ret == R_MAP_VALUE_OR_NULL) {
		memset(r0, 0, sizeof *r0);
		r0->type = T_MAP_VALUE_OR_NULL;
		r0->map = (uint16_t)map_idx;
		r0->var = tnum_const(0);
		r0->id = ++v->next_id;
	} else if (p->ret == R_MAP_VALUE) {
		memset(r0, 0, sizeof *r0);
		r0->type = T_MAP_VALUE;
		r0->map = (uint16_t)map_idx;
		r0->var = tnum_const(0);
	} else if (p->ret == R_SIZED) {
		/* an error code or the bytes written, at most the size */
		r0->smin = -4095, r0->smax = (int64_t)last_size;
		r0->s32min = -4095, r0->s32max = (int32_t)last_size;
		reg_bounds_sync(r0);
	} else if (p->ret == R_SOCK_OR_NULL || p->ret == R_TCP_SOCK_OR_NULL) {
		memset(r0, 0, sizeof *r0);
		r0->type = T_KOBJ_OR_NULL;
		r0->map = p->ret == R_SOCK_OR_NULL ? KOBJ_SOCK : KOBJ_TCP_SOCK;
		r0->var = tnum_const(0);
		r0->id = ++v->next_id;
	} else if (p->ret == R_MEM_OR_NULL) {
		if (st->nrefs == MAX_REFS)
			return reject(v, st, pc, 0, GRAFT_EPERM,
				      "too many ringbuf records held at once");
		memset(r0, 0, sizeof *r0);
		r0->type = T_MEM_OR_NULL;
		r0->range = (uint32_t)alloc_size;
		r0->var = tnum_const(0);
		r0->id = ++v->next_id;
		st->refs[st->nrefs++] = r0->id;
	}
	return GRAFT_OK;
}

const char *helper_name(int32_t id);
const char *helper_name(int32_t id)
{
	const struct proto *p = vhelper_proto(id);
	return p ? p->name : NULL;
}
