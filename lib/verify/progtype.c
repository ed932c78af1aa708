/*
 * Program types: the context each type receives (which offsets may be read
 * or written, and which loads yield packet pointers), the helpers it may
 * call and what it may return.
 */
#include <string.h>

#include "vpriv.h"

struct ctx_field {
	uint16_t off, size;
	uint8_t type;    /* T_SCALAR, T_PKT, T_PKT_END, T_PKT_META */
	uint8_t write;
};

struct prog_desc {
	const char *name;
	uint16_t ctx_size;
	uint8_t ctx_kind;       /* CTX_FIELDS, CTX_WORDS, CTX_NONE */
	uint8_t has_pkt;        /* may write the packet */
	uint32_t helpers;       /* H_* classes allowed */
	const struct ctx_field *fields;
	size_t nfields;
};

enum { CTX_FIELDS, CTX_WORDS, CTX_NONE };
enum { H_BASE = 1, H_XDP = 2, H_SKB = 4, H_TRACE = 8, H_PKTWRITE = 16 };

static const struct ctx_field xdp_fields[] = {
	{ 0, 4, T_PKT, 0 }, { 4, 4, T_PKT_END, 0 }, { 8, 4, T_PKT_META, 0 },
	{ 12, 4, T_SCALAR, 0 }, { 16, 4, T_SCALAR, 0 }, { 20, 4, T_SCALAR, 0 },
};

/* struct __sk_buff, as far as tc programs may touch it. */
static const struct ctx_field skb_fields[] = {
	{ 0, 4, T_SCALAR, 0 },  { 4, 4, T_SCALAR, 0 },  { 8, 4, T_SCALAR, 1 },
	{ 12, 4, T_SCALAR, 1 }, { 16, 4, T_SCALAR, 0 }, { 20, 4, T_SCALAR, 0 },
	{ 24, 4, T_SCALAR, 0 }, { 28, 4, T_SCALAR, 0 }, { 32, 4, T_SCALAR, 1 },
	{ 36, 4, T_SCALAR, 0 }, { 40, 4, T_SCALAR, 0 }, { 44, 4, T_SCALAR, 1 },
	{ 48, 4, T_SCALAR, 1 }, { 52, 4, T_SCALAR, 1 }, { 56, 4, T_SCALAR, 1 },
	{ 60, 4, T_SCALAR, 1 }, { 64, 4, T_SCALAR, 1 }, { 68, 4, T_SCALAR, 0 },
	{ 72, 4, T_SCALAR, 1 }, { 76, 4, T_PKT, 0 },    { 80, 4, T_PKT_END, 0 },
	{ 84, 4, T_SCALAR, 0 }, { 88, 4, T_SCALAR, 0 }, { 92, 4, T_SCALAR, 0 },
	{ 96, 4, T_SCALAR, 0 }, { 100, 4, T_SCALAR, 0 }, { 104, 4, T_SCALAR, 0 },
	{ 108, 4, T_SCALAR, 0 }, { 112, 4, T_SCALAR, 0 }, { 116, 4, T_SCALAR, 0 },
	{ 120, 4, T_SCALAR, 0 }, { 124, 4, T_SCALAR, 0 }, { 128, 4, T_SCALAR, 0 },
	{ 132, 4, T_SCALAR, 0 }, { 136, 4, T_SCALAR, 0 }, { 140, 4, T_PKT_META, 0 },
	{ 144, 8, T_NOT_INIT, 0 }, { 152, 8, T_SCALAR, 1 },
	{ 160, 4, T_SCALAR, 0 }, { 164, 4, T_SCALAR, 0 },
	{ 168, 8, T_NOT_INIT, 0 }, { 176, 4, T_SCALAR, 0 },
	{ 184, 8, T_SCALAR, 0 },
};

/* A socket filter sees the same struct but no packet pointers. */
static const struct ctx_field sock_fields[] = {
	{ 0, 4, T_SCALAR, 0 },  { 4, 4, T_SCALAR, 0 },  { 8, 4, T_SCALAR, 0 },
	{ 12, 4, T_SCALAR, 0 }, { 16, 4, T_SCALAR, 0 }, { 20, 4, T_SCALAR, 0 },
	{ 24, 4, T_SCALAR, 0 }, { 28, 4, T_SCALAR, 0 }, { 32, 4, T_SCALAR, 0 },
	{ 36, 4, T_SCALAR, 0 }, { 40, 4, T_SCALAR, 0 }, { 44, 4, T_SCALAR, 0 },
	{ 48, 4, T_SCALAR, 1 }, { 52, 4, T_SCALAR, 1 }, { 56, 4, T_SCALAR, 1 },
	{ 60, 4, T_SCALAR, 1 }, { 64, 4, T_SCALAR, 1 }, { 68, 4, T_SCALAR, 0 },
	{ 88, 4, T_SCALAR, 0 }, { 92, 4, T_SCALAR, 0 }, { 96, 4, T_SCALAR, 0 },
	{ 100, 4, T_SCALAR, 0 }, { 104, 4, T_SCALAR, 0 }, { 108, 4, T_SCALAR, 0 },
	{ 112, 4, T_SCALAR, 0 }, { 116, 4, T_SCALAR, 0 }, { 120, 4, T_SCALAR, 0 },
	{ 124, 4, T_SCALAR, 0 }, { 128, 4, T_SCALAR, 0 }, { 132, 4, T_SCALAR, 0 },
	{ 136, 4, T_SCALAR, 0 }, { 168, 8, T_NOT_INIT, 0 },
};

