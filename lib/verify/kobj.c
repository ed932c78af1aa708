/*
 * Kernel objects of the Linux-compatible program types: sockets, which a
 * program reaches through skb->sk, a socket-returning helper or a context
 * field, and reads through the kernel's UAPI view of them (struct bpf_sock,
 * struct bpf_tcp_sock). The kernel rewrites each permitted access to a
 * read of its own structures, so a permitted access is one the kernel
 * permits: the field tables and the narrow-load rules below are the facts
 * of its access checks (net/core/filter.c), and anything else is refused.
 * Objects are read-only and admit no arithmetic.
 */
#include "kobj.h"

/* struct bpf_sock; write: writable as the context of cgroup/sock. */
const struct ctx_field kobj_sock_fields[] = {
	{ 0, 4, T_SCALAR, 1, 0, 0 },            /* bound_dev_if */
	{ 4, 4, T_SCALAR, 0, CF_NARROW0, 0 },   /* family */
	{ 8, 4, T_SCALAR, 0, CF_NARROW0, 0 },   /* type */
	{ 12, 4, T_SCALAR, 0, CF_NARROW0, 0 },  /* protocol */
	{ 16, 4, T_SCALAR, 1, 0, 0 },           /* mark */
	{ 20, 4, T_SCALAR, 1, 0, 0 },           /* priority */
	{ 24, 4, T_SCALAR, 0, CF_NARROW, 0 },   /* src_ip4 */
	{ 28, 4, T_SCALAR, 0, CF_NARROW, 0 },   /* src_ip6[4] */
	{ 32, 4, T_SCALAR, 0, CF_NARROW, 0 },
	{ 36, 4, T_SCALAR, 0, CF_NARROW, 0 },
	{ 40, 4, T_SCALAR, 0, CF_NARROW, 0 },
	{ 44, 4, T_SCALAR, 0, CF_NARROW0, 0 },  /* src_port */
	{ 48, 2, T_SCALAR, 0, CF_PORT, 0 },     /* dst_port (be16) */
	{ 52, 4, T_SCALAR, 0, CF_NARROW, 0 },   /* dst_ip4 */
	{ 56, 4, T_SCALAR, 0, CF_NARROW, 0 },   /* dst_ip6[4] */
	{ 60, 4, T_SCALAR, 0, CF_NARROW, 0 },
	{ 64, 4, T_SCALAR, 0, CF_NARROW, 0 },
	{ 68, 4, T_SCALAR, 0, CF_NARROW, 0 },
	{ 72, 4, T_SCALAR, 0, CF_NARROW0, 0 },  /* state */
	{ 76, 4, T_SCALAR, 0, CF_NARROW0, 0 },  /* rx_queue_mapping */
};
const size_t kobj_nsock_fields =
	sizeof kobj_sock_fields / sizeof kobj_sock_fields[0];

/* struct bpf_tcp_sock: u32 fields, bytes_received and bytes_acked u64. */
static const struct ctx_field tcp_sock_fields[] = {
	{ 0, 4, T_SCALAR, 0, 0, 0 },  { 4, 4, T_SCALAR, 0, 0, 0 },
	{ 8, 4, T_SCALAR, 0, 0, 0 },  { 12, 4, T_SCALAR, 0, 0, 0 },
	{ 16, 4, T_SCALAR, 0, 0, 0 }, { 20, 4, T_SCALAR, 0, 0, 0 },
	{ 24, 4, T_SCALAR, 0, 0, 0 }, { 28, 4, T_SCALAR, 0, 0, 0 },
	{ 32, 4, T_SCALAR, 0, 0, 0 }, { 36, 4, T_SCALAR, 0, 0, 0 },
	{ 40, 4, T_SCALAR, 0, 0, 0 }, { 44, 4, T_SCALAR, 0, 0, 0 },
	{ 48, 4, T_SCALAR, 0, 0, 0 }, { 52, 4, T_SCALAR, 0, 0, 0 },
	{ 56, 4, T_SCALAR, 0, 0, 0 }, { 60, 4, T_SCALAR, 0, 0, 0 },
	{ 64, 4, T_SCALAR, 0, 0, 0 }, { 68, 4, T_SCALAR, 0, 0, 0 },
	{ 72, 4, T_SCALAR, 0, 0, 0 }, { 76, 4, T_SCALAR, 0, 0, 0 },
	{ 80, 8, T_SCALAR, 0, 0, 0 }, { 88, 8, T_SCALAR, 0, 0, 0 },
	{ 96, 4, T_SCALAR, 0, 0, 0 }, { 100, 4, T_SCALAR, 0, 0, 0 },
	{ 104, 4, T_SCALAR, 0, 0, 0 }, { 108, 4, T_SCALAR, 0, 0, 0 },
};

static const char *const names[KOBJ_COUNT] = {
	[KOBJ_SOCK_COMMON] = "sock_common", [KOBJ_SOCK] = "sock",
	[KOBJ_TCP_SOCK] = "tcp_sock", [KOBJ_XDP_SOCK] = "xdp_sock",
};

const char *kobj_name(unsigned kind)
{
	return kind < KOBJ_COUNT ? names[kind] : "kobj";
}

const struct ctx_field *field_find(const struct ctx_field *fs, size_t n,
				   int32_t off, unsigned size, bool write)
{
	if (size == 0 || off < 0 || off % (int32_t)size)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct ctx_field *f = &fs[i];
		if (off < f->off || off >= f->off + f->size)
			continue;
		if (f->flags & (CF_NOTSUP | CF_DENY))
			return f; /* the caller says why */
		if (size == f->size && off == f->off)
			return f;
		if (f->type != T_SCALAR)
			return NULL;
		if (f->flags & CF_ANY)
			return off + (int32_t)size <= f->off + f->size ? f : NULL;
		if (f->flags & CF_PORT) /* a u32 load of the be16 is allowed */
			return (off == f->off && size == 4 && !write) ||
			       (!write && off + (int32_t)size <=
				f->off + f->size) ? f : NULL;
		if (write || size > f->size)
			return NULL;
		if (f->flags & CF_NARROW)
			return f;
		if ((f->flags & CF_NARROW0) && off == f->off)
			return f;
		return NULL;
	}
	return NULL;
}

enum graft_status kobj_access(struct vctx *v, const struct vstate *st,
			      uint32_t pc, int regno, unsigned kind,
			      int32_t off, unsigned size, bool write,
			      struct vreg *out)
{
	if (write)
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "cannot write into %s", kobj_name(kind));
	const struct ctx_field *f = NULL;
	switch (kind) {
	case KOBJ_SOCK_COMMON:
		/* type .. priority live in the full socket only */
		if (off >= 8 && off < 24)
			break;
		/* fall through */
	case KOBJ_SOCK:
		f = field_find(kobj_sock_fields, kobj_nsock_fields, off, size,
			       false);
		break;
	case KOBJ_TCP_SOCK:
		f = field_find(tcp_sock_fields, sizeof tcp_sock_fields /
			       sizeof tcp_sock_fields[0], off, size, false);
		break;
	case KOBJ_XDP_SOCK: /* struct bpf_xdp_sock { u32 queue_id; } */
		f = field_find(tcp_sock_fields, 1, off, size, false);
		break;
	default:
		break;
	}
	if (!f || (f->flags & (CF_NOTSUP | CF_DENY)))
		return reject(v, st, pc, regno, GRAFT_EPERM,
			      "invalid %s access off=%d size=%u",
			      kobj_name(kind), off, size);
	if (out)
		reg_narrow_load(out, size, false);
	return GRAFT_OK;
}
