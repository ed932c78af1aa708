/*
 * ELF section names to program types (libbpf's conventions), and the
 * return ranges Linux ties to a section's attach type rather than to its
 * program type.
 */
#include <string.h>

#include "vpriv.h"

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* Sections named exactly (a prefix would also catch cgroup/sockopt). */
static const struct {
	const char *name;
	enum verify_prog_type t;
	int8_t min, max;     /* return range; min > max: the type's */
} exact[] = {
	{ "cgroup/skb", VERIFY_PROG_CGROUP_SKB, 1, 0 },
	{ "cgroup_skb/ingress", VERIFY_PROG_CGROUP_SKB, 1, 0 },
	{ "cgroup_skb/egress", VERIFY_PROG_CGROUP_SKB, 0, 3 },
	{ "cgroup/sock", VERIFY_PROG_CGROUP_SOCK, 1, 0 },
	{ "cgroup/sock_create", VERIFY_PROG_CGROUP_SOCK, 1, 0 },
	{ "cgroup/sock_release", VERIFY_PROG_CGROUP_SOCK, 1, 0 },
	{ "cgroup/post_bind4", VERIFY_PROG_CGROUP_POST_BIND, 1, 0 },
	{ "cgroup/post_bind6", VERIFY_PROG_CGROUP_POST_BIND, 1, 0 },
	{ "cgroup/bind4", VERIFY_PROG_CGROUP_SOCK_ADDR, 0, 3 },
	{ "cgroup/bind6", VERIFY_PROG_CGROUP_SOCK_ADDR, 0, 3 },
	{ "cgroup/connect4", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 0 },
	{ "cgroup/connect6", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 0 },
	{ "cgroup/connect_unix", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 0 },
	{ "cgroup/sendmsg4", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 0 },
	{ "cgroup/sendmsg6", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 0 },
	{ "cgroup/sendmsg_unix", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 0 },
	{ "cgroup/recvmsg4", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 1 },
	{ "cgroup/recvmsg6", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 1 },
	{ "cgroup/recvmsg_unix", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 1 },
	{ "cgroup/getpeername4", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 1 },
	{ "cgroup/getpeername6", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 1 },
	{ "cgroup/getpeername_unix", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 1 },
	{ "cgroup/getsockname4", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 1 },
	{ "cgroup/getsockname6", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 1 },
	{ "cgroup/getsockname_unix", VERIFY_PROG_CGROUP_SOCK_ADDR, 1, 1 },
	{ "sk_msg", VERIFY_PROG_SK_MSG, 1, 0 },
	{ "sk_reuseport", VERIFY_PROG_SK_REUSEPORT, 1, 0 },
	{ "sk_reuseport/migrate", VERIFY_PROG_SK_REUSEPORT, 1, 0 },
};

static const char *strip(const char *sec)
{
	return *sec == '?' ? sec + 1 : sec; /* libbpf: not autoloaded */
}

bool verify_section_ret_range(const char *sec, int32_t *min, int32_t *max)
{
	sec = strip(sec);
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (!strcmp(sec, exact[i].name) && exact[i].min <= exact[i].max) {
			*min = exact[i].min, *max = exact[i].max;
			return true;
		}
	return false;
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
		{ "lwt_", VERIFY_PROG_SKB }, { "sk_skb", VERIFY_PROG_SKB },
		{ "tracepoint", VERIFY_PROG_KPROBE }, { "tp/", VERIFY_PROG_KPROBE },
		{ "tp_btf", VERIFY_PROG_KPROBE }, { "fentry", VERIFY_PROG_KPROBE },
		{ "fexit", VERIFY_PROG_KPROBE }, { "perf_event", VERIFY_PROG_KPROBE },
	};
	sec = strip(sec);
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (!strcmp(sec, exact[i].name))
			return exact[i].t;
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
