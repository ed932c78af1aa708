/*
 * Program types: the context each type receives (which offsets may be read
 * or written, and which loads yield packet pointers), the helpers it may
 * call and what it may return.
 */
#include <string.h>

#include "kobj.h"

struct prog_desc {
	const char *name;
	uint16_t ctx_size;
	uint8_t ctx_kind;       /* CTX_FIELDS, CTX_WORDS, CTX_NONE */
	uint8_t has_pkt;        /* may write the packet */
	uint32_t helpers;       /* H_* classes allowed */
	const struct ctx_field *fields;
	size_t nfields;
	uint8_t strict;         /* Linux's rules: aligned, CF_* narrowing */
	uint8_t linux_type;     /* as root: pointers may leak, stack reads */
	uint8_t has_ret;        /* R0 in [ret_min, ret_max] at exit */
	int8_t ret_min, ret_max;
};

enum { CTX_FIELDS, CTX_WORDS, CTX_NONE };
enum {
	H_BASE = 1, H_XDP = 2, H_SKB = 4, H_TRACE = 8, H_PKTWRITE = 16,
	H_SKSOCK = 32,   /* sockets from an skb: sk_fullsock, tcp_sock */
	H_SKLOAD = 64,   /* skb_load_bytes, get_socket_uid, ... */
	H_CURRENT = 128, /* the current task: pid, uid, comm, cgroup */
	H_NETNS = 256,   /* get_netns_cookie, get_socket_cookie of ctx */
	H_CGROUP = 512,  /* cgroup local storage */
	H_REUSEPORT = 1024, /* sk_select_reuseport */
};

static const struct ctx_field xdp_fields[] = {
	{ 0, 4, T_PKT, 0, 0, 0 }, { 4, 4, T_PKT_END, 0, 0, 0 }, { 8, 4, T_PKT_META, 0, 0, 0 },
	{ 12, 4, T_SCALAR, 0, 0, 0 }, { 16, 4, T_SCALAR, 0, 0, 0 }, { 20, 4, T_SCALAR, 0, 0, 0 },
};

/* struct __sk_buff, as far as tc programs may touch it. */
static const struct ctx_field skb_fields[] = {
	{ 0, 4, T_SCALAR, 0, 0, 0 },  { 4, 4, T_SCALAR, 0, 0, 0 },  { 8, 4, T_SCALAR, 1, 0, 0 },
	{ 12, 4, T_SCALAR, 1, 0, 0 }, { 16, 4, T_SCALAR, 0, 0, 0 }, { 20, 4, T_SCALAR, 0, 0, 0 },
	{ 24, 4, T_SCALAR, 0, 0, 0 }, { 28, 4, T_SCALAR, 0, 0, 0 }, { 32, 4, T_SCALAR, 1, 0, 0 },
	{ 36, 4, T_SCALAR, 0, 0, 0 }, { 40, 4, T_SCALAR, 0, 0, 0 }, { 44, 4, T_SCALAR, 1, 0, 0 },
	{ 48, 20, T_SCALAR, 1, 0, 0 } /* cb[5]: any access inside */,
	{ 68, 4, T_SCALAR, 0, 0, 0 },
	{ 72, 4, T_SCALAR, 1, 0, 0 }, { 76, 4, T_PKT, 0, 0, 0 },    { 80, 4, T_PKT_END, 0, 0, 0 },
	{ 84, 4, T_SCALAR, 0, 0, 0 }, { 88, 4, T_SCALAR, 0, 0, 0 }, { 92, 4, T_SCALAR, 0, 0, 0 },
	{ 96, 4, T_SCALAR, 0, 0, 0 }, { 100, 4, T_SCALAR, 0, 0, 0 }, { 104, 4, T_SCALAR, 0, 0, 0 },
	{ 108, 4, T_SCALAR, 0, 0, 0 }, { 112, 4, T_SCALAR, 0, 0, 0 }, { 116, 4, T_SCALAR, 0, 0, 0 },
	{ 120, 4, T_SCALAR, 0, 0, 0 }, { 124, 4, T_SCALAR, 0, 0, 0 }, { 128, 4, T_SCALAR, 0, 0, 0 },
	{ 132, 4, T_SCALAR, 0, 0, 0 }, { 136, 4, T_SCALAR, 0, 0, 0 }, { 140, 4, T_PKT_META, 0, 0, 0 },
	{ 144, 8, T_NOT_INIT, 0, 0, 0 }, { 152, 8, T_SCALAR, 1, 0, 0 },
	{ 160, 4, T_SCALAR, 0, 0, 0 }, { 164, 4, T_SCALAR, 0, 0, 0 },
	{ 168, 8, T_KOBJ_OR_NULL, 0, 0, KOBJ_SOCK_COMMON },
	{ 176, 4, T_SCALAR, 0, 0, 0 },
	{ 184, 8, T_SCALAR, 0, 0, 0 },
};

