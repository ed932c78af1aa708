/*
 * Helper calls: each modeled helper's argument and return types (Linux
 * helper IDs and semantics), and the checks and effects of a call.
 */
#include <string.h>

#include "vpriv.h"

enum arg {
	A_NONE,       /* not an argument: not read */
	A_ANY,        /* any initialized value */
	A_CTX,        /* the context pointer, unmodified */
	A_MAP,        /* a map pointer (lddw of a map) */
	A_KEY,        /* key_size readable bytes of the map */
	A_VALUE,      /* value_size readable bytes of the map */
	A_UVALUE,     /* value_size writable bytes of the map */
	A_MEM,        /* readable memory; size in the next argument */
	A_MEM_NULL,   /* A_MEM or NULL */
	A_UMEM,       /* writable memory; size in the next argument */
	A_SIZE,       /* size of the previous memory argument, > 0 */
	A_SIZE0,      /* same, may be 0 */
	A_ALLOC_SIZE, /* a constant size for a reservation */
	A_ALLOC_MEM,  /* memory from ringbuf_reserve, unmodified */
	A_CTX_NULL,   /* the context pointer, unmodified, or NULL */
	A_SOCK,       /* a socket of any kind (not NULL), unmodified */
	A_LONG,       /* 8 writable bytes, 8-aligned (a result) */
	A_RWMEM,      /* initialized memory the helper also writes; size
			 in the next argument */
	A_VALUE_NULL, /* A_VALUE or NULL */
	A_ZERO,       /* flags that must be 0 */
};

enum ret {
	R_INT, R_MAP_VALUE_OR_NULL, R_MEM_OR_NULL,
	R_SOCK_OR_NULL, R_TCP_SOCK_OR_NULL,
	R_MAP_VALUE,  /* a map value that exists (cgroup local storage) */
	R_SIZED,      /* an error (>= -4095) or at most the buffer size */
};

enum {
	F_PKT_CHANGE = 1, F_RELEASE = 2,
	/* the map kinds a helper takes, and that take only their helpers */
	F_PROG_ARRAY = 4, F_RINGBUF = 8, F_CG_STORAGE = 16, F_SK_STORAGE = 32,
	/* not helper flags: map kinds whose helpers are listed in
	 * special_map_ok */
	F_SOCKMAP = 64, F_XSKMAP = 128, F_REUSEPORT = 256,
};
#define F_MAPKINDS (F_PROG_ARRAY | F_RINGBUF | F_CG_STORAGE | F_SK_STORAGE)

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

struct proto {
	int32_t id;
	const char *name;
	uint8_t ret;
	uint8_t flags;
	uint8_t arg[5];
};