/* mapper, reducer: { u64 data; u64 data_end; u64 arg; } */
static const struct ctx_field buf_fields[] = {
	{ 0, 8, T_PKT, 0 }, { 8, 8, T_PKT_END, 0 }, { 16, 8, T_SCALAR, 0 },
};

#define F(a) a, sizeof(a) / sizeof((a)[0])
static const struct prog_desc progs[VERIFY_PROG_COUNT] = {
	[VERIFY_PROG_XDP] = { "xdp", 24, CTX_FIELDS, 1,
			      H_BASE | H_XDP | H_PKTWRITE, F(xdp_fields) },
	[VERIFY_PROG_SKB] = { "skb", 192, CTX_FIELDS, 1,
			      H_BASE | H_SKB | H_PKTWRITE, F(skb_fields) },
	[VERIFY_PROG_SOCKET] = { "socket", 192, CTX_FIELDS, 0, H_BASE | H_SKB,
				 F(sock_fields) },
	[VERIFY_PROG_KPROBE] = { "kprobe", 168, CTX_WORDS, 0,
				 H_BASE | H_TRACE, NULL, 0 },
	[VERIFY_PROG_TRACE] = { "trace", 48, CTX_WORDS, 0, H_BASE | H_TRACE,
				NULL, 0 },
	[VERIFY_PROG_EXEC] = { "exec", 0, CTX_NONE, 0, H_BASE | H_TRACE, NULL,
			       0 },
	[VERIFY_PROG_MAPPER] = { "mapper", 24, CTX_FIELDS, 0, H_BASE,
				 F(buf_fields) },
	[VERIFY_PROG_REDUCER] = { "reducer", 24, CTX_FIELDS, 0, H_BASE,
				  F(buf_fields) },
	[VERIFY_PROG_RAW] = { "raw", 0, CTX_NONE, 0, H_BASE, NULL, 0 },
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

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

enum verify_prog_type verify_prog_type_from_section(const char *sec)
{
	static const struct {
		const char *prefix;
		enum verify_prog_type t;
	} map[] = {
		{ "xdp", VERIFY_PROG_XDP },       { "tc", VERIFY_PROG_SKB },
		{ "classifier", VERIFY_PROG_SKB }, { "action", VERIFY_PROG_SKB },
		{ "socket", VERIFY_PROG_SOCKET }, { "kprobe", VERIFY_PROG_KPROBE },
		{ "kretprobe", VERIFY_PROG_KPROBE },
		{ "uprobe", VERIFY_PROG_KPROBE },
		{ "raw_tp", VERIFY_PROG_KPROBE },
		{ "raw_tracepoint", VERIFY_PROG_KPROBE },
		{ "trace", VERIFY_PROG_TRACE },   { "exec", VERIFY_PROG_EXEC },
		{ "mapper", VERIFY_PROG_MAPPER }, { "map/", VERIFY_PROG_MAPPER },
		{ "reducer", VERIFY_PROG_REDUCER },
		{ "reduce", VERIFY_PROG_REDUCER }, { "raw", VERIFY_PROG_RAW },
		{ "filter", VERIFY_PROG_XDP },
		/* Linux types whose context the corpus types approximate */
		{ "cgroup/skb", VERIFY_PROG_SKB },
		{ "cgroup_skb/", VERIFY_PROG_SKB }, { "lwt_", VERIFY_PROG_SKB },
		{ "sk_skb", VERIFY_PROG_SKB },
		{ "tracepoint", VERIFY_PROG_KPROBE }, { "tp/", VERIFY_PROG_KPROBE },
		{ "tp_btf", VERIFY_PROG_KPROBE }, { "fentry", VERIFY_PROG_KPROBE },
		{ "fexit", VERIFY_PROG_KPROBE }, { "perf_event", VERIFY_PROG_KPROBE },
	};
	if (*sec == '?') /* libbpf: not loaded by default; same type */
		sec++;
	/* the longest matching prefix wins ("tracepoint" over "trace") */
	enum verify_prog_type best = VERIFY_PROG_COUNT;
	size_t bestlen = 0;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (has_prefix(sec, map[i].prefix) &&
		    strlen(map[i].prefix) > bestlen) {
			best = map[i].t;
			bestlen = strlen(map[i].prefix);
		}
	return best;
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
	for (size_t i = 0; i < d->nfields; i++) {
		const struct ctx_field *f = &d->fields[i];
		if (off < f->off || off >= f->off + f->size)
			continue;
		if (f->type == T_NOT_INIT) /* flow_keys, sk: BTF pointers */
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
		if (!write && out) {
			if (f->type == T_SCALAR) {
				reg_narrow_load(out, size, false);
			} else {
				memset(out, 0, sizeof *out);
				out->type = f->type;
				/* id 0: every pointer with a constant offset
				 * from data shares what comparisons learn */
				out->var = tnum_const(0);
			}
		}
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
	case 26: case 38: case 39: case 43:
		return H_SKB;
	case 14: case 15: case 16: case 35:
		return H_TRACE;
	case 23: case 51: return H_XDP | H_SKB;
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
	return t == VERIFY_PROG_SKB || t == VERIFY_PROG_SOCKET ||
	       t == VERIFY_PROG_KPROBE;
}

bool prog_ret_ok(enum verify_prog_type t, const struct vreg *r0)
{
	if (prog_ptr_leaks_ok(t))
		return r0->type != T_NOT_INIT;
	return r0->type == T_SCALAR;
}

const char *prog_ret_desc(enum verify_prog_type t)
{
	(void)t;
	return "a scalar (pointers must not leak out of the program)";
}