/* A socket filter sees the same struct but no packet pointers. */
static const struct ctx_field sock_fields[] = {
	{ 0, 4, T_SCALAR, 0, 0, 0 },  { 4, 4, T_SCALAR, 0, 0, 0 },  { 8, 4, T_SCALAR, 0, 0, 0 },
	{ 12, 4, T_SCALAR, 0, 0, 0 }, { 16, 4, T_SCALAR, 0, 0, 0 }, { 20, 4, T_SCALAR, 0, 0, 0 },
	{ 24, 4, T_SCALAR, 0, 0, 0 }, { 28, 4, T_SCALAR, 0, 0, 0 }, { 32, 4, T_SCALAR, 0, 0, 0 },
	{ 36, 4, T_SCALAR, 0, 0, 0 }, { 40, 4, T_SCALAR, 0, 0, 0 }, { 44, 4, T_SCALAR, 0, 0, 0 },
	{ 48, 20, T_SCALAR, 1, 0, 0 } /* cb[5]: any access inside */,
	{ 68, 4, T_SCALAR, 0, 0, 0 },
	{ 88, 4, T_SCALAR, 0, 0, 0 }, { 92, 4, T_SCALAR, 0, 0, 0 }, { 96, 4, T_SCALAR, 0, 0, 0 },
	{ 100, 4, T_SCALAR, 0, 0, 0 }, { 104, 4, T_SCALAR, 0, 0, 0 }, { 108, 4, T_SCALAR, 0, 0, 0 },
	{ 112, 4, T_SCALAR, 0, 0, 0 }, { 116, 4, T_SCALAR, 0, 0, 0 }, { 120, 4, T_SCALAR, 0, 0, 0 },
	{ 124, 4, T_SCALAR, 0, 0, 0 }, { 128, 4, T_SCALAR, 0, 0, 0 }, { 132, 4, T_SCALAR, 0, 0, 0 },
	{ 136, 4, T_SCALAR, 0, 0, 0 },
	{ 168, 8, T_KOBJ_OR_NULL, 0, 0, KOBJ_SOCK_COMMON },
};

#define RN(o) { o, 4, T_SCALAR, 0, CF_NARROW, 0 }
#define R4(o) { o, 4, T_SCALAR, 0, 0, 0 }
/* struct __sk_buff as cgroup skb programs may touch it (strict). */
static const struct ctx_field cg_skb_fields[] = {
	RN(0), RN(4), { 8, 4, T_SCALAR, 1, CF_NARROW, 0 }, RN(12), RN(16),
	RN(20), RN(24), RN(28), { 32, 4, T_SCALAR, 1, CF_NARROW, 0 }, RN(36),
	RN(40), RN(44), { 48, 20, T_SCALAR, 1, CF_ANY, 0 } /* cb[5] */,
	RN(68), { 72, 4, T_SCALAR, 0, CF_DENY, 0 } /* tc_classid */,
	{ 76, 4, T_PKT, 0, 0, 0 }, { 80, 4, T_PKT_END, 0, 0, 0 }, RN(84),
	RN(88), R4(92), R4(96), R4(100), R4(104), R4(108), R4(112), R4(116),
	R4(120), R4(124), R4(128), RN(132), RN(136),
	{ 140, 4, T_SCALAR, 0, CF_DENY, 0 } /* data_meta */,
	{ 144, 8, T_SCALAR, 0, CF_DENY, 0 } /* flow_keys */,
	{ 152, 8, T_SCALAR, 1, 0, 0 } /* tstamp */,
	{ 160, 4, T_SCALAR, 0, CF_DENY, 0 } /* wire_len */, RN(164),
	{ 168, 8, T_KOBJ_OR_NULL, 0, 0, KOBJ_SOCK_COMMON }, RN(176),
	{ 180, 4, T_SCALAR, 0, CF_DENY, 0 } /* tstamp_type, padding */,
	{ 184, 8, T_SCALAR, 0, 0, 0 } /* hwtstamp */,
};

