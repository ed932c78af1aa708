/*
 * The overlay's eBPF helpers (IDs in graft/overlay.h). They find the
 * overlay through the run's graft_env (x->user), whose app field the
 * overlay points at itself.
 */
#include <stdio.h>
#include <string.h>

#include "bpf_internal.h"

static struct ovl_bpf *overlay_of(struct ebpf_exec *x)
{
	struct graft_env *env = x->user;
	return env ? env->app : NULL;
}

static uint64_t h_sym(uint64_t name, uint64_t len, uint64_t r3, uint64_t r4,
		      uint64_t r5, struct ebpf_exec *x)
{
	struct ovl_bpf *b = overlay_of(x);
	char buf[128];
	(void)r3, (void)r4, (void)r5;
	if (!b || len == 0 || len >= sizeof buf)
		return 0;
	if (!ebpf_exec_access_ok(x, name, len, EBPF_R))
		return ebpf_exec_abort(x, "overlay_sym: name at 0x%llx not readable",
				       (unsigned long long)name);
	memcpy(buf, (const void *)(uintptr_t)name, len);
	buf[len] = 0;
	buf[strnlen(buf, len)] = 0;
	const struct ovl_bpf_host *h = &b->opts.host;
	uint64_t addr = h->sym_addr ? h->sym_addr(h->ud, buf) : 0;
	if (!addr)
		return 0;
	uint64_t size = h->sym_size ? h->sym_size(h->ud, buf) : 0;
	if (!size)
		size = 8;
	/* Readable for the rest of this run; no region left means 0. */
	if (!ebpf_exec_access_ok(x, addr, size, EBPF_R) &&
	    ebpf_exec_add_region(x, (const void *)(uintptr_t)addr, size, EBPF_R))
		return 0;
	return addr;
}

static uint64_t h_ret_addr(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			   uint64_t r5, struct ebpf_exec *x)
{
	struct ovl_bpf *b = overlay_of(x);
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return b ? b->ret_addr : 0;
}

static uint64_t h_notify(uint64_t value, uint64_t r2, uint64_t r3,
			 uint64_t r4, uint64_t r5, struct ebpf_exec *x)
{
	struct ovl_bpf *b = overlay_of(x);
	char line[48];
	(void)r2, (void)r3, (void)r4, (void)r5;
	if (!b)
		return 0;
	int n = snprintf(line, sizeof line, "notify %llu\n",
			 (unsigned long long)value);
	struct graft_env *env = &b->env;
	if (n < 0 || env->log_len + (uint32_t)n >= sizeof env->log) {
		env->log_dropped += (uint32_t)(n > 0 ? n : 0);
		return (uint64_t)-1;
	}
	memcpy(env->log + env->log_len, line, (size_t)n);
	env->log_len += (uint32_t)n;
	env->log[env->log_len] = 0;
	return 0;
}

const struct ebpf_helper ovl_helpers[] = {
	{ OVL_FN_sym, "overlay_sym", h_sym },
	{ OVL_FN_ret_addr, "overlay_ret_addr", h_ret_addr },
	{ OVL_FN_notify, "overlay_notify", h_notify },
};
const size_t ovl_nhelpers = sizeof ovl_helpers / sizeof ovl_helpers[0];