#define P(id, name, ret, fl, ...) { id, name, ret, fl, { __VA_ARGS__ } }
static const struct proto protos[] = {
	P(1, "map_lookup_elem", R_MAP_VALUE_OR_NULL, 0, A_MAP, A_KEY),
	P(2, "map_update_elem", R_INT, 0, A_MAP, A_KEY, A_VALUE, A_ANY),
	P(3, "map_delete_elem", R_INT, 0, A_MAP, A_KEY),
	P(4, "probe_read", R_INT, 0, A_UMEM, A_SIZE0, A_ANY),
	P(5, "ktime_get_ns", R_INT, 0, A_NONE),
	P(6, "trace_printk", R_INT, 0, A_MEM, A_SIZE, A_NONE, A_NONE, A_NONE),
	P(7, "get_prandom_u32", R_INT, 0, A_NONE),
	P(8, "get_smp_processor_id", R_INT, 0, A_NONE),
	P(9, "skb_store_bytes", R_INT, F_PKT_CHANGE, A_CTX, A_ANY, A_MEM,
	  A_SIZE, A_ANY),
	P(10, "l3_csum_replace", R_INT, F_PKT_CHANGE, A_CTX, A_ANY, A_ANY,
	  A_ANY, A_ANY),
	P(11, "l4_csum_replace", R_INT, F_PKT_CHANGE, A_CTX, A_ANY, A_ANY,
	  A_ANY, A_ANY),
	P(12, "tail_call", R_INT, F_PROG_ARRAY | F_PKT_CHANGE, A_CTX, A_MAP, A_ANY),
	P(14, "get_current_pid_tgid", R_INT, 0, A_NONE),
	P(15, "get_current_uid_gid", R_INT, 0, A_NONE),
	P(16, "get_current_comm", R_INT, 0, A_UMEM, A_SIZE),
	P(17, "get_cgroup_classid", R_INT, 0, A_CTX),
	P(35, "get_current_task", R_INT, 0, A_NONE),
	P(40, "csum_update", R_INT, 0, A_CTX, A_ANY),
	P(41, "set_hash_invalid", R_INT, 0, A_CTX),
	P(42, "get_numa_node_id", R_INT, 0, A_NONE),
	P(43, "skb_change_head", R_INT, F_PKT_CHANGE, A_CTX, A_ANY, A_ANY),
	P(46, "get_socket_cookie", R_INT, 0, A_CTX),
	P(47, "get_socket_uid", R_INT, 0, A_CTX),
	P(23, "redirect", R_INT, 0, A_ANY, A_ANY),
	P(26, "skb_load_bytes", R_INT, 0, A_CTX, A_ANY, A_UMEM, A_SIZE),
	P(67, "get_stack", R_SIZED, 0, A_CTX, A_UMEM, A_SIZE0, A_ANY),
	P(69, "fib_lookup", R_INT, 0, A_CTX, A_RWMEM, A_SIZE, A_ANY),
	P(82, "sk_select_reuseport", R_INT, 0, A_CTX, A_MAP, A_KEY, A_ANY),
	P(81, "get_local_storage", R_MAP_VALUE, F_CG_STORAGE, A_MAP, A_ZERO),
	P(28, "csum_diff", R_INT, 0, A_MEM_NULL, A_SIZE0, A_MEM_NULL, A_SIZE0,
	  A_ANY),
	P(34, "get_hash_recalc", R_INT, 0, A_CTX),
	P(44, "xdp_adjust_head", R_INT, F_PKT_CHANGE, A_CTX, A_ANY),
	P(45, "probe_read_str", R_INT, 0, A_UMEM, A_SIZE0, A_ANY),
	P(51, "redirect_map", R_INT, 0, A_MAP, A_ANY, A_ANY),
	P(54, "xdp_adjust_meta", R_INT, F_PKT_CHANGE, A_CTX, A_ANY),
	P(65, "xdp_adjust_tail", R_INT, F_PKT_CHANGE, A_CTX, A_ANY),
	P(87, "map_push_elem", R_INT, 0, A_MAP, A_VALUE, A_ANY),
	P(88, "map_pop_elem", R_INT, 0, A_MAP, A_UVALUE),
	P(80, "get_current_cgroup_id", R_INT, 0, A_NONE),
	P(89, "map_peek_elem", R_INT, 0, A_MAP, A_UVALUE),
	P(95, "sk_fullsock", R_SOCK_OR_NULL, 0, A_SOCK),
	P(96, "tcp_sock", R_TCP_SOCK_OR_NULL, 0, A_SOCK),
	P(98, "get_listener_sock", R_SOCK_OR_NULL, 0, A_SOCK),
	P(112, "probe_read_user", R_INT, 0, A_UMEM, A_SIZE0, A_ANY),
	P(113, "probe_read_kernel", R_INT, 0, A_UMEM, A_SIZE0, A_ANY),
	P(114, "probe_read_user_str", R_INT, 0, A_UMEM, A_SIZE0, A_ANY),
	P(115, "probe_read_kernel_str", R_INT, 0, A_UMEM, A_SIZE0, A_ANY),
	P(105, "strtol", R_INT, 0, A_MEM, A_SIZE, A_ANY, A_LONG),
	P(106, "strtoul", R_INT, 0, A_MEM, A_SIZE, A_ANY, A_LONG),
	P(107, "sk_storage_get", R_MAP_VALUE_OR_NULL, F_SK_STORAGE, A_MAP,
	  A_SOCK, A_VALUE_NULL, A_ANY),
	P(108, "sk_storage_delete", R_INT, F_SK_STORAGE, A_MAP, A_SOCK),
	P(118, "jiffies64", R_INT, 0, A_NONE),
	P(122, "get_netns_cookie", R_INT, 0, A_CTX_NULL),
	P(125, "ktime_get_boot_ns", R_INT, 0, A_NONE),
	P(130, "ringbuf_output", R_INT, F_RINGBUF, A_MAP, A_MEM, A_SIZE0,
	  A_ANY),
	P(131, "ringbuf_reserve", R_MEM_OR_NULL, F_RINGBUF, A_MAP,
	  A_ALLOC_SIZE, A_ANY),
	P(132, "ringbuf_submit", R_INT, F_RELEASE, A_ALLOC_MEM, A_ANY),
	P(133, "ringbuf_discard", R_INT, F_RELEASE, A_ALLOC_MEM, A_ANY),
	P(134, "ringbuf_query", R_INT, F_RINGBUF, A_MAP, A_ANY),
	P(160, "ktime_get_coarse_ns", R_INT, 0, A_NONE),
	P(208, "ktime_get_tai_ns", R_INT, 0, A_NONE),
	/* graft's own (include/graft/maps.h, GRAFT_HELPER_BASE) */
	P(0x10000, "graft_puts", R_INT, 0, A_MEM, A_SIZE0),
	P(0x10001, "graft_log_u64", R_INT, 0, A_MEM, A_SIZE0, A_ANY),
	P(0x10002, "graft_map_count", R_INT, 0, A_MAP),
};

static const struct proto *find_proto(int32_t id)
{
	for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
		if (protos[i].id == id)
			return &protos[i];
	return NULL;
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
	const struct proto *p = find_proto(id);
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
	const struct proto *p = find_proto(id);
	return p ? p->name : NULL;
}