/* struct bpf_sock_addr; the address fields a given attach type may use
 * differ by attach type, which graft does not track. */
static const struct ctx_field sock_addr_fields[] = {
	R4(0), { 4, 20, T_SCALAR, 0, CF_NOTSUP, 0 } /* user_ip4, user_ip6 */,
	{ 24, 4, T_SCALAR, 1, CF_NARROW, 0 } /* user_port */, R4(28), R4(32),
	R4(36), { 40, 20, T_SCALAR, 0, CF_NOTSUP, 0 } /* msg_src_ip4/6 */,
	{ 64, 8, T_KOBJ, 0, 0, KOBJ_SOCK },
};

/* struct sk_msg_md */
static const struct ctx_field sk_msg_fields[] = {
	{ 0, 8, T_PKT, 0, 0, 0 }, { 8, 8, T_PKT_END, 0, 0, 0 }, R4(16),
	R4(20), R4(24), R4(28), R4(32), R4(36), R4(40), R4(44), R4(48),
	R4(52), R4(56), R4(60), R4(64), R4(68),
	{ 72, 8, T_KOBJ, 0, 0, KOBJ_SOCK },
};
/* struct sk_reuseport_md */
static const struct ctx_field reuseport_fields[] = {
	{ 0, 8, T_PKT, 0, 0, 0 }, { 8, 8, T_PKT_END, 0, 0, 0 }, RN(16),
	R4(20) /* eth_protocol: narrow reads not below 2 bytes; none here */,
	RN(24), RN(28), R4(32), { 40, 8, T_KOBJ, 0, 0, KOBJ_SOCK },
	{ 48, 8, T_KOBJ_OR_NULL, 0, 0, KOBJ_SOCK_COMMON },
};
#undef RN
#undef R4


/* mapper, reducer: { u64 data; u64 data_end; u64 arg; } */
static const struct ctx_field buf_fields[] = {
	{ 0, 8, T_PKT, 0, 0, 0 }, { 8, 8, T_PKT_END, 0, 0, 0 }, { 16, 8, T_SCALAR, 0, 0, 0 },
};

#define F(a) a, sizeof(a) / sizeof((a)[0])
static const struct prog_desc progs[VERIFY_PROG_COUNT] = {
	[VERIFY_PROG_XDP] = { "xdp", 24, CTX_FIELDS, 1,
			      H_BASE | H_XDP | H_PKTWRITE, F(xdp_fields), 0, 0,
			      0, 0, 0 },
	[VERIFY_PROG_SKB] = { "skb", 192, CTX_FIELDS, 1,
			      H_BASE | H_SKB | H_PKTWRITE | H_SKSOCK | H_SKLOAD,
			      F(skb_fields), 0, 1, 0, 0, 0 },
	[VERIFY_PROG_SOCKET] = { "socket", 192, CTX_FIELDS, 0,
				 H_BASE | H_SKB | H_SKLOAD, F(sock_fields), 0,
				 1, 0, 0, 0 },
	[VERIFY_PROG_KPROBE] = { "kprobe", 168, CTX_WORDS, 0,
				 H_BASE | H_TRACE, NULL, 0, 0, 1, 0, 0, 0 },
	[VERIFY_PROG_TRACE] = { "trace", 48, CTX_WORDS, 0, H_BASE | H_TRACE,
				NULL, 0, 0, 0, 0, 0, 0 },
	[VERIFY_PROG_EXEC] = { "exec", 0, CTX_NONE, 0, H_BASE | H_TRACE, NULL,
			       0, 0, 0, 0, 0, 0 },
	[VERIFY_PROG_MAPPER] = { "mapper", 24, CTX_FIELDS, 0, H_BASE,
				 F(buf_fields), 0, 0, 0, 0, 0 },
	[VERIFY_PROG_REDUCER] = { "reducer", 24, CTX_FIELDS, 0, H_BASE,
				  F(buf_fields), 0, 0, 0, 0, 0 },
	[VERIFY_PROG_RAW] = { "raw", 0, CTX_NONE, 0, H_BASE, NULL, 0, 0, 0, 0,
			      0, 0 },
	[VERIFY_PROG_CGROUP_SKB] = { "cgroup_skb", 192, CTX_FIELDS, 0,
				     H_BASE | H_SKSOCK | H_SKLOAD | H_CGROUP,
				     F(cg_skb_fields), 1, 1, 1, 0, 1 },
	[VERIFY_PROG_CGROUP_SOCK] = { "cgroup_sock", 80, CTX_FIELDS, 0,
				      H_BASE | H_CURRENT | H_NETNS | H_CGROUP,
				      NULL, 0,
				      1, 1, 1, 0, 1 },
	[VERIFY_PROG_CGROUP_SOCK_ADDR] = { "cgroup_sock_addr", 72, CTX_FIELDS,
					   0, H_BASE | H_CURRENT | H_NETNS |
					   H_CGROUP, F(sock_addr_fields), 1, 1,
					   1, 0,
					   1 },
	[VERIFY_PROG_SK_MSG] = { "sk_msg", 80, CTX_FIELDS, 1,
				 H_BASE | H_NETNS | H_PKTWRITE,
				 F(sk_msg_fields), 1, 1, 0, 0, 0 },
	[VERIFY_PROG_SK_REUSEPORT] = { "sk_reuseport", 56, CTX_FIELDS, 0,
				       H_BASE | H_REUSEPORT | H_NETNS,
				       F(reuseport_fields), 1, 1, 0, 0, 0 },
	[VERIFY_PROG_CGROUP_POST_BIND] = { "cgroup_post_bind", 80, CTX_FIELDS,
					   0, H_BASE | H_CURRENT | H_NETNS |
					   H_CGROUP, NULL, 0, 1, 1, 1, 0, 1 },
};

const char *verify_prog_type_name(enum verify_prog_type t)
{
	return (unsigned)t < VERIFY_PROG_COUNT ? progs[t].name : NULL;
}

enum verify_prog_type verify_prog_type_from_name(const char *name)
{
	for (unsigned t = 0; t < VERIFY_PROG_COUNT; t++)
		if (!strcmp(name, progs[t].name))
			return (enum verify_prog_type)t;
	return VERIFY_PROG_COUNT;
}

static void field_load(struct vctx *v, const struct ctx_field *f,
		       unsigned size, struct vreg *out)
{
	if (f->type == T_SCALAR) {
		reg_narrow_load(out, size, false);
		return;
	}
	memset(out, 0, sizeof *out);
	out->type = f->type;
	out->var = tnum_const(0);
	/* id 0 for packet pointers: every pointer with a constant offset
	 * from data shares what comparisons learn; an object that may be
	 * NULL gets its own id for its null check */
	if (f->type == T_KOBJ || f->type == T_KOBJ_OR_NULL)
		out->map = f->kind;
	if (f->type == T_KOBJ_OR_NULL)
		out->id = ++v->next_id;
}

/* Linux's own context rules: aligned accesses, narrow reads only where a
 * field allows them, writes of whole writable fields. */
static enum graft_status ctx_strict(struct vctx *v, const struct vstate *st,
				    uint32_t pc, int regno,
				    const struct prog_desc *d, int32_t off,
				    unsigned size, bool write,
				    struct vreg *out)
{
	const struct ctx_field *fs = d->fields;
	size_t n = d->nfields;
	if (v->o->type == VERIFY_PROG_CGROUP_POST_BIND) {
		if (write)
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "the %s context is read-only", d->name);
		if (off < 4 || (off >= 16 && off < 24))
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "invalid %s context access off=%d size=%u",
				      d->name, off, size);
	}
	if (v->o->type == VERIFY_PROG_CGROUP_POST_BIND && off >= 24 &&
	    off < 44)
		return reject(v, st, pc, regno, GRAFT_ENOTSUP,
			      "%s context field at off %d depends on the "
			      "attach type (not modeled)", d->name, off);
	if (v->o->type == VERIFY_PROG_CGROUP_POST_BIND)
		fs = kobj_sock_fields, n = kobj_nsock_fields;
	if (v->o->type == VERIFY_PROG_CGROUP_SOCK) {
		if (off >= 24 && off < 48)
			return reject(v, st, pc, regno, GRAFT_ENOTSUP,
				      "%s context field at off %d depends on "
				      "the attach type (not modeled)", d->name,
				      off);
		fs = kobj_sock_fields, n = kobj_nsock_fields;
	}
	const struct ctx_field *f = field_find(fs, n, off, size, write);
	if (f && (f->flags & CF_NOTSUP))
		return reject(v, st, pc, regno, GRAFT_ENOTSUP,
			      "%s context field at off %d depends on the "
			      "attach type (not modeled)", d->name, f->off);
	if (!f || (f->flags & CF_DENY) || off + (int32_t)size > d->ctx_size)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "invalid %s context access off=%d size=%u",
			      d->name, off, size);
	if (write && !f->write)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "the %s context field at off %d is read-only",
			      d->name, off);
	if (!write && out)
		field_load(v, f, size, out);
	return GRAFT_OK;
}

enum graft_status ctx_access(struct vctx *v, const struct vstate *st,
			     uint32_t pc, int32_t off, unsigned size,
			     bool write, struct vreg *out)
{
	const struct prog_desc *d = &progs[v->o->type];
	int regno = write ? v->insns[pc].dst : v->insns[pc].src;
	if (d->ctx_kind == CTX_WORDS) {
		if (write)
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "the %s context is read-only", d->name);
		if (size == 0 || off < 0 || off + (int32_t)size > d->ctx_size ||
		    off % (int32_t)size)
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "invalid %s context access off=%d size=%u",
				      d->name, off, size);
		if (out)
			reg_narrow_load(out, size, false);
		return GRAFT_OK;
	}
	if (d->strict)
		return ctx_strict(v, st, pc, regno, d, off, size, write, out);
	for (size_t i = 0; i < d->nfields; i++) {
		const struct ctx_field *f = &d->fields[i];
		if (off < f->off || off >= f->off + f->size)
			continue;
		if (f->type == T_NOT_INIT) /* flow_keys: a BTF pointer */
			return reject(v, st, pc, regno, GRAFT_ENOTSUP,
				      "%s context field at off %d (a kernel "
				      "object pointer) is not modeled", d->name,
				      f->off);
		if (size == 0 || off + (int32_t)size > f->off + f->size ||
		    (f->type != T_SCALAR && (off != f->off || size != f->size)))
			break;
		if (write && !f->write)
			return reject(v, st, pc, regno, GRAFT_EPERM,
				      "the %s context field at off %d is "
				      "read-only", d->name, off);
		if (!write && out)
			field_load(v, f, size, out);
		return GRAFT_OK;
	}
	return reject(v, st, pc, regno, GRAFT_EPERM,
		      "invalid %s context access off=%d size=%u", d->name, off,
		      size);
}

bool prog_ctx_none(enum verify_prog_type t);
bool prog_ctx_none(enum verify_prog_type t)
{
	return progs[t].ctx_kind == CTX_NONE;
}

bool prog_has_pkt(enum verify_prog_type t);
bool prog_has_pkt(enum verify_prog_type t)
{
	return progs[t].has_pkt;
}

/* Helper classes: which program types may call which helpers. */
static uint32_t helper_class(int32_t id)
{
	switch (id) {
	case 44: case 54: case 65: return H_XDP;
	case 9: case 10: case 11: case 13: case 17: case 18: case 19:
	case 26: case 38: case 39: case 40: case 41: case 43:
		return H_SKB;
	case 14: case 15: case 16: case 80:
		return H_TRACE | H_CURRENT;
	case 35:
		return H_TRACE;
	case 23: case 51: return H_XDP | H_SKB;
	case 95: case 96: case 98:
		return H_SKSOCK;
	case 47:
		return H_SKLOAD;
	case 46:
		return H_SKLOAD | H_NETNS;
	case 122:
		return H_NETNS;
	case 67:
		return H_TRACE;
	case 69:
		return H_XDP | H_SKB;
	case 81:
		return H_CGROUP;
	case 82:
		return H_REUSEPORT;
	case 107: case 108:
		return H_SKSOCK | H_CGROUP;
	default: return H_BASE;
	}
}

bool prog_helper_allowed(enum verify_prog_type t, int32_t id)
{
	return (progs[t].helpers & helper_class(id)) != 0;
}

/*
 * The kernel-compatible types (for the selftest corpus) follow what Linux
 * allows a privileged loader: pointers may be returned, stored into maps
 * and the packet, and moved to 32 bits (they become scalars), and
 * uninitialized stack bytes may be read (as unknown values). graft's own
 * types forbid all of these.
 */
bool prog_ptr_leaks_ok(enum verify_prog_type t);
bool prog_ptr_leaks_ok(enum verify_prog_type t)
{
	return progs[t].linux_type;
}

bool prog_ret_range(const struct verify_opts *o, int64_t *min, int64_t *max)
{
	if (o->ret_range) {
		*min = o->ret_min, *max = o->ret_max;
		return true;
	}
	*min = progs[o->type].ret_min, *max = progs[o->type].ret_max;
	return progs[o->type].has_ret;
}
